"""``wordseq parse``: dependency parsers (Chen & Manning's transition parser, the biaffine graph parser).

wordseq parse train TRAIN --dev DEV --model chen-manning|biaffine [--tagger MODEL] [--vectors FILE] -o MODEL
wordseq parse train TRAIN --dev DEV --model biaffine --init MODEL -o MODEL2   train a saved parser further
wordseq parse eval MODEL TEST [--gold-tags]
wordseq parse predict MODEL [FILE|-]          CoNLL-U in and out, or tokenized lines in, CoNLL-U out
wordseq parse draw MODEL "a sentence" -o tree.svg
"""

from __future__ import annotations

import argparse
import sys

from wordseq.errors import InputError, WordseqError

TRAIN_FLAGS = {
    "epochs": "--epochs",
    "lr": "--lr",
    "optimizer": "--optimizer",
    "batch_size": "--batch",
    "batch_tokens": "--batch",
    "hidden": "--hidden",
    "embed": "--embed",
    "word_embed": "--word-embed",
    "max_vectors": "--max-vectors",
    "system": "--system",
    "oracle": "--oracle",
    "explore_start": "--explore-start",
    "explore_p": "--explore-p",
    "activation": "--activation",
    "beam": "--beam",
    "decoder": "--decoder",
    "tag_column": "--tag-column",
    "dropout": "--dropout",
    "layers": "--layers",
    "arc_mlp": "--arc-mlp",
    "label_mlp": "--label-mlp",
    "word_dropout": "--word-dropout",
    "frozen_vectors": "--frozen-vectors",
}


