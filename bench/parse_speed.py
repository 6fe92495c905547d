"""Greedy parsing speed of the Chen & Manning parser on the EWT test set (2,077 sentences), 1 and 2 threads.

    WORDSEQ_DATA=/path/to/data python bench/parse_speed.py --model cm-cube.wsq

Times ``parser.evaluate(test file, gold_tags=True)`` (reading the file, parsing, scoring: the figure the
target counts) and ``parse_trees`` alone, with the compiled decoder and with the Python one (the same trees,
checked), in sentences per second of wall time and per CPU-second of this process (time.process_time): on a
shared machine CPU time is the steadier figure. Each figure is the best of ``--passes`` passes after one
warm-up pass; the first call's time (numba's compilation, or loading its cache) is reported apart.

Without ``--model`` it trains a parser for one epoch on the first 3,000 training sentences: speed does not
depend on how well the weights are trained.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))


def best_of(passes: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall and best CPU seconds of ``passes`` calls, and the last result."""
    wall = cpu = float("inf")
    out = None
    for _ in range(passes):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a saved Chen & Manning parser to time instead of a freshly trained one")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--no-python", action="store_true", help="skip timing the Python decoder")
    args = ap.parse_args()
    ewt = DATA / "ud_english_ewt"
    if not ewt.exists():
        raise SystemExit(f"benchmark data {ewt} not found (set WORDSEQ_DATA)")

    import torch

    from wordseq.parse import ChenManningParser
    from wordseq.parse.treebank import read_treebank

    test_path = ewt / "en_ewt-ud-test.conllu"
    if args.model:
        parser = ChenManningParser.load(args.model)
    else:
        torch.set_num_threads(1)
        parser = ChenManningParser()
        parser.config.train.epochs = 1
        parser.fit(read_treebank(ewt / "en_ewt-ud-train.conllu")[:3000], log=None)
    test = read_treebank(test_path)
    n = len(test)
    print(f"{n:,} sentences, {sum(map(len, test)):,} words; system {parser.config.system}")
    t0 = time.perf_counter()
    parser.parse_trees(test[:1])
    print(f"first call (numba compilation or cache load, pre-computed tables): {time.perf_counter() - t0:.2f} s")
    for threads in args.threads:
        torch.set_num_threads(threads)
        parser.evaluate(test_path, gold_tags=True)  # warm-up
        wall, cpu, score = best_of(args.passes, lambda: parser.evaluate(test_path, gold_tags=True))
        print(
            f"threads {threads}  evaluate          {n / wall:6,.0f} sentences/s wall  {n / cpu:6,.0f} per CPU-s"
            f"  UAS {score.uas:.6f} LAS {score.las:.6f}"
        )
        wall, cpu, compiled = best_of(args.passes, lambda: parser.parse_trees(test))
        print(f"threads {threads}  parse, compiled  {n / wall:6,.0f} sentences/s wall  {n / cpu:6,.0f} per CPU-s")
        if not args.no_python:
            wall, cpu, python = best_of(args.passes, lambda: parser.parse_trees(test, compiled=False))
            same = "same trees" if python == compiled else "TREES DIFFER"
            print(
                f"threads {threads}  parse, Python    {n / wall:6,.0f} sentences/s wall  {n / cpu:6,.0f} per CPU-s"
                f"  ({same})"
            )


if __name__ == "__main__":
    main()
