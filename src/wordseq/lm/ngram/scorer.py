"""Compiled scoring of backoff-form n-gram tables (numba): one pass over the tokens, as KenLM's query does.

For every token the scorer keeps, as its state, where the n-grams of each order ending at the token before
are; the n-gram of order n ending here is that (n-1)-gram context times V plus the word, looked up one of two
ways, both exact: a binary search over the model's own sorted keys (no set-up at all, and memory-mapped tables
work unchanged: what a process scoring one sentence wants) or, once :meth:`CompiledScorer.index` has run,
KenLM-style probing hash tables (one memory read per lookup instead of a binary search's twenty).

Text goes in as UTF-8 bytes: splitting on whitespace (the same Unicode whitespace as ``str.split``) and
the vocabulary lookup (a hash table over the words' bytes) are compiled too, so a sentence costs one call.

The kernels see the model through raw addresses in one int64 array, the *context* (sizes, special ids, and
the address of every table), and keep their per-token state in raw memory too: numba counts references to
every array handed to a function, and in a per-token loop those atomic counts cost more than the scoring
(about 20 ns a token).
"""

from __future__ import annotations

import mmap
import time
from typing import Any

import numba
import numpy as np
from numba.core import cgutils, types
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
def _word_id(buf, a, b, h, blob, offsets, table, mask, unk):
    """Vocabulary id of the bytes ``buf[a:b]`` whose hash is ``h`` (``unk`` when not a word of the model);
    ``mask``: the size of ``table`` (a power of two) less one."""
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


# -- raw memory ------------------------------------------------------------------------------------------


def _pointer(item: types.Type) -> Any:
    """An intrinsic that reads an int64 address as a pointer to ``item`` values."""

    @intrinsic
    def pointer(typingctx, addr):
        sig = types.CPointer(item)(types.int64)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(types.CPointer(item)))

        return sig, codegen

    return pointer


_u8p, _i32p, _i64p, _f32p, _f64p = (
    _pointer(t) for t in (types.uint8, types.int32, types.int64, types.float32, types.float64)
)


@intrinsic
def _address(typingctx, a):
    """The address of an array's (or a bytes object's) first item."""
    sig = types.int64(a)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.ptrtoint(data, context.get_value_type(types.int64))

    return sig, codegen


@intrinsic
def _prefetch(typingctx, addr):
    """Ask the CPU to bring the cache line at address ``addr`` in (llvm.prefetch: read, keep, data)."""
    sig = types.void(types.int64)

    def codegen(context, builder, signature, args):
        from llvmlite import ir

        ptr_t = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr_t, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.inttoptr(args[0], ptr_t), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


# -- the context: one int64 array ---------------------------------------------------------------------------
# Its first HEAD items, then for each table kind (KEYS ...) a row of N + 1 items, one per order.
(ORDER, VOCAB, BOS, EOS, UNK, HASHED, CLOSED, VOCAB_BYTES, VOCAB_OFFSETS, VOCAB_TABLE, VOCAB_MASK,
 OUT_LP, OUT_USED, OUT_OOV, OUT_CAP, SCRATCH, SCRATCH_CAP, AHEAD, HEAD) = range(19)  # fmt: skip
KEYS, SIZE, LOGPROB, LOGBOW, SLOTS, SLOT_COUNT = range(6)


@numba.njit(cache=True, inline="always")
def _at(cx, kind, n):
    """The context's item for table ``kind`` of order ``n``."""
    return cx[HEAD + kind * (cx[ORDER] + 1) + n]


