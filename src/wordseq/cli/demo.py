"""``wordseq demo``: the main job, on the bundled corpus."""

from __future__ import annotations

import argparse


def register(sub, parents) -> None:
    p = sub.add_parser(
        "demo",
        parents=parents,
        help="show all of wordseq on the bundled Tiny Shakespeare",
        description="Train and evaluate every kind of model on the bundled corpus (a few minutes on "
        "2 cores) and write the results and a report to a folder.",
    )
    p.add_argument("-o", "--output", default="wordseq-demo", help="results folder (default ./wordseq-demo/)")
    p.add_argument("--corpus", help="use this text file instead of the bundled corpus")
    p.add_argument("--quick", action="store_true", help="a much smaller run (seconds), for a smoke test")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wordseq.demo import run_demo

    run_demo(args.output, args.corpus, seed=args.seed, threads=args.threads, quick=args.quick)
    return 0
