"""GloVe (Pennington, Socher & Manning 2014): weighted least squares on log co-occurrence counts.

For every stored cell ``X_ij`` (symmetric window, 1/distance weighting, as GloVe's ``cooccur``):

    J = sum_ij f(X_ij) (w_i . c_j + b_i + b~_j - log X_ij)^2,   f(x) = min(1, (x / x_max)^alpha)

minimized by AdaGrad (initial squared-gradient sums 1, learning rate ``eta``) over the cells in one
random order, as Stanford's ``glove`` does after ``shuffle``. The kernel is compiled with numba and runs
Hogwild: each thread takes its own contiguous range of the shuffled cells and updates the shared matrices
without locks (the GIL is released). The word vectors are ``W + C`` at the end (Stanford's ``-model 2``).
The loss per epoch is the mean of ``0.5 f(x) (error)^2`` over the cells, summed in float64.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numba
import numpy as np

from wordseq.embed.cooccur import CooccurConfig, cooccurrence_matrix, default_threads
from wordseq.embed.vectors import Vectors
from wordseq.errors import WordseqError
from wordseq.progress import progress


@dataclass
class GloVeConfig:
    dim: int = 100
    window: int = 10
    x_max: float = 100.0
    alpha: float = 0.75
    eta: float = 0.05
    epochs: int = 15
    distance_weighting: bool = True
    symmetric: bool = True
    seed: int = 0
    threads: int | None = None

    def check(self) -> None:
        if self.dim < 1:
            raise WordseqError(f"dim must be at least 1, got {self.dim}")
        if self.epochs < 1:
            raise WordseqError(f"epochs must be at least 1, got {self.epochs}")
        if self.x_max <= 0 or self.eta <= 0:
            raise WordseqError("x_max and eta must be positive")


@numba.njit(nogil=True, cache=True, fastmath=True)
def _glove_epoch(rows, cols, logx, fx, start, stop, W, C, bW, bC, gW, gC, gbW, gbC, eta):
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
        fdiff *= eta
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


class GloVe:
    """``GloVe(GloVeConfig(dim=100, epochs=15)).fit(encoded)``; then ``.vectors`` and ``.losses``.

    ``fit_matrix`` trains on a co-occurrence matrix already counted."""

    def __init__(self, config: GloVeConfig | None = None) -> None:
        self.config = config or GloVeConfig()
        self.vectors: Vectors | None = None
        self.losses: list[float] = []
        self.epoch_seconds: list[float] = []
        self.cooccur_seconds = 0.0
        self.setup_seconds = 0.0  # shuffle, log counts, weights, initialization
        self.entries = 0

    def fit(self, encoded) -> GloVe:
        c = self.config
        c.check()
        t0 = time.perf_counter()
        X, words, counts = cooccurrence_matrix(
            encoded,
            CooccurConfig(
                window=c.window, symmetric=c.symmetric, distance_weighting=c.distance_weighting, threads=c.threads
            ),
        )
        self.cooccur_seconds = time.perf_counter() - t0
        return self.fit_matrix(X, words, counts)

    def fit_matrix(self, X, words, counts=None) -> GloVe:
        c = self.config
        c.check()
        t0 = time.perf_counter()
        coo = X.tocoo()
        if coo.nnz == 0:
            raise WordseqError("no co-occurrences: the corpus is too small for the window")
        n = len(words)
        rng = np.random.default_rng(c.seed)
        order = rng.permutation(coo.nnz)  # one shuffle, as Stanford's `shuffle`
        rows = coo.row[order].astype(np.int32)
        cols = coo.col[order].astype(np.int32)
        x = coo.data[order]
        del order, coo
        logx = np.log(x).astype(np.float32)
        fx = np.minimum(1.0, (x / c.x_max) ** c.alpha).astype(np.float32)
        del x
        self.entries = len(rows)
        W = (rng.random((n, c.dim), dtype=np.float32) - 0.5) / c.dim  # float32 throughout: no copies
        C = (rng.random((n, c.dim), dtype=np.float32) - 0.5) / c.dim
        bW = (rng.random(n, dtype=np.float32) - 0.5) / c.dim
        bC = (rng.random(n, dtype=np.float32) - 0.5) / c.dim
        gW, gC = np.ones_like(W), np.ones_like(C)
        gbW, gbC = np.ones_like(bW), np.ones_like(bC)
        threads = default_threads(c.threads)
        bounds = np.linspace(0, len(rows), threads + 1).astype(np.int64)
        self.setup_seconds = time.perf_counter() - t0

        def part(t: int) -> float:
            return _glove_epoch(
                rows, cols, logx, fx, bounds[t], bounds[t + 1], W, C, bW, bC, gW, gC, gbW, gbC, np.float32(c.eta)
            )

        self.losses, self.epoch_seconds = [], []
        with ThreadPoolExecutor(threads) as pool:
            for _ in progress(range(c.epochs), desc="GloVe", unit="epoch"):
                t0 = time.perf_counter()
                cost = sum(pool.map(part, range(threads))) if threads > 1 else part(0)
                self.epoch_seconds.append(time.perf_counter() - t0)
                self.losses.append(float(cost) / len(rows))
        self.vectors = Vectors(words, W + C, counts)
        return self

    def to_config(self) -> dict:
        return {"method": "glove", **asdict(self.config)}
