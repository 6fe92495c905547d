"""``wordseq embed``: train, query, evaluate, plot and convert word vectors.

    wordseq embed train CORPUS --method sgns|cbow|glove|ppmi-svd|svd [options] -o OUT [--resume]
    wordseq embed neighbors MODEL WORD...
    wordseq embed analogy MODEL a b c [--method 3cosmul]
    wordseq embed eval MODEL --analogies F --similarity F...
    wordseq embed plot MODEL --words W... | --pairs F -o out.png [--tsne]
    wordseq embed convert IN OUT --to word2vec|word2vec-bin|glove|tsv|wsq
    wordseq embed sentences MODEL FILE --method mean|sif [-o OUT.npy|OUT.txt]

MODEL is any vector file wordseq reads (.wsq, word2vec .txt/.bin, GloVe .txt, projector .tsv).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wordseq.errors import WordseqError

if TYPE_CHECKING:
    from wordseq.embed import Vectors
    from wordseq.embed.base import VectorModel

METHODS = ("sgns", "cbow", "glove", "ppmi-svd", "svd")
FORMATS = ("wsq", "word2vec", "word2vec-bin", "glove", "tsv")


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from wordseq.cli import _DeprecatedAlias, deprecated_alias, tokenizer_options

    p = sub.add_parser(
        "embed",
        help="word vectors: train, neighbours, analogies, evaluation, plots",
        description="Word vectors by word2vec (skip-gram, CBOW), GloVe, PPMI+SVD or count+SVD; "
        "nearest neighbours, analogies, evaluation on analogy and similarity sets, "
        "plots and format conversion.",
    )
    esub = p.add_subparsers(dest="embed_command", metavar="EMBED_COMMAND")
    esub.required = True

    t = esub.add_parser(
        "train",
        parents=parents + [tokenizer_options()],
        help="train word vectors on a corpus",
        description="Train word vectors on a corpus and write them (.wsq, or word2vec/GloVe text, "
        "word2vec binary, projector TSV, chosen by --format or the suffix of -o). sgns, cbow and glove write "
        "a checkpoint OUTPUT.ckpt after every epoch; --resume continues an interrupted run from it "
        "(bit-identical to an uninterrupted run with --threads 1).",
    )
    t.add_argument("corpus", nargs="+", help="file(s), directory, glob, or - for stdin")
    t.add_argument("-o", "--output", required=True, help="output vector file")
    t.add_argument("--format", choices=FORMATS, help="output format (default: from the suffix of -o; .wsq otherwise)")
    t.add_argument("--method", choices=METHODS, default="sgns", help="training method (default sgns)")
    t.add_argument(
        "--loss",
        choices=["ns", "hs", "softmax"],
        help="sgns/cbow output layer: negative sampling, hierarchical or full softmax (default ns)",
    )
    t.add_argument("--dim", type=int, help="vector size (default 100)")
    t.add_argument("--window", type=int, help="context window (default 5; 10 for glove)")
    t.add_argument("--min-count", type=int, help="ignore words seen fewer times (default 5)")
    t.add_argument("--max-vocab", type=int, help="keep at most this many vocabulary entries (default: no limit)")
    t.add_argument("--epochs", type=int, help="passes over the data (default 5; 15 for glove)")
    t.add_argument("--lr", type=float, help="initial learning rate (word2vec: 0.025 sg / 0.05 cbow; glove: 0.05)")
    t.add_argument("--min-lr", type=float, help="word2vec: final learning rate (default 1e-4)")
    t.add_argument("--negative", type=int, help="word2vec: negative samples (default 5)")
    t.add_argument("--sample-threshold", type=float, help="word2vec: subsampling threshold (default 1e-3)")
    t.add_argument("--cbow-sum", action="store_true", help="cbow: sum the context vectors instead of the mean")
    t.add_argument("--x-max", type=float, help="glove: weighting cut-off x_max (default 100)")
    t.add_argument(
        "--weighting-exponent", type=float, help="glove: exponent a of the weighting (x/x_max)^a (default 0.75)"
    )
    t.add_argument(
        "--context-smoothing", type=float, help="ppmi-svd: context-distribution smoothing exponent (default 0.75)"
    )
    t.add_argument("--shift", type=float, help="ppmi-svd: shift PMI by log k (default k=1, none)")
    t.add_argument(
        "--eig", type=float, help="ppmi-svd/svd: eigenvalue weighting p, vectors U S^p (default 0.5 ppmi-svd, 1 svd)"
    )
    t.add_argument(
        "--transform",
        choices=["none", "rownorm", "log"],
        help="svd: decompose raw counts, row-normalized counts or log(1+count) (default none)",
    )
    deprecated_alias(t, "--alpha", "--lr", type=float)
    deprecated_alias(t, "--min-alpha", "--min-lr", type=float)
    deprecated_alias(t, "--sample", "--sample-threshold", type=float)
    # --power meant glove's weighting exponent and ppmi-svd's context smoothing: one hidden flag for both
    t.add_argument(
        "--power",
        dest="power",
        type=float,
        action=_DeprecatedAlias,
        new="--weighting-exponent (glove) or --context-smoothing (ppmi-svd)",
        help=argparse.SUPPRESS,
    )
    t.add_argument("--no-cache", action="store_true", help="do not read or write the encoding cache")
    t.add_argument(
        "--checkpoint",
        help="sgns/cbow/glove: training state written after every epoch (default: OUTPUT.ckpt)",
    )
    t.add_argument(
        "--resume", action="store_true", help="sgns/cbow/glove: continue from the checkpoint of an interrupted run"
    )
    t.add_argument(
        "--no-checkpoint", action="store_true", help="sgns/cbow/glove: write no checkpoint (no --resume possible)"
    )
    t.add_argument(
        "--memory",
        default=None,
        metavar="SIZE",
        help="glove/ppmi-svd/svd: count co-occurrences within this memory (512M, 2G), sorted runs spilled to disk",
    )
    t.set_defaults(func=train)

    n = esub.add_parser(
        "neighbors",
        parents=parents,
        help="nearest neighbours of words",
        description="The nearest words (cosine similarity) to each given word.",
    )
    n.add_argument("model", help="vector file")
    n.add_argument("words", nargs="+", help="query words")
    n.add_argument("--topn", type=int, default=10, help="how many neighbours (default 10)")
    n.add_argument("--restrict-vocab", type=int, default=None, help="search only the most frequent N words")
    n.set_defaults(func=neighbors)

    a = esub.add_parser(
        "analogy",
        parents=parents,
        help="a is to b as c is to ?",
        description="Answer 'a is to b as c is to ?' with 3CosAdd (b - a + c) or 3CosMul.",
    )
    a.add_argument("model", help="vector file")
    a.add_argument("a")
    a.add_argument("b")
    a.add_argument("c")
    a.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd", help="default 3cosadd")
    a.add_argument("--topn", type=int, default=5, help="how many answers (default 5)")
    a.set_defaults(func=analogy)

    e = esub.add_parser(
        "eval",
        parents=parents,
        help="accuracy on analogies, correlation on word similarity",
        description="Evaluate vectors by gensim's rules: Google-format analogies (per-section and "
        "total accuracy) and word-similarity files (Spearman, Pearson).",
    )
    e.add_argument("model", help="vector file")
    e.add_argument("--analogies", action="append", default=[], help="Google-format analogy file (repeatable)")
    e.add_argument("--similarity", nargs="+", action="extend", default=[], help="word1<TAB>word2<TAB>score file(s)")
    e.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd", help="analogy method")
    e.add_argument("--restrict-vocab", type=int, default=300000, help="only the most frequent N words (default 300000)")
    e.add_argument(
        "--case-sensitive", action="store_true", help="compare words as they are (default: case-insensitive)"
    )
    e.add_argument("--sections", action="store_true", help="print every analogy section")
    e.set_defaults(func=evaluate)

    pl = esub.add_parser(
        "plot",
        parents=parents,
        help="2-D picture of chosen words or word pairs",
        description="PCA (or t-SNE) projection of chosen words, or of word pairs joined by lines "
        "(like the word2vec paper's countries and capitals), to a PNG.",
    )
    pl.add_argument("model", help="vector file")
    g = pl.add_mutually_exclusive_group(required=True)
    g.add_argument("--words", nargs="+", help="words to draw")
    g.add_argument("--pairs", help="file of pairs 'a b' per line (or Google analogy lines 'a b c d')")
    pl.add_argument("--max-pairs", type=int, default=20, help="draw at most this many pairs (default 20)")
    pl.add_argument("-o", "--output", required=True, help="PNG file")
    pl.add_argument("--tsne", action="store_true", help="t-SNE instead of PCA (needs scikit-learn)")
    pl.add_argument("--title", help="figure title")
    pl.set_defaults(func=plot)

    c = esub.add_parser(
        "convert",
        parents=parents,
        help="convert between vector file formats",
        description="Read vectors in any supported format and write them in another.",
    )
    c.add_argument("input", help="vector file")
    c.add_argument("output", help="output file (TSV also writes the metadata file beside it)")
    c.add_argument("--to", choices=FORMATS, help="output format (default: from the suffix)")
    c.add_argument("--from", dest="from_format", choices=FORMATS, help="input format (default: guessed)")
    c.set_defaults(func=convert)

    se = esub.add_parser(
        "sentences",
        parents=parents,
        help="sentence vectors: mean or SIF-weighted mean of word vectors",
        description="One vector per input line: the mean of its words' vectors, or SIF (Arora et al. 2017): "
        "words weighted by a / (a + p(w)), then the sentences' first principal component removed. Written as "
        "word2vec text (keys: the line numbers) or, for an -o ending in .npy, a numpy array.",
    )
    se.add_argument("vectors", help="word-vector file (.wsq, word2vec text/binary, GloVe text)")
    se.add_argument("input", help="text file, one tokenized sentence per line (- for standard input)")
    se.add_argument("-o", "--output", default="-", help="output file: .npy, or word2vec text (default: stdout)")
    se.add_argument("--method", choices=["mean", "sif"], default="mean", help="plain or SIF-weighted mean")
    se.add_argument(
        "--counts",
        help="sif: word counts, token<TAB>count per line (wordseq vocab -o); default: the vector file's "
        "counts (.wsq), else the counts of the input",
    )
    se.add_argument("--sif-a", type=float, default=1e-3, help="sif: the weight's a in a / (a + p(w)) (default 1e-3)")
    se.add_argument("--lower", action="store_true", help="lowercase the sentences")
    se.add_argument("--encoding", default="utf-8", help="text encoding of the input (default utf-8)")
    se.set_defaults(func=sentences)


def _load(path: str, format: str | None = None) -> Vectors:
    from wordseq.embed import load_vectors

    return load_vectors(path, format=format)


# config fields whose option is not spelled --field-name
CONFIG_FLAGS = {"arch": "--method", "cbow_mean": "--cbow-sum", "context_smoothing": "--context-smoothing"}


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The options among ``names`` the user gave (left None otherwise), as config overrides."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def build_model(args: argparse.Namespace) -> VectorModel[Any]:
    """The estimator the options ask for (not yet fitted); options not given keep the config's defaults."""
    from wordseq.embed import PPMISVD, CountSVD, GloVe, GloVeConfig, PPMIConfig, SVDConfig, Word2Vec, Word2VecConfig

    args.config_flags = CONFIG_FLAGS
    common = _given(args, "dim", "window", "min_count", "max_vocab", "seed", "threads")
    method = args.method
    if method in ("sgns", "cbow"):
        w2v = _given(args, "loss", "negative", "epochs", "lr", "min_lr", "sample_threshold")
        return Word2Vec(
            Word2VecConfig(arch="sg" if method == "sgns" else "cbow", cbow_mean=not args.cbow_sum, **common, **w2v)
        )
    if method == "glove":
        if args.weighting_exponent is None and args.power is not None:
            args.weighting_exponent = args.power
        return GloVe(GloVeConfig(**common, **_given(args, "epochs", "lr", "x_max", "weighting_exponent")))
    if method == "ppmi-svd":
        if args.context_smoothing is None and args.power is not None:
            args.context_smoothing = args.power
        return PPMISVD(PPMIConfig(**common, **_given(args, "context_smoothing", "shift", "eig")))
    return CountSVD(SVDConfig(**common, **_given(args, "transform", "eig")))


