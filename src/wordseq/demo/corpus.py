"""The demo's first step: count the bundled corpus and write its vocabulary."""

from __future__ import annotations

from wordseq.demo.context import DemoContext
from wordseq.text.encode import corpus_report, encode_corpus


def corpus_step(ctx: DemoContext) -> list[str]:

    enc = encode_corpus(ctx.train, desc="counting")
    enc.vocab.save(ctx.output / "vocab.tsv")
    ctx.results["corpus"] = enc
    return (
        [f"corpus: {ctx.corpus.name} (train {ctx.train.name}, valid {ctx.valid.name})"]
        + ["  " + line for line in corpus_report(enc, [10, 100, 1000])]
        + [f"  vocabulary written to {ctx.output / 'vocab.tsv'}"]
    )
