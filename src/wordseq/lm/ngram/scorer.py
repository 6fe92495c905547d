"""Compiled scoring of backoff-form n-gram tables (numba): one pass over the tokens, as KenLM's query does.

For every token the scorer keeps, as its state, the ids of the n-grams of each order ending at the token
before; the n-gram of order n ending here is the (n-1)-gram context's id times V plus the word, looked up
among the sorted keys of order n. Two ways to look up, both over the model's own arrays (nothing copied,
so memory-mapped tables work unchanged): a binary search over the whole key array (no set-up at all: what a
process scoring one sentence wants) or, once :meth:`CompiledScorer.index` has run, a binary search inside
the short run of keys that share the context (one linear pass per order builds the run offsets).

Text goes in as UTF-8 bytes: splitting on whitespace (the same Unicode whitespace as ``str.split``) and
the vocabulary lookup (a hash table over the words' bytes) are compiled too, so a sentence costs one call.
"""

from __future__ import annotations

import time
from typing import Any

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

# -- whitespace and the vocabulary hash -------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _space(buf, i, n):
    """Length in bytes of the whitespace character at ``buf[i]`` other than ``\\n`` (0: not whitespace).
    The characters ``str.split()`` splits on, in UTF-8."""
    c = buf[i]
    if c == 32 or c == 9 or c == 11 or c == 12 or c == 13 or (28 <= c <= 31):
        return 1
    if c < 0xC2:
        return 0
    if c == 0xC2 and i + 1 < n:
        d = buf[i + 1]
        return 2 if (d == 0x85 or d == 0xA0) else 0
    if i + 2 >= n:
        return 0
    d = buf[i + 1]
    e = buf[i + 2]
    if c == 0xE1:
        return 3 if (d == 0x9A and e == 0x80) else 0
    if c == 0xE2:
        if d == 0x80 and (e <= 0x8A or e == 0xA8 or e == 0xA9 or e == 0xAF):
            return 3
        if d == 0x81 and e == 0x9F:
            return 3
        return 0
    if c == 0xE3:
        return 3 if (d == 0x80 and e == 0x80) else 0
    return 0


@numba.njit(cache=True, inline="always")
def _hash(buf, a, b):
    h = np.uint64(0xCBF29CE484222325)
    for i in range(a, b):
        h = (h ^ np.uint64(buf[i])) * np.uint64(0x100000001B3)
    return h


@numba.njit(cache=True)
def _build_vocab_table(blob, offsets, table):
    mask = np.uint64(len(table) - 1)
    for w in range(len(offsets) - 1):
        s = _hash(blob, offsets[w], offsets[w + 1]) & mask
        while table[s] >= 0:
            s = (s + np.uint64(1)) & mask
        table[s] = w


@numba.njit(cache=True, inline="always")
def _token_end(buf, i, n):
    """End of the token starting at ``buf[i]`` and the hash of its bytes, in one pass."""
    h = np.uint64(0xCBF29CE484222325)
    while i < n:
        c = buf[i]
        if (c <= 32 or c >= 0xC2) and (c == 10 or _space(buf, i, n) > 0):  # only these bytes start whitespace
            break
        h = (h ^ np.uint64(c)) * np.uint64(0x100000001B3)
        i += 1
    return i, h


@numba.njit(cache=True, inline="always")
def _word_id(buf, a, b, h, blob, offsets, table, unk):
    """Vocabulary id of the bytes ``buf[a:b]`` whose hash is ``h`` (``unk`` when not a word of the model)."""
    mask = np.uint64(len(table) - 1)
    s = h & mask
    n = b - a
    while True:
        w = table[s]
        if w < 0:
            return unk
        o = offsets[w]
        if offsets[w + 1] - o == n:
            same = True
            for k in range(n):
                if blob[o + k] != buf[a + k]:
                    same = False
                    break
            if same:
                return w
        s = (s + np.uint64(1)) & mask


# -- the tables as raw addresses ---------------------------------------------------------------------------
# The kernels get every table of every order through one small int64 array of addresses: indexing a tuple of
# arrays by a run-time order costs numba a switch and reference counting at every access (3x slower).
KEYS, SIZE, LOGPROB, LOGBOW, SLOTS, SLOT_COUNT = range(6)


