"""What the demo's steps share: the bundled corpus, its train/valid split, and the language-model data that
every demo LM uses so that their perplexities compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from wordseq.io.atomic import atomic_write


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
