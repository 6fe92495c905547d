"""Tagging data as tensors: words (lowercased for the word table), a case class per word, each word's
characters, and tag ids per column; sentences batched by length.

Sorting by length keeps padding small; the batches of an epoch are shuffled (seeded by the epoch), and
equal-length sentences are shuffled before sorting so that batches differ from epoch to epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from wordseq.text.vocab import Vocab

CASES = ("<pad>", "lower", "upper", "title", "digit", "other")
"""Case classes: the word table is lowercased, so capitalisation reaches the model through these."""


def case_id(word: str) -> int:
    if any(c.isdigit() for c in word):
        return 4
    if word.islower():
        return 1
    if word.isupper():
        return 2
    if word[:1].isupper() and word[1:].islower():
        return 3
    return 5


@dataclass
class Encoded:
    """One sentence as ids: word ids, case ids, character ids per word, tag ids per column (-1: unknown), and
    ids per input column (1: unknown)."""

    words: np.ndarray
    cases: np.ndarray
    chars: list[np.ndarray]
    tags: dict[str, np.ndarray]
    feats: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class Batch:
    """Padded tensors of a batch of sentences (batch-first) and the characters of all its words in order."""

    words: Tensor  # (B, T) word ids, 0 = padding
    cases: Tensor  # (B, T)
    mask: Tensor  # (B, T) bool, true on words
    chars: Tensor  # (U, L) character ids of the U distinct word forms of the batch
    char_lengths: Tensor  # (U,)
    tags: dict[str, Tensor]  # column -> (B, T), 0 on padding
    lengths: list[int]
    index: list[int]  # position of each sentence in the data it came from
    char_index: Tensor | None = None  # (N,) row of ``chars`` of each of the N words, row-major over the mask
    feats: dict[str, Tensor] = field(default_factory=dict)  # input column -> (B, T) ids, 0 on padding

    @property
    def tokens(self) -> int:
        return sum(self.lengths)

    def to(self, device: torch.device) -> Batch:
        if device.type == "cpu":
            return self
        return Batch(
            self.words.to(device),
            self.cases.to(device),
            self.mask.to(device),
            self.chars.to(device),
            self.char_lengths.to(device),
            {k: v.to(device) for k, v in self.tags.items()},
            self.lengths,
            self.index,
            self.char_index.to(device) if self.char_index is not None else None,
            {k: v.to(device) for k, v in self.feats.items()},
        )


def encode(
    sentences: Sequence[Sequence[str]],
    words: Vocab,
    chars: Vocab,
    lower: bool,
    tags: Mapping[str, Sequence[Sequence[str]]] | None = None,
    tag_index: dict[str, dict[str, int]] | None = None,
    max_word_chars: int = 30,
    feats: Mapping[str, Sequence[Sequence[str]]] | None = None,
    feat_index: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Encoded]:
    """Sentences of words (and, for training or scoring, their tags; and the values of the input columns
    ``feats``, looked up in ``feat_index``, unknown ones as 1) as :class:`Encoded` ids."""
    unk = words.unk_id or 0
    cunk = chars.unk_id or 0
    seen: dict[str, tuple[int, int, np.ndarray]] = {}  # word form -> (word id, case id, character ids)

    def form(w: str) -> tuple[int, int, np.ndarray]:
        ids = np.array([chars.stoi.get(c, cunk) for c in w[:max_word_chars]] or [cunk], dtype=np.int64)
        seen[w] = (words.stoi.get(w.lower() if lower else w, unk), case_id(w), ids)
        return seen[w]

    out = []
    for k, ws in enumerate(sentences):
        rows = [seen.get(w) or form(w) for w in ws]
        wid = np.array([r[0] for r in rows], dtype=np.int64)
        cid = np.array([r[1] for r in rows], dtype=np.int64)
        ch = [r[2] for r in rows]
        tg = {}
        for col, seqs in (tags or {}).items():
            index = (tag_index or {})[col]
            tg[col] = np.array([index.get(t, -1) for t in seqs[k]], dtype=np.int64)
        fs = {}
        for col, seqs in (feats or {}).items():
            values = (feat_index or {})[col]
            fs[col] = np.array([values.get(v, 1) for v in seqs[k]], dtype=np.int64)
        out.append(Encoded(wid, cid, ch, tg, fs))
    return out


def make_batch(items: Sequence[Encoded], index: Sequence[int]) -> Batch:
    """Pad a list of sentences into one :class:`Batch` (sentences of length 0 are not allowed)."""
    lengths = [len(e) for e in items]
    B, T = len(items), max(lengths)
    words = np.zeros((B, T), dtype=np.int64)
    cases = np.zeros((B, T), dtype=np.int64)
    mask = np.zeros((B, T), dtype=bool)
    cols = list(items[0].tags)
    tags = {c: np.zeros((B, T), dtype=np.int64) for c in cols}
    feats = {c: np.zeros((B, T), dtype=np.int64) for c in items[0].feats}
    # each distinct spelling once: the character network runs on those, and every word takes its row
    rows: dict[bytes, int] = {}
    distinct: list[np.ndarray] = []
    char_index = np.empty(sum(lengths), dtype=np.int64)
    n = 0
    for e in items:
        for c in e.chars:
            key = c.tobytes()
            row = rows.get(key)
            if row is None:
                row = rows[key] = len(distinct)
                distinct.append(c)
            char_index[n] = row
            n += 1
    L = max(len(c) for c in distinct)
    chars = np.zeros((len(distinct), L), dtype=np.int64)
    for i, c in enumerate(distinct):
        chars[i, : len(c)] = c
    for b, item in enumerate(items):
        n = len(item)
        words[b, :n] = item.words
        cases[b, :n] = item.cases
        mask[b, :n] = True
        for col in cols:
            tags[col][b, :n] = np.maximum(item.tags[col], 0)  # unknown tags (-1) only occur when scoring
        for col, ids in item.feats.items():
            feats[col][b, :n] = ids
    return Batch(
        torch.from_numpy(words),
        torch.from_numpy(cases),
        torch.from_numpy(mask),
        torch.from_numpy(chars),
        torch.tensor([len(c) for c in distinct], dtype=torch.long),
        {c: torch.from_numpy(t) for c, t in tags.items()},
        lengths,
        list(index),
        torch.from_numpy(char_index),
        {c: torch.from_numpy(f) for c, f in feats.items()},
    )


def length_batches(
    lengths: Sequence[int], batch_size: int, max_tokens: int = 0, rng: np.random.Generator | None = None
) -> list[list[int]]:
    """Indices of non-empty sentences grouped by length: at most ``batch_size`` sentences and (if given)
    about ``max_tokens`` padded tokens per batch. With ``rng``, ties are broken at random and the batches
    come in random order; without it the grouping is deterministic (longest first)."""
    idx = np.array([i for i, n in enumerate(lengths) if n > 0], dtype=np.int64)
    if rng is not None:
        idx = idx[rng.permutation(len(idx))]
    lens = np.array([lengths[i] for i in idx], dtype=np.int64)
    order = idx[np.argsort(-lens, kind="stable")]
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order.tolist():
        longest = lengths[cur[0]] if cur else lengths[i]
        if cur and (len(cur) >= batch_size or (max_tokens and longest * (len(cur) + 1) > max_tokens)):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    if rng is not None:
        batches = [batches[j] for j in rng.permutation(len(batches)).tolist()]
    return batches
