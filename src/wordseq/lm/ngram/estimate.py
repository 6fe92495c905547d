"""Estimators: from raw n-gram counts to conditional probabilities.

Smoothing methods (``smoothing=``):

- ``mle``: maximum likelihood, ``c(h w) / c(h)`` with the longest history the sentence offers (zero for
  unseen n-grams, as on the slides);
- ``add-k``: ``(c(h w) + k) / (c(h) + k |V|)`` (Laplace for k = 1);
- ``absolute``: interpolated absolute discounting, raw counts at every order, one discount per order;
- ``kn``: interpolated Kneser-Ney, one discount per order, continuation counts for the lower orders;
- ``mkn``: interpolated modified Kneser-Ney (Chen & Goodman 1998): discounts D1, D2, D3+ per order from
  the count-of-counts of the adjusted counts, the estimator of KenLM's ``lmplz``.

The interpolated estimators (absolute, kn, mkn) use KenLM's conventions: the adjusted count of an n-gram of
the highest order, or of one starting with ``<s>``, is its raw count; that of a lower-order n-gram is the
number of distinct words seen before it (its continuation count). With discount ``D(a)`` and
``den(h) = sum_w a(h w)``::

    p(w | h) = (a(h w) - D(a(h w))) / den(h) + gamma(h) * p(w | h minus its first word)
    gamma(h) = (D1 N1(h .) + D2 N2(h .) + D3 N3+(h .)) / den(h)

down to the unigrams, which are interpolated with the uniform distribution over the vocabulary (``<unk>``
and ``</s>`` included, ``<s>`` excluded), so ``<unk>`` gets probability mass even when the corpus never
shows it. ``gamma(h)`` is the backoff weight of ``h`` in the ARPA file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from wordseq.errors import WordseqError
from wordseq.lm.ngram.counts import NgramCounts, special_ids
from wordseq.text import mapped

SMOOTHING = ("mkn", "kn", "absolute", "add-k", "mle")
INTERPOLATED = ("mkn", "kn", "absolute")
# What KenLM's lmplz substitutes (--discount_fallback) when a small corpus gives invalid discounts.
FALLBACK_MKN = (0.5, 1.0, 1.5)
FALLBACK_SINGLE = 0.75  # the discount Jurafsky & Martin suggest for absolute discounting


class DiscountWarning(UserWarning):
    """A discount could not be estimated from the counts; a default was used instead."""


@dataclass
class Estimate:
    """Per-order tables. Backoff form (interpolated methods): ``logprob[n]``, ``logbow[n]`` (log10).
    Count form (mle, add-k): ``counts[n]`` and ``totals[n]`` (count of each context as a context)."""

    smoothing: str
    discounts: list  # per order (index 0 unused): (D1, D2, D3+) or None
    logprob: list | None = None
    logbow: list | None = None
    counts: list | None = None
    totals: list | None = None


Store = Callable[[str, int, object], np.ndarray]  # (name, length, dtype) -> a zeroed array, e.g. on disk


@numba.njit(cache=True)
def _bincount_into(out, idx):
    """out[i] += 1 for every i in idx: np.bincount into an array given (a file-backed one, say)."""
    for i in idx:
        out[i] += 1


def adjusted_counts(c: NgramCounts, continuation: bool, store: Store | None = None) -> list:
    """Counts the discounting works on: raw counts, or KN's continuation counts for the lower orders.
    ``store`` makes the per-n-gram arrays (default: in memory)."""
    bos, _, pad = special_ids(c.vocab)
    N = c.order
    adjusted: list = [None] * (N + 1)
    adjusted[N] = c.counts[N] if N > 1 else c.counts[1].copy()  # never modified below for N > 1
    for n in range(N - 1, 0, -1):
        raw = c.counts[n]
        if store is not None:
            a = store(f"adjusted{n}", len(raw), raw.dtype)
            if continuation:  # one count per n-gram of order n + 1 whose suffix this n-gram is
                suffix = c.suffix[n + 1]
                for s in range(0, len(suffix), SLICE):
                    mapped.trim(ahead=a.nbytes + 4 * SLICE)  # counts added at random into the whole table
                    _bincount_into(a, np.asarray(suffix[s : s + SLICE]))
            else:
                for s in range(0, len(raw), SLICE):
                    a[s : s + SLICE] = raw[s : s + SLICE]
            if continuation:
                for s in range(0, len(raw), SLICE):
                    first = np.flatnonzero(c.bos_first[n][s : s + SLICE]) + s
                    a[first] = raw[first]
                    mapped.trim()
        elif continuation:
            a = np.bincount(c.suffix[n + 1], minlength=len(raw)).astype(raw.dtype)
            first = c.bos_first[n]
            a[first] = raw[first]  # nothing precedes <s>: n-grams starting with it keep their raw count
        else:
            a = raw.copy()
        adjusted[n] = a
    adjusted[1][bos] = 0  # <s> is never predicted
    if pad >= 0:
        adjusted[1][pad] = 0
    return adjusted


def count_of_counts(a: np.ndarray) -> np.ndarray:
    """n_1..n_4: how many n-grams have adjusted count 1, 2, 3, 4 (index 0 unused)."""
    out = np.zeros(6, np.int64)
    for s in range(0, len(a), 1 << 20):  # in slices: the clipped copy and bincount's int64 one stay small
        out += np.bincount(np.minimum(a[s : s + (1 << 20)], 5), minlength=6)
        mapped.trim()
    return out[:5]


def mkn_discounts(a: np.ndarray, n: int) -> tuple[float, float, float]:
    """Chen & Goodman's D1, D2, D3+ (their equation 26), or lmplz's fallback with a warning."""
    nc = count_of_counts(a).astype(np.float64)
    if np.all(nc[1:5] > 0):
        y = nc[1] / (nc[1] + 2 * nc[2])
        d = tuple(float(j - (j + 1) * y * nc[j + 1] / nc[j]) for j in (1, 2, 3))
        if all(0 < d[j - 1] <= j for j in (1, 2, 3)):
            return d  # type: ignore[return-value]
        why = f"out of range: D1={d[0]:.3g} D2={d[1]:.3g} D3+={d[2]:.3g}"
    else:
        missing = [j for j in (1, 2, 3, 4) if nc[j] == 0]
        why = f"no {n}-grams have adjusted count {missing[0]}"
    warnings.warn(
        f"cannot estimate modified Kneser-Ney discounts for {n}-grams ({why}; is the corpus tiny?); "
        f"using D1={FALLBACK_MKN[0]} D2={FALLBACK_MKN[1]} D3+={FALLBACK_MKN[2]}",
        DiscountWarning,
        stacklevel=3,
    )
    return FALLBACK_MKN


def single_discount(a: np.ndarray, n: int) -> float:
    """One discount per order, D = n1 / (n1 + 2 n2) (Ney, Essen & Kneser), or 0.75 with a warning."""
    nc = count_of_counts(a)
    if nc[1] > 0 and nc[2] > 0:
        return float(nc[1] / (nc[1] + 2 * nc[2]))
    warnings.warn(
        f"cannot estimate the discount for {n}-grams (no {n}-grams with adjusted count "
        f"{1 if nc[1] == 0 else 2}; is the corpus tiny?); using D={FALLBACK_SINGLE}",
        DiscountWarning,
        stacklevel=3,
    )
    return FALLBACK_SINGLE


def predictable(vocab, size: int) -> np.ndarray:
    """Vocabulary entries a model can predict: all but ``<s>`` and ``<pad>``."""
    bos, _, pad = special_ids(vocab)
    mask = np.ones(size, bool)
    mask[bos] = False
    if pad >= 0:
        mask[pad] = False
    return mask


def predicted_mask(c: NgramCounts) -> np.ndarray:
    return predictable(c.vocab, c.vocab_size)


def estimate(
    c: NgramCounts,
    smoothing: str = "mkn",
    discount: float | None = None,
    k: float = 1.0,
    release: bool = False,
    store: Store | None = None,
) -> Estimate:
    """Estimate a model from counts. ``discount`` fixes the one discount of ``kn``/``absolute``.
    ``release`` drops the count arrays from ``c`` as soon as they are used (for models of many GB);
    ``store`` (interpolated methods) makes the arrays of one entry per n-gram or context, e.g. files mapped
    into memory (:func:`wordseq.lm.ngram.external.disk_store`), instead of in memory."""
    if smoothing not in SMOOTHING:
        raise WordseqError(f"unknown smoothing {smoothing!r} (choose {', '.join(SMOOTHING)})")
    if discount is not None and not (0 < discount <= 1):
        raise WordseqError(f"--discount must be in (0, 1], got {discount}")
    if smoothing == "add-k" and not k > 0:
        raise WordseqError(f"-k must be positive, got {k}")
    if smoothing in ("mle", "add-k"):
        return _count_form(c, smoothing)
    a = adjusted_counts(c, continuation=smoothing != "absolute", store=store)
    if release:
        c.counts = [None] * (c.order + 1)
        c.bos_first = [None] * (c.order + 1)
    N = c.order
    discounts: list = [None] * (N + 1)
    for n in range(1, N + 1):
        if smoothing == "mkn":
            discounts[n] = mkn_discounts(a[n], n)
        else:
            d = discount if discount is not None else single_discount(a[n], n)
            discounts[n] = (d, d, d)
    return _interpolate(c, a, discounts, smoothing, release, store)


def _discount_of(a: np.ndarray, d: tuple[float, float, float]) -> np.ndarray:
    """The discount each adjusted count gets: 0, D1, D2 or D3+."""
    return np.array([0.0, d[0], d[1], d[2]])[np.minimum(a, 3).astype(np.int64)]


def _interpolate(
    c: NgramCounts, a: list, discounts: list, smoothing: str, release: bool = False, store: Store | None = None
) -> Estimate:
    N, V = c.order, c.vocab_size
    mask = predicted_mask(c)
    logprob: list = [None] * (N + 1)
    logbow: list = [None] * (N + 1)
    # unigrams, interpolated with the uniform distribution over the predicted vocabulary
    a1 = a[1].astype(np.float64)
    den = a1.sum()
    discount = _discount_of(a[1], discounts[1])
    gamma = discount.sum() / den
    p = np.where(mask, (a1 - discount) / den + gamma / mask.sum(), 0.0)
    with np.errstate(divide="ignore"):
        logprob[1] = np.log10(p).astype(np.float32)
        for n in range(2, N + 1):
            n_ctx = V if n == 2 else len(c.keys[n - 1])
            p, logprob[n], logbow[n - 1] = _order(
                c.keys[n], a[n], c.suffix[n], p, V, n_ctx, discounts[n], keep=n < N, store=store, n=n
            )
            if release:
                a[n] = None
                c.suffix[n] = None
    bos = special_ids(c.vocab)[0]
    logprob[1][bos] = -99.0  # <s> is context only; -99 is the ARPA convention for "never predicted"
    return Estimate(smoothing, discounts, logprob, logbow)


SLICE = 1 << 22  # n-grams per slice when estimating one order


def _order(keys, a, suffix, p_lower, V: int, n_ctx: int, d, keep: bool, store: Store | None = None, n: int = 0):
    """Interpolated probabilities of one order and the backoff weights of its contexts, in slices of the
    (context-sorted) n-grams so that the temporaries stay small for orders of many millions."""
    step = getattr(store, "slice", SLICE)  # a store within a memory budget may ask for smaller slices
    # float32 per-context sums and weights (as KenLM stores them) halve the largest temporaries; within a
    # memory budget they are files mapped into memory too (read in context order: sequential pages)
    if store is None:
        den = np.zeros(n_ctx, np.float32)
        gamma = np.zeros(n_ctx, np.float32)
    else:
        den = store(f"den{n - 1}", n_ctx, np.float32)
        gamma = store(f"gamma{n - 1}", n_ctx, np.float32)
    # slices end where a context ends, so that each context's sums are made in one pass whatever the slice
    # size (the same float rounding in memory and within a memory budget)
    s = 0
    while s < len(keys):
        e = min(s + step, len(keys))
        if e < len(keys):
            e = int(np.searchsorted(keys, (int(keys[e - 1]) // V + 1) * V))
        ctx = keys[s:e] // V
        aa = a[s:e]
        s = e
        lo = int(ctx[0])
        width = int(ctx[-1]) - lo + 1
        den[lo : lo + width] += np.bincount(ctx - lo, weights=aa, minlength=width)
        gamma[lo : lo + width] += np.bincount(ctx - lo, weights=_discount_of(aa, d), minlength=width)
        mapped.trim()
    if store is None:
        logbow = np.zeros(n_ctx, np.float32)
        logprob = np.empty(len(keys), np.float32)
        p_out = np.empty(len(keys), np.float32) if keep else None
    else:
        logbow = store(f"logbow{n - 1}", n_ctx, np.float32)
        logprob = store(f"logprob{n}", len(keys), np.float32)
        p_out = store(f"p{n}", len(keys), np.float32) if keep else None
    for s in range(0, n_ctx, step):  # gamma = discounted mass / count, per context seen, in slices
        g, nd = gamma[s : s + step], den[s : s + step]
        seen = nd > 0
        g[seen] /= nd[seen]
        logbow[s : s + step][seen] = np.log10(g[seen])
    for s in range(0, len(keys), step):
        mapped.trim(ahead=p_lower.nbytes + 32 * step)  # each slice reads the lower order's table at random
        ctx = keys[s : s + step] // V
        aa = a[s : s + step].astype(np.float64)
        lower = p_lower[suffix[s : s + step]].astype(np.float64)
        p = (aa - _discount_of(aa, d)) / den[ctx] + gamma[ctx] * lower
        logprob[s : s + step] = np.log10(p)
        if p_out is not None:
            p_out[s : s + step] = p
    return p_out, logprob, logbow


def _count_form(c: NgramCounts, smoothing: str) -> Estimate:
    N, V = c.order, c.vocab_size
    bos, _, _pad = special_ids(c.vocab)
    counts = [None] + [x.copy() for x in c.counts[1:]]
    counts[1][bos] = 0
    totals: list = [None] * (N + 1)
    totals[1] = np.array([counts[1].sum()], np.int64)
    for n in range(2, N + 1):
        n_ctx = V if n == 2 else len(c.keys[n - 1])
        totals[n] = np.bincount(c.prefix(n), weights=counts[n], minlength=n_ctx).astype(np.int64)
    return Estimate(smoothing, [None] * (N + 1), counts=counts, totals=totals)
