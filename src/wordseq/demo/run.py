"""``wordseq demo``: one command that shows all of wordseq on the bundled Tiny Shakespeare.

Each area contributes a step ``step(ctx) -> list[str]`` (report lines); the steps run in order and the report
is printed and written to ``report.txt`` in the output folder.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from pathlib import Path

from wordseq.demo.context import DemoContext, bundled_corpus, split_corpus
from wordseq.demo.corpus import corpus_step
from wordseq.demo.embed import embed_step
from wordseq.demo.neural import neural_step
from wordseq.demo.ngram import ngram_step
from wordseq.io.atomic import atomic_write

# Steps in the order they run; the neural model reports its perplexity beside the n-gram model's, from
# ``ctx.results["ngram"]``.
STEPS: list[Callable[[DemoContext], list[str]]] = [corpus_step, embed_step, ngram_step, neural_step]


def run_demo(
    output: str | os.PathLike = "wordseq-demo",
    corpus: str | os.PathLike | None = None,
    seed: int = 0,
    threads: int | None = None,
    quick: bool = False,
    echo: Callable[[str], None] = print,
) -> list[str]:
    """Run every demo step; print and return the report."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    corpus_path = Path(corpus) if corpus else bundled_corpus()
    train, valid = split_corpus(corpus_path, output)
    ctx = DemoContext(corpus_path, output, train, valid, seed, threads, quick)
    report: list[str] = ["wordseq demo", ""]
    echo(report[0])
    for step in STEPS:
        t0 = time.perf_counter()
        lines = step(ctx)
        lines[0] += f"  [{time.perf_counter() - t0:.1f} s]"
        lines.append("")
        for line in lines:
            echo(line)
        report += lines
    report.append(f"results in {output}/")
    echo(report[-1])
    report.append(f"explore the models: wordseq serve {shlex.quote(str(output))}/*.wsq")
    echo(report[-1])
    with atomic_write(output / "report.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(report) + "\n")
    return report
