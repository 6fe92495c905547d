"""The whitespace tokenizer compiled: UTF-8 bytes -> provisional ids in order of first appearance, counted.

The same tokens, in the same order, as ``str.split`` line by line with a ``"\\n"`` token after each line
(:func:`wordseq.text.tokenize._split_block`): the separators are the 29 characters for which
``str.isspace`` is true (ASCII and the 19 multi-byte ones below), and only ``"\\n"`` ends a line. Distinct
tokens go into an open-addressing hash table (FNV-1a over the bytes) whose arrays the caller owns and grows;
their bytes are kept in ``store``, each followed by ``"\\n"``, so all of them decode with one call.
This replaces one dict lookup per token in Python, the largest cost of encoding a big corpus.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True, inline="always")
def _space_len(buf, i, n):
    """Bytes of the whitespace character at ``buf[i]`` other than ``"\\n"``; 0 when it is none."""
    c = buf[i]
    if c < 0x80:
        if c == 32 or (9 <= c <= 13 and c != 10) or 28 <= c <= 31:
            return 1
        return 0
    if c == 0xC2:  # U+0085, U+00A0
        if i + 1 < n and (buf[i + 1] == 0x85 or buf[i + 1] == 0xA0):
            return 2
        return 0
    if c < 0xE1 or c > 0xE3 or i + 2 >= n:
        return 0
    c1 = buf[i + 1]
    c2 = buf[i + 2]
    if c == 0xE1:  # U+1680
        return 3 if c1 == 0x9A and c2 == 0x80 else 0
    if c == 0xE3:  # U+3000
        return 3 if c1 == 0x80 and c2 == 0x80 else 0
    if c1 == 0x80:  # U+2000..U+200A, U+2028, U+2029, U+202F
        return 3 if (0x80 <= c2 <= 0x8A) or c2 == 0xA8 or c2 == 0xA9 or c2 == 0xAF else 0
    if c1 == 0x81:  # U+205F
        return 3 if c2 == 0x9F else 0
    return 0


# byte classes: 0 part of a token, 1 an ASCII separator, 2 the line end, 3 may start a multi-byte separator
BYTE_CLASS = np.zeros(256, dtype=np.uint8)
BYTE_CLASS[[9, 11, 12, 13, 28, 29, 30, 31, 32]] = 1
BYTE_CLASS[10] = 2
BYTE_CLASS[[0xC2, 0xE1, 0xE2, 0xE3]] = 3


@njit(cache=True, nogil=True, boundscheck=False)
def split_ids(buf, pos, n, byte_class, table, hashes, starts, lens, store, counts, n_types, store_used, out, n_out):
    """Tokens of ``buf[pos:n]`` as ids appended to ``out`` from ``n_out`` (``"\\n"`` is id 0, a new token
    takes the next id), each one counted in ``counts``.

    A table slot holds a token's id in its low 32 bits and the high half of its hash above them (0: empty),
    so most probes touch one array. Returns ``(pos, n_out, n_types, store_used)``. It stops early, with
    ``pos`` at the start of the token it could not add, when the table would pass half full, the per-id
    arrays are full, or ``store`` has no room; the caller grows them (:func:`rehash` for the table) and
    calls again from ``pos``.
    """
    mask = len(table) - 1
    cap = len(hashes)
    low = np.int64(0xFFFFFFFF)
    while pos < n:
        k = byte_class[buf[pos]]
        if k == 2:
            out[n_out] = 0
            n_out += 1
            counts[0] += 1
            pos += 1
            continue
        if k == 1:
            pos += 1
            continue
        if k == 3:
            w = _space_len(buf, pos, n)
            if w:
                pos += w
                continue
        s = pos
        h = _FNV_OFFSET
        while pos < n:
            c = buf[pos]
            k = byte_class[c]
            if k != 0 and (k != 3 or _space_len(buf, pos, n)):
                break
            h = (h ^ np.uint64(c)) * _FNV_PRIME
            pos += 1
        length = pos - s
        tag = np.int64(h >> np.uint64(32)) << 32
        slot = np.int64(h & np.uint64(mask))
        while True:
            entry = table[slot]
            if entry == 0:
                if 2 * (n_types + 1) > len(table) or n_types >= cap or store_used + length + 1 > len(store):
                    return s, n_out, n_types, store_used
                t = n_types
                n_types += 1
                table[slot] = tag | t
                hashes[t] = h
                starts[t] = store_used
                lens[t] = length
                for d in range(length):
                    store[store_used + d] = buf[s + d]
                store[store_used + length] = 10
                store_used += length + 1
                break
            if (entry & ~low) == tag:
                t = entry & low
                if lens[t] == length:
                    a = starts[t]
                    same = True
                    for d in range(length):
                        if store[a + d] != buf[s + d]:
                            same = False
                            break
                    if same:
                        break
            slot = (slot + 1) & mask
        out[n_out] = t
        n_out += 1
        counts[t] += 1
    return pos, n_out, n_types, store_used


@njit(cache=True, nogil=True)
def rehash(table, hashes, n_types):
    """Put ids ``1 .. n_types - 1`` into an empty ``table`` (a power of two long) by their hashes."""
    mask = len(table) - 1
    for t in range(1, n_types):
        h = hashes[t]
        slot = np.int64(h & np.uint64(mask))
        while table[slot] != 0:
            slot = (slot + 1) & mask
        table[slot] = (np.int64(h >> np.uint64(32)) << 32) | t


class SplitTable:
    """The growing state of :func:`split_ids` across the blocks of one corpus."""

    def __init__(self, types: int = 1 << 16, store_bytes: int = 1 << 20) -> None:
        self.table = np.zeros(2 * types, dtype=np.int64)
        self.hashes = np.zeros(types, dtype=np.uint64)
        self.starts = np.zeros(types, dtype=np.int64)
        self.lens = np.zeros(types, dtype=np.int64)
        self.counts = np.zeros(types, dtype=np.int64)
        self.store = np.zeros(store_bytes, dtype=np.uint8)
        self.n_types = 1  # id 0 is the line end, never in the table
        self.store_used = 0
        self.out = np.zeros(0, dtype=np.int32)

    def split(self, data: bytes) -> np.ndarray:
        """The ids of one block of UTF-8 text (a view into a buffer reused by the next call)."""
        buf = np.frombuffer(data, dtype=np.uint8)
        n = len(buf)
        if len(self.out) < n + 1:
            self.out = np.zeros(n + 1, dtype=np.int32)
        pos, n_out = 0, 0
        while True:
            pos, n_out, self.n_types, self.store_used = split_ids(
                buf, pos, n, BYTE_CLASS, self.table, self.hashes, self.starts, self.lens, self.store, self.counts,
                self.n_types, self.store_used, self.out, n_out,
            )  # fmt: skip
            if pos >= n:
                return self.out[:n_out]
            self._grow(n - pos)

    def _grow(self, rest: int) -> None:
        cap = len(self.hashes)
        if self.n_types >= cap:
            new = 2 * cap
            for name in ("hashes", "starts", "lens", "counts"):
                old = getattr(self, name)
                grown = np.zeros(new, dtype=old.dtype)
                grown[:cap] = old
                setattr(self, name, grown)
        if 2 * (self.n_types + 1) > len(self.table):
            self.table = np.zeros(2 * len(self.table), dtype=np.int64)
            rehash(self.table, self.hashes, self.n_types)
        if self.store_used + rest + 1 > len(self.store):
            grown = np.zeros(max(2 * len(self.store), self.store_used + rest + 1), dtype=np.uint8)
            grown[: self.store_used] = self.store[: self.store_used]
            self.store = grown

    def tokens(self) -> list[str]:
        """The distinct tokens in id order, ``"\\n"`` (id 0) first."""
        if self.n_types == 1:
            return ["\n"]
        text = self.store[: self.store_used - 1].tobytes().decode("utf-8", "surrogatepass")
        return ["\n", *text.split("\n")]

    def token_counts(self) -> np.ndarray:
        return self.counts[: self.n_types]