@intrinsic
def _i64p(typingctx, addr):
    sig = types.CPointer(types.int64)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.int64)))

    return sig, codegen


@intrinsic
def _f32p(typingctx, addr):
    sig = types.CPointer(types.float32)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.float32)))

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _find(tab, n, prefix, w, V):
    """Row of the n-gram (prefix row, word) among the sorted keys of order n, or -1 (binary search)."""
    q = prefix * V + w
    keys = _i64p(tab[KEYS, n])
    size = tab[SIZE, n]
    lo = np.int64(0)
    hi = size
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    if lo < size and keys[lo] == q:
        return lo
    return -1


@numba.njit(cache=True, inline="always")
def _probe(tab, n, prefix, w, V):
    """Slot of the n-gram (prefix slot, word) in the hash table of order n, or -1. A slot is 16 bytes: the
    key (int64), then the log10 probability and backoff weight (float32), so one memory read finds all."""
    q = prefix * V + w
    t = _i64p(tab[SLOTS, n])
    size = tab[SLOT_COUNT, n]
    s = _home(q, size)
    while True:
        k = t[2 * s]
        if k == q:
            return s
        if k < 0:
            return -1
        s += 1
        if s == size:
            s = 0


@numba.njit(cache=True, inline="always")
def _home(q, size):
    """The first slot to probe for key q among ``size`` slots (a multiplicative hash, then the high bits
    scaled to the table size: no power-of-two sizes, so tables stay at 1.5 slots per n-gram as KenLM's)."""
    h = (np.uint64(q) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    return np.int64((h * np.uint64(size)) >> np.uint64(32))


@numba.njit(cache=True)
def _build_slots(tab, n, keys, prev_slot, prev_suffix, V, lp, bow, table, slot_of_row, suffix_of_row):
    """Insert the n-grams of order n into ``table`` (int64 pairs; -1 empty) keyed by the slot of their
    context at the order below (the word id at order 1) times V plus the word. Also finds the slot of each
    n-gram's suffix (its last n-1 words) at order n-1, and returns how many n-grams lack theirs."""
    f = table.view(np.float32)
    size = len(table) // 2
    missing = 0
    for r in range(len(keys)):
        k = keys[r]
        p = k // V
        w = k - p * V
        ps = p if n == 2 else prev_slot[p]
        q = ps * V + w
        s = _home(q, size)
        while table[2 * s] >= 0:
            s += 1
            if s == size:
                s = 0
        table[2 * s] = q
        f[4 * s + 2] = lp[r]
        f[4 * s + 3] = bow[r] if len(bow) else np.float32(0.0)
        slot_of_row[r] = s
        suffix = w
        if n > 2:
            sp = prev_suffix[p]  # the suffix of the context, at order n - 2
            suffix = _probe(tab, n - 1, sp, w, V) if sp >= 0 else -1
        suffix_of_row[r] = suffix
        if suffix < 0:
            missing += 1
    return missing


@numba.njit(cache=True, inline="always")
def _step(w, prev, cur, bows, N, V, tab, hashed):
    """Score word ``w`` after the state ``prev`` (for m = 1..N-1 the m-gram ending at the word before: its
    row, or its hash slot when ``hashed``; -1 absent) and leave the n-grams ending here in ``cur`` (their
    backoff weights in ``bows[m]``, and those of ``prev`` in ``bows[N + m]``). Returns (log10, order used)."""
    cur[1] = w
    used = 1
    closed = hashed and tab[SLOT_COUNT, 0] == 1
    lp = np.float64(_f32p(tab[LOGPROB, 1])[w])
    if N > 1:
        bows[1] = np.float64(_f32p(tab[LOGBOW, 1])[w])
    for m in range(2, N + 1):
        p = prev[m - 1]
        c = -1
        if p >= 0:
            if hashed:
                c = _probe(tab, m, p, w, V)
                if c >= 0:
                    f = _f32p(tab[SLOTS, m])
                    lp = np.float64(f[4 * c + 2])
                    bows[m] = np.float64(f[4 * c + 3])
            else:
                c = _find(tab, m, p, w, V)
                if c >= 0:
                    lp = np.float64(_f32p(tab[LOGPROB, m])[c])
                    if m < N:
                        bows[m] = np.float64(_f32p(tab[LOGBOW, m])[c])
        cur[m] = c
        if c >= 0:
            used = m
        elif closed:  # every n-gram's suffix is in the model: no longer n-gram can match
            for j in range(m + 1, N + 1):
                cur[j] = -1
            break
    for m in range(used, N):
        if prev[m] >= 0:
            lp += bows[N + m]
    for m in range(1, N):
        prev[m] = cur[m]
        bows[N + m] = bows[m]
    return lp, used


@numba.njit(cache=True)
def _score_ids(stream, N, V, bos, tab, hashed, out_lp, out_used):
    """log10 probability and order used for every position of an id stream (``<s>`` positions: 0, 0)."""
    prev = np.full(N + 1, -1, np.int64)
    cur = np.full(N + 1, -1, np.int64)
    bows = np.zeros(2 * N + 1, np.float64)
    for i in range(len(stream)):
        w = np.int64(stream[i])
        lp, used = _step(w, prev, cur, bows, N, V, tab, hashed)
        if w == bos:
            lp, used = 0.0, 0
        out_lp[i] = lp
        out_used[i] = used


@numba.njit(cache=True)
def _score_text(buf, N, V, bos, eos, unk, tab, hashed, blob, offsets, table, with_eos, out):
    """Whole-corpus totals of UTF-8 text, one sentence per line (``<s>`` before, ``</s>`` after each; a
    ``</s>`` written in the text ends a sentence too, as in the encoded corpus).
    ``out``: [log10 total (finite), tokens, oov, log10 of oov tokens, zero-probability tokens, sentences]."""
    n = len(buf)
    prev = np.full(N + 1, -1, np.int64)
    cur = np.full(N + 1, -1, np.int64)
    bows = np.zeros(2 * N + 1, np.float64)
    total = 0.0
    oov_lp = 0.0
    tokens = 0
    oov = 0
    zero = 0
    sentences = 0
    i = 0
    at_start = True
    while i <= n:
        if at_start:
            if i == n:
                break
            for m in range(1, N + 1):
                prev[m] = -1
            _step(np.int64(bos), prev, cur, bows, N, V, tab, hashed)
            at_start = False
        if i == n or buf[i] == 10:
            lp, _ = _step(np.int64(eos), prev, cur, bows, N, V, tab, hashed)
            sentences += 1
            if with_eos:
                tokens += 1
                if np.isfinite(lp):
                    total += lp
                else:
                    zero += 1
            at_start = True
            i += 1
            continue
        s = _space(buf, i, n)
        if s > 0:
            i += s
            continue
        a = i
        i, h = _token_end(buf, i, n)
        w = np.int64(_word_id(buf, a, i, h, blob, offsets, table, unk))
        lp, _ = _step(w, prev, cur, bows, N, V, tab, hashed)
        if w == eos:  # a written </s> ends a sentence, as the line end does
            sentences += 1
            at_start = True
        if w == bos or (w == eos and not with_eos):
            continue
        tokens += 1
        if np.isfinite(lp):
            total += lp
            if w == unk:
                oov_lp += lp
        else:
            zero += 1
        if w == unk:
            oov += 1
    out[0] = total
    out[1] = tokens
    out[2] = oov
    out[3] = oov_lp
    out[4] = zero
    out[5] = sentences


@numba.njit(cache=True)
def _score_sentence(buf, N, V, bos, eos, unk, tab, hashed, blob, offsets, table, flags, out, out_used, out_oov):
    """One sentence: flags bit 0 ``<s>`` first, bit 1 ``</s>`` last, bit 2 keep per-token log10, order used
    and whether the word is ``<unk>`` in ``out``, ``out_used``, ``out_oov`` (the caller grows them when too
    short). Returns (total, number of tokens)."""
    n = len(buf)
    prev = np.full(N + 1, -1, np.int64)
    cur = np.full(N + 1, -1, np.int64)
    bows = np.zeros(2 * N + 1, np.float64)
    if flags & 1:
        _step(np.int64(bos), prev, cur, bows, N, V, tab, hashed)
    keep = (flags & 4) != 0
    cap = out.shape[0]
    rows = 0
    total = 0.0
    i = 0
    while i < n:
        s = _space(buf, i, n)
        if s == 0 and buf[i] == 10:
            s = 1
        if s > 0:
            i += s
            continue
        a = i
        i, h = _token_end(buf, i, n)
        w = np.int64(_word_id(buf, a, i, h, blob, offsets, table, unk))
        lp, used = _step(w, prev, cur, bows, N, V, tab, hashed)
        if w == bos:
            lp, used = 0.0, 0
        total += lp
        if keep:
            if rows < cap:
                out[rows] = lp
                out_used[rows] = used
                out_oov[rows] = w == unk
            rows += 1
    if flags & 2:
        lp, used = _step(np.int64(eos), prev, cur, bows, N, V, tab, hashed)
        total += lp
        if keep:
            if rows < cap:
                out[rows] = lp
                out_used[rows] = used
                out_oov[rows] = False
            rows += 1
    return total, rows


# -- the Python side --------------------------------------------------------------------------------------


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    """A read-only C-contiguous view (copied only when the dtype differs), so every table has one numba type
    whether it lives in memory or in a memory-mapped file."""
    a = np.ascontiguousarray(a, dtype=dtype).view()
    a.flags.writeable = False
    return a


class CompiledScorer:
    """The compiled scorer of one backoff-form model: the addresses of its tables (views, not copies, kept
    alive here), the vocabulary hash, and a per-sentence entry point that skips numba's argument dispatch."""

    def __init__(
        self,
        order: int,
        V: int,
        keys: list,
        logprob: list,
        logbow: list,
        vocab_bytes: np.ndarray,
        vocab_offsets: np.ndarray,
        bos: int,
        eos: int,
        unk: int,
    ) -> None:
        self.N, self.V = order, V
        self.bos, self.eos, self.unk = bos, eos, unk
        self.tables: list = []  # every array whose address is in ``tab``, kept alive with the scorer
        self.tab = np.zeros((6, order + 1), np.int64)
        self.keys: list = [None, None]
        self.tables_by_row: dict = {LOGPROB: [None], LOGBOW: [None]}
        for n in range(1, order + 1):
            if n >= 2:
                self.keys.append(self._put(KEYS, n, keys[n], np.int64))
                self.tab[SIZE, n] = len(keys[n])
            self.tables_by_row[LOGPROB].append(self._put(LOGPROB, n, logprob[n], np.float32))
            self.tables_by_row[LOGBOW].append(self._put(LOGBOW, n, logbow[n], np.float32) if n < order else None)
        self.indexed = False
        self.index_seconds = 0.0
        self.blob = _frozen(vocab_bytes, np.uint8)
        self.offsets = _frozen(vocab_offsets, np.int64)
        bits = max(4, int(np.ceil(np.log2(max(V, 1) * 2 + 1))))
        table = np.full(1 << bits, -1, np.int32)
        _build_vocab_table(self.blob, self.offsets, table)
        self.table = _frozen(table, np.int32)
        self._rows = _rows(256)
        self._entry = None
        # bytes of sentences to score one by one before the hash tables are built (their cost amortized)
        self._budget = int(self.tab[SIZE].sum()) // 4

    def _put(self, row: int, n: int, array: np.ndarray, dtype: type) -> np.ndarray:
        a: np.ndarray = np.ascontiguousarray(array, dtype=dtype)
        self.tables.append(a)
        self.tab[row, n] = a.ctypes.data if a.size else 0
        return a

    def index(self) -> None:
        """Hash tables over the n-grams of each order, as KenLM's probing model: a 16-byte slot holds the
        key, the log10 probability and the backoff weight, so a lookup is one memory read instead of a
        binary search's twenty. 24 bytes per n-gram (1.5 slots each)."""
        if self.indexed:
            return
        t0 = time.perf_counter()
        prev = prev_suffix = np.zeros(0, np.int64)
        missing = 0
        for n in range(2, self.N + 1):
            keys = self.keys[n]
            size = int(len(keys) * 1.5) + 8
            table = np.full(2 * size, -1, np.int64)
            slot_of_row = np.empty(len(keys), np.int64)
            suffix_of_row = np.empty(len(keys), np.int64)
            bow = self.tables_by_row[LOGBOW][n] if n < self.N else np.zeros(0, np.float32)
            lp = self.tables_by_row[LOGPROB][n]
            self.tables.append(table)
            self.tab[SLOTS, n] = table.ctypes.data
            self.tab[SLOT_COUNT, n] = size
            missing += _build_slots(
                self.tab, n, keys, prev, prev_suffix, self.V, lp, bow, table, slot_of_row, suffix_of_row
            )
            prev, prev_suffix = slot_of_row, suffix_of_row
        # suffix-closed (every n-gram's last n-1 words are an n-gram of the model, as in every model lmplz
        # or wordseq estimates): a lookup that misses ends the search for longer matches, as in KenLM
        self.tab[SLOT_COUNT, 0] = 1 if missing == 0 else 0
        self.index_seconds = time.perf_counter() - t0
        self.indexed = True
        self._entry = None

    def score_ids(self, stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log10 probability and order used at every position of an id stream with ``<s>`` markers."""
        out_lp = np.empty(len(stream), np.float64)
        out_used = np.empty(len(stream), np.int8)
        stream = np.ascontiguousarray(stream, dtype=np.int64)
        _score_ids(stream, self.N, self.V, self.bos, self.tab, self.indexed, out_lp, out_used)
        return out_lp, out_used

    def score_text(self, data: bytes, with_eos: bool = True) -> np.ndarray:
        """Totals of UTF-8 text with one sentence per line (see :func:`_score_text`)."""
        out = np.zeros(6, np.float64)
        buf = np.frombuffer(data, np.uint8)
        _score_text(
            buf, self.N, self.V, self.bos, self.eos, self.unk, self.tab, self.indexed, self.blob, self.offsets,
            self.table, with_eos, out,
        )  # fmt: skip
        return out

    def spend(self, nbytes: int) -> None:
        """Count ``nbytes`` of text about to be scored; past a quarter of the model's n-gram count, the hash
        tables (:meth:`index`) cost less than the binary searches they save, and are built."""
        if not self.indexed:
            self._budget -= nbytes
            if self._budget < 0:
                self.index()

    def _call(self, buf: bytes, flags: int) -> tuple[float, int]:
        entry = self._entry
        if entry is None:
            self.spend(len(buf))
            args: tuple = (self.N, self.V, self.bos, self.eos, self.unk, self.tab, self.indexed, self.blob)
            args = (*args, self.offsets, self.table)
            kernel: Any = _score_sentence
            r = kernel(buf, *args, flags, *self._rows)
            if self.indexed:  # from now on, straight to the compiled code (no argument dispatch)
                sig = tuple(numba.typeof(a) for a in (buf, *args, flags, *self._rows))
                self._args = args
                self._entry = kernel.overloads[sig].entry_point
            return r
        return entry(buf, *self._args, flags, *self._rows)

    def score(self, sentence: bytes, bos: bool = True, eos: bool = True) -> float:
        """Total log10 probability of one sentence given as UTF-8 bytes."""
        return self._call(sentence, (1 if bos else 0) | (2 if eos else 0))[0]

    def full_scores(self, sentence: bytes, bos: bool = True, eos: bool = True) -> list[tuple[float, int, bool]]:
        """Per-token (log10 prob, order used, is ``<unk>``) of one sentence given as UTF-8 bytes."""
        flags = (1 if bos else 0) | (2 if eos else 0) | 4
        rows = self._call(sentence, flags)[1]
        if rows > len(self._rows[0]):
            self._rows = _rows(rows * 2)
            self._call(sentence, flags)
        lp, used, oov = self._rows
        return list(zip(lp[:rows].tolist(), used[:rows].tolist(), oov[:rows].tolist()))


def _rows(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(n, np.float64), np.zeros(n, np.int64), np.zeros(n, np.bool_)
