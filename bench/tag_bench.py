"""Tagging benchmarks: train a tagger on one of the standard data sets, score it on dev and test, time
batched tagging, and write one JSON line of results.

    WORDSEQ_DATA=/path/to/data python bench/tag_bench.py upos --model bilstm --threads 2 \
        --vectors wiki-sgns300.wsq -o upos.wsq --results bench/results/tag_runs.jsonl

Data sets (under $WORDSEQ_DATA, default ../shared/data):
  upos, xpos, upos+xpos   ud_english_ewt, official train/dev/test (gold tokenization)
  ner                     uner_english_ewt: trained on the *draft* train split (B-/I-OTH and B-O mapped to O),
                          early-stopped on the final dev, scored on the final test
  chunk                   conll2000: the last 1,000 train sentences held out for early stopping, test scored
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))

UNER_DRAFT_MAP = {"B-OTH": "O", "I-OTH": "O", "B-O": "O", "I-O": "O"}


def load(task: str, features: list[str]):
    from wordseq.tag.formats import read_tagged

    if task in ("upos", "xpos", "upos+xpos"):
        d = DATA / "ud_english_ewt"
        return [
            read_tagged(d / f"en_ewt-ud-{s}.conllu", "conllu", task, features=features)
            for s in ("train", "dev", "test")
        ]
    if task == "ner":
        d = DATA / "uner_english_ewt"
        train = read_tagged(d / "en_ewt-ud-train.draft.iob2.gz", "iob", "ner", tag_map=UNER_DRAFT_MAP)
        return [train] + [read_tagged(d / f"en_ewt-ud-{s}.iob2", "iob", "ner") for s in ("dev", "test")]
    if task == "chunk":
        d = DATA / "conll2000"
        train = read_tagged(d / "train.txt.gz", "iob", "chunk", features=features)
        return [train[:-1000], train[-1000:], read_tagged(d / "test.txt.gz", "iob", "chunk", features=features)]
    raise SystemExit(f"unknown task {task}")


def sent_id(s) -> str | None:
    for c in s.comments:
        if c.startswith("# sent_id = "):
            return c.removeprefix("# sent_id = ").strip()
    return None


def add_predicted_upos(sents, tagger, jackknifed=None) -> int:
    """Give each UNER sentence a predicted ``upos`` input column: from a jackknifed CoNLL-U file of the same
    sentences (matched by sent_id, where the words agree), else from the tagger; how many came from the file."""
    from wordseq.text.conllu import read_conllu

    known = {}
    if jackknifed:
        for c in read_conllu(jackknifed):
            known[c.comment("sent_id")] = (c.forms, c.column("upos"))
    rest, taken = [], 0
    for s in sents:
        hit = known.get(sent_id(s))
        if hit is not None and hit[0] == s.words:
            s.tags["upos"], taken = list(hit[1]), taken + 1
        else:
            rest.append(s)
    for s, tags in zip(rest, tagger.predict([s.words for s in rest])):
        s.tags["upos"] = tags["upos"]
    return taken


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["upos", "xpos", "upos+xpos", "ner", "chunk"])
    ap.add_argument("--model", choices=["window", "bilstm"], default="bilstm")
    ap.add_argument("--crf", action="store_true")
    ap.add_argument("--chars", choices=["none", "cnn", "lstm"], default=None)
    ap.add_argument("--vectors", default=None)
    ap.add_argument("--max-vectors", type=int, default=50_000)
    ap.add_argument("--frozen-vectors", action="store_true", help="fixed vectors, a learned correction")
    ap.add_argument(
        "--iobes", action="store_true", help="ner, chunk: train and tag in IOBES (spans scored the same way)"
    )
    ap.add_argument("--upos-tagger", default=None, help="ner --feature upos: the UPOS tagger for dev and test")
    ap.add_argument("--upos-train", default=None, help="ner --feature upos: jackknifed UPOS of EWT train (CoNLL-U)")
    ap.add_argument("--hidden", type=int, default=None)
    ap.add_argument("--layers", type=int, default=None, help="BiLSTM layers")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    ap.add_argument("--momentum", type=float, default=0.0, help="sgd")
    ap.add_argument(
        "--schedule",
        default="none",
        choices=["none", "step", "plateau"],
        help="plateau: divide the rate by 4 when dev stops improving; step: times --decay each epoch from --decay-start",
    )
    ap.add_argument("--decay", type=float, default=0.5)
    ap.add_argument("--decay-start", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-seconds", type=float, default=0.0)
    ap.add_argument("--log-interval", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default=None)
    ap.add_argument("-o", "--output", default=None, help="save the model here")
    ap.add_argument(
        "--feature",
        action="append",
        default=[],
        help="input column beside the words (chunk: 2 = CoNLL-2000's POS tags; CoNLL-U: a column name)",
    )
    ap.add_argument(
        "--refit",
        action="store_true",
        help="chunk: after early stopping, train a fresh tagger on all of train (the held-out 1,000 sentences "
        "included) for the best epoch's count, and score that one on test too",
    )
    ap.add_argument("--results", default=str(ROOT / "bench" / "results" / "tag_runs.jsonl"))
    args = ap.parse_args()
    if args.refit and args.schedule == "plateau":
        raise SystemExit("--refit trains without a dev set, so --schedule plateau would never cut the rate")
    if args.refit and args.task != "chunk":
        raise SystemExit(
            "--refit: only for chunk, whose dev sentences are held out of train (the others have a dev set)"
        )
    if not DATA.exists():
        raise SystemExit(f"benchmark data {DATA} not found (set WORDSEQ_DATA)")

    import torch

    from wordseq.tag import BiLSTMTagger, WindowTagger
    from wordseq.train import TrainConfig

    torch.set_num_threads(args.threads)
    if args.task == "ner" and args.feature not in ([], ["upos"]):
        raise SystemExit("--feature: the UNER files have no input columns (--feature upos with --upos-tagger)")
    if args.task == "ner" and args.feature and not args.upos_tagger:
        raise SystemExit("--feature upos for ner needs --upos-tagger (and --upos-train for jackknifed train tags)")
    train, dev, test = load(args.task, [] if args.task == "ner" else args.feature)
    if args.iobes:
        from wordseq.tag.schemes import to_scheme

        if args.task not in ("ner", "chunk"):
            raise SystemExit("--iobes: only for the span tasks, ner and chunk")
        for s in train + dev + test:
            s.tags[args.task] = to_scheme(s.tags[args.task], "iobes")
    if args.task == "ner" and args.feature:
        from wordseq.tag import load_tagger

        upos = load_tagger(args.upos_tagger)
        taken = add_predicted_upos(train, upos, args.upos_train)
        add_predicted_upos(dev + test, upos)
        print(f"predicted UPOS: {taken:,} of {len(train):,} train sentences from {args.upos_train}", flush=True)
    cfg = dict(
        columns=args.task.split("+"),
        crf=args.crf,
        vectors=args.vectors,
        max_vectors=args.max_vectors,
        frozen_vectors=args.frozen_vectors,
        batch_size=args.batch,
        features=args.feature,
        train=TrainConfig(
            epochs=args.epochs,
            optimizer=args.optimizer,
            lr=args.lr,
            momentum=args.momentum,
            schedule=args.schedule,
            decay=args.decay,
            decay_start=args.decay_start,
            clip=5.0,
            patience=args.patience,
            seed=args.seed,
            max_seconds=args.max_seconds,
            log_interval=args.log_interval,
        ),
    )
    if args.chars:
        cfg["chars"] = args.chars
    if args.hidden:
        cfg["hidden"] = args.hidden
    if args.layers:
        cfg["layers"] = args.layers
    cls = WindowTagger if args.model == "window" else BiLSTMTagger
    tagger = cls(**cfg)
    t0 = time.perf_counter()
    tagger.fit(train, valid=dev)
    train_s = time.perf_counter() - t0
    if args.output:
        tagger.save(args.output)
    dev_r = tagger.evaluate(dev)
    test_r = tagger.evaluate(test)
    # speed: batched tagging of the test sentences, best of three
    words, feats = [s.words for s in test], tagger.features_of(test)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        tagger.predict(words, features=feats)
        best = min(best, time.perf_counter() - t)
    print(test_r.text())
    refit = None
    if args.refit:
        epochs = int(tagger.provenance.get("best_epoch") or len(tagger.history))
        full = cls(**{**cfg, "train": cfg["train"].replace(epochs=epochs, patience=0)})
        t0 = time.perf_counter()
        full.fit(train + dev)
        refit_s = time.perf_counter() - t0
        s = full.evaluate(test).columns[args.task]
        print(f"refit on all {len(train) + len(dev):,} training sentences for {epochs} epochs: test F1 {s.span_f1:.4f}")
        refit = {
            "epochs": epochs,
            "train_seconds": round(refit_s, 1),
            "test": {"f1": s.span_f1, "precision": s.span_precision, "recall": s.span_recall},
        }
        if args.output:
            full.save(args.output + ".refit.wsq")
    row = {
        "name": args.name or f"{args.task}-{args.model}{'-crf' if args.crf else ''}",
        "task": args.task,
        "model": args.model,
        "crf": args.crf,
        "chars": tagger.config.chars,
        "features": args.feature,
        "upos_tagger": Path(args.upos_tagger).name if args.upos_tagger else None,
        "frozen_vectors": args.frozen_vectors,
        "scheme": "iobes" if args.iobes else "iob2",
        "layers": getattr(tagger.config, "layers", None),
        "hidden": getattr(tagger.config, "hidden", None),
        "vectors": Path(args.vectors).name if args.vectors else None,
        "threads": args.threads,
        "epochs_run": len(tagger.history),
        "best_epoch": tagger.provenance.get("best_epoch"),
        "train_seconds": round(train_s, 1),
        "seconds_per_epoch": round(sum(h["seconds"] for h in tagger.history) / max(1, len(tagger.history)), 1),
        "dev": {c: {"accuracy": s.accuracy, "f1": s.span_f1} for c, s in dev_r.columns.items()},
        "test": {
            c: {
                "accuracy": s.accuracy,
                "unseen_word_accuracy": s.unseen_word_accuracy,
                "unseen_word_tokens": s.unseen_word_tokens,
                "f1": s.span_f1,
                "precision": s.span_precision,
                "recall": s.span_recall,
                "per_type_f1": {t: v.f1 for t, v in s.spans_per_type.items()},
                "unknown_gold_tags": s.unknown_gold_tags,
            }
            for c, s in test_r.columns.items()
        },
        "refit": refit,
        "test_sentences": len(test),
        "tagging_sentences_per_s": round(len(test) / best, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared, under load), torch {torch.__version__}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(sys.argv),
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    with open(args.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()
