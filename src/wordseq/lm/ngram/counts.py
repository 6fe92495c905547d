"""Counting every n-gram of order 1..N with packed integer keys, order by order, in chunks.

An n-gram is stored as one int64 key: ``prefix_id * V + last_word``, where ``prefix_id`` is the index of
its (n-1)-word prefix in the sorted key array of order n-1 (for order 1 the id is the word id itself).
Sorting keys therefore groups n-grams by context, which is what the estimators and the scorer need, and
the key fits in 64 bits for any order (the number of distinct prefixes times the vocabulary size).

The corpus is the id stream of :func:`wordseq.text.encode.encode_corpus` (``</s>`` after every line) with
one ``<s>`` put before every sentence, as KenLM's ``lmplz`` does. An n-gram may start with ``<s>`` and end
with ``</s>`` but never contains them inside, so no n-gram crosses a sentence boundary.

Order n is counted from the ids of order n-1 at every corpus position: keys of a chunk of positions are
sorted and run-length counted with numpy, and the sorted chunk counts are merged (a linear merge of two
sorted runs, numba). Memory is bounded by the distinct n-grams of one order plus one chunk; the per-position ids
of the previous order live in a memory-mapped temporary file when the corpus is large.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field

import numba
import numpy as np

from wordseq.errors import WordseqError
from wordseq.progress import progress
from wordseq.text.vocab import BOS, EOS, PAD, Vocab

CHUNK = 1 << 22  # corpus positions per chunk
_MEMMAP_ABOVE = 1 << 26  # corpus positions above which per-position ids go to a temporary file


@dataclass
class NgramCounts:
    """Raw counts of every order. Lists are indexed by order; index 0 is unused.

    ``keys[n]`` (n >= 2): sorted int64 keys ``prefix_id * V + word``; order 1 has no keys (id = word id).
    ``counts[n]``: raw counts (int64) aligned with the keys (order 1: one per vocabulary entry).
    ``suffix[n]`` (n >= 2): id of each n-gram's (n-1)-word suffix at order n-1.
    ``bos_first[n]``: True where the n-gram starts with ``<s>``.
    """

    order: int
    vocab: Vocab
    keys: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    suffix: list = field(default_factory=list)
    bos_first: list = field(default_factory=list)
    tokens: int = 0  # predicted tokens in the corpus (</s> included, <s> not)
    sentences: int = 0

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def sizes(self) -> list[int]:
        """Distinct n-grams of each order 1..N (order 1: vocabulary entries seen, </s> included)."""
        uni = int(np.count_nonzero(self.counts[1]))
        return [uni] + [len(self.keys[n]) for n in range(2, self.order + 1)]

    def prefix(self, n: int) -> np.ndarray:
        """Context (prefix) ids at order n-1 of the n-grams of order n."""
        return self.keys[n] // self.vocab_size


def special_ids(vocab: Vocab) -> tuple[int, int, int]:
    """Ids of ``<s>``, ``</s>`` and ``<pad>`` (-1 when the vocabulary has no ``<pad>``)."""
    for token in (BOS, EOS):
        if token not in vocab.stoi:
            raise WordseqError(f"the vocabulary has no {token} entry, which n-gram models need")
    return vocab.stoi[BOS], vocab.stoi[EOS], vocab.stoi.get(PAD, -1)


def add_sentence_starts(ids: np.ndarray, bos: int, eos: int) -> np.ndarray:
    """The id stream with ``<s>`` before every sentence (a final line without ``</s>`` gets one)."""
    ids = np.asarray(ids, dtype=np.int32)
    if len(ids) and ids[-1] != eos:
        ids = np.append(ids, np.int32(eos))
    ends = np.flatnonzero(ids == eos)
    starts = np.concatenate([[0], ends[:-1] + 1]) if len(ends) else np.zeros(0, np.int64)
    return np.insert(ids, starts, np.int32(bos))


@numba.njit(cache=True)
def _merge_into(buf_k, buf_c, na, bk, bc):
    """Merge sorted (bk, bc) into the sorted run buf[:na] in place, from the back (the buffers have room for
    na + len(bk) entries), summing equal keys; returns the new length. No second copy of the run is made."""
    i = na - 1
    j = len(bk) - 1
    w = na + len(bk) - 1
    while j >= 0:
        if i >= 0 and buf_k[i] > bk[j]:
            buf_k[w] = buf_k[i]
            buf_c[w] = buf_c[i]
            i -= 1
        elif i >= 0 and buf_k[i] == bk[j]:
            buf_k[w] = buf_k[i]
            buf_c[w] = buf_c[i] + bc[j]
            i -= 1
            j -= 1
        else:
            buf_k[w] = bk[j]
            buf_c[w] = bc[j]
            j -= 1
        w -= 1
    gap = w - i  # slots freed by equal keys: close the gap
    end = na + len(bk)
    if gap > 0:
        for t in range(w + 1, end):
            buf_k[t - gap] = buf_k[t]
            buf_c[t - gap] = buf_c[t]
    return end - gap


class _Scratch:
    """Per-position id arrays: in memory for small corpora, memory-mapped temporary files otherwise."""

    def __init__(self, length: int, stack: ExitStack) -> None:
        self.length = length
        self.stack = stack
        self.dir = None
        self.keep_dir = None
        if length > _MEMMAP_ABOVE:
            self.dir = self.keep_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="wordseq-ngram-"))

    def new(self, name: str, dtype=np.int32) -> np.ndarray:
        if self.dir is None:
            return np.full(self.length, -1, dtype=dtype)
        arr = np.lib.format.open_memmap(
            os.path.join(self.dir, f"{name}.npy"), mode="w+", dtype=dtype, shape=(self.length,)
        )
        arr[:] = -1
        return arr

    def keep(self, name: str, arr: np.ndarray) -> np.ndarray:
        """Keep a chunk's keys until pass 2 in a temporary file (memory-mapped back when needed), so that
        they do not add to the memory of the merge."""
        if self.keep_dir is None:
            self.keep_dir = self.stack.enter_context(tempfile.TemporaryDirectory(prefix="wordseq-ngram-"))
        path = os.path.join(self.keep_dir, f"{name}.npy")
        np.save(path, arr)
        return np.load(path, mmap_mode="r")


def count_ngrams(ids: np.ndarray, vocab: Vocab, order: int, chunk: int = CHUNK, desc: str = "counting") -> NgramCounts:
    """Count every n-gram of order 1..``order`` in an encoded corpus (``</s>`` after each sentence)."""
    if order < 1:
        raise WordseqError(f"the n-gram order must be at least 1, got {order}")
    bos, eos, pad = special_ids(vocab)
    V = len(vocab)
    ids = np.asarray(ids)
    if len(ids) == 0:
        raise WordseqError("empty corpus: nothing to count")
    stream = add_sentence_starts(ids, bos, eos)
    L = len(stream)
    sentences = int(np.count_nonzero(stream == bos))
    longest = int(np.max(np.diff(np.flatnonzero(stream == bos), append=L)))  # <s> ... </s>
    if order > longest:
        raise WordseqError(
            f"order {order} is larger than this corpus allows: its longest sentence has "
            f"{longest - 2} tokens, so the longest n-gram (with <s> and </s>) has {longest} words"
        )
    unigram = np.bincount(stream, minlength=V).astype(np.int64)
    out = NgramCounts(order, vocab, [None, None], [None, unigram], [None, None], [None, np.arange(V) == bos])
    out.tokens = L - sentences
    out.sentences = sentences
    if pad >= 0 and unigram[pad]:
        raise WordseqError(f"the corpus contains {PAD}, which n-gram models do not predict")
    count_type = np.int32 if L < 2**31 - 1 else np.int64  # no count can exceed the corpus length
    bar = progress(total=(order - 1) * 2 * L, desc=desc, unit="pos", unit_scale=True)
    with ExitStack() as stack:
        scratch = _Scratch(L, stack)
        prev = stream  # ids of order 1 at each position (the word ids)
        for n in range(2, order + 1):
            m = L - n + 1  # start positions of n-grams
            starts = range(0, m, chunk)
            single = m <= chunk
            keys = np.zeros(0, np.int64)
            counts = np.zeros(0, count_type)
            if not single:  # room for every position's n-gram: the merge then works in place
                buf_k = np.empty(m, np.int64)
                buf_c = np.empty(m, count_type)
                filled = 0
            cur = scratch.new(f"ids{n}", np.int32 if m < 2**31 - 1 else np.int64)
            chunk_keys: list = []  # each chunk's unique keys until pass 2 (then None)
            # pass 1: count each chunk (sorted unique keys), merge into the order's counts; the chunk-local ids
            # of each position wait in `cur`, the chunk's unique keys in `chunk_keys` (on disk when large)
            for s in starts:
                e = min(s + chunk, m)
                key, valid = _chunk_keys(prev, stream, s, e, n, V, bos, eos)
                uniq, inverse, c = np.unique(key[valid], return_inverse=True, return_counts=True)
                cur[np.flatnonzero(valid) + s] = inverse.reshape(-1)
                if single:
                    keys, counts = uniq, c.astype(count_type)
                else:
                    filled = _merge_into(buf_k, buf_c, filled, uniq, c.astype(count_type))
                    chunk_keys.append(scratch.keep(f"keys{n}.{s}", uniq))
                del key, valid, uniq, inverse, c
                bar.update(e - s)
            if not single:  # give the unused room back (realloc shrinks in place)
                buf_k.resize(filled, refcheck=False)
                buf_c.resize(filled, refcheck=False)
                keys, counts = buf_k, buf_c
                del buf_k, buf_c
            # pass 2: chunk-local ids -> ids in the order's sorted keys (one sorted lookup per chunk)
            suffix = np.zeros(len(keys), prev.dtype)
            bos_first = np.zeros(len(keys), bool)
            for j, s in enumerate(starts):
                e = min(s + chunk, m)
                pos = np.flatnonzero(np.asarray(cur[s:e]) >= 0) + s
                gid = np.asarray(cur[pos]).astype(np.int64)
                if not single:
                    gid = np.searchsorted(keys, chunk_keys[j])[gid]
                    chunk_keys[j] = None
                cur[pos] = gid
                suffix[gid] = prev[pos + 1]
                bos_first[gid] = stream[pos] == bos
                bar.update(e - s)
            out.keys.append(keys)
            out.counts.append(counts.astype(count_type, copy=False))
            out.suffix.append(suffix)
            out.bos_first.append(bos_first)
            prev = cur
    bar.close()
    return out


def _chunk_keys(prev, stream, s, e, n, V, bos, eos):
    """Keys of the n-grams starting at positions s..e-1 and which of them are valid (inside a sentence)."""
    prefix = np.asarray(prev[s:e]).astype(np.int64)
    last = stream[s + n - 1 : e + n - 1]
    before_last = stream[s + n - 2 : e + n - 2]
    valid = (prefix >= 0) & (last != bos) & (before_last != eos)
    return prefix * V + last.astype(np.int64), valid
