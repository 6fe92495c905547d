"""``wordseq lm ngram`` (build a model), ``wordseq lm sample`` (generate sentences) and the n-gram side of
``wordseq lm perplexity``. Options are spelled as in docs/architecture.md (``--order``, ``--num-samples``);
the old ``-n`` and ``--num`` stay for one release as hidden aliases that print a deprecation notice."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

# config fields whose option is not spelled --field-name
CONFIG_FLAGS = {"k": "-k", "num_samples": "--num-samples"}
# wordseq.lm.ngram.estimate.SMOOTHING, spelled out so that building the parser does not import the n-gram
# package (numba); tests/test_cli.py checks that the two agree
SMOOTHING = ("mkn", "kn", "absolute", "add-k", "mle")


def register(sub, parents) -> None:
    from wordseq.cli import deprecated_alias, tokenizer_options

    p = sub.add_parser(
        "ngram",
        parents=parents + [tokenizer_options()],
        help="build an n-gram language model",
        description="Count every n-gram up to the given order and estimate a smoothed model; write it as "
        "a wordseq model file (.wsq) or an ARPA file (.arpa, .arpa.gz, .arpa.bz2, .arpa.xz).",
    )
    p.add_argument("corpus", nargs="+", help="training text: file(s), directory, glob, or - for stdin")
    p.add_argument("--order", type=int, default=3, help="the n-gram order N (default 3)")
    deprecated_alias(p, "-n", "--order", type=int)
    p.add_argument(
        "--smoothing",
        choices=list(SMOOTHING),
        default="mkn",
        help="mkn: modified Kneser-Ney (default, as KenLM's lmplz); kn: interpolated Kneser-Ney; "
        "absolute: interpolated absolute discounting; add-k; mle",
    )
    p.add_argument("-k", type=float, default=1.0, help="add-k: the k (default 1, Laplace)")
    p.add_argument(
        "--discount",
        type=float,
        default=None,
        help="kn/absolute: one fixed discount for every order (default: estimated per order)",
    )
    p.add_argument(
        "--min-count", type=int, default=1, help="words seen fewer times become <unk> (default 1: keep every word)"
    )
    p.add_argument(
        "--max-vocab",
        type=int,
        default=None,
        help="keep at most this many vocabulary entries, special tokens included (default: no limit)",
    )
    p.add_argument("--valid", default=None, help="held-out text whose perplexity is reported after the build")
    p.add_argument("-o", "--output", required=True, help="model file: .wsq, or .arpa (.arpa.gz, .arpa.bz2, .arpa.xz)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the encoding cache")
    scale_options(p)
    p.set_defaults(func=build, config_flags=CONFIG_FLAGS)

    s = sub.add_parser(
        "sample",
        parents=parents,
        help="generate sentences from an n-gram model",
        description="Generate sentences from an n-gram model (.wsq or ARPA), each word drawn from the "
        "model's distribution given the words before it.",
    )
    s.add_argument("model", help="model file: .wsq or ARPA")
    s.add_argument("--num-samples", type=int, default=10, help="how many sentences (default 10)")
    deprecated_alias(s, "-n", "--num-samples", type=int)
    deprecated_alias(s, "--num", "--num-samples", type=int)
    s.add_argument("--temperature", type=float, default=1.0, help="below 1 sharper, above 1 flatter (default 1)")
    s.add_argument("--prefix", default="", help="text every sentence starts with")
    s.add_argument("--max-len", type=int, default=100, help="stop a sentence after this many tokens (default 100)")
    s.set_defaults(func=sample, config_flags=CONFIG_FLAGS)


def scale_options(parser: argparse.ArgumentParser) -> None:
    """--memory, --dask, --workers: the same model counted within a memory budget or on a Dask cluster."""
    g = parser.add_argument_group("scale (the same model, counted another way)")
    g.add_argument(
        "--memory",
        default=None,
        metavar="SIZE",
        help="count within this memory (512M, 2G): sorted runs spill to disk ($WORDSEQ_TMPDIR) and are merged",
    )
    where = g.add_mutually_exclusive_group()
    where.add_argument("--dask", default=None, metavar="ADDRESS", help="count on the Dask cluster at tcp://HOST:8786")
    where.add_argument(
        "--workers", type=int, default=None, metavar="N", help="count on a local Dask cluster of N processes"
    )


def parse_scale(args: argparse.Namespace) -> dict:
    """The fit keywords of the scale options, checked (one line for a bad --memory or --workers)."""
    from wordseq.errors import WordseqError
    from wordseq.text.extsort import parse_memory

    memory = None
    if args.memory is not None:
        try:
            memory = parse_memory(args.memory)
        except WordseqError:
            raise WordseqError(f"--memory {args.memory}: expected a size like 512M or 2G") from None
    if args.workers is not None and args.workers < 1:
        raise WordseqError(f"--workers {args.workers}: must be an integer >= 1")
    return {"memory": memory, "dask": args.dask, "workers": args.workers}


def perplexity_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("n-gram models")
    g.add_argument("--no-eos", action="store_true", help="n-gram: do not count </s> as a predicted token")
    g.add_argument(
        "--per-token",
        action="store_true",
        help="n-gram: print every token with its log10 probability and the n-gram order used",
    )
    g.add_argument(
        "--oov-report",
        type=int,
        nargs="?",
        const=20,
        default=None,
        metavar="K",
        help="n-gram: list the K most frequent test words outside the vocabulary (default 20)",
    )


def build(args: argparse.Namespace) -> int:
    from wordseq.cli import tokenizer_from_args
    from wordseq.errors import WordseqError
    from wordseq.lm.ngram import NgramConfig, NgramModel
    from wordseq.lm.ngram.arpa import is_arpa_name

    config = NgramConfig(
        order=args.order,
        smoothing=args.smoothing,
        discount=args.discount,
        k=args.k,
        min_count=args.min_count,
        max_vocab=args.max_vocab,
    )
    if is_arpa_name(args.output) and args.smoothing in ("add-k", "mle"):
        raise WordseqError(
            f"{args.smoothing} models have no exact ARPA form; write it to a .wsq file, or use "
            "--smoothing mkn, kn or absolute"
        )
    tokenizer = tokenizer_from_args(args)
    corpus = [Path(c) for c in args.corpus]  # paths, never sentences
    valid = Path(args.valid) if args.valid is not None else None
    scale = parse_scale(args)
    model = NgramModel(config).fit(corpus, valid=valid, tokenizer=tokenizer, cache=not args.no_cache, **scale)
    t0 = time.perf_counter()
    model.save(args.output)
    written = time.perf_counter() - t0
    fitted = model.history[-1]
    print(
        f"{args.order}-gram {args.smoothing} model: {fitted['train_tokens']:,} tokens, "
        f"{fitted['train_sentences']:,} sentences, vocabulary {model.V:,}"
    )
    for n, size in enumerate(model.sizes(), 1):
        d = model.discounts[n] if n < len(model.discounts) else None
        extra = (
            ""
            if d is None
            else (f"  D={d[0]:.4f}" if args.smoothing != "mkn" else "  D1={:.4f} D2={:.4f} D3+={:.4f}".format(*d))
        )
        print(f"  {n}-grams {size:>12,}{extra}")
    print(
        f"encoded in {fitted['encode_seconds']:.2f} s, counted in {fitted['count_seconds']:.2f} s, "
        f"estimated in {fitted['estimate_seconds']:.2f} s, written in {written:.2f} s"
    )
    if "valid_perplexity" in fitted:
        print(f"validation perplexity {fitted['valid_perplexity']:.2f} over {fitted['valid_tokens']:,} tokens")
    print(f"model written to {args.output}")
    return 0


def perplexity(args: argparse.Namespace) -> int:
    """The n-gram side of ``wordseq lm perplexity``: the LMScore line, KenLM's log10 total, the speed."""
    import numpy as np

    from wordseq.lm.ngram import NgramModel
    from wordseq.text.encode import encode_corpus

    model = NgramModel.load(args.model)
    enc = encode_corpus(args.test, model.tokenizer, vocab=model.vocab, desc="encoding test")
    t0 = time.perf_counter()
    result = model.evaluate(enc, eos=not args.no_eos)
    dt = time.perf_counter() - t0
    if args.per_token:
        _per_token(model, np.asarray(enc.ids), args.no_eos)
    print(result)
    print(f"log10 prob {result.log10_prob:.2f} (KenLM's total)")
    print(f"scored {result.tokens:,} tokens in {dt:.3f} s ({result.tokens / max(dt, 1e-9):,.0f} tokens/s)")
    if args.oov_report is not None:
        _oov_report(model, args.test, args.oov_report)
    return 0


