"""The benchmark corpus slice shared by the word-vector benchmarks: the first N tokens of the Wikipedia text."""

from __future__ import annotations

import lzma
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_slice(src: Path, n_tokens: int, dest: Path) -> int:
    """The first ``n_tokens`` tokens of ``src``, lowercased, split on non-alphanumerics, one line per line."""
    sys.path.insert(0, str(ROOT / "src"))
    from wordseq.text.tokenize import Tokenizer

    tok = Tokenizer("word", lower=True, keep_apostrophes=False, keep_hyphens=False, punctuation="drop")
    n = 0
    with lzma.open(src, "rt", encoding="utf-8", errors="replace") as f, open(dest, "w", encoding="utf-8") as out:
        for line in f:
            tokens = tok(line)
            if not tokens:
                continue
            tokens = tokens[: n_tokens - n]
            out.write(" ".join(tokens) + "\n")
            n += len(tokens)
            if n >= n_tokens:
                break
    return n
