"""``wordseq classify``: train, evaluate and apply text classifiers; write sentence vectors."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

MODELS = ("linear", "nbsvm", "fasttext", "cnn", "rnn", "mean-vectors")

# config field -> the option that sets it, where the two are not spelled alike
FLAGS = {"batch_size": "--batch", "train": "--epochs/--lr", "c": "--c"}


def _data_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("labelled text")
    g.add_argument(
        "--format",
        choices=["auto", "tsv", "fasttext", "first"],
        default="auto",
        help="label<TAB>text, __label__X text, or the first token is the label (default: guessed from the first line)",
    )
    g.add_argument("--encoding", default="utf-8", help="text encoding of the data files (MR: cp1252, TREC: latin-1)")
    g.add_argument("--coarse", action="store_true", help="keep labels up to their first ':' (TREC's coarse classes)")
    return p


def register(sub, parents) -> None:
    p = sub.add_parser(
        "classify",
        help="text classification: train, evaluate, predict, sentence vectors",
        description="Linear and NBSVM, fastText-style, Kim's CNN, recurrent and sentence-vector classifiers.",
    )
    csub = p.add_subparsers(dest="classify_command", metavar="ACTION")
    csub.required = True
    data = _data_options()

    t = csub.add_parser(
        "train", parents=parents + [data], help="train a classifier", description="Train a classifier and save it."
    )
    t.add_argument("data", nargs="?", help="labelled training file (or use --class-file)")
    t.add_argument("--class-file", action="append", default=[], metavar="LABEL=FILE", help="one file per class")
    t.add_argument("--model", choices=MODELS, default="linear", help="the kind of classifier (default linear)")
    t.add_argument("--dev", help="labelled dev file (neural models keep the epoch best on it)")
    t.add_argument("--test", help="labelled test file, scored after training")
    t.add_argument("--folds", type=int, help="k-fold stratified cross-validation on DATA instead of a test file")
    t.add_argument("--vectors", help="pretrained word vectors (.wsq, word2vec text/binary, GloVe text)")
    t.add_argument("-o", "--output", help="write the model here (.wsq)")
    t.add_argument("--confusion", metavar="PNG", help="write the test confusion matrix as a picture")
    t.add_argument("--lower", action="store_true", default=None, help="lowercase the text")
    m = t.add_argument_group("model (each applies to the models that have it; defaults are the model's)")
    m.add_argument("--ngrams", type=int, help="linear: n-grams up to this length")
    m.add_argument("--features", choices=["counts", "binary", "tfidf"], help="linear: feature values")
    m.add_argument(
        "--loss",
        choices=["logistic", "svm", "softmax", "hs", "ns"],
        help="linear: logistic regression or linear SVM; fasttext: softmax, hierarchical softmax (many labels) "
        "or negative sampling",
    )
    m.add_argument("--c", type=float, help="linear, nbsvm, mean-vectors: inverse regularization strength")
    m.add_argument("--min-count", type=int, help="smallest count of a word (or n-gram) kept")
    m.add_argument("--dim", type=int, help="fasttext: embedding dimension")
    m.add_argument("--word-ngrams", type=int, help="fasttext: word n-grams up to this length")
    m.add_argument("--buckets", type=int, help="fasttext: hash buckets for the n-grams")
    m.add_argument("--negative", type=int, help="fasttext --loss ns: negative labels per example (default 5)")
    m.add_argument("--embed", type=int, help="cnn, rnn: word-embedding size")
    m.add_argument("--mode", choices=["rand", "static", "non-static", "multichannel"], help="cnn: Kim's variant")
    m.add_argument("--widths", help="cnn: filter widths, comma-separated (default 3,4,5)")
    m.add_argument("--maps", type=int, help="cnn: feature maps per width")
    m.add_argument("--max-norm", type=float, help="cnn, rnn: max L2 norm of the output weight rows (0: off)")
    m.add_argument("--dropout", type=float, help="cnn, rnn: dropout")
    m.add_argument("--hidden", type=int, help="rnn: hidden units per direction")
    m.add_argument("--cell", choices=["lstm", "gru"], help="rnn: the recurrent cell")
    m.add_argument("--pooling", choices=["max", "mean", "last"], help="rnn: pooling over time")
    m.add_argument("--freeze", action="store_true", default=None, help="rnn: keep pretrained embeddings fixed")
    m.add_argument("--weighting", choices=["mean", "sif"], help="mean-vectors: plain or SIF-weighted mean")
    tr = t.add_argument_group("training (fasttext, cnn, rnn)")
    tr.add_argument("--epochs", type=int)
    tr.add_argument("--lr", type=float)
    tr.add_argument("--batch", type=int, help="cnn, rnn: batch size (global under torchrun)")
    tr.add_argument("--optimizer", choices=["sgd", "adam", "adagrad", "rmsprop"], help="cnn, rnn")
    tr.add_argument("--patience", type=int, help="cnn, rnn: early stopping after this many epochs without gain")
    tr.add_argument("--checkpoint", help="cnn, rnn: checkpoint file (written every epoch)")
    tr.add_argument("--resume", action="store_true", help="cnn, rnn: continue from --checkpoint")
    t.set_defaults(func=run_train)

    e = csub.add_parser("eval", parents=parents + [data], help="score a classifier on labelled data")
    e.add_argument("model", help="a classifier model file")
    e.add_argument("test", help="labelled test file")
    e.add_argument("--confusion", metavar="PNG", help="write the confusion matrix as a picture")
    e.add_argument("--json", action="store_true", help="print the scores as JSON")
    e.set_defaults(coarse=None)
    e.set_defaults(func=run_eval)

    pr = csub.add_parser("predict", parents=parents, help="label texts, one per line")
    pr.add_argument("model", help="a classifier model file")
    pr.add_argument("input", nargs="?", default="-", help="text file, one text per line (default: standard input)")
    pr.add_argument("-k", "--k", type=int, default=1, help="how many labels per line, best first (default 1)")
    pr.add_argument("--encoding", default="utf-8", help="text encoding of the input")
    pr.set_defaults(func=run_predict)

    s = csub.add_parser("sentence-vectors", parents=parents, help="deprecated: use wordseq embed sentences")
    s.add_argument("vectors", help="word-vector file")
    s.add_argument("input", help="text file, one sentence per line")
    s.add_argument("-o", "--output", required=True, help="output: one vector per line (text), or .npy")
    s.add_argument("--weighting", choices=["mean", "sif"], default="mean", help="plain or SIF-weighted mean")
    s.add_argument("--lower", action="store_true", help="lowercase the text")
    s.add_argument("--encoding", default="utf-8", help="text encoding of the input")
    s.set_defaults(func=run_sentence_vectors)


def _read(path: str, args: argparse.Namespace) -> Any:
    from wordseq.classify.data import read_labelled

    return read_labelled(path, args.format, args.encoding, args.coarse)


def _overrides(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def build_model(args: argparse.Namespace) -> Any:
    """The classifier the options describe (unset options keep the model's defaults)."""
    from wordseq.classify.fasttext import FastTextClassifier
    from wordseq.classify.linear import LinearClassifier
    from wordseq.classify.sentvec import VectorsClassifier
    from wordseq.errors import WordseqError

    args.config_flags = FLAGS
    kind = args.model
    losses = {"linear": ("logistic", "svm"), "nbsvm": ("logistic", "svm"), "fasttext": ("softmax", "hs", "ns")}
    if args.loss is not None and args.loss not in losses.get(kind, ()):
        allowed = " or ".join(losses.get(kind, ())) or "no --loss"
        raise WordseqError(f"--loss {args.loss} does not apply to --model {kind} (it takes {allowed})")
    if kind in ("linear", "nbsvm"):
        o = _overrides(args, ["ngrams", "features", "loss", "c", "min_count", "lower"])
        o.setdefault("seed", args.seed)
        if kind == "nbsvm":
            o.update(nb=True)
            o.setdefault("loss", "svm")
        return LinearClassifier(**o)
    if kind == "fasttext":
        o = _overrides(
            args, ["dim", "lr", "epochs", "word_ngrams", "buckets", "min_count", "lower", "loss", "negative"]
        )
        return FastTextClassifier(**o, threads=args.threads or 1, seed=args.seed)
    if kind == "mean-vectors":
        if not args.vectors:
            raise WordseqError("--model mean-vectors needs --vectors FILE")
        o = _overrides(args, ["weighting", "c", "lower"])
        return VectorsClassifier(vectors=args.vectors, seed=args.seed, **o)
    from wordseq.classify.neural import CNNClassifier, RNNClassifier

    cls = CNNClassifier if kind == "cnn" else RNNClassifier
    base = cls.config_class()
    train = dataclasses.replace(
        base.train,  # type: ignore[attr-defined]
        **_overrides(args, ["epochs", "lr", "optimizer", "patience"]),
        seed=args.seed,
        device=args.device,
    )
    names = ["embed", "min_count", "lower", "dropout", "max_norm"]
    names += ["mode", "maps"] if kind == "cnn" else ["hidden", "cell", "pooling", "freeze"]
    o = _overrides(args, names)
    if args.batch is not None:
        o["batch_size"] = args.batch
    if kind == "cnn" and args.widths:
        try:
            o["widths"] = [int(w) for w in args.widths.split(",") if w]
        except ValueError:
            raise WordseqError(f"--widths takes comma-separated integers, got {args.widths!r}") from None
    if args.vectors:
        o["vectors"] = args.vectors
        if kind == "cnn":
            o.setdefault("mode", "non-static")
    return cls(train=train, **o)


def _torchrun_processes() -> tuple[int, int]:
    """This process's rank and the number of processes when started by torchrun (``(0, 1)`` otherwise), read
    from the environment so that the models that are not torch's never import it."""
    import os

    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def run_train(args: argparse.Namespace) -> int:
    neural = args.model in ("cnn", "rnn")
    rank, processes = _torchrun_processes()
    if processes > 1 and not neural:  # not a torch model: nothing to share among processes
        if rank:
            return 0
        print(
            f"wordseq: note: --model {args.model} does not train data-parallel; the first of the {processes} "
            "torchrun processes trains it alone (the others stop)",
            file=sys.stderr,
        )
    if not neural:
        return _train(args, main=True)
    from wordseq.cli import set_torch_threads
    from wordseq.train import distributed as dist

    set_torch_threads(args)  # the other models never import torch
    try:
        args.device = dist.init(args.device)  # under torchrun: join the other processes (data-parallel training)
        return _train(args, main=dist.is_main())
    finally:
        dist.cleanup()


def _train(args: argparse.Namespace, main: bool) -> int:
    """Train, report and write the model; under torchrun every process trains and only the first (``main``)
    prints, scores and writes."""
    from wordseq.classify.data import parse_class_files, read_class_files
    from wordseq.classify.metrics import plot_confusion
    from wordseq.errors import WordseqError

    if args.class_file and args.data:
        raise WordseqError("give either a training file or --class-file, not both")
    if args.class_file:
        train = read_class_files(parse_class_files(args.class_file), args.encoding)
    elif args.data:
        train = _read(args.data, args)
    else:
        raise WordseqError("no training data: give a file or --class-file LABEL=FILE (twice or more)")
    if args.folds is not None and args.test:
        raise WordseqError("--folds cross-validates on the training data; it takes no --test")
    model = build_model(args)
    counts = ", ".join(f"{k} {v:,}" for k, v in train.label_counts().items())
    err = (lambda s: print(s, file=sys.stderr)) if main else (lambda s: None)
    err(f"training data: {len(train):,} examples ({counts})")
    log = None if args.quiet else err
    if args.folds is not None:
        cv = model.cross_validate(train, folds=args.folds, seed=args.seed)
        if main:
            print(cv.text())
        if not args.output:
            return 0
    dev = _read(args.dev, args) if args.dev else None
    neural = args.model in ("cnn", "rnn")
    extra = {"checkpoint": args.checkpoint, "resume": args.resume, "log": log} if neural else {}
    model.fit(train, dev, **extra)
    if not main:  # under torchrun the first process reports and writes the model
        return 0
    model.provenance["coarse_labels"] = bool(args.coarse)
    for note in model.notes:
        print(note, file=sys.stderr)
    if model.history and "valid_accuracy" in model.history[-1]:
        best = max(h.get("valid_accuracy", 0.0) for h in model.history)
        print(f"dev accuracy (best epoch): {100 * best:.2f}%")
    if args.test:
        result = model.evaluate(_read(args.test, args))
        print(result.text())
        model.provenance["metrics"] = {"test_accuracy": result.accuracy, "test_macro_f1": result.macro_f1}
        if args.confusion:
            print(f"confusion matrix written to {plot_confusion(result, args.confusion)}", file=sys.stderr)
    if args.output:
        print(f"model written to {model.save(args.output)}", file=sys.stderr)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from wordseq.classify import load_classifier, plot_confusion
    from wordseq.cli import set_torch_threads

    set_torch_threads(args)
    model = load_classifier(args.model)
    if args.coarse is None:  # as the model was trained
        args.coarse = bool(model.provenance.get("coarse_labels", False))
    result = model.evaluate(_read(args.test, args))
    print(json.dumps(result.to_dict(), indent=1) if args.json else result.text())
    if args.confusion:
        print(f"confusion matrix written to {plot_confusion(result, args.confusion)}", file=sys.stderr)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from wordseq.classify import load_classifier
    from wordseq.classify.data import read_text_lines
    from wordseq.cli import set_torch_threads
    from wordseq.errors import WordseqError

    if args.k < 1:
        raise WordseqError(f"--k must be at least 1, got {args.k}")
    set_torch_threads(args)
    model = load_classifier(args.model)
    texts = [line for _, line in read_text_lines(args.input, args.encoding)]
    out = sys.stdout
    for a in range(0, len(texts), 1000):
        for row in model.top_k(texts[a : a + 1000], min(args.k, len(model.labels))):
            out.write("\t".join(f"{label}\t{p:.6f}" for label, p in row) + "\n")
    return 0


def run_sentence_vectors(args: argparse.Namespace) -> int:
    from wordseq.cli.embed import sentences

    print("wordseq: warning: classify sentence-vectors is deprecated; use wordseq embed sentences", file=sys.stderr)
    args.method, args.counts, args.sif_a = args.weighting, None, 1e-3
    return sentences(args)
