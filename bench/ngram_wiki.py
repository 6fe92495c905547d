"""Modified Kneser-Ney 5-gram on the Wikipedia train split (54 M tokens): time and peak memory against the
size of the model it writes (target: peak below 2x the model file).

The corpus is encoded first in its own process (filling the encoding cache, as ``wordseq vocab`` would), so the
measured process reads the encoded ids from the cache (memory-mapped) and then counts, estimates and writes.

    flock /tmp/wordseq-bench.lock nice -n 5 python bench/ngram_wiki.py [--split train] [--order 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(corpus: Path, order: int, out: str, what: str) -> None:
    from wordseq.lm.ngram import NgramConfig, NgramModel, count_ngrams
    from wordseq.text.encode import encode_corpus
    from wordseq.text.tokenize import Tokenizer

    t0 = time.perf_counter()
    enc = encode_corpus(corpus, Tokenizer())
    t1 = time.perf_counter()
    if what == "encode":
        print(
            json.dumps(
                {
                    "encode_s": t1 - t0,
                    "tokens": enc.tokens,
                    "types": enc.types,
                    "peak_mb": rss_mb(),
                    "cached": enc.cached,
                }
            )
        )
        return
    after_encode = rss_mb()
    counts = count_ngrams(enc.ids, enc.vocab, order)
    t2 = time.perf_counter()
    after_count = rss_mb()
    model = NgramModel.from_counts(counts, NgramConfig(smoothing="mkn"), tokenizer=Tokenizer(), release=True)
    del counts
    t3 = time.perf_counter()
    after_estimate = rss_mb()
    model.save(out)
    t4 = time.perf_counter()
    print(
        json.dumps(
            {
                "read_s": t1 - t0,
                "count_s": t2 - t1,
                "estimate_s": t3 - t2,
                "write_s": t4 - t3,
                "peak_after_encode_mb": after_encode,
                "peak_after_count_mb": after_count,
                "peak_after_estimate_mb": after_estimate,
                "peak_mb": rss_mb(),
                "ngrams": model.sizes(),
                "discounts": [list(d) for d in model.discounts[1:]],
                "file_mb": Path(out).stat().st_size / 2**20,
            }
        )
    )


def run_child(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
    ap.add_argument("--split", default="train")
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--step", nargs=2, metavar=("WHAT", "OUT"))
    args = ap.parse_args()
    corpus = Path(args.data) / "wiki" / f"{args.split}.txt.xz"
    if args.step:
        step(corpus, args.order, args.step[1], args.step[0])
        return
    out = str(Path(tempfile.mkdtemp(prefix="wordseq-wiki-")) / f"wiki{args.order}.wsq")
    enc = run_child(
        "--data", str(args.data), "--split", args.split, "--order", str(args.order), "--step", "encode", out
    )
    print(
        f"encode {corpus.name}: {enc['tokens']:,} tokens, {enc['types']:,} types, {enc['encode_s']:.1f} s "
        f"(cache hit: {enc['cached']}), peak {enc['peak_mb']:.0f} MB"
    )
    t = time.perf_counter()
    b = run_child("--data", str(args.data), "--split", args.split, "--order", str(args.order), "--step", "build", out)
    wall = time.perf_counter() - t
    print(f"\nmodified Kneser-Ney {args.order}-gram, whitespace tokens, every word kept (as lmplz)")
    print("| stage | seconds | peak RSS so far (MB) |\n|---|---|---|")
    print(f"| read encoded corpus (cache) | {b['read_s']:.1f} | {b['peak_after_encode_mb']:,.0f} |")
    print(f"| count orders 1..{args.order} | {b['count_s']:.1f} | {b['peak_after_count_mb']:,.0f} |")
    print(f"| estimate | {b['estimate_s']:.1f} | {b['peak_after_estimate_mb']:,.0f} |")
    print(f"| write .wsq | {b['write_s']:.1f} | {b['peak_mb']:,.0f} |")
    print(f"\nwall time of the build process {wall:.0f} s")
    print("n-grams by order: " + ", ".join(f"{x:,}" for x in b["ngrams"]) + f" (total {sum(b['ngrams']):,})")
    print("discounts: " + "; ".join("/".join(f"{x:.3f}" for x in d) for d in b["discounts"]))
    ratio = b["peak_mb"] / b["file_mb"]
    print(
        f"model file {b['file_mb']:,.0f} MB; peak RSS {b['peak_mb']:,.0f} MB = {ratio:.2f}x the model "
        f"(target < 2x: {'met' if ratio < 2 else 'missed'})"
    )
    os.unlink(out)


if __name__ == "__main__":
    main()