def _per_token(model, ids, no_eos: bool) -> None:
    from wordseq.lm.ngram.counts import add_sentence_starts, special_ids

    bos, eos, _ = special_ids(model.vocab)
    stream = add_sentence_starts(ids, bos, eos)
    lp, used = model.score_stream(stream)
    itos = model.vocab.itos
    print("token\tlog10_prob\torder")
    for w, p, n in zip(stream.tolist(), lp.tolist(), used.tolist()):
        if w == bos or (no_eos and w == eos):
            continue
        print(f"{itos[w]}\t{p:.6f}\t{n}")


def _oov_report(model, test: str, k: int) -> None:
    from collections import Counter

    from wordseq.text.corpus import read_lines

    counter: Counter[str] = Counter()
    stoi = model.vocab.stoi
    for line in read_lines(test):
        counter.update(t for t in model.tokenizer(line) if t not in stoi)
    total = sum(counter.values())
    print(f"words outside the vocabulary: {total:,} tokens, {len(counter):,} types")
    for word, c in counter.most_common(k):
        print(f"  {c:>8,}  {word}")


def sample(args: argparse.Namespace) -> int:
    from wordseq.errors import WordseqError
    from wordseq.lm.ngram import NgramModel

    if args.num_samples < 0:
        raise WordseqError(f"--num-samples {args.num_samples}: must be an integer >= 0")
    if not args.temperature > 0:
        raise WordseqError(f"--temperature {args.temperature}: must be a number > 0")
    if args.max_len < 1:
        raise WordseqError(f"--max-len {args.max_len}: must be an integer >= 1")
    model = NgramModel.load(args.model)
    lines = model.generate(
        num_samples=args.num_samples,
        temperature=args.temperature,
        prefix=args.prefix,
        seed=args.seed,
        max_len=args.max_len,
    )
    for line in lines:
        print(line)
    return 0
