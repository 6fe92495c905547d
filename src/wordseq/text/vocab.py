"""Vocabulary: tokens <-> ids, ids sorted by frequency, reserved ids for the special tokens.

Saved as UTF-8 text, one ``token<TAB>count`` per line in id order. Backslash escapes (``\\t``, ``\\n``,
``\\r``, ``\\\\``) let any Unicode token round-trip, tabs and newlines included.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.io.atomic import atomic_write

UNK, PAD, BOS, EOS = "<unk>", "<pad>", "<s>", "</s>"
SPECIALS: tuple[str, ...] = (UNK, PAD, BOS, EOS)

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape_token(token: str) -> str:
    if not any(c in token for c in _ESCAPES):
        return token
    return "".join(_ESCAPES.get(c, c) for c in token)


def unescape_token(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in _UNESCAPES:
                raise ValueError(f"bad escape in {text!r}")
            out.append(_UNESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Vocab:
    """A fixed vocabulary. ``specials`` take ids 0..k-1; other tokens follow by falling count.

    Ties in count are broken by the token's first appearance (or by the order given), so ids are
    deterministic. Unknown tokens map to ``<unk>`` when it is among the specials.
    """

    def __init__(self, tokens: Sequence[str], counts: Sequence[int] | np.ndarray, specials: Sequence[str] = ()) -> None:
        if len(tokens) != len(counts):
            raise ValueError("tokens and counts differ in length")
        self.itos: list[str] = list(tokens)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.specials: tuple[str, ...] = tuple(specials)
        if list(self.itos[: len(self.specials)]) != list(self.specials):
            raise ValueError("special tokens must come first")
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dup = next(t for t, c in Counter(self.itos).items() if c > 1)
            raise WordseqError(f"vocabulary has the token {dup!r} twice")
        self.unk_id: int | None = self.stoi.get(UNK) if UNK in self.specials else None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = SPECIALS,
    ) -> "Vocab":
        """Keep tokens with ``count >= min_count``, most frequent first, at most ``max_size`` in all.

        A special token found in the data (PTB's own ``<unk>``) keeps its reserved id and its count.
        ``counts`` must iterate in first-appearance order for ties to be broken that way (dicts do).
        """
        if min_count < 1:
            raise WordseqError(f"min_count must be at least 1, got {min_count}")
        special_counts = [int(counts.get(s, 0)) for s in specials]
        items = [(t, int(c)) for t, c in counts.items() if c >= min_count and t not in specials]
        items.sort(key=lambda tc: -tc[1])  # stable: ties keep first-appearance order
        if max_size is not None:
            if max_size < len(specials):
                raise WordseqError(f"max_size {max_size} is smaller than the {len(specials)} special tokens")
            items = items[: max_size - len(specials)]
        tokens = list(specials) + [t for t, _ in items]
        freq = special_counts + [c for _, c in items]
        vocab = cls(tokens, freq, specials)
        if vocab.unk_id is not None:
            kept = set(tokens)
            dropped = sum(c for t, c in counts.items() if t not in kept)
            vocab.counts[vocab.unk_id] += dropped
        return vocab

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], **kwargs) -> "Vocab":
        """Count tokens from an iterable of token lists and build the vocabulary."""
        counter: Counter[str] = Counter()
        for tokens in token_lists:
            counter.update(tokens)
        return cls.from_counts(counter, **kwargs)

    # -- lookups ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        i = self.stoi.get(token)
        if i is None:
            if self.unk_id is None:
                raise KeyError(token)
            return self.unk_id
        return i

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Vocab)
            and self.itos == other.itos
            and self.specials == other.specials
            and np.array_equal(self.counts, other.counts)
        )

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, {len(self.specials)} specials)"

    def id(self, token: str) -> int:
        return self[token]

    def token(self, i: int) -> str:
        return self.itos[i]

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Token ids as int32; unknown tokens become ``<unk>`` (a KeyError without one)."""
        get, unk = self.stoi.get, self.unk_id
        ids = [get(t, unk) for t in tokens]
        if unk is None and None in ids:
            missing = next(t for t in tokens if t not in self.stoi)
            raise KeyError(missing)
        return np.array(ids, dtype=np.int32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        itos = self.itos
        return [itos[int(i)] for i in ids]

    @property
    def n_specials(self) -> int:
        return len(self.specials)

    # -- files --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write ``token<TAB>count`` lines in id order (atomically)."""
        lines = [f"{escape_token(t)}\t{int(c)}\n" for t, c in zip(self.itos, self.counts)]
        with atomic_write(path, "w", encoding="utf-8", newline="") as f:
            f.writelines(lines)

    @classmethod
    def load(cls, path: str | os.PathLike, specials: Sequence[str] = SPECIALS) -> "Vocab":
        """Read a vocabulary file; the leading lines that are special tokens become the specials."""
        tokens: list[str] = []
        counts: list[int] = []
        try:
            with open(path, encoding="utf-8", newline="") as f:
                text = f.read()
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except UnicodeDecodeError as e:
            line = text_line_of_byte(path, e.start)
            raise InputError(path, "not UTF-8 text", line) from None
        except IsADirectoryError:
            raise InputError(path, "is a directory, not a vocabulary file") from None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not lines:
            raise InputError(path, "empty vocabulary file")
        seen: set[str] = set()
        for n, line in enumerate(lines, 1):
            parts = line.split("\t")
            if len(parts) != 2:
                raise InputError(path, f"expected 'token<TAB>count', found {len(parts) - 1} tabs", n)
            try:
                token = unescape_token(parts[0])
            except ValueError as e:
                raise InputError(path, str(e), n) from None
            if not parts[1].isdigit():
                raise InputError(path, f"count {parts[1]!r} is not a non-negative integer", n)
            if token in seen:
                raise InputError(path, f"token {token!r} appears twice", n)
            seen.add(token)
            tokens.append(token)
            counts.append(int(parts[1]))
        k = 0
        while k < len(tokens) and k < len(specials) and tokens[k] in specials:
            k += 1
        return cls(tokens, counts, tokens[:k])


def text_line_of_byte(path: str | os.PathLike, offset: int) -> int:
    """1-based line number of a byte offset in a file."""
    with open(path, "rb") as f:
        return f.read(offset).count(b"\n") + 1