def train(args: argparse.Namespace) -> int:
    from wordseq.cli import tokenizer_from_args
    from wordseq.text.encode import encode_corpus

    model = build_model(args)
    cfg = model.config
    tok = tokenizer_from_args(args)
    t0 = time.perf_counter()
    enc = encode_corpus(args.corpus, tok, min_count=cfg.min_count, max_size=cfg.max_vocab, cache=not args.no_cache)
    n_words = len(enc.vocab) - enc.vocab.n_specials
    if n_words < 2:
        raise WordseqError(
            f"only {n_words} distinct words seen at least {cfg.min_count} times: "
            "nothing to learn vectors for (lower --min-count or give more text)"
        )
    if args.method in ("sgns", "cbow") and cfg.loss == "ns" and n_words <= cfg.negative:
        raise WordseqError(
            f"only {n_words} distinct words, not more than --negative {cfg.negative}: "
            "too few words to draw negative samples from"
        )
    fit_options: dict[str, Any] = {}
    if args.memory is not None:
        from wordseq.cli.lm_ngram import parse_scale

        if args.method not in ("glove", "ppmi-svd", "svd"):
            raise WordseqError(f"--memory applies to the count-based methods (glove, ppmi-svd, svd), not {args.method}")
        fit_options["memory"] = parse_scale(argparse.Namespace(memory=args.memory, workers=None, dask=None))["memory"]
    model.provenance.update(
        {"corpus": [str(c) for c in args.corpus], "tokenizer": tok.config(), "tokens": int(enc.tokens)}
    )
    t1 = time.perf_counter()
    ckpt = _checkpoint(args)
    try:  # Ctrl-C, in training or while the model is written, says what the checkpoint holds
        if ckpt is None:
            model.fit(enc, **fit_options)
        else:
            model.fit(enc, checkpoint=ckpt, resume=args.resume, **fit_options)
        t2 = time.perf_counter()
        path = _save(model, args)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_interrupted(ckpt)) from None
    vectors = model.vectors
    assert vectors is not None  # fit sets them
    print(f"corpus      {enc.tokens:,} tokens, {n_words:,} words seen at least {cfg.min_count} times [{t1 - t0:.1f} s]")
    print(f"training    {args.method}, dim {vectors.dim} [{t2 - t1:.1f} s]")
    losses = getattr(model, "losses", None)
    if losses:
        print("loss        " + " ".join(f"{x:.4g}" for x in losses))
    print(f"written     {path} ({len(vectors):,} vectors)")
    if ckpt is not None:
        print(f"checkpoint  {ckpt}")
    return 0


