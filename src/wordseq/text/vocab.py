"""Vocabulary: tokens <-> ids, ids sorted by frequency, reserved ids for the special tokens.

Saved as UTF-8 text, one ``token<TAB>count`` per line in id order. Backslash escapes (``\\t``, ``\\n``,
``\\r``, ``\\\\``) let any Unicode token round-trip, tabs and newlines included.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

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
    ) -> Vocab:
        """Keep tokens with ``count >= min_count``, most frequent first, at most ``max_size`` in all.

        A special token found in the data (PTB's own ``<unk>``) keeps its reserved id and its count.
        ``counts`` must iterate in first-appearance order for ties to be broken that way (dicts do).
        """
        values = np.fromiter((int(c) for c in counts.values()), dtype=np.int64, count=len(counts))
        return cls.from_count_array(list(counts), values, min_count, max_size, specials)[0]

    @classmethod
    def from_count_array(
        cls,
        tokens: Sequence[str],
        counts: np.ndarray,
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = SPECIALS,
    ) -> tuple[Vocab, np.ndarray]:
        """:meth:`from_counts` for distinct ``tokens`` (first-appearance order) and their ``counts`` array.

        Also returns each given token's id (int32): its own, ``<unk>``'s for a token left out, or -1
        when there is no ``<unk>``. Sorting and selecting happen in numpy, not per token in Python.
        """
        if min_count < 1:
            raise WordseqError(f"min_count must be at least 1, got {min_count}")
        counts = np.asarray(counts, dtype=np.int64)
        if len(tokens) != len(counts):
            raise ValueError("tokens and counts differ in length")
        where = []  # (position in tokens, reserved id) of the specials found in the data
        for i, s in enumerate(specials):
            with contextlib.suppress(ValueError):
                where.append((tokens.index(s), i))
        special_counts = np.zeros(len(specials), dtype=np.int64)
        eligible = counts >= min_count
        for pos, i in where:
            special_counts[i] = counts[pos]
            eligible[pos] = False
        chosen = np.flatnonzero(eligible)
        chosen = chosen[np.argsort(-counts[chosen], kind="stable")]  # stable: ties keep first appearance
        if max_size is not None:
            if max_size < len(specials):
                raise WordseqError(f"max_size {max_size} is smaller than the {len(specials)} special tokens")
            chosen = chosen[: max_size - len(specials)]
        vocab = cls(
            list(specials) + [tokens[i] for i in chosen.tolist()],
            np.concatenate([special_counts, counts[chosen]]),
            specials,
        )
        ids = np.full(len(tokens), -1 if vocab.unk_id is None else vocab.unk_id, dtype=np.int32)
        ids[chosen] = np.arange(len(specials), len(specials) + len(chosen), dtype=np.int32)
        for pos, i in where:
            ids[pos] = i
        if vocab.unk_id is not None:  # the mass of the tokens left out goes to <unk>
            kept = int(counts[chosen].sum()) + sum(int(counts[pos]) for pos, _ in where)
            vocab.counts[vocab.unk_id] += int(counts.sum()) - kept
        return vocab, ids

    @classmethod
    def from_stored(cls, stored: object) -> Vocab:
        """The vocabulary a model file held (``wordseq.io.modelfile.StoredVocab``: itos, counts, specials)."""
        if isinstance(stored, Vocab):
            return stored
        return cls(stored.itos, stored.counts, stored.specials)  # type: ignore[attr-defined]

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], **kwargs) -> Vocab:
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
        tokens = self.itos
        if any(c in "\0".join(tokens) for c in _ESCAPES):  # one scan; escape token by token only if needed
            tokens = [escape_token(t) for t in tokens]
        text = "".join([f"{t}\t{c}\n" for t, c in zip(tokens, self.counts.tolist())])
        with atomic_write(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    @classmethod
    def load(cls, path: str | os.PathLike, specials: Sequence[str] = SPECIALS) -> Vocab:
        """Read a vocabulary file; the leading lines that are special tokens become the specials."""
        tokens: list[str] = []
        counts: list[int] = []
        try:
            with open(path, encoding="utf-8", newline="") as f:
                text = f.read()
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except UnicodeDecodeError as e:
            raise InputError(path, "not UTF-8 text", text_line_of_byte(path, e.start)) from None
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
            if len(parts[1]) > 18 and int(parts[1]) >= 1 << 63:
                raise InputError(path, f"count {parts[1][:30]!r} is too large (the limit is 2^63 - 1)", n)
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