def register(sub, parents) -> None:
    p = sub.add_parser(
        "parse",
        help="dependency parsing: Chen & Manning's transition parser, the biaffine graph parser",
        description="Train, evaluate and run dependency parsers on CoNLL-U treebanks (UAS/LAS as the CoNLL 2018 "
        "shared task scores them), and draw trees.",
    )
    ps = p.add_subparsers(dest="parse_command", metavar="PARSE_COMMAND")
    ps.required = True

    t = ps.add_parser("train", parents=parents, help="train a parser on a CoNLL-U treebank")
    t.add_argument("train", help="training treebank (CoNLL-U with gold trees)")
    t.add_argument("--dev", help="development treebank: parsed after each epoch, the best epoch is kept")
    t.add_argument("--model", choices=["chen-manning", "biaffine"], default="chen-manning")
    t.add_argument(
        "--tagger",
        help="tagger model file (wordseq tag train): its tags are used for the dev set during "
        "training and for input at parsing time (train on jackknifed tags: wordseq tag jackknife)",
    )
    t.add_argument("--vectors", help="initial word vectors (any format wordseq reads)")
    t.add_argument(
        "--init",
        metavar="MODEL",
        help="biaffine: start from this saved model's weights, vocabularies and architecture (train it further, "
        "or on other data); the optimizer starts afresh",
    )
    t.add_argument("-o", "--output", required=True, help="model file to write (.wsq)")
    g = t.add_argument_group("model")
    g.add_argument("--system", choices=["arc-standard", "arc-eager", "arc-hybrid"], help="chen-manning: transitions")
    g.add_argument(
        "--oracle",
        choices=["static", "dynamic"],
        help="chen-manning: training oracle; dynamic: Goldberg & Nivre's, with error exploration (arc-hybrid)",
    )
    g.add_argument("--explore-start", type=int, help="chen-manning, dynamic oracle: first exploring epoch (2)")
    g.add_argument(
        "--explore-p",
        type=float,
        help="chen-manning, dynamic oracle: probability of following a wrong prediction (0.9)",
    )
    g.add_argument("--activation", choices=["cube", "relu", "tanh"], help="chen-manning: hidden activation")
    g.add_argument("--beam", type=int, help="chen-manning: beam width at parsing time (1: greedy)")
    g.add_argument("--decoder", choices=["chu-liu-edmonds", "eisner"], help="biaffine: tree decoder")
    g.add_argument("--embed", type=int, help="embedding size (chen-manning: of tags and labels, and of words)")
    g.add_argument(
        "--word-embed", type=int, help="chen-manning: word embedding size, if not --embed (e.g. the vectors' 300)"
    )
    g.add_argument(
        "--max-vectors",
        type=int,
        help="with --vectors: the file's most frequent words added to the vocabulary (biaffine: 100,000; "
        "chen-manning: 0, none)",
    )
    g.add_argument("--hidden", type=int, help="hidden size")
    g.add_argument("--dropout", type=float)
    g.add_argument("--tag-column", choices=["upos", "xpos"])
    g.add_argument("--layers", type=int, help="biaffine: BiLSTM layers (2)")
    g.add_argument("--arc-mlp", type=int, help="biaffine: arc scorer's MLP size (256)")
    g.add_argument("--label-mlp", type=int, help="biaffine: label scorer's MLP size (64)")
    g.add_argument(
        "--word-dropout", type=float, help="biaffine: in training, replace each word and each tag by <unk> this often"
    )
    g.add_argument(
        "--frozen-vectors",
        action="store_const",
        const=True,
        help="with --vectors: keep the vectors fixed and learn a correction added to them",
    )
    g = t.add_argument_group("training")
    g.add_argument("--epochs", type=int)
    g.add_argument("--lr", type=float)
    g.add_argument("--optimizer", choices=["sgd", "adam", "adagrad", "rmsprop"])
    g.add_argument("--beta2", type=float, help="Adam's second-moment decay (Dozat & Manning: 0.9)")
    g.add_argument(
        "--weight-decay",
        type=float,
        help="L2 penalty (chen-manning: the paper's 1e-8; 0 keeps words unseen in training at their --vectors)",
    )
    g.add_argument(
        "--batch", type=int, help="transitions (chen-manning) or tokens (biaffine) per batch (global under torchrun)"
    )
    g.add_argument("--max-seconds", type=float, help="stop training after this long")
    g.add_argument("--checkpoint", help="checkpoint file written after each epoch")
    g.add_argument("--resume", action="store_true", help="resume from --checkpoint")
    t.set_defaults(func=train, config_flags=TRAIN_FLAGS)

    e = ps.add_parser("eval", parents=parents, help="UAS and LAS on a treebank with gold trees")
    e.add_argument("model")
    e.add_argument("test")
    e.add_argument("--gold-tags", action="store_true", help="parse with the file's tags, not the tagger's")
    e.add_argument("--beam", type=int, help="chen-manning: beam width")
    e.add_argument("--report", action="store_true", help="also per relation and by sentence length")
    e.set_defaults(func=evaluate)

    r = ps.add_parser("predict", parents=parents, help="parse CoNLL-U or tokenized text (one sentence a line)")
    r.add_argument("model")
    r.add_argument("input", nargs="?", default="-", help="CoNLL-U file, or tokenized lines (default: stdin)")
    r.add_argument("-o", "--output", default="-", help="CoNLL-U output (default: stdout)")
    r.add_argument("--gold-tags", action="store_true", help="keep the input's tags (CoNLL-U input)")
    r.add_argument("--beam", type=int, help="chen-manning: beam width")
    r.set_defaults(func=predict)

    d = ps.add_parser("draw", parents=parents, help="draw a sentence's tree as SVG or PNG")
    d.add_argument("model")
    d.add_argument("sentence", help="a tokenized sentence (words separated by spaces)")
    d.add_argument("-o", "--output", required=True, help="picture to write: .svg or .png")
    d.set_defaults(func=draw)


def _set_threads(args: argparse.Namespace) -> None:
    from wordseq.cli import set_torch_threads

    set_torch_threads(args)


def train(args: argparse.Namespace) -> int:
    from wordseq.train import distributed as dist

    _set_threads(args)
    try:
        args.device = dist.init(args.device)  # under torchrun: join the other processes (data-parallel training)
        return _train(args, dist.is_main())
    finally:
        dist.cleanup()