@numba.njit(cache=True, inline="always")
def _find(cx, n, prefix, w):
    """Row of the n-gram (prefix row, word) among the sorted keys of order n, or -1 (binary search)."""
    q = prefix * cx[VOCAB] + w
    keys = _i64p(_at(cx, KEYS, n))
    size = _at(cx, SIZE, n)
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
def _home(h, size):
    """The first slot to probe for word hash h among ``size`` slots (a multiplicative hash, then the high bits
    scaled to the table size: no power-of-two sizes, so tables stay at 1.5 slots per n-gram as KenLM's)."""
    g = (np.uint64(h) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    return np.int64((g * np.uint64(size)) >> np.uint64(32))


# An n-gram's slot is placed by a hash of its words alone (not of its context's slot, the exact key): so the
# slots a token will probe are known before the probes of the token before have returned, and the memory reads
# of consecutive tokens overlap. The hash of the empty sequence, and one word more:
_SEED = np.int64(0x2545F4914F6CDD1D)


@numba.njit(cache=True, inline="always")
def _extend(h, w):
    return h * np.int64(0x5851F42D4C957F2D) + w + np.int64(1)


@numba.njit(cache=True, inline="always")
def _probe(cx, n, prefix, w, h):
    """Slot of the n-gram (prefix slot, word) in the hash table of order n, or -1; ``h`` is the hash of its
    words (:func:`_extend`), which places it. A slot is 16 bytes: the key (int64), then the log10
    probability and backoff weight (float32), so one memory read finds all."""
    q = prefix * cx[VOCAB] + w
    t = _i64p(_at(cx, SLOTS, n))
    size = _at(cx, SLOT_COUNT, n)
    s = _home(h, size)
    while True:
        k = t[2 * s]
        if k == q:
            return s
        if k < 0:
            return -1
        s += 1
        if s == size:
            s = 0


@numba.njit(cache=True)
def _build_slots(context, n, keys, prev, lp, bow, table, this):
    """Insert the n-grams of order n into ``table`` (int64 pairs; -1 empty) keyed by the slot of their
    context at the order below (the word id at order 1) times V plus the word, placed by the hash of their
    words. Also finds the slot of each n-gram's suffix (its last n-1 words) at order n-1, and returns how many
    n-grams lack theirs. ``prev`` and ``this`` hold, per row of orders n-1 and n: [slot, suffix slot, hash
    of the words, hash of the suffix's words]."""
    cx = _i64p(_address(context))
    V = cx[VOCAB]
    f = table.view(np.float32)
    size = len(table) // 2
    missing = 0
    for r in range(len(keys)):
        k = keys[r]
        p = k // V
        w = k - p * V
        if n == 2:
            ps, sp, ph, psh = p, np.int64(-1), _extend(_SEED, p), _SEED
        else:
            ps, sp, ph, psh = prev[p, 0], prev[p, 1], prev[p, 2], prev[p, 3]
        q = ps * V + w
        h = _extend(ph, w)
        sh = _extend(psh, w)
        s = _home(h, size)
        while table[2 * s] >= 0:
            s += 1
            if s == size:
                s = 0
        table[2 * s] = q
        f[4 * s + 2] = lp[r]
        f[4 * s + 3] = bow[r] if len(bow) else np.float32(0.0)
        suffix = w
        if n > 2:  # sp: the suffix of the context, at order n - 2
            suffix = _probe(cx, n - 1, sp, w, sh) if sp >= 0 else -1
        this[r, 0] = s
        this[r, 1] = suffix
        this[r, 2] = h
        this[r, 3] = sh
        if suffix < 0:
            missing += 1
    return missing


# -- scoring ------------------------------------------------------------------------------------------------
# The state between tokens, in raw memory at address ``st``: for m = 1..N-1, at m the n-gram of order m ending
# at the word before (its row, or its slot when hashed; -1 absent) and at N + 1 + m the hash of its words;
# then the same for the n-grams ending here (from 2N + 2); then backoff weights (float64, from 4N + 4): at m
# those of the n-grams ending here, at N + m those of the word before.


@numba.njit(cache=True, inline="always")
def _scratch(cx):
    """The context's scratch memory (owned by the scorer: a kernel that allocated its own and kept only an
    address would see numba free it after the last use of the array) with the state set for a first word:
    (state address, lookahead hashes, ids, room for ids)."""
    S = 2 * cx[ORDER] + 2
    st = cx[SCRATCH]
    state = _i64p(st)
    for a in range(2 * S):
        state[a] = -1
    for a in range(2 * S, 3 * S):
        state[a] = 0  # backoff weights 0.0
    return st, _i64p(st + 8 * 3 * S), _i64p(st + 8 * 6 * S), cx[SCRATCH_CAP] - 6 * S


@numba.njit(cache=True, inline="always")
def _restart(st, N):
    """Forget the words before (a new sentence)."""
    prev = _i64p(st)
    for m in range(1, N + 1):
        prev[m] = -1


@numba.njit(cache=True, inline="always")
def _step(cx, st, w):
    """Score word ``w`` after the state at ``st``, and move the state past it. Returns (log10, order used)."""
    N = cx[ORDER]
    H = N + 1
    prev = _i64p(st)
    cur = _i64p(st + 8 * (2 * N + 2))
    bows = _f64p(st + 16 * (2 * N + 2))
    hashed = cx[HASHED] != 0
    closed = cx[CLOSED] != 0
    cur[1] = w
    cur[H + 1] = _extend(_SEED, w)
    for m in range(2, N + 1):
        cur[H + m] = _extend(prev[H + m - 1], w)
    used = 1
    lp = np.float64(_f32p(_at(cx, LOGPROB, 1))[w])
    if N > 1:
        bows[1] = np.float64(_f32p(_at(cx, LOGBOW, 1))[w])
    if hashed:  # the probes of every order are independent: start all their memory reads at once
        for m in range(2, N + 1):
            if prev[m - 1] >= 0:
                _prefetch(_at(cx, SLOTS, m) + 16 * _home(cur[H + m], _at(cx, SLOT_COUNT, m)))
    for m in range(2, N + 1):
        p = prev[m - 1]
        c = -1
        if p >= 0:
            if hashed:
                c = _probe(cx, m, p, w, cur[H + m])
                if c >= 0:
                    f = _f32p(_at(cx, SLOTS, m))
                    lp = np.float64(f[4 * c + 2])
                    bows[m] = np.float64(f[4 * c + 3])
            else:
                c = _find(cx, m, p, w)
                if c >= 0:
                    lp = np.float64(_f32p(_at(cx, LOGPROB, m))[c])
                    if m < N:
                        bows[m] = np.float64(_f32p(_at(cx, LOGBOW, m))[c])
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
        prev[H + m] = cur[H + m]
        bows[N + m] = bows[m]
    return lp, used


@numba.njit(cache=True, inline="always")
def _word_at(cx, bp, a, i, h):
    """Vocabulary id of the token ``bp[a:i]`` whose hash is ``h``."""
    return np.int64(
        _word_id(
            bp, a, i, h, _u8p(cx[VOCAB_BYTES]), _i64p(cx[VOCAB_OFFSETS]), _i32p(cx[VOCAB_TABLE]),
            np.uint64(cx[VOCAB_MASK]), cx[UNK],
        )
    )  # fmt: skip


# Scoring is two passes over a block of tokens: the words' ids first, then the n-grams, the slots of the
# n-grams LOOKAHEAD tokens further on prefetched at each step (their places depend on the words alone), so that
# a token's memory reads are under way long before they are needed. In the id stream, NEW_SENTENCE stands for
# a sentence's start: the words before are forgotten and ``<s>`` is read.
LOOKAHEAD = 8
NEW_SENTENCE = -1
BLOCK = 4096  # ids in the scratch memory


@numba.njit(cache=True, inline="always")
def _ahead(cx, ah, w):
    """Prefetch the slots of the n-grams ending at a word further on (``ah``: their words' hashes, rolled). Not
    those of the highest order (but for bigram models): they are probed only when the context of order N-1
    was found, and the step itself prefetches them then; left out, the other reads come sooner (Wikipedia
    KN-5: 5-8% less time a token; PTB: the same)."""
    if w == NEW_SENTENCE:
        w = cx[BOS]
    N = cx[ORDER]
    top = max(2, N - 1)
    for m in range(N, 1, -1):
        ah[m] = _extend(ah[m - 1], w)
        if cx[HASHED] and m <= top:
            _prefetch(_at(cx, SLOTS, m) + 16 * _home(ah[m], _at(cx, SLOT_COUNT, m)))
    ah[1] = _extend(_SEED, w)


@numba.njit(cache=True, inline="always")
def _read(cx, st, ah, ids, j, k):
    """Score ``ids[j]`` (of ``k``) after prefetching for ``ids[j + LOOKAHEAD]``: (log10, order used, word)."""
    d = cx[AHEAD]
    if j == 0:
        for a in range(min(d, k)):
            _ahead(cx, ah, ids[a])
    if j + d < k:
        _ahead(cx, ah, ids[j + d])
    w = ids[j]
    if w == NEW_SENTENCE:
        _restart(st, cx[ORDER])
        w = cx[BOS]
    lp, used = _step(cx, st, w)
    return lp, used, w


@numba.njit(cache=True)
def _score_ids(context, stream, out_lp, out_used):
    """log10 probability and order used for every position of an id stream (``<s>`` positions: 0, 0)."""
    cx = _i64p(_address(context))
    st, ah, _, _ = _scratch(cx)
    ids = _i64p(_address(stream))
    for i in range(len(stream)):
        lp, used, w = _read(cx, st, ah, ids, i, len(stream))
        if w == cx[BOS]:
            lp, used = 0.0, 0
        out_lp[i] = lp
        out_used[i] = used


@numba.njit(cache=True, inline="always")
def _lines_to_ids(cx, bp, i, n, at_start, ids, cap):
    """Word ids of the lines of text at ``bp[i:n]`` into ``ids`` (at most ``cap``), each line's preceded by
    NEW_SENTENCE and followed by ``</s>``; a ``</s>`` written in the text ends a sentence too. Returns where
    it stopped: (byte, whether a sentence starts there, ids written)."""
    k = 0
    eos = cx[EOS]
    while i <= n and k <= cap - 2:
        if at_start:
            if i == n:
                break
            ids[k] = NEW_SENTENCE
            k += 1
            at_start = False
        if i == n or bp[i] == 10:
            ids[k] = eos
            k += 1
            at_start = True
            i += 1
            continue
        s = _space(bp, i, n)
        if s > 0:
            i += s
            continue
        a = i
        i, h = _token_end(bp, i, n)
        w = _word_at(cx, bp, a, i, h)
        ids[k] = w
        k += 1
        if w == eos:
            at_start = True
    return i, at_start, k


@numba.njit(cache=True)
def _score_text(context, buf, with_eos, out):
    """Whole-corpus totals of UTF-8 text, one sentence per line (``<s>`` before, ``</s>`` after each; a
    ``</s>`` written in the text ends a sentence too, as in the encoded corpus).
    ``out``: [log10 total (finite), tokens, oov, log10 of oov tokens, zero-probability tokens, sentences]."""
    cx = _i64p(_address(context))
    bos, eos, unk = cx[BOS], cx[EOS], cx[UNK]
    st, ah, ids, room = _scratch(cx)
    bp = _u8p(_address(buf))
    n = len(buf)
    total = 0.0
    oov_lp = 0.0
    tokens = 0
    oov = 0
    zero = 0
    sentences = 0
    i = 0
    at_start = True
    while i <= n:
        i, at_start, k = _lines_to_ids(cx, bp, i, n, at_start, ids, room)
        if k == 0:
            break
        for j in range(k):
            lp, _, w = _read(cx, st, ah, ids, j, k)
            if w == eos:
                sentences += 1
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


@numba.njit(cache=True, inline="always")
def _words_to_ids(cx, bp, i, n, ids, k, cap):
    """Word ids of the text at ``bp[i:n]`` (line ends are spaces) into ``ids[k:cap]``: (byte reached, ids)."""
    while i < n and k < cap:
        s = _space(bp, i, n)
        if s == 0 and bp[i] == 10:
            s = 1
        if s > 0:
            i += s
            continue
        a = i
        i, h = _token_end(bp, i, n)
        ids[k] = _word_at(cx, bp, a, i, h)
        k += 1
    return i, k


@numba.njit(cache=True, inline="always")
def _sentence(cx, buf, flags):
    """One sentence: flags bit 0 ``<s>`` first, bit 1 ``</s>`` last, bit 2 keep per-token log10, order used
    and whether the word is ``<unk>`` in the context's output rows (the caller grows them when too short).
    Returns (total, number of tokens)."""
    st, ah, ids, room = _scratch(cx)
    bp = _u8p(_address(buf))
    n = len(buf)
    keep = (flags & 4) != 0
    out = _f64p(cx[OUT_LP])
    out_used = _i64p(cx[OUT_USED])
    out_oov = _u8p(cx[OUT_OOV])
    cap = cx[OUT_CAP]
    rows = 0
    total = 0.0
    i = 0
    first = True
    while first or i < n:  # a block of ids at a time (one, unless the sentence is very long)
        k = 0
        if first and flags & 1:
            ids[k] = NEW_SENTENCE
            k += 1
        i, k = _words_to_ids(cx, bp, i, n, ids, k, room - 1)
        if i >= n and flags & 2:
            ids[k] = cx[EOS]
            k += 1
        for j in range(k):
            lp, used, w = _read(cx, st, ah, ids, j, k)
            if first and j == 0 and flags & 1:
                continue
            if w == cx[BOS]:
                lp, used = 0.0, 0
            total += lp
            if keep:
                if rows < cap:
                    out[rows] = lp
                    out_used[rows] = used
                    out_oov[rows] = 1 if w == cx[UNK] else 0
                rows += 1
        first = False
    return total, rows


@numba.njit(cache=True)
def _sentence_total(address, buf, flags):
    """:func:`_sentence`'s total alone (a float back to Python costs less than a tuple)."""
    return _sentence(_i64p(address), buf, flags)[0]


@numba.njit(cache=True)
def _sentence_rows(address, buf, flags):
    """:func:`_sentence`'s number of tokens alone (their scores are in the context's output rows)."""
    return _sentence(_i64p(address), buf, flags)[1]


# -- the Python side --------------------------------------------------------------------------------------


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    """A read-only C-contiguous view (copied only when the dtype differs), so every table has one numba type
    whether it lives in memory or in a memory-mapped file."""
    a = np.ascontiguousarray(a, dtype=dtype).view()
    a.flags.writeable = False
    return a


class CompiledScorer:
    """The compiled scorer of one backoff-form model: its context (sizes, special ids, and the addresses of
    its tables: views, not copies, kept alive here), the vocabulary hash, and a per-sentence entry point that
    skips numba's argument dispatch."""

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
        self.tables: list = []  # every array whose address is in the context, kept alive with the scorer
        self.context = np.zeros(HEAD + 6 * (order + 1), np.int64)
        self.context[[ORDER, VOCAB, BOS, EOS, UNK, AHEAD]] = order, V, bos, eos, unk, LOOKAHEAD
        self.keys: list = [None, None]
        self.tables_by_row: dict = {LOGPROB: [None], LOGBOW: [None]}
        for n in range(1, order + 1):
            if n >= 2:
                self.keys.append(self._put(KEYS, n, keys[n], np.int64))
                self._set(SIZE, n, len(keys[n]))
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
        self.context[[VOCAB_BYTES, VOCAB_OFFSETS, VOCAB_TABLE, VOCAB_MASK]] = (
            _address_of(self.blob), _address_of(self.offsets), _address_of(self.table), len(table) - 1,
        )  # fmt: skip
        self._grow_rows(256)
        self._scratch = np.zeros(6 * (2 * order + 2) + BLOCK, np.int64)
        self.context[[SCRATCH, SCRATCH_CAP]] = _address_of(self._scratch), len(self._scratch)
        self.address = _address_of(self.context)
        self._entries: dict = {}
        # bytes of sentences to score one by one before the hash tables are built (their cost amortized)
        self._budget = sum(len(k) for k in self.keys[2:]) // 4

    def _set(self, kind: int, n: int, value: int) -> None:
        self.context[HEAD + kind * (self.N + 1) + n] = value

    def _put(self, kind: int, n: int, array: np.ndarray, dtype: type) -> np.ndarray:
        a: np.ndarray = np.ascontiguousarray(array, dtype=dtype)
        self.tables.append(a)
        self._set(kind, n, _address_of(a))
        return a

    def _grow_rows(self, n: int) -> None:
        """Output rows for :meth:`full_scores` (log10, order used, is ``<unk>``) with room for ``n`` tokens."""
        self._rows = np.zeros(n, np.float64), np.zeros(n, np.int64), np.zeros(n, np.bool_)
        self.context[[OUT_LP, OUT_USED, OUT_OOV, OUT_CAP]] = *(_address_of(a) for a in self._rows), n

    @property
    def closed(self) -> bool:
        """Whether every n-gram's suffix is an n-gram of the model (known once :meth:`index` has run)."""
        return bool(self.context[CLOSED])

    def index(self) -> None:
        """Hash tables over the n-grams of each order, as KenLM's probing model: a 16-byte slot holds the
        key, the log10 probability and the backoff weight, so a lookup is one memory read instead of a
        binary search's twenty. 24 bytes per n-gram (1.5 slots each)."""
        if self.indexed:
            return
        t0 = time.perf_counter()
        prev = np.zeros((0, 4), np.int64)
        missing = 0
        for n in range(2, self.N + 1):
            keys = self.keys[n]
            size = int(len(keys) * 1.5) + 8
            table = _huge_pages(2 * size, np.int64)
            table.fill(-1)
            this = np.empty((len(keys), 4), np.int64)
            bow = self.tables_by_row[LOGBOW][n] if n < self.N else np.zeros(0, np.float32)
            lp = self.tables_by_row[LOGPROB][n]
            self.tables.append(table)
            self._set(SLOTS, n, _address_of(table))
            self._set(SLOT_COUNT, n, size)
            missing += _build_slots(self.context, n, keys, prev, lp, bow, table, this)
            prev = this
        # suffix-closed (every n-gram's last n-1 words are an n-gram of the model, as in every model lmplz
        # or wordseq estimates): a lookup that misses ends the search for longer matches, as in KenLM
        self.context[CLOSED] = 1 if missing == 0 else 0
        self.context[HASHED] = 1
        self.index_seconds = time.perf_counter() - t0
        self.indexed = True

    def score_ids(self, stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log10 probability and order used at every position of an id stream with ``<s>`` markers."""
        out_lp = np.empty(len(stream), np.float64)
        out_used = np.empty(len(stream), np.int8)
        stream = np.ascontiguousarray(stream, dtype=np.int64)
        _score_ids(self.context, stream, out_lp, out_used)
        return out_lp, out_used

    def score_text(self, data: bytes, with_eos: bool = True) -> np.ndarray:
        """Totals of UTF-8 text with one sentence per line (see :func:`_score_text`)."""
        out = np.zeros(6, np.float64)
        _score_text(self.context, np.frombuffer(data, np.uint8), with_eos, out)
        return out

    def spend(self, nbytes: int) -> None:
        """Count ``nbytes`` of text about to be scored; past a quarter of the model's n-gram count, the hash
        tables (:meth:`index`) cost less than the binary searches they save, and are built."""
        if not self.indexed:
            self._budget -= nbytes
            if self._budget < 0:
                self.index()

    def _sentence(self, kernel: Any, buf: bytes, flags: int) -> Any:
        """``kernel(context, buf, flags)``: through numba's dispatch until the hash tables are built (text is
        counted towards building them), then straight to the compiled code."""
        entry = self._entries.get(kernel)
        if entry is None:
            self.spend(len(buf))
            r = kernel(self.address, buf, flags)
            if self.indexed:
                entry = kernel.overloads[tuple(numba.typeof(a) for a in (self.address, buf, flags))].entry_point
                self._entries[kernel] = entry
            return r
        return entry(self.address, buf, flags)

    def call(self, buf: bytes, flags: int) -> float:
        """Total log10 probability of one sentence of UTF-8 bytes (flags as :func:`_sentence`). Calls the compiled
        entry itself once there is one: :meth:`_sentence`'s frame would add a sixth to the per-sentence cost."""
        entry = self._entries.get(_sentence_total)
        if entry is None:
            return self._sentence(_sentence_total, buf, flags)
        return entry(self.address, buf, flags)

    def score(self, sentence: bytes, bos: bool = True, eos: bool = True) -> float:
        """Total log10 probability of one sentence given as UTF-8 bytes."""
        return self.call(sentence, (1 if bos else 0) | (2 if eos else 0))

    def full_scores(self, sentence: bytes, bos: bool = True, eos: bool = True) -> list[tuple[float, int, bool]]:
        """Per-token (log10 prob, order used, is ``<unk>``) of one sentence given as UTF-8 bytes."""
        flags = (1 if bos else 0) | (2 if eos else 0) | 4
        rows = self._sentence(_sentence_rows, sentence, flags)
        if rows > len(self._rows[0]):
            self._grow_rows(rows * 2)
            self._sentence(_sentence_rows, sentence, flags)
        lp, used, oov = self._rows
        return list(zip(lp[:rows].tolist(), used[:rows].tolist(), oov[:rows].tolist()))


def _address_of(a: np.ndarray) -> int:
    return int(a.ctypes.data) if a.size else 0


def _huge_pages(n: int, dtype: type) -> np.ndarray:
    """An array of ``n`` items in memory the kernel may back with 2 MB pages (madvise, as KenLM's tables): a
    probe into a table of tens of MB then misses the TLB far less often. Plain memory where not supported."""
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes < 1 << 22 or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(n, dtype)
    huge = 1 << 21
    area = mmap.mmap(-1, nbytes + huge, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    start = -np.frombuffer(area, np.uint8).ctypes.data % huge  # the first 2 MB boundary
    area.madvise(mmap.MADV_HUGEPAGE, start, nbytes - nbytes % huge)
    return np.frombuffer(area, dtype, n, start)