def _save(model: VectorModel[Any], args: argparse.Namespace) -> Path:
    fmt = args.format or _default_format(args.output)
    if fmt == "wsq":
        return model.save(args.output)
    assert model.vectors is not None  # fit sets them
    return model.vectors.save(args.output, fmt)


def _checkpoint(args: argparse.Namespace) -> Path | None:
    """The checkpoint file of this run: for the iterative methods, ``--checkpoint`` or ``OUTPUT.ckpt``."""
    if args.method not in ("sgns", "cbow", "glove"):
        if args.resume:
            raise WordseqError(f"--resume: {args.method} trains in one step, with no epochs to resume")
        return None
    if args.no_checkpoint:
        if args.resume or args.checkpoint:
            raise WordseqError("--no-checkpoint cannot be combined with --resume or --checkpoint")
        return None
    return Path(args.checkpoint or f"{args.output}.ckpt")


def _interrupted(ckpt: Path | None) -> str:
    """What a Ctrl-C leaves: which checkpoint holds what, and how to continue."""
    from wordseq.embed.checkpoint import describe_checkpoint

    held = describe_checkpoint(ckpt) if ckpt is not None and ckpt.exists() else None
    if held is None:
        return "no checkpoint to continue from" if ckpt is None else f"before the first epoch ended: no {ckpt} yet"
    return f"{held}; run the same command with --resume to continue"


