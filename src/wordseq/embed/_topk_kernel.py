"""The compiled top-k scan analogy evaluation uses (numba; imported on first use so that importing
:mod:`wordseq.embed` stays light)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, cache=True)
def top_k(scores, k, out):
    """Indices of the ``k`` largest entries of each row, best first (the lower index first on ties);
    -1 where a row has fewer than ``k`` entries above minus infinity."""
    for i in numba.prange(scores.shape[0]):
        best_v = np.full(k, -np.inf, dtype=scores.dtype)
        best_i = np.full(k, -1, dtype=np.int64)
        row = scores[i]
        thresh = best_v[k - 1]
        for j in range(row.shape[0]):
            v = row[j]
            if v > thresh:
                p = k - 1
                while p > 0 and best_v[p - 1] < v:
                    best_v[p] = best_v[p - 1]
                    best_i[p] = best_i[p - 1]
                    p -= 1
                best_v[p] = v
                best_i[p] = j
                thresh = best_v[k - 1]
        for p in range(k):
            out[i, p] = best_i[p]
