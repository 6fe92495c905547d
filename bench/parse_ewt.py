"""Train a dependency parser on UD English-EWT and score it on the test set (CoNLL 2018 rules).

    python bench/parse_ewt.py --model chen-manning --threads 2 -o /tmp/cm.wsq --json /tmp/cm.json

Data: $WORDSEQ_DATA/ud_english_ewt (default ../shared/data). Reports dev/test UAS and LAS with gold tags
(and predicted tags when the parser has a tagger), training time, and parsing speed (sentences per second of
wall time and of process CPU time: the machine is shared, so CPU time is the steadier figure).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data")) / "ud_english_ewt"


def timed_eval(parser, sentences, **kw):
    t0, c0 = time.perf_counter(), time.process_time()
    score = parser.evaluate(sentences, **kw)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return score, {
        "wall_s": wall,
        "cpu_s": cpu,
        "sents_per_s": len(sentences) / wall,
        "sents_per_cpu_s": len(sentences) / cpu,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["chen-manning", "biaffine"], default="chen-manning")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=0.0)
    ap.add_argument("--optimizer", default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--activation", default=None)
    ap.add_argument("--vectors", default=None)
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument(
        "--tagger",
        default=None,
        help="a tagger model: the dev set is scored with its tags during training, and dev/test are also scored "
        "with them at the end",
    )
    ap.add_argument("--gold-dev", action="store_true", help="with --tagger: keep the best epoch by gold-tag dev LAS")
    ap.add_argument("--train", default=None, help="training treebank (default EWT train; e.g. jackknifed tags)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        help="config field=value (JSON value); train.FIELD for the training recipe",
    )
    ap.add_argument("--init", default=None, help="biaffine: start from this saved model (its weights, vocabularies)")
    ap.add_argument("--checkpoint", default=None, help="checkpoint written after each epoch (with --resume: resumed)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    if not DATA.exists():
        print(f"benchmark data {DATA} not found (set WORDSEQ_DATA)", file=sys.stderr)
        return 0
    import torch

    torch.set_num_threads(args.threads)
    from wordseq.parse import BiaffineParser, ChenManningParser
    from wordseq.text.conllu import read_conllu

    train, dev, test = (DATA / f"en_ewt-ud-{s}.conllu" for s in ("train", "dev", "test"))
    train = Path(args.train) if args.train else train
    cls = ChenManningParser if args.model == "chen-manning" else BiaffineParser
    parser = cls()
    cfg = parser.config
    over = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    train_over = {k.removeprefix("train."): over.pop(k) for k in list(over) if k.startswith("train.")}
    if args.activation:
        over["activation"] = args.activation
    parser.config = cfg = cfg.replace(**over) if over else cfg
    tc = cfg.train = cfg.train.replace(**train_over) if train_over else cfg.train
    tc.epochs, tc.max_seconds = args.epochs, args.max_seconds
    if args.optimizer:
        tc.optimizer = args.optimizer
        if args.optimizer == "adam":
            tc.weight_decay = 0.0
    if args.lr:
        tc.lr = args.lr
    if args.tagger and not args.gold_dev:
        parser.use_tagger(args.tagger)
    t0 = time.perf_counter()
    extra = {"init": args.init} if args.init else {}
    parser.fit(train, valid=dev, vectors=args.vectors, checkpoint=args.checkpoint, resume=args.resume, **extra)
    train_s = time.perf_counter() - t0
    parser.save(args.output)
    out = {
        "model": args.model,
        "config": cfg.to_dict(),
        "threads": args.threads,
        "train_file": train.name,
        "tagger": args.tagger,
        "init": parser.provenance.get("init"),
        "dev_selection": "predicted tags" if args.tagger and not args.gold_dev else "gold tags",
        "train_seconds": train_s,
        "history": parser.history,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    dev_s, test_s = read_conllu(dev), read_conllu(test)
    for name, sents in (("dev", dev_s), ("test", test_s)):
        score, speed = timed_eval(parser, sents, gold_tags=True)
        out[f"{name}_gold_tags"] = {"uas": score.uas, "las": score.las, **speed}
        print(name, "gold tags", f"UAS {100 * score.uas:.2f} LAS {100 * score.las:.2f}", speed, flush=True)
        if name == "test":
            out["test_report"] = score.text()
    if args.tagger:
        if args.gold_dev:  # otherwise the parser has had it since training
            parser.use_tagger(args.tagger)
            parser.save(args.output)
        for name, sents in (("dev", dev_s), ("test", test_s)):
            score, speed = timed_eval(parser, sents)
            out[f"{name}_predicted_tags"] = {"uas": score.uas, "las": score.las, **speed}
            print(name, "predicted tags", f"UAS {100 * score.uas:.2f} LAS {100 * score.las:.2f}", speed, flush=True)
            if name == "test":
                out["test_report_predicted_tags"] = score.text()
    if args.model == "chen-manning" and args.beam > 1:
        for tags in ("gold", "predicted") if args.tagger else ("gold",):
            score, speed = timed_eval(parser, test_s, gold_tags=tags == "gold", beam=args.beam)
            out[f"test_{tags}_tags_beam{args.beam}"] = {"uas": score.uas, "las": score.las, **speed}
            print(f"test {tags} tags beam", args.beam, f"UAS {100 * score.uas:.2f} LAS {100 * score.las:.2f}", speed)
    Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(out["test_report"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