def _train(args: argparse.Namespace, main: bool) -> int:
    """Train and write the parser; under torchrun every process trains and the first (``main``) alone logs,
    reports the dev scores and writes the model."""
    from wordseq.parse import BiaffineParser, ChenManningParser

    cls = ChenManningParser if args.model == "chen-manning" else BiaffineParser
    parser = cls()
    cfg = parser.config
    names = {f for f in cfg.to_dict()}
    changes = {}
    for field, value in (
        ("system", args.system),
        ("oracle", args.oracle),
        ("explore_start", args.explore_start),
        ("explore_p", args.explore_p),
        ("activation", args.activation),
        ("beam", args.beam),
        ("decoder", args.decoder),
        ("embed", args.embed),
        ("word_embed", args.word_embed),
        ("max_vectors", args.max_vectors),
        ("hidden", args.hidden),
        ("dropout", args.dropout),
        ("tag_column", args.tag_column),
        ("layers", args.layers),
        ("arc_mlp", args.arc_mlp),
        ("label_mlp", args.label_mlp),
        ("word_dropout", args.word_dropout),
        ("frozen_vectors", args.frozen_vectors),
        ("batch_size" if args.model == "chen-manning" else "batch_tokens", args.batch),
    ):
        if value is None:
            continue
        if field not in names:
            flag = TRAIN_FLAGS.get(field, "--" + field.replace("_", "-"))
            raise WordseqError(f"{flag} does not apply to --model {args.model}")
        changes[field] = value
    if args.init:
        from wordseq.parse.biaffine import ARCHITECTURE

        if args.model != "biaffine":
            raise WordseqError("--init applies to --model biaffine")
        shaped = [TRAIN_FLAGS.get(f, "--" + f.replace("_", "-")) for f in changes if f in ARCHITECTURE]
        if shaped:
            raise WordseqError(f"{', '.join(shaped)}: with --init the architecture is the initial model's")
    tc = cfg.train
    for field, value in (
        ("epochs", args.epochs),
        ("lr", args.lr),
        ("optimizer", args.optimizer),
        ("beta2", args.beta2),
        ("weight_decay", args.weight_decay),
    ):
        if value is not None:
            setattr(tc, field, value)
    if args.max_seconds:
        tc.max_seconds = args.max_seconds
    tc.seed = args.seed
    tc.device = args.device
    parser.config = cfg.replace(**changes, train=tc)
    if args.tagger:
        parser.use_tagger(args.tagger)
    log = None if args.quiet or not main else (lambda s: print(s, file=sys.stderr))
    start = {"init": args.init} if args.init else {}
    parser.fit(
        args.train,
        valid=args.dev,
        vectors=args.vectors,
        checkpoint=args.checkpoint,
        resume=args.resume,
        log=log,
        **start,
    )
    if not main:
        return 0
    path = parser.save(args.output)
    if parser.metrics:
        m = parser.metrics
        print(f"dev UAS {100 * m['valid_uas']:.2f}  LAS {100 * m['valid_las']:.2f} (epoch {m['best_epoch']})")
    print(f"wrote {path}")
    return 0


def _parser(args: argparse.Namespace):
    from wordseq.parse.files import load_parser

    _set_threads(args)
    return load_parser(args.model)


def evaluate(args: argparse.Namespace) -> int:
    parser = _parser(args)
    kw = {"gold_tags": args.gold_tags}
    if args.beam is not None:
        if not hasattr(parser, "_beam"):
            raise InputError(args.model, "--beam applies to chen-manning parsers only")
        kw["beam"] = args.beam
    if not args.gold_tags and parser._active_tagger() is None:
        print("wordseq: note: the parser has no tagger; parsing with the file's tags", file=sys.stderr)
    score = parser.evaluate(args.test, **kw)
    print(score.text() if args.report else score.text().split("\n", 1)[0])
    return 0


def _read_input(path: str):
    """CoNLL-U sentences, or tokenized lines made into sentences (one per non-empty line)."""
    from wordseq.io.inputs import read_lines
    from wordseq.text.conllu import Sentence, parse_conllu

    lines = list(read_lines(path))
    text = [line for _, line in lines]
    looks_conllu = any(line.count("\t") == 9 for line in text[:50])
    if looks_conllu:
        return parse_conllu("\n".join(text) + "\n", path=path), True
    return [Sentence.from_forms(line.split()) for line in text if line.strip()], False


def predict(args: argparse.Namespace) -> int:
    from wordseq.text.conllu import write_conllu

    parser = _parser(args)
    sentences, conllu = _read_input(args.input)
    if not sentences:
        return 0
    if not conllu and parser._active_tagger() is None:
        print("wordseq: warning: the parser has no tagger, and plain text has no tags", file=sys.stderr)
    kw = {"gold_tags": args.gold_tags and conllu}
    if args.beam is not None:
        kw["beam"] = args.beam
    write_conllu(args.output, parser.predict(sentences, **kw))
    return 0


def draw(args: argparse.Namespace) -> int:
    from wordseq.parse.draw import draw_tree
    from wordseq.text.conllu import Sentence

    parser = _parser(args)
    words = args.sentence.split()
    if not words:
        raise InputError("<sentence>", "no words to parse")
    (sent,) = parser.predict([Sentence.from_forms(words)])
    tags = sent.column(parser.config.tag_column)
    draw_tree(args.output, sent.forms, [t.head for t in sent.tokens], sent.column("deprel"), tags)
    print(f"wrote {args.output}")
    return 0
