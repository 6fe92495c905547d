"""Tokenizing + counting + encoding speed on the wiki corpus, beside gensim's vocabulary scan.

    python bench/encode_speed.py [--data DIR] [--corpus wiki/train.txt.xz]

Each tool runs in its own subprocess, so wall time and peak memory (ru_maxrss) are per tool. Our runs use
a fresh cache directory, so they include tokenization and encoding, not a cache hit; a second run shows the
cache hit. gensim's scan (Word2Vec.build_vocab on LineSentence, whitespace split) only counts: it neither
normalizes nor keeps the encoded corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))

OURS = """
import sys, time, json, resource
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer
kind = sys.argv[2]
tok = Tokenizer("whitespace") if kind == "whitespace" else Tokenizer(
    "word", lower=True, keep_apostrophes=False, keep_hyphens=False, punctuation="drop")
t = time.perf_counter()
enc = encode_corpus(sys.argv[1], tok)
dt = time.perf_counter() - t
print(json.dumps({"tokens": enc.tokens, "types": enc.types, "seconds": dt, "cached": enc.cached,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

GENSIM = """
import sys, time, json, resource, logging
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
t = time.perf_counter()
m = Word2Vec(vector_size=100, min_count=1, workers=1)
m.build_vocab(LineSentence(sys.argv[1]))
dt = time.perf_counter() - t
print(json.dumps({"tokens": m.corpus_total_words, "types": len(m.wv), "seconds": dt,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args: str, env: dict | None = None) -> dict:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    result = json.loads(p.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - t
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--corpus", default="wiki/train.txt.xz")
    args = ap.parse_args()
    corpus = args.data / args.corpus
    if not corpus.exists():
        raise SystemExit(f"benchmark data {corpus} not found (set WORDSEQ_DATA)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env["WORDSEQ_CACHE"] = cache
        for kind in ("whitespace", "word"):
            r = run(OURS, str(corpus), kind, env=env)
            rows.append((f"wordseq encode ({kind})", r))
        r = run(OURS, str(corpus), "whitespace", env=env)
        rows.append(("wordseq encode (whitespace, cache hit)", r))
    rows.append(("gensim build_vocab(LineSentence)", run(GENSIM, str(corpus))))
    print(f"corpus: {corpus}")
    print(f"{'tool':42s} {'tokens':>12s} {'types':>10s} {'seconds':>8s} {'tokens/s':>12s} {'peak MB':>8s}")
    for name, r in rows:
        print(
            f"{name:42s} {r['tokens']:>12,} {r['types']:>10,} {r['seconds']:>8.1f} "
            f"{r['tokens'] / r['seconds']:>12,.0f} {r['rss_mb']:>8.0f}"
        )
    ours, ref = rows[0][1], rows[-1][1]
    print(f"speed ratio wordseq (whitespace) / gensim: {ref['seconds'] / ours['seconds']:.2f}x")


if __name__ == "__main__":
    main()