def _default_format(output: str) -> str:
    from wordseq.embed import guess_format

    name = output.lower()
    if name.endswith((".txt", ".vec", ".bin", ".tsv", ".wsq")):
        return guess_format(output)
    return "wsq"


def neighbors(args: argparse.Namespace) -> int:
    v = _load(args.model)
    for w in args.words:
        v.id(w)  # a clear error naming an unknown word before any output
    for w in args.words:
        near = v.most_similar(w, topn=args.topn, restrict_vocab=args.restrict_vocab)
        print(f"{w}: " + ", ".join(f"{n} {s:.3f}" for n, s in near))
    return 0


def analogy(args: argparse.Namespace) -> int:
    v = _load(args.model)
    for word, s in v.analogy(args.a, args.b, args.c, method=args.method, topn=args.topn):
        print(f"{word}\t{s:.4f}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from wordseq.embed import evaluate_analogies, evaluate_similarity

    if not args.analogies and not args.similarity:
        raise WordseqError("give --analogies FILE and/or --similarity FILE...")
    v = _load(args.model)
    for path in args.analogies:
        t = time.perf_counter()
        r = evaluate_analogies(
            v, path, restrict_vocab=args.restrict_vocab, case_insensitive=not args.case_sensitive, method=args.method
        )
        lines = r.report()
        if not args.sections:
            lines = lines[len(r.sections) :]
        print(f"{path} [{time.perf_counter() - t:.1f} s]")
        print("\n".join("  " + line for line in lines))
    for path in args.similarity:
        s = evaluate_similarity(v, path, restrict_vocab=args.restrict_vocab, case_insensitive=not args.case_sensitive)
        print(s.report(str(path)))
    return 0


def plot(args: argparse.Namespace) -> int:
    from wordseq.embed.plot import plot_words, read_pairs

    v = _load(args.model)
    pairs = read_pairs(args.pairs)[: args.max_pairs] if args.pairs else []
    path = plot_words(
        v,
        args.output,
        words=args.words or [],
        pairs=pairs,
        method="tsne" if args.tsne else "pca",
        title=args.title,
        seed=args.seed,
    )
    print(f"written     {path}")
    return 0


def convert(args: argparse.Namespace) -> int:
    from wordseq.embed import guess_format, metadata_path

    v = _load(args.input, args.from_format)
    fmt = args.to or guess_format(args.output)
    path = v.save(args.output, fmt)
    extra = f" and {metadata_path(path)}" if fmt == "tsv" else ""
    print(f"written     {path}{extra} ({len(v):,} vectors, {fmt})")
    if (
        fmt in ("word2vec", "word2vec-bin", "glove", "tsv")
        and Path(args.input).suffix == ".wsq"
        and v.counts is not None
    ):
        print("note        word counts are kept only in .wsq files")
    return 0


def sentences(args: argparse.Namespace) -> int:
    import sys

    from wordseq.embed.sentences import (
        embed_sentences,
        read_counts,
        sentence_lines,
        word_counts,
        write_sentence_vectors,
    )
    from wordseq.io.inputs import read_lines

    if args.sif_a <= 0:
        raise WordseqError(f"--sif-a must be > 0, got {args.sif_a}")
    v = _load(args.vectors)
    texts = [line for _, line in read_lines(args.input, args.encoding)]
    counts = read_counts(args.counts) if args.counts else None
    x = embed_sentences(v, texts, args.method, counts, args.sif_a, args.lower)
    if args.output == "-":
        sys.stdout.writelines(sentence_lines(x))
    else:
        write_sentence_vectors(x, args.output)
    source = f", word frequencies from {word_counts(v, [], counts)[1]}" if args.method == "sif" else ""
    where = "standard output" if args.output == "-" else args.output
    print(f"{len(texts):,} sentence vectors ({args.method}{source}) written to {where}", file=sys.stderr)
    return 0
