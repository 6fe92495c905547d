"""``wordseq tag train | eval | predict``: part-of-speech tags, named entities and chunks.

``tag train`` reads CoNLL-U (``--column upos``, ``xpos``, ``upos+xpos``) or an IOB column file
(``--column ner``/``chunk``), trains a window or BiLSTM tagger (optionally with a CRF) through the one
training loop, and writes the model, a checkpoint ``MODEL.ckpt`` (``--resume`` continues from it) and a
learning curve ``MODEL.png``. ``tag eval`` scores a model on tagged data; ``tag predict`` tags CoNLL-U
(filling the column), a column file (appending a column) or one tokenized sentence per line. ``tag jackknife``
retags a CoNLL-U training set fold by fold with taggers set up like a given model, for a parser to train on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wordseq.cli import DefaultsHelpFormatter, set_torch_threads
from wordseq.errors import InputError, WordseqError

CONFIG_FLAGS = {
    "columns": "--column",
    "batch_size": "--batch",
    "char_hidden": "--char-hidden",
    "char_embed": "--char-embed",
    "char_window": "--char-window",
    "case_embed": "--case-embed",
    "word_dropout": "--word-dropout",
    "max_vectors": "--max-vectors",
    "frozen_vectors": "--frozen-vectors",
    "features": "--feature",
    "feature_embed": "--feature-embed",
}


def register(sub, parents) -> None:
    p = sub.add_parser(
        "tag",
        help="part-of-speech tagging, named entities, chunking (window, BiLSTM, BiLSTM-CRF)",
        description="Train, score and run sequence taggers.",
    )
    tsub = p.add_subparsers(dest="tag_command", metavar="COMMAND")
    tsub.required = True

    t = tsub.add_parser(
        "train",
        parents=parents,
        help="train a tagger",
        description="Train a tagger on CoNLL-U or IOB column data, early-stopping on --dev. Writes MODEL, "
        "MODEL.ckpt after each epoch (--resume continues from it) and the learning curve MODEL.png.",
        formatter_class=DefaultsHelpFormatter,
    )
    t.add_argument("train", help="training data (CoNLL-U or IOB column file; .gz/.bz2/.xz read too)")
    t.add_argument("-o", "--output", required=True, help="model file to write (.wsq)")
    t.add_argument("--dev", help="development data: early stopping and the best epoch's weights")
    t.add_argument("--test", help="test data, scored after training")
    t.add_argument("--format", choices=["conllu", "iob"], default=None, help="data format (default: from the file)")
    t.add_argument(
        "--column",
        default="upos",
        help="what to tag: a CoNLL-U column (upos, xpos, several joined by +: upos+xpos) or, for IOB files, "
        "a name for the tag column (ner, chunk)",
    )
    t.add_argument(
        "--map-tag",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="rename a tag when reading training data (repeatable), e.g. B-OTH=O",
    )
    g = t.add_argument_group("model")
    g.add_argument("--model", choices=["window", "bilstm", "bilstm-crf", "window-crf"], default="bilstm")
    g.add_argument("--vectors", help="word-vector file to start the word table from (any format wordseq reads)")
    g.add_argument("--max-vectors", type=int, default=100_000, help="most frequent vector words kept")
    g.add_argument(
        "--frozen-vectors",
        action="store_true",
        help="with --vectors: keep them fixed and learn a correction for the training words only (faster)",
    )
    g.add_argument("--embed", type=int, default=100, help="word embedding size without --vectors")
    g.add_argument(
        "--chars",
        choices=["none", "cnn", "lstm"],
        default=None,
        help="character features (default: cnn, none for window)",
    )
    g.add_argument("--char-embed", type=int, default=30)
    g.add_argument("--char-hidden", type=int, default=50, help="char-CNN filters / char-BiLSTM units per direction")
    g.add_argument("--case-embed", type=int, default=8, help="size of the case-class vector (0: none)")
    g.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="COLUMN",
        help="an input column read beside the words (repeatable): a CoNLL-U column (upos, xpos, ...) or, for IOB "
        "files, a column number (2: CoNLL-2000's POS tags); prediction input must have it too",
    )
    g.add_argument("--feature-embed", type=int, default=20, help="size of each input column's vector")
    g.add_argument("--cell", default="lstm", help="bilstm: recurrent cell (lstm, gru, rnn, lstm-peephole, ...)")
    g.add_argument(
        "--hidden",
        type=int,
        default=None,
        help="bilstm: units per direction (default 100); window: hidden units (300)",
    )
    g.add_argument("--layers", type=int, default=1, help="bilstm: stacked layers")
    g.add_argument("--window", type=int, default=2, help="window: words on each side")
    g.add_argument(
        "--scheme",
        choices=["auto", "iob2", "iobes", "none"],
        default="auto",
        help="span scheme (CRF constraints, span scores)",
    )
    g.add_argument("--dropout", type=float, default=0.5)
    g.add_argument("--word-dropout", type=float, default=0.05, help="chance of replacing a training word by <unk>")
    g = t.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=30)
    g.add_argument("--batch", type=int, default=32, help="sentences per batch (global under torchrun)")
    g.add_argument("--optimizer", choices=["sgd", "adam", "adagrad", "rmsprop"], default="adam")
    g.add_argument("--lr", type=float, default=0.002, help="learning rate")
    g.add_argument("--momentum", type=float, default=0.0)
    g.add_argument("--clip", type=float, default=5.0, help="clip the global gradient norm (0: off)")
    g.add_argument("--patience", type=int, default=4, help="early stopping after N epochs without dev improvement")
    g.add_argument("--max-minutes", type=float, default=0.0, help="stop training after this long (0: no limit)")
    g.add_argument("--log-interval", type=int, default=0, help="log the training loss every N batches")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint MODEL.ckpt")
    t.set_defaults(func=train, config_flags=CONFIG_FLAGS)

    e = tsub.add_parser(
        "eval",
        parents=parents,
        help="score a tagger on tagged data",
        description="Token accuracy (overall, per tag, on words unseen in training) and, for span columns, "
        "span precision/recall/F1 per type and micro-averaged (as conlleval and seqeval count them).",
        formatter_class=DefaultsHelpFormatter,
    )
    e.add_argument("model", help="tagger model file")
    e.add_argument("test", help="tagged data (CoNLL-U or IOB column file)")
    e.add_argument("--format", choices=["conllu", "iob"], default=None, help="data format (default: from the file)")
    e.add_argument("--confusion", metavar="PNG", help="also draw the tag confusion matrix of the first column")
    e.add_argument("--json", action="store_true", help="print the scores as JSON")
    e.set_defaults(func=evaluate)

    r = tsub.add_parser(
        "predict",
        parents=parents,
        help="tag CoNLL-U, a column file or tokenized text",
        description="CoNLL-U in: the same CoNLL-U out with the predicted column filled. A column file in: each "
        "line with the predicted tag appended. One tokenized sentence per line in: word/TAG lines "
        "(or CoNLL-U with --output-format conllu).",
        formatter_class=DefaultsHelpFormatter,
    )
    r.add_argument("model", help="tagger model file")
    r.add_argument("input", nargs="?", default="-", help="input file, or - for standard input")
    r.add_argument(
        "--format",
        choices=["conllu", "iob", "text"],
        default=None,
        help="input format (default: guessed; text for stdin)",
    )
    r.add_argument(
        "--output-format",
        choices=["same", "slash", "conllu"],
        default="same",
        help="text input: word/TAG (slash) or CoNLL-U",
    )
    r.add_argument("-o", "--output", default="-", help="output file (- for standard output)")
    r.set_defaults(func=predict)

    j = tsub.add_parser(
        "jackknife",
        parents=parents,
        help="retag CoNLL-U training data fold by fold (for a parser to train on predicted tags)",
        description="Split TRAIN into --folds contiguous folds; tag each with a tagger trained on the other folds, "
        "set up like --like MODEL (same settings and vectors), early-stopping on --dev; write TRAIN with the "
        "predicted columns to -o. Each finished fold is kept in OUTPUT.folds/, so an interrupted run continues "
        "where it stopped, and --fold runs chosen folds only (several processes or machines can share the work).",
        formatter_class=DefaultsHelpFormatter,
    )
    j.add_argument("train", help="CoNLL-U training data with gold tags")
    j.add_argument("--like", required=True, metavar="MODEL", help="a tagger model whose settings the fold taggers use")
    j.add_argument("--dev", help="CoNLL-U development data for early stopping")
    j.add_argument("--folds", type=int, default=10)
    j.add_argument("--fold", type=int, action="append", default=[], help="run only this fold (repeatable; 0-based)")
    j.add_argument("--max-minutes", type=float, default=None, help="time limit of each fold's training")
    j.add_argument("-o", "--output", required=True, help="CoNLL-U file to write")
    j.set_defaults(func=jackknife)


def _tag_map(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise WordseqError(f"--map-tag {item}: expected OLD=NEW, e.g. B-OTH=O")
        out[old] = new
    return out


def _format(path: str, given: str | None) -> str:
    from wordseq.tag.formats import guess_format

    fmt = given or guess_format(path)
    if fmt == "text":
        raise InputError(path, "tagged data must be CoNLL-U or an IOB column file; give --format conllu or iob")
    return fmt


def train(args: argparse.Namespace) -> int:
    from wordseq.tag import BiLSTMTagger, Tagger, WindowTagger
    from wordseq.tag.formats import read_tagged
    from wordseq.tag.metrics import plot_learning_curve
    from wordseq.train import TrainConfig
    from wordseq.train import distributed as dist

    set_torch_threads(args)
    out = Path(args.output)
    ckpt = Path(str(out) + ".ckpt")
    fmt = _format(args.train, args.format)
    tag_map = _tag_map(args.map_tag)
    if fmt == "iob" and "+" in args.column:
        raise WordseqError("--column: an IOB file has one tag column; several (upos+xpos) need CoNLL-U")
    feats = args.feature
    train_data = read_tagged(args.train, fmt, args.column, tag_map=tag_map, features=feats)
    dev = (
        read_tagged(args.dev, _format(args.dev, args.format), args.column, tag_map=tag_map, features=feats)
        if args.dev
        else None
    )
    window = args.model.startswith("window")
    settings = dict(
        columns=args.column.split("+"),
        crf=args.model.endswith("-crf"),
        scheme=args.scheme,
        embed=args.embed,
        vectors=args.vectors,
        max_vectors=args.max_vectors,
        frozen_vectors=args.frozen_vectors,
        case_embed=args.case_embed,
        char_embed=args.char_embed,
        char_hidden=args.char_hidden,
        dropout=args.dropout,
        word_dropout=args.word_dropout,
        features=feats,
        feature_embed=args.feature_embed,
        batch_size=args.batch,
        train=TrainConfig(
            epochs=args.epochs,
            optimizer=args.optimizer,
            lr=args.lr,
            momentum=args.momentum,
            clip=args.clip,
            patience=args.patience,
            seed=args.seed,
            device=dist.init(args.device),  # under torchrun: join the other processes (data-parallel training)
            max_seconds=args.max_minutes * 60,
            log_interval=args.log_interval,
        ),
    )
    if args.chars:
        settings["chars"] = args.chars
    if args.hidden:
        settings["hidden"] = args.hidden
    tagger: Tagger
    if window:
        tagger = WindowTagger(window=args.window, **settings)
    else:
        tagger = BiLSTMTagger(cell=args.cell, layers=args.layers, **settings)
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if not args.quiet else None
    try:
        tagger.fit(train_data, valid=dev, checkpoint=ckpt, resume=args.resume, log=log)
        if not dist.is_main():  # under torchrun the first process writes the model
            return 0
        tagger.provenance["corpus"] = args.train
        tagger.save(out)
        print(f"wrote {out}")
        title = f"{args.model} tagger, {args.column}"
        curve = plot_learning_curve(tagger.history, out.with_suffix(".png"), title=title)
        if curve:
            print(f"wrote {curve}")
        if args.test:
            test = read_tagged(args.test, _format(args.test, args.format), args.column, features=feats)
            result = tagger.evaluate(test)
            print(result.text())
        return 0
    finally:
        dist.cleanup()


def _load(path: str):
    from wordseq.models import kind_of
    from wordseq.tag.model import load_tagger

    kind = kind_of(path)
    if not kind.startswith("tagger"):
        raise InputError(path, f"is a {kind!r} model, not a tagger")
    return load_tagger(path)


def evaluate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from wordseq.tag.formats import read_tagged

    set_torch_threads(args)
    tagger = _load(args.model)
    fmt = _format(args.test, args.format)
    column = "+".join(tagger.config.columns) if fmt == "conllu" else tagger.config.columns[0]
    data = read_tagged(args.test, fmt, column, features=tagger.config.features)
    result = tagger.evaluate(data)
    if args.json:
        print(json.dumps(asdict(result), indent=1))
    else:
        print(result.text())
    if args.confusion:
        from wordseq.tag.metrics import plot_confusion

        c = tagger.config.columns[0]
        predicted = tagger.predict([s.words for s in data], features=tagger.features_of(data))
        plot_confusion([s.tags[c] for s in data], [p[c] for p in predicted], args.confusion, title=f"{c} confusion")
        print(f"wrote {args.confusion}")
    return 0


def predict(args: argparse.Namespace) -> int:
    from wordseq.tag.formats import (
        TaggedSentence,
        conllu_inputs,
        format_columns,
        format_slash,
        guess_format,
        read_columns,
        read_text,
        row_features,
        write_text,
    )
    from wordseq.text.conllu import Sentence, read_conllu

    set_torch_threads(args)
    tagger = _load(args.model)
    fmt = args.format or guess_format(args.input)
    columns = tagger.config.columns
    if fmt == "conllu":
        try:
            sents = read_conllu(args.input)
        except InputError as e:
            raise InputError(
                e.path, f"{str(e).split(': ', 1)[-1]} (expected CoNLL-U; see --format)", line=e.line
            ) from None
        predicted = tagger.predict([s.forms for s in sents], features=conllu_inputs(sents, tagger.config.features))
        for s, p in zip(sents, predicted):
            for c in columns:
                if c in ("upos", "xpos", "lemma", "feats", "deprel", "deps", "misc"):
                    for tok, t in zip(s.tokens, p[c]):
                        setattr(tok, c, t)
                else:  # a NER or chunk model on CoNLL-U: the tag goes to MISC as Column=Tag
                    for tok, t in zip(s.tokens, p[c]):
                        extra = f"{c.upper()}={t}"
                        tok.misc = extra if tok.misc == "_" else f"{tok.misc}|{extra}"
        write_text(args.output, (s.to_text() for s in sents))
        return 0
    if fmt == "iob":
        blocks = read_columns(args.input)
        feats = [row_features(b.rows, tagger.config.features, args.input, b.line) for b in blocks]
        predicted = tagger.predict([[row[_word_col(b)] for row in b.rows] for b in blocks], features=feats)
        c = columns[0]
        out = (
            format_columns(TaggedSentence([], {c: p[c]}, b.line, b, b.comments), c) for b, p in zip(blocks, predicted)
        )
        write_text(args.output, out)
        return 0
    sents_text = read_text(args.input)
    predicted = tagger.predict([ts.words for ts in sents_text])
    c = columns[0]
    if args.output_format == "conllu":
        docs = []
        for ts, p in zip(sents_text, predicted):
            sent = Sentence.from_forms(ts.words)
            for tok, t in zip(sent.tokens, p[c]):
                setattr(tok, c if c in ("upos", "xpos") else "misc", t if c in ("upos", "xpos") else f"{c.upper()}={t}")
            docs.append(sent.to_text() if len(sent) else "")
        write_text(args.output, docs)
    else:
        for ts, p in zip(sents_text, predicted):
            ts.tags = p
        write_text(args.output, (format_slash(ts, c) for ts in sents_text))
    return 0


def _word_col(block) -> int:
    return 1 if all(r[0] == str(i) for i, r in enumerate(block.rows, 1)) else 0


def jackknife(args: argparse.Namespace) -> int:
    from wordseq.tag.formats import from_conllu
    from wordseq.tag.jackknife import accuracy, fold_bounds, tag_fold
    from wordseq.text.conllu import read_conllu, write_conllu

    set_torch_threads(args)
    like = _load(args.like)
    columns = list(like.config.columns)
    train = read_conllu(args.train)
    fold_bounds(len(train), args.folds)  # checks the fold count before any training
    bad = [k for k in args.fold if not 0 <= k < args.folds]
    if bad:
        raise WordseqError(f"--fold {bad[0]}: folds are numbered 0 to {args.folds - 1}")
    dev = from_conllu(read_conllu(args.dev), [*columns, *like.config.features]) if args.dev else None
    work = Path(str(args.output) + ".folds")
    work.mkdir(parents=True, exist_ok=True)

    def part(k: int) -> Path:
        return work / f"fold-{k}-of-{args.folds}.conllu"

    def make_tagger():
        limit = {} if args.max_minutes is None else {"max_seconds": args.max_minutes * 60}
        return type(like)(config=like.config.replace(train=like.config.train.replace(**limit)))

    log = (lambda s: print(s, file=sys.stderr, flush=True)) if not args.quiet else None
    for k in args.fold or range(args.folds):
        if part(k).exists():
            print(f"fold {k}: kept from {part(k)}")
            continue
        tagged, score = tag_fold(train, k, args.folds, make_tagger, valid=dev, log=log)
        write_conllu(part(k), tagged)
        print(f"fold {k}: " + ", ".join(f"{c} {100 * a:.2f}%" for c, a in score.items()), flush=True)
    missing = [k for k in range(args.folds) if not part(k).exists()]
    if missing:
        print(f"folds left: {' '.join(map(str, missing))}; run again (with --fold) to finish {args.output}")
        return 0
    sentences = [s for k in range(args.folds) for s in read_conllu(part(k))]
    if [s.forms for s in sentences] != [s.forms for s in train]:
        raise WordseqError(f"{work}: the fold files do not match {args.train} (remove the folder and run again)")
    write_conllu(args.output, sentences)
    n = sum(len(s) for s in train)
    for c, a in accuracy(train, sentences, columns).items():
        print(f"{c}: jackknifed accuracy {100 * a:.2f}% over {n} words")
    print(f"wrote {args.output}")
    return 0
