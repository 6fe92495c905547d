"""``wordseq demo``: one command that shows all of wordseq on the bundled Tiny Shakespeare.

Each area contributes a step ``demo_step(ctx) -> list[str]`` (report lines); the steps run in order and
the report is printed and written to ``report.txt`` in the output folder.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from wordseq.io.atomic import atomic_write

# Steps in the order they run; each is "module:function".
STEPS: list[str] = [
    "wordseq.demo:corpus_step",
    "wordseq.embed.demo:embed_step",
    "wordseq.lm.ngram.demo:ngram_step",
    # the neural model reports its perplexity beside the n-gram model's, from ``ctx.results["ngram"]``
    "wordseq.lm.neural.demo:neural_step",
]


def bundled_corpus() -> Path:
    """Path of the bundled Tiny Shakespeare text (public domain, 1,115,394 characters)."""
    return Path(str(resources.files("wordseq") / "data" / "tinyshakespeare.txt"))


@dataclass
class DemoContext:
    """What the steps share: the corpus, its train/valid split (first 90% / last 10% of lines), settings."""

    corpus: Path
    output: Path
    train: Path
    valid: Path
    seed: int = 0
    threads: int | None = None
    quick: bool = False  # a smaller run, for tests
    results: dict = field(default_factory=dict)


def split_corpus(corpus: Path, output: Path, fraction: float = 0.9) -> tuple[Path, Path]:
    """Write the first ``fraction`` of the lines to train.txt and the rest to valid.txt."""
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    n = int(len(lines) * fraction)
    train, valid = output / "train.txt", output / "valid.txt"
    for path, part in ((train, lines[:n]), (valid, lines[n:])):
        with atomic_write(path, "w", encoding="utf-8", newline="") as f:
            f.writelines(part)
    return train, valid


def corpus_step(ctx: DemoContext) -> list[str]:
    from wordseq.cli.vocab import corpus_report
    from wordseq.text.encode import encode_corpus

    enc = encode_corpus(ctx.train, desc="counting")
    enc.vocab.save(ctx.output / "vocab.tsv")
    ctx.results["corpus"] = enc
    return (
        [f"corpus: {ctx.corpus.name} (train {ctx.train.name}, valid {ctx.valid.name})"]
        + ["  " + line for line in corpus_report(enc, [10, 100, 1000])]
        + [f"  vocabulary written to {ctx.output / 'vocab.tsv'}"]
    )


def lm_data(ctx: DemoContext):
    """The language-model data every demo LM shares, so their perplexities compare: lowercased word tokens,
    vocabulary from train.txt (words seen at least twice; the rest are ``<unk>``), one sentence per non-blank
    line with ``</s>`` as a predicted token. Returns ``(train, valid)`` encodings with blank lines dropped."""
    if "lm_data" not in ctx.results:
        from wordseq.text.encode import encode_corpus
        from wordseq.text.tokenize import Tokenizer

        tok = Tokenizer(kind="word", lower=True)
        train = encode_corpus(ctx.train, tok, min_count=2, desc="encoding")
        valid = encode_corpus(ctx.valid, tok, vocab=train.vocab, desc="encoding")
        eos = train.vocab.stoi["</s>"]
        for enc in (train, valid):
            ids = np.asarray(enc.ids)
            blank = (ids == eos) & np.concatenate([[True], ids[:-1] == eos])
            enc.ids = ids[~blank]
        ctx.results["lm_data"] = (tok, train, valid)
    return ctx.results["lm_data"]


def _load_step(spec: str) -> Callable[[DemoContext], list[str]]:
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)


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
    for spec in STEPS:
        t0 = time.perf_counter()
        lines = _load_step(spec)(ctx)
        lines[0] += f"  [{time.perf_counter() - t0:.1f} s]"
        lines.append("")
        for line in lines:
            echo(line)
        report += lines
    report.append(f"results in {output}/")
    echo(report[-1])
    with atomic_write(output / "report.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(report) + "\n")
    return report
