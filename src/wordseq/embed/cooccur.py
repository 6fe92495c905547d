"""Windowed word-word co-occurrence counts, compiled and multithreaded, into ``scipy.sparse``.

For every token and every word at distance ``d <= window`` to its left, ``X[word, left] += w(d)`` and, when
``symmetric``, ``X[left, word] += w(d)``; ``w(d)`` is ``1/d`` with ``distance_weighting`` (GloVe's
``cooccur``) or 1. Without ``symmetric`` only left contexts are counted (GloVe's ``-symmetric 0``).
Out-of-vocabulary tokens (``<unk>``) are removed before the windows are taken, as GloVe and word2vec do;
windows stop at line ends unless ``cross_lines``.

How: the rows and columns are word ranks (frequent words first), and most co-occurrences involve a
frequent word. As in GloVe's ``cooccur``, pairs whose rank product is below ``max_product`` are summed in a
dense table whose row ``a`` holds columns ``0 .. max_product/(a+1)``; the rest are written as 64-bit keys
(pair and distance), sorted and summed per chunk of the corpus. Each thread owns a dense table and takes
every ``threads``-th chunk; numba releases the GIL, so the threads run in parallel. The tables and the
reduced chunks are summed once at the end into a CSR matrix.

Every pair is summed exactly, in integers (the dense tables and the overflow keys): with distance weighting
each occurrence at distance d adds ``S / d`` where ``S`` is the least common multiple of 1..window (2520 for a
window of 10), and the sum is divided by ``S`` once at the end. The result therefore does not depend on the
order of the sums (threads, chunk sizes), which lets ``memory`` (a byte budget) keep the reduced chunks in sorted runs on disk
(:class:`wordseq.text.extsort.RunSpiller`) and merge them, giving the same matrix bit for bit. (A window so
wide that the integers could overflow falls back to float sums, equal to within rounding.)
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from wordseq.errors import WordseqError
from wordseq.progress import progress
from wordseq.text.extsort import RunSpiller, format_bytes, parse_memory, sum_sorted, temporary_directory
from wordseq.text.vocab import EOS

DIST_BITS = 8  # the distance lives in the low bits of an overflow key


@dataclass
class CooccurConfig:
    window: int = 10
    symmetric: bool = True
    distance_weighting: bool = True
    cross_lines: bool = False
    max_product: int = 1 << 22  # the dense table holds about max_product * ln(V^2 / max_product) cells
    chunk_tokens: int = 1 << 20
    threads: int | None = None
    memory: int | str | None = None  # a byte budget ("1G"): reduced chunks spill to sorted runs on disk

    def check(self) -> None:
        if not 1 <= self.window < (1 << DIST_BITS):
            raise WordseqError(f"window must be between 1 and {(1 << DIST_BITS) - 1}, got {self.window}")
        if self.max_product < 1 or self.chunk_tokens < 1:
            raise WordseqError("max_product and chunk_tokens must be positive")


def default_threads(threads: int | None) -> int:
    if threads is not None:
        if threads < 1:
            raise WordseqError(f"threads must be at least 1, got {threads}")
        return threads
    env = os.environ.get("NUMBA_NUM_THREADS")
    return int(env) if env else (os.cpu_count() or 1)


def word_stream(encoded, cross_lines: bool = False) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The corpus as word ranks (0 = the most frequent non-special word), ``-1`` at line ends (unless
    ``cross_lines``), special tokens such as ``<unk>`` removed; with the word list and counts."""
    vocab = encoded.vocab
    ns = vocab.n_specials
    ids = np.asarray(encoded.ids)
    eos = vocab.stoi.get(EOS, -1)
    keep = (ids >= ns) | ((ids == eos) & (not cross_lines))
    stream = ids[keep].astype(np.int32) - ns
    if not cross_lines:
        stream[stream == eos - ns] = -1
    return stream, list(vocab.itos[ns:]), np.asarray(vocab.counts[ns:], dtype=np.int64)


