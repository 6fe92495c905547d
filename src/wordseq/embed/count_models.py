"""Count-based word vectors: co-occurrence counts -> (PPMI) -> truncated SVD.

- :func:`ppmi`: positive pointwise mutual information with context-distribution smoothing
  ``P_alpha(c) = #c^alpha / sum #c'^alpha`` (alpha = 0.75) and an optional shift ``log k``
  (Levy, Goldberg & Dagan 2015): ``max(0, log P(w,c) / (P(w) P_alpha(c)) - log k)``.
- :func:`truncated_svd`: ``M ~ U S V^T`` keeping ``dim`` singular values; the word vectors are
  ``U S^p`` (eigenvalue weighting ``p``: 1 is the plain SVD, 0.5 symmetric, 0 drops the singular values).
- :class:`PPMISVD`: counts -> PPMI -> SVD, the strong count-based baseline of Levy et al.
- :class:`CountSVD`: SVD of the raw (or row-normalized, or log) co-occurrence matrix, the baseline the
  slides start from.

Only the stored (non-zero) cells are touched: a zero count has PMI minus infinity, whose positive part is 0.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from wordseq.embed.cooccur import CooccurConfig, cooccurrence_matrix, row_normalize
from wordseq.embed.vectors import Vectors
from wordseq.errors import WordseqError


def ppmi(counts: sp.spmatrix, alpha: float = 0.75, shift: float = 1.0) -> sp.csr_matrix:
    """Shifted positive PMI of a word-by-context count matrix with context smoothing ``alpha``."""
    if shift <= 0:
        raise WordseqError(f"the PMI shift k must be positive, got {shift}")
    m = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    m.eliminate_zeros()
    total = m.sum()
    if total <= 0:
        raise WordseqError("no co-occurrences: the corpus is too small for the window")
    row = np.asarray(m.sum(axis=1)).ravel()  # #(w)
    col = np.asarray(m.sum(axis=0)).ravel() ** alpha  # #(c)^alpha
    p_w = row / total
    p_c = col / col.sum()
    r = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    with np.errstate(divide="ignore"):
        m.data = np.log(m.data / total) - np.log(p_w[r]) - np.log(p_c[m.indices]) - np.log(shift)
    m.data[m.data < 0] = 0
    m.eliminate_zeros()
    return m


def truncated_svd(matrix: sp.spmatrix, dim: int, p: float = 0.5, seed: int = 0) -> np.ndarray:
    """Rows of ``U_dim S_dim^p`` (largest singular values first, signs fixed so the largest-magnitude
    entry of each column is positive, for reproducible output)."""
    from scipy.sparse.linalg import svds

    n = min(matrix.shape)
    if dim < 1:
        raise WordseqError(f"dim must be at least 1, got {dim}")
    if dim >= n:
        raise WordseqError(f"dim {dim} must be smaller than the vocabulary ({n} words)")
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    try:
        # PROPACK's Lanczos bidiagonalization: the same singular triplets as ARPACK, 10-20x faster here.
        u, s, _ = svds(matrix, k=dim, solver="propack", random_state=seed)
    except (ValueError, RuntimeError):  # a SciPy built without PROPACK
        v0 = np.random.default_rng(seed).uniform(-1, 1, size=n)
        u, s, _ = svds(matrix, k=dim, v0=v0)
    order = np.argsort(-s)
    u, s = u[:, order], s[order]
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(dim)])
    signs[signs == 0] = 1
    return (u * signs * s**p).astype(np.float32)


@dataclass
class PPMIConfig:
    dim: int = 100
    window: int = 5
    alpha: float = 0.75  # context-distribution smoothing
    shift: float = 1.0  # k in log k (1 = no shift)
    eig: float = 0.5  # eigenvalue weighting p
    distance_weighting: bool = False
    seed: int = 0
    threads: int | None = None


class PPMISVD:
    """PPMI + truncated SVD word vectors: ``PPMISVD(PPMIConfig(dim=100)).fit(encoded).vectors``."""

    def __init__(self, config: PPMIConfig | None = None) -> None:
        self.config = config or PPMIConfig()
        self.vectors: Vectors | None = None
        self.timings: dict[str, float] = {}

    def fit(self, encoded) -> PPMISVD:
        c = self.config
        _check_dim(c.dim)
        t0 = time.perf_counter()
        counts, words, freq = cooccurrence_matrix(
            encoded,
            CooccurConfig(window=c.window, symmetric=True, distance_weighting=c.distance_weighting, threads=c.threads),
        )
        t1 = time.perf_counter()
        m = ppmi(counts, c.alpha, c.shift)
        vec = truncated_svd(m, c.dim, c.eig, c.seed)
        t2 = time.perf_counter()
        self.timings = {"cooccur": t1 - t0, "ppmi_svd": t2 - t1}
        self.vectors = Vectors(words, vec, freq)
        return self

    def to_config(self) -> dict:
        return {"method": "ppmi-svd", **asdict(self.config)}


@dataclass
class SVDConfig:
    dim: int = 100
    window: int = 5
    transform: str = "none"  # "none" (raw counts), "rownorm" (P(c|w)) or "log" (log(1 + count))
    eig: float = 1.0
    distance_weighting: bool = False
    seed: int = 0
    threads: int | None = None


class CountSVD:
    """Truncated SVD of the co-occurrence matrix itself: the plain baseline."""

    def __init__(self, config: SVDConfig | None = None) -> None:
        self.config = config or SVDConfig()
        self.vectors: Vectors | None = None

    def fit(self, encoded) -> CountSVD:
        c = self.config
        _check_dim(c.dim)
        if c.transform not in ("none", "rownorm", "log"):
            raise WordseqError(f"unknown transform {c.transform!r} (choose none, rownorm or log)")
        counts, words, freq = cooccurrence_matrix(
            encoded,
            CooccurConfig(window=c.window, symmetric=True, distance_weighting=c.distance_weighting, threads=c.threads),
        )
        if counts.nnz == 0:
            raise WordseqError("no co-occurrences: the corpus is too small for the window")
        if c.transform == "rownorm":
            counts = row_normalize(counts)
        elif c.transform == "log":
            counts = counts.copy()
            counts.data = np.log1p(counts.data)
        self.vectors = Vectors(words, truncated_svd(counts, c.dim, c.eig, c.seed), freq)
        return self

    def to_config(self) -> dict:
        return {"method": "svd", **asdict(self.config)}


def _check_dim(dim: int) -> None:
    if dim < 1:
        raise WordseqError(f"dim must be at least 1, got {dim}")
