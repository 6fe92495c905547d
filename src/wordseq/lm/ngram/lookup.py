"""Exact n-gram lookup by open-addressing hash tables (numba), as KenLM's probing model does.

The sorted key arrays answer lookups by binary search, which costs about 20 cache misses per query on a
large order; a linear-probing table with a multiplicative hash costs one or two. Tables are built lazily,
the first time a model scores text, in a fraction of a second for millions of n-grams.
"""

from __future__ import annotations

import numba
import numpy as np

_MULT = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True)
def _build(keys, table_keys, table_vals, shift):
    mask = len(table_keys) - 1
    for i in range(len(keys)):
        k = keys[i]
        h = (np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(shift)
        s = np.int64(h)
        while table_vals[s] >= 0:
            s = (s + 1) & mask
        table_keys[s] = k
        table_vals[s] = i


@numba.njit(cache=True, inline="always")
def _probe(table_keys, table_vals, shift, q):
    """The value stored for key ``q`` (linear probing from its Fibonacci hash), or -1."""
    mask = len(table_keys) - 1
    s = np.int64((np.uint64(q) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(shift))
    while table_vals[s] >= 0:
        if table_keys[s] == q:
            return table_vals[s]
        s = (s + 1) & mask
    return -1


@numba.njit(cache=True)
def _next_ids(table_keys, table_vals, shift, prefix, last, V, out):
    """out[i] = id of the n-gram (prefix[i], last[i]) or -1; prefix -1 means absent."""
    for i in range(len(prefix)):
        p = prefix[i]
        if p < 0:
            out[i] = -1
            continue
        out[i] = _probe(table_keys, table_vals, shift, p * V + last[i])


class HashIndex:
    """Maps the packed keys of one order to their row in the sorted key array."""

    def __init__(self, keys: np.ndarray) -> None:
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 1.5 + 1))))
        self.shift = 64 - bits
        self.table_keys = np.zeros(1 << bits, np.int64)
        self.table_vals = np.full(1 << bits, -1, np.int64)
        _build(np.ascontiguousarray(keys, dtype=np.int64), self.table_keys, self.table_vals, self.shift)

    def next_ids(self, prefix: np.ndarray, last: np.ndarray, V: int) -> np.ndarray:
        out = np.empty(len(prefix), np.int64)
        _next_ids(
            self.table_keys,
            self.table_vals,
            self.shift,
            np.ascontiguousarray(prefix, dtype=np.int64),
            np.ascontiguousarray(last, dtype=np.int64),
            V,
            out,
        )
        return out
