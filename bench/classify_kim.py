"""Kim (2014) Table 2's data sets with every wordseq classifier (and the ``fasttext`` package for reference).

    python bench/classify_kim.py --runs nbsvm:mr,linear:sst2,fasttext:trec,cnn-rand:sst2 --jsonl out.jsonl
    python bench/classify_kim.py --table out.jsonl          # the markdown table of what ran

Data (``$WORDSEQ_DATA``, default ``../shared/data``): MR (``rt-polarity.pos/.neg``, cp1252, stratified
10-fold cross-validation, seed 0), SST-2 and SST-5 (``stsa.binary/fine.*``: sentences only, no phrases;
train/dev/test), TREC (6 coarse classes, latin-1; no dev set: a stratified 10% of train is held out as dev,
as Kim did, for the models that use one). Texts are lowercased (the pretrained vectors are lowercase).

Models: ``linear`` (tf-idf uni+bigrams, logistic regression), ``nbsvm`` (binary uni+bigrams, NBSVM with a
linear SVM, beta 0.25), ``fasttext`` (wordseq's) and ``fasttext-pkg`` (the ``fasttext`` package) with the same
settings, ``cnn-rand|static|non-static|multichannel`` (Kim's CNN, Adam 1e-3, batch 50, dev-best epoch),
``rnn`` (BiLSTM 150, max pooling), ``mean-vectors`` / ``sif-vectors`` (logistic regression on sentence
vectors). ``--vectors`` names the pretrained vector file. Each finished run appends one JSON line, so a long
sweep can be stopped and continued.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
VECTORS = os.environ.get("WORDSEQ_VECTORS", "wiki-sgns300.wsq")  # made by the command in BENCHMARKS.md

# one fastText setting for both implementations (tuned on the SST-2 dev set only)
FT = {"dim": 50, "lr": 0.5, "epochs": 10, "word_ngrams": 2, "buckets": 200_000, "min_count": 1}


def load(name: str):
    from wordseq.classify import read_class_files, read_labelled
    from wordseq.classify.data import LabelledData, stratified_folds

    def lower(d: LabelledData) -> LabelledData:
        return LabelledData([t.lower() for t in d.texts], d.labels, d.source, d.lines)

    if name == "mr":
        mr = DATA / "mr"
        full = read_class_files({"pos": mr / "rt-polarity.pos", "neg": mr / "rt-polarity.neg"}, encoding="cp1252")
        return {"full": lower(full)}
    if name in ("sst2", "sst5"):
        stem = "binary" if name == "sst2" else "fine"
        return {
            s: lower(read_labelled(DATA / "sst" / f"stsa.{stem}.{s}", format="first")) for s in ("train", "dev", "test")
        }
    if name == "trec":
        t = DATA / "trec"
        train = lower(read_labelled(t / "train_5500.label", format="first", encoding="latin-1", coarse=True))
        test = lower(read_labelled(t / "TREC_10.label", format="first", encoding="latin-1", coarse=True))
        dev_idx = stratified_folds(train.labels, 10, seed=0)[0]
        rest = np.setdiff1d(np.arange(len(train)), dev_idx)
        return {"train": train.subset(rest), "dev": train.subset(dev_idx), "test": test, "train_full": train}
    raise SystemExit(f"unknown data set {name}")


def make(model: str, vectors: str, epochs: int, threads: int, max_seconds: float):
    from wordseq.classify import (
        CNNClassifier,
        FastTextClassifier,
        LinearClassifier,
        RNNClassifier,
        VectorsClassifier,
    )
    from wordseq.train import TrainConfig

    train = TrainConfig(epochs=epochs, optimizer="adam", lr=1e-3, patience=0, max_seconds=max_seconds)
    if model == "linear":
        return LinearClassifier(ngrams=2, features="tfidf", loss="logistic", c=10.0)
    if model == "nbsvm":
        return LinearClassifier(ngrams=2, nb=True, loss="svm", c=1.0)
    if model == "fasttext":
        return FastTextClassifier(**FT, threads=threads)
    if model.startswith("cnn-"):
        mode = model[4:]
        return CNNClassifier(mode=mode, vectors="" if mode == "rand" else vectors, train=train)
    if model == "rnn":
        return RNNClassifier(vectors=vectors if vectors and os.path.exists(vectors) else "", train=train)
    if model in ("mean-vectors", "sif-vectors"):
        return VectorsClassifier(vectors=vectors, weighting=model.split("-")[0], c=10.0)
    raise SystemExit(f"unknown model {model}")


def fasttext_pkg(train, test, threads: int) -> tuple[float, float]:
    """Accuracy and training seconds of the ``fasttext`` package with the same settings."""
    import fasttext

    with tempfile.TemporaryDirectory() as tmp:
        path, test_path = Path(tmp) / "train.txt", Path(tmp) / "test.txt"
        # fastText reads its file in order; shuffled (seeded) as wordseq shuffles, since MR's folds come class by class
        order = np.random.default_rng(0).permutation(len(train))
        train = train.subset(order)
        for p, d in ((path, train), (test_path, test)):
            p.write_text("".join(f"__label__{lab} {t}\n" for lab, t in zip(d.labels, d.texts)), encoding="utf-8")
        t0 = time.perf_counter()
        m = fasttext.train_supervised(
            str(path),
            dim=FT["dim"],
            lr=FT["lr"],
            epoch=FT["epochs"],
            wordNgrams=FT["word_ngrams"],
            bucket=FT["buckets"],
            minCount=FT["min_count"],
            thread=threads,
            verbose=0,
        )
        seconds = time.perf_counter() - t0
        # precision at 1 of single-label lines is accuracy (fasttext 0.9.3's predict() fails under numpy 2)
        _, precision, _ = m.test(str(test_path))
    return float(precision), seconds


EXTRA: dict = {}  # facts about the last fit: epochs run, seconds per epoch, prediction speed, vector coverage


def run_one(model: str, data: str, args) -> dict:
    from wordseq.classify.data import stratified_folds

    EXTRA.clear()

    sets = load(data)
    out: dict = {"model": model, "data": data, "threads": args.threads, "date": dt.date.today().isoformat()}
    neural = model.startswith(("cnn", "rnn"))
    if data == "mr":  # 10-fold cross-validation (neural models: 10% of each training part as dev)
        full = sets["full"]
        accs, secs = [], []
        for k, test_idx in enumerate(stratified_folds(full.labels, args.folds, seed=0)):
            train_idx = np.setdiff1d(np.arange(len(full)), test_idx)
            train, test = full.subset(train_idx), full.subset(test_idx)
            dev = None
            if neural:
                d = stratified_folds(train.labels, 10, seed=k)[0]
                dev, train = train.subset(d), train.subset(np.setdiff1d(np.arange(len(train)), d))
            acc, sec = fit_score(model, train, dev, test, args)
            accs.append(acc)
            secs.append(sec)
            print(f"  fold {k + 1}: {100 * acc:.2f}", file=sys.stderr)
        out.update(
            accuracy=float(np.mean(accs)),
            accuracy_std=float(np.std(accs, ddof=1)),
            folds=accs,
            train_seconds=float(np.mean(secs)),
        )
    else:
        train = sets["train"] if neural else sets.get("train_full", sets["train"])
        dev = sets["dev"] if neural else None
        acc, sec = fit_score(model, train, dev, sets["test"], args)
        out.update(accuracy=acc, train_seconds=sec)
    return out


def fit_score(model: str, train, dev, test, args) -> tuple[float, float]:
    if model == "fasttext-pkg":
        return fasttext_pkg(train, test, args.threads)
    m = make(model, args.vectors, args.epochs, args.threads, args.max_seconds)
    t0 = time.perf_counter()
    m.fit(train, dev, **({"log": None} if model.startswith(("cnn", "rnn")) else {}))
    seconds = time.perf_counter() - t0
    for note in m.notes:
        print("  " + note, file=sys.stderr)
        EXTRA["notes"] = m.notes
    t0 = time.perf_counter()
    acc = m.evaluate(test).accuracy
    EXTRA["predict_sentences_per_s"] = len(test) / (time.perf_counter() - t0)
    if m.history and "train_loss_nats" in m.history[0]:
        EXTRA["epochs_run"] = len(m.history)
        EXTRA["epoch_seconds"] = float(np.mean([h["seconds"] for h in m.history]))
        if "valid_accuracy" in m.history[0]:
            EXTRA["valid_accuracy"] = [round(h["valid_accuracy"], 4) for h in m.history]
    return acc, seconds


def table(path: str) -> str:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    cells: dict[tuple[str, str], str] = {}
    models: list[str] = []
    for r in rows:
        acc = f"{100 * r['accuracy']:.1f}"
        if "accuracy_std" in r:
            acc += f" ± {100 * r['accuracy_std']:.1f}"
        cells[(r["model"], r["data"])] = acc
        if r["model"] not in models:
            models.append(r["model"])
    sets = ["mr", "sst2", "sst5", "trec"]
    lines = ["| model | MR (10-fold CV) | SST-2 (test) | SST-5 (test) | TREC (test) |", "|---|---|---|---|---|"]
    for m in models:
        lines.append(f"| {m} | " + " | ".join(cells.get((m, s), "-") for s in sets) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", default="", help="model:data pairs, comma-separated")
    p.add_argument("--jsonl", default="bench/results/classify_runs.jsonl")
    p.add_argument("--vectors", default=VECTORS)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--max-seconds", type=float, default=0.0, help="time limit per neural training run")
    p.add_argument("--table", help="print the markdown table of a results file and stop")
    args = p.parse_args()
    if args.table:
        print(table(args.table))
        return
    if not DATA.exists():
        raise SystemExit(f"no benchmark data at {DATA} (set WORDSEQ_DATA)")
    import torch

    torch.set_num_threads(args.threads)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch threads {args.threads}",
        file=sys.stderr,
    )
    for pair in [r for r in args.runs.split(",") if r]:
        model, data = pair.split(":")
        t0 = time.perf_counter()
        res = run_one(model, data, args)
        res["wall_seconds"] = time.perf_counter() - t0
        res.update(EXTRA)
        print(json.dumps(res), flush=True)
        with open(args.jsonl, "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
