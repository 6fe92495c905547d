"""``wordseq vocab``: corpus statistics and the vocabulary file."""

from __future__ import annotations

import argparse

import numpy as np


def register(sub, parents) -> None:
    from wordseq.cli import tokenizer_options

    p = sub.add_parser(
        "vocab",
        parents=parents + [tokenizer_options()],
        help="corpus statistics; write a vocabulary",
        description="Count a corpus: tokens, types, lines and how much of the text the top-k types cover.",
    )
    p.add_argument(
        "corpus", nargs="+", help="file(s), directory, glob, or - for stdin; .gz/.bz2/.xz are read as they are"
    )
    p.add_argument("-o", "--output", help="write the vocabulary here (token<TAB>count per line)")
    p.add_argument("--vocab", help="count against this vocabulary file (unknown tokens become <unk>)")
    p.add_argument("--min-count", type=int, default=1, help="drop tokens seen fewer times (default 1)")
    p.add_argument("--max-size", type=int, default=None, help="keep at most this many entries, specials included")
    p.add_argument(
        "--top", default="10,100,1000,10000", help="k values for the coverage table (default 10,100,1000,10000)"
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the encoding cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wordseq.cli import tokenizer_from_args
    from wordseq.errors import WordseqError
    from wordseq.text.encode import corpus_report, encode_corpus
    from wordseq.text.vocab import Vocab

    try:
        top = [int(k) for k in args.top.split(",") if k]
    except ValueError:
        raise WordseqError(f"--top takes comma-separated integers, got {args.top!r}") from None
    vocab = Vocab.load(args.vocab) if args.vocab else None
    enc = encode_corpus(
        args.corpus,
        tokenizer_from_args(args),
        vocab=vocab,
        min_count=args.min_count,
        max_size=args.max_size,
        cache=not args.no_cache,
    )
    print("\n".join(corpus_report(enc, top)))
    if vocab is not None and vocab.unk_id is not None:
        unk = int(np.count_nonzero(np.asarray(enc.ids) == vocab.unk_id))
        print(f"out of vocabulary: {unk:,} tokens ({100.0 * unk / max(enc.tokens, 1):.2f}%)")
    if args.output:
        enc.vocab.save(args.output)
        print(f"vocabulary written to {args.output}")
    return 0