def _dense_layout(n_words: int, max_product: int) -> tuple[np.ndarray, np.ndarray]:
    limit = np.minimum(n_words, max_product // np.arange(1, n_words + 1, dtype=np.int64)).astype(np.int64)
    offsets = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(limit, out=offsets[1:])
    return limit, offsets


@numba.njit(nogil=True, cache=True)
def _count_chunk(ids, start, stop, window, symmetric, weighted, limit, offsets, dense, keys, n_words):
    """Count the pairs whose right word lies in ids[start:stop] (windows may reach back before start).
    Returns how many overflow keys were written."""
    n = 0
    for i in range(start, stop):
        w = ids[i]
        if w < 0:
            continue
        for d in range(1, window + 1):
            j = i - d
            if j < 0:
                break
            c = ids[j]
            if c < 0:
                break
            wt = 1.0 / d if weighted else 1.0
            if c < limit[w]:
                dense[offsets[w] + c] += wt
            else:
                keys[n] = ((np.int64(w) * n_words + c) << DIST_BITS) | d
                n += 1
            if symmetric:
                if w < limit[c]:
                    dense[offsets[c] + w] += wt
                else:
                    keys[n] = ((np.int64(c) * n_words + w) << DIST_BITS) | d
                    n += 1
    return n


def weight_scale(window: int, weighted: bool, tokens: int) -> int:
    """The integer S that makes every weight S/d whole (0: the sums could overflow int64; use floats)."""
    if not weighted:
        return 1
    scale = math.lcm(*range(1, window + 1))
    return scale if scale * 2 * window * max(tokens, 1) < 2**62 else 0


@numba.njit(nogil=True, cache=True)
def _count_chunk_exact(ids, start, stop, window, symmetric, weighted, limit, offsets, dense, keys, n_words, scale):
    """:func:`_count_chunk` with whole weights S/d (S for unweighted counts) added to an int64 table, so that
    its sums are exact whatever their order. Returns how many overflow keys were written."""
    n = 0
    for i in range(start, stop):
        w = ids[i]
        if w < 0:
            continue
        for d in range(1, window + 1):
            j = i - d
            if j < 0:
                break
            c = ids[j]
            if c < 0:
                break
            wt = scale // d if weighted else scale
            if c < limit[w]:
                dense[offsets[w] + c] += wt
            else:
                keys[n] = ((np.int64(w) * n_words + c) << DIST_BITS) | d
                n += 1
            if symmetric:
                if w < limit[c]:
                    dense[offsets[c] + w] += wt
                else:
                    keys[n] = ((np.int64(c) * n_words + w) << DIST_BITS) | d
                    n += 1
    return n


@numba.njit(nogil=True, cache=True)
def _reduce_keys_exact(keys, scale, weighted):
    """Sort pair|distance keys and sum each pair's weights S/d in integers: (pair keys, int64 sums)."""
    keys = np.sort(keys)
    out_k = np.empty(len(keys), dtype=np.int64)
    out_v = np.empty(len(keys), dtype=np.int64)
    m = -1
    prev = np.int64(-1)
    mask = (np.int64(1) << DIST_BITS) - 1
    for i in range(len(keys)):
        k = keys[i]
        pair = k >> DIST_BITS
        wt = scale // (k & mask) if weighted else scale
        if pair != prev:
            m += 1
            out_k[m] = pair
            out_v[m] = wt
            prev = pair
        else:
            out_v[m] += wt
    return out_k[: m + 1].copy(), out_v[: m + 1].copy()


@numba.njit(nogil=True, cache=True)
def _reduce_keys(keys, weighted):
    """Sort pair|distance keys and sum each pair's weights: (pair keys, values)."""
    keys = np.sort(keys)
    out_k = np.empty(len(keys), dtype=np.int64)
    out_v = np.empty(len(keys), dtype=np.float64)
    m = -1
    prev = np.int64(-1)
    mask = (np.int64(1) << DIST_BITS) - 1
    for i in range(len(keys)):
        k = keys[i]
        pair = k >> DIST_BITS
        wt = 1.0 / (k & mask) if weighted else 1.0
        if pair != prev:
            m += 1
            out_k[m] = pair
            out_v[m] = wt
            prev = pair
        else:
            out_v[m] += wt
    return out_k[: m + 1].copy(), out_v[: m + 1].copy()


@numba.njit(nogil=True, cache=True)
def _dense_to_coo(dense, limit, offsets):
    nnz = 0
    for i in range(len(dense)):
        if dense[i] != 0.0:
            nnz += 1
    rows = np.empty(nnz, dtype=np.int32)
    cols = np.empty(nnz, dtype=np.int32)
    vals = np.empty(nnz, dtype=dense.dtype)
    m = 0
    for a in range(len(limit)):
        base = offsets[a]
        for b in range(limit[a]):
            v = dense[base + b]
            if v != 0.0:
                rows[m] = a
                cols[m] = b
                vals[m] = v
                m += 1
    return rows, cols, vals


def count_cooccurrences(
    stream: np.ndarray, n_words: int, config: CooccurConfig | None = None, desc: str = "co-occurrences"
) -> sp.csr_matrix:
    """Co-occurrence counts of a word-rank stream (``-1`` = line end) as an ``n_words`` square CSR matrix
    (float64)."""
    config = config or CooccurConfig()
    config.check()
    stream = np.ascontiguousarray(stream, dtype=np.int32)
    if n_words < 1:
        raise WordseqError("no words to count co-occurrences of")
    threads = default_threads(config.threads)
    limit, offsets = _dense_layout(n_words, config.max_product)
    per_pair = 2 if config.symmetric else 1
    scale = weight_scale(config.window, config.distance_weighting, len(stream))
    step, keep = _budget(config, n_words, len(stream), threads)
    chunks = [(s, min(s + step, len(stream))) for s in range(0, len(stream), step)]
    with ExitStack() as stack:
        spiller = None
        if keep is not None:
            directory = stack.enter_context(temporary_directory(prefix="wordseq-cooccur-"))
            spiller = RunSpiller(directory, keep, np.int64 if scale else np.float64, name="pairs")
        lock = threading.Lock()
        bar = stack.enter_context(progress(total=len(stream), unit="tok", unit_scale=True, desc=desc))

        def work(t: int):
            dense = np.zeros(offsets[-1], dtype=np.int64 if scale else np.float64)
            keys = np.empty(min(step, len(stream)) * config.window * per_pair, dtype=np.int64)
            parts = []
            for s, e in chunks[t::threads]:
                args = (stream, s, e, config.window, config.symmetric, config.distance_weighting, limit, offsets)
                if scale:
                    n = _count_chunk_exact(*args, dense, keys, n_words, scale)
                else:
                    n = _count_chunk(*args, dense, keys, n_words)
                if n:
                    if scale:
                        part = _reduce_keys_exact(keys[:n], scale, config.distance_weighting)
                    else:
                        part = _reduce_keys(keys[:n], config.distance_weighting)
                    if spiller is None:
                        parts.append(part)
                    else:
                        with lock:
                            spiller.add(*part)
                bar.update(e - s)
            return dense, parts

        n_workers = max(1, min(threads, len(chunks)))
        if n_workers == 1:
            results = [work(0)]
        else:
            with ThreadPoolExecutor(n_workers) as pool:
                results = list(pool.map(work, range(n_workers)))
        dense = results[0][0]
        for other, _ in results[1:]:
            dense += other
        rows, cols, vals = _dense_to_coo(dense, limit, offsets)
        del dense
        if scale:
            vals = vals / scale if scale > 1 else vals.astype(np.float64)
        if spiller is not None:
            merged = list(spiller.merged())
            pair_keys = [k for k, _ in merged]
            pair_vals = [v for _, v in merged]
        else:
            pair_keys = [k for _, parts in results for k, _ in parts]
            pair_vals = [v for _, parts in results for _, v in parts]
        results.clear()
    if pair_keys:
        k = np.concatenate(pair_keys)
        v = np.concatenate(pair_vals)
        if scale and spiller is None:  # the chunks' integer sums: one sum per pair (exact in any order)
            order = np.argsort(k, kind="stable")
            k, v = sum_sorted(k[order], v[order])
        if scale:
            v = v / scale if scale > 1 else v.astype(np.float64)
        rows = np.concatenate([rows, (k // n_words).astype(np.int32)])
        cols = np.concatenate([cols, (k % n_words).astype(np.int32)])
        vals = np.concatenate([vals, v])
    # COO -> CSR sums the duplicates (float sums only: the same pair from several chunks)
    return sp.coo_matrix((vals, (rows, cols)), shape=(n_words, n_words)).tocsr()


def _budget(config: CooccurConfig, n_words: int, tokens: int, threads: int) -> tuple[int, int | None]:
    """(tokens per chunk, bytes of reduced chunks kept before a spill; None: no budget, nothing spilled).
    Within ``config.memory``: the dense tables (one per thread) first, then half of the rest for the chunk
    buffers (about 24 bytes per pair slot: the keys, their sort and the sums) and half for the kept runs (a
    spill sorts what it keeps: about 5x the records)."""
    if config.memory is None:
        return config.chunk_tokens, None
    budget = parse_memory(config.memory)
    dense = 8 * int(_dense_layout(n_words, config.max_product)[1][-1]) * threads
    slot = config.window * (2 if config.symmetric else 1) * 24 * threads
    rest = budget - dense
    step = min(config.chunk_tokens, max(tokens, 1), max(rest, 0) // 2 // slot)
    if step < min(1024, tokens):
        raise WordseqError(
            f"memory budget {format_bytes(budget)} is too small to hold one chunk of the corpus: the dense tables "
            f"of frequent pairs take {format_bytes(dense)} and a chunk of 1024 tokens {format_bytes(1024 * slot)} "
            "(lower max_product, or use fewer threads)"
        )
    return step, max(rest - step * slot, 1 << 12) // 5


def cooccurrence_matrix(encoded, config: CooccurConfig | None = None) -> tuple[sp.csr_matrix, list[str], np.ndarray]:
    """Co-occurrence counts of an encoded corpus (``wordseq.text.encode.Encoded``) over its non-special
    words, in vocabulary order: ``(matrix, words, counts)``."""
    config = config or CooccurConfig()
    stream, words, counts = word_stream(encoded, config.cross_lines)
    return count_cooccurrences(stream, len(words), config), words, counts


def row_normalize(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Each row divided by its sum: the estimate of P(context | word) the slides start from."""
    m = sp.csr_matrix(matrix, dtype=np.float64)
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums) @ m)
