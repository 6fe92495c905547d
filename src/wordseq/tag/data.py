"""Tagging data as tensors: words (lowercased for the word table), a case class per word, each word's
characters, and tag ids per column; sentences batched by length.

Sorting by length keeps padding small; the batches of an epoch are shuffled (seeded by the epoch), and
equal-length sentences are shuffled before sorting so that batches differ from epoch to epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    """One sentence as ids: word ids, case ids, character ids per word, tag ids per column (-1: unknown)."""

    words: np.ndarray
    cases: np.ndarray
    chars: list[np.ndarray]
    tags: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class Batch:
    """Padded tensors of a batch of sentences (batch-first) and the characters of all its words in order."""

    words: Tensor  # (B, T) word ids, 0 = padding
    cases: Tensor  # (B, T)
    mask: Tensor  # (B, T) bool, true on words
    chars: Tensor  # (N, L) character ids of the N words, row-major over the mask
    char_lengths: Tensor  # (N,)
    tags: dict[str, Tensor]  # column -> (B, T), 0 on padding
    lengths: list[int]
    index: list[int]  # position of each sentence in the data it came from

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
        )


def encode(
    sentences: Sequence[Sequence[str]],
    words: Vocab,
    chars: Vocab,
    lower: bool,
    tags: Mapping[str, Sequence[Sequence[str]]] | None = None,
    tag_index: dict[str, dict[str, int]] | None = None,
    max_word_chars: int = 30,
) -> list[Encoded]:
    """Sentences of words (and, for training or scoring, their tags) as :class:`Encoded` ids."""
    unk = words.unk_id or 0
    cunk = chars.unk_id or 0
    out = []
    for k, ws in enumerate(sentences):
        wid = np.array([words.stoi.get(w.lower() if lower else w, unk) for w in ws], dtype=np.int64)
        cid = np.array([case_id(w) for w in ws], dtype=np.int64)
        ch = [np.array([chars.stoi.get(c, cunk) for c in w[:max_word_chars]] or [cunk], dtype=np.int64) for w in ws]
        tg = {}
        for col, seqs in (tags or {}).items():
            index = (tag_index or {})[col]
            tg[col] = np.array([index.get(t, -1) for t in seqs[k]], dtype=np.int64)
        out.append(Encoded(wid, cid, ch, tg))
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
    all_chars = [c for e in items for c in e.chars]
    L = max(len(c) for c in all_chars)
    chars = np.zeros((len(all_chars), L), dtype=np.int64)
    for i, c in enumerate(all_chars):
        chars[i, : len(c)] = c
    for b, item in enumerate(items):
        n = len(item)
        words[b, :n] = item.words
        cases[b, :n] = item.cases
        mask[b, :n] = True
        for col in cols:
            tags[col][b, :n] = np.maximum(item.tags[col], 0)  # unknown tags (-1) only occur when scoring
    return Batch(
        torch.from_numpy(words),
        torch.from_numpy(cases),
        torch.from_numpy(mask),
        torch.from_numpy(chars),
        torch.tensor([len(c) for c in all_chars], dtype=torch.long),
        {c: torch.from_numpy(t) for c, t in tags.items()},
        lengths,
        list(index),
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
