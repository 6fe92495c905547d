"""``wordseq lm ngram`` (build a model), ``wordseq lm sample`` and the n-gram side of ``wordseq lm perplexity``."""

from __future__ import annotations

import argparse
import time


def register(sub, parents) -> None:
    from wordseq.cli import tokenizer_options

    p = sub.add_parser(
        "ngram",
        parents=parents + [tokenizer_options()],
        help="build an n-gram language model",
        description="Count every n-gram up to order N and estimate a smoothed model; write it as "
        "a wordseq model file (.wsq) or an ARPA file (.arpa, .arpa.gz).",
    )
    p.add_argument("corpus", nargs="+", help="training text: file(s), directory, glob, or - for stdin")
    p.add_argument("-n", "--order", type=int, default=3, help="the order N (default 3)")
    p.add_argument(
        "--smoothing",
        choices=["mkn", "kn", "absolute", "add-k", "mle"],
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
    p.add_argument("-o", "--output", required=True, help="model file: .wsq, or .arpa / .arpa.gz")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the encoding cache")
    p.set_defaults(func=build)

    s = sub.add_parser(
        "sample",
        parents=parents,
        help="sample sentences from an n-gram model",
        description="Sample sentences from an n-gram model (.wsq or ARPA).",
    )
    s.add_argument("model", help="model file: .wsq or ARPA")
    s.add_argument("-n", "--num", type=int, default=10, help="how many sentences (default 10)")
    s.add_argument("--temperature", type=float, default=1.0, help="below 1 sharper, above 1 flatter (default 1)")
    s.add_argument("--prefix", default="", help="text every sentence starts with")
    s.add_argument("--max-len", type=int, default=100, help="stop a sentence after this many tokens (default 100)")
    s.set_defaults(func=sample)


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
    from wordseq.lm.ngram import NgramModel, count_ngrams
    from wordseq.lm.ngram.arpa import is_arpa_name
    from wordseq.text.encode import encode_corpus

    if is_arpa_name(args.output) and args.smoothing in ("add-k", "mle"):
        raise WordseqError(
            f"{args.smoothing} models have no exact ARPA form; write it to a .wsq file, or use "
            "--smoothing mkn, kn or absolute"
        )
    tokenizer = tokenizer_from_args(args)
    t0 = time.perf_counter()
    enc = encode_corpus(args.corpus, tokenizer, min_count=args.min_count, cache=not args.no_cache)
    t1 = time.perf_counter()
    counts = count_ngrams(enc.ids, enc.vocab, args.order)
    model = NgramModel.from_counts(counts, args.smoothing, args.discount, args.k, tokenizer, release=True)
    t2 = time.perf_counter()
    model.save(args.output)
    t3 = time.perf_counter()
    print(
        f"{args.order}-gram {args.smoothing} model: {counts.tokens:,} tokens, {counts.sentences:,} sentences, "
        f"vocabulary {len(enc.vocab):,}"
    )
    for n, size in enumerate(model.sizes(), 1):
        d = model.discounts[n] if n < len(model.discounts) else None
        extra = (
            ""
            if d is None
            else (f"  D={d[0]:.4f}" if args.smoothing != "mkn" else "  D1={:.4f} D2={:.4f} D3+={:.4f}".format(*d))
        )
        print(f"  {n}-grams {size:>12,}{extra}")
    print(f"encoded in {t1 - t0:.2f} s, counted and estimated in {t2 - t1:.2f} s, written in {t3 - t2:.2f} s")
    print(f"model written to {args.output}")
    return 0


def perplexity(args: argparse.Namespace) -> int:
    import numpy as np

    from wordseq.lm.ngram import NgramModel
    from wordseq.text.encode import encode_corpus

    model = NgramModel.load(args.model)
    enc = encode_corpus(args.test, model.tokenizer, vocab=model.vocab, desc="encoding test")
    t0 = time.perf_counter()
    result = model.perplexity_ids(enc.ids, eos=not args.no_eos)
    dt = time.perf_counter() - t0
    if args.per_token:
        _per_token(model, np.asarray(enc.ids), args.no_eos)
    print(result)
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
    from wordseq.lm.ngram import NgramModel

    model = NgramModel.load(args.model)
    for line in model.sample(args.num, args.temperature, args.prefix, args.seed, args.max_len):
        print(line)
    return 0
