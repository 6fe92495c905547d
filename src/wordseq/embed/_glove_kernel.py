"""GloVe's compiled epoch: AdaGrad over a range of shuffled co-occurrence cells, Hogwild (numba; imported on
first use so that importing :mod:`wordseq.embed` stays light)."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, fastmath=True)
def glove_epoch(rows, cols, logx, fx, start, stop, W, C, bW, bC, gW, gC, gbW, gbC, lr):
    dim = W.shape[1]
    cost = 0.0
    for e in range(start, stop):
        a = rows[e]
        b = cols[e]
        dot = np.float32(0.0)
        for k in range(dim):
            dot += W[a, k] * C[b, k]
        diff = dot + bW[a] + bC[b] - logx[e]
        fdiff = fx[e] * diff
        if not math.isfinite(fdiff):
            continue
        cost += 0.5 * fdiff * diff
        fdiff *= lr
        for k in range(dim):
            t1 = fdiff * C[b, k]
            t2 = fdiff * W[a, k]
            W[a, k] -= t1 / math.sqrt(gW[a, k])
            C[b, k] -= t2 / math.sqrt(gC[b, k])
            gW[a, k] += t1 * t1
            gC[b, k] += t2 * t2
        bW[a] -= fdiff / math.sqrt(gbW[a])
        bC[b] -= fdiff / math.sqrt(gbC[b])
        gbW[a] += fdiff * fdiff
        gbC[b] += fdiff * fdiff
    return cost
