"""Count-based word vectors: co-occurrence counts -> (PPMI) -> truncated SVD.

- :func:`ppmi`: positive pointwise mutual information with context-distribution smoothing
  ``P_a(c) = #c^a / sum #c'^a`` (``context_smoothing`` a = 0.75) and an optional shift ``log k``
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wordseq.config import Config
from wordseq.embed.base import Corpus, VectorModel
from wordseq.embed.vectors import Vectors
from wordseq.errors import WordseqError
from wordseq.text.tokenize import Tokenizer

if TYPE_CHECKING:
    import scipy.sparse as sp


def ppmi(counts: sp.spmatrix, context_smoothing: float = 0.75, shift: float = 1.0) -> sp.csr_matrix:
    """Shifted positive PMI of a word-by-context count matrix with context-distribution smoothing."""
    import scipy.sparse as sp

    if shift <= 0:
        raise WordseqError(f"the PMI shift k must be positive, got {shift}")
    m = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    m.eliminate_zeros()
    total = m.sum()
    if total <= 0:
        raise WordseqError("no co-occurrences: the corpus is too small for the window")
    row = np.asarray(m.sum(axis=1)).ravel()  # #(w)
    col = np.asarray(m.sum(axis=0)).ravel() ** context_smoothing  # #(c)^a
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
    import scipy.sparse as sp
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


def _check_fields(cfg: Config) -> None:
    """The fields every count-based config shares."""
    cfg.check_range("dim", lo=1, integer=True)
    cfg.check_range("window", lo=1, integer=True)
    cfg.check_range("eig", lo=0.0)
    cfg.check_choice("distance_weighting", (True, False))
    cfg.check_range("min_count", lo=1, integer=True)
    cfg.check_range("max_vocab", lo=1, integer=True, optional=True)
    cfg.check_range("seed", lo=0, integer=True)
    cfg.check_range("threads", lo=1, integer=True, optional=True)


@dataclass
class PPMIConfig(Config):
    """PPMI+SVD settings (Levy, Goldberg & Dagan 2015); ``min_count``/``max_vocab`` apply to a corpus path."""

    dim: int = 100
    window: int = 5
    context_smoothing: float = 0.75  # the exponent a of P_a(c)
    shift: float = 1.0  # k in log k (1 = no shift)
    eig: float = 0.5  # eigenvalue weighting p
    distance_weighting: bool = False
    min_count: int = 5
    max_vocab: int | None = None
    seed: int = 0
    threads: int | None = None

    def validate(self) -> None:
        _check_fields(self)
        self.check_range("context_smoothing", lo=0.0, hi=1.0, lo_open=True)
        self.check_range("shift", lo=0.0, lo_open=True)


@dataclass
class SVDConfig(Config):
    """Count+SVD settings; ``transform`` is ``none`` (raw counts), ``rownorm`` (P(c|w)) or ``log`` (log(1 + count))."""

    dim: int = 100
    window: int = 5
    transform: str = "none"
    eig: float = 1.0
    distance_weighting: bool = False
    min_count: int = 5
    max_vocab: int | None = None
    seed: int = 0
    threads: int | None = None

    def validate(self) -> None:
        _check_fields(self)
        self.check_choice("transform", ("none", "rownorm", "log"))


def _counts(
    model: VectorModel[Any], data: Corpus, valid: Any, tokenizer: Tokenizer | None, kwargs: dict[str, Any]
) -> tuple[Any, list[str], np.ndarray]:
    from wordseq.embed.cooccur import CooccurConfig, cooccurrence_matrix

    c = model.config
    memory = kwargs.pop("memory", None)  # a byte budget for the counting: same counts, runs on disk
    encoded = model._encode(data, valid, tokenizer, kwargs)
    cfg = CooccurConfig(
        window=c.window, symmetric=True, distance_weighting=c.distance_weighting, threads=c.threads, memory=memory
    )
    return cooccurrence_matrix(encoded, cfg)


class PPMISVD(VectorModel[PPMIConfig]):
    """PPMI + truncated SVD word vectors: ``PPMISVD(dim=100).fit(corpus).vectors``."""

    kind = "vectors-ppmi-svd"
    config_class = PPMIConfig

    def fit(self, data: Corpus, valid: Any = None, *, tokenizer: Tokenizer | None = None, **kwargs: Any) -> PPMISVD:
        """Count, weight by PPMI and factorize; ``history`` holds the one pass's timings."""
        c = self.config
        t0 = time.perf_counter()
        counts, words, freq = _counts(self, data, valid, tokenizer, kwargs)
        t1 = time.perf_counter()
        m = ppmi(counts, c.context_smoothing, c.shift)
        vec = truncated_svd(m, c.dim, c.eig, c.seed)
        t2 = time.perf_counter()
        self.history = [{"pass": 1, "cooccur_seconds": t1 - t0, "ppmi_svd_seconds": t2 - t1, "seconds": t2 - t0}]
        self.vectors = Vectors(words, vec, freq)
        return self


class CountSVD(VectorModel[SVDConfig]):
    """Truncated SVD of the co-occurrence matrix itself: the plain baseline."""

    kind = "vectors-svd"
    config_class = SVDConfig

    def fit(self, data: Corpus, valid: Any = None, *, tokenizer: Tokenizer | None = None, **kwargs: Any) -> CountSVD:
        """Count, transform and factorize; ``history`` holds the one pass's timings."""
        c = self.config
        t0 = time.perf_counter()
        counts, words, freq = _counts(self, data, valid, tokenizer, kwargs)
        if counts.nnz == 0:
            raise WordseqError("no co-occurrences: the corpus is too small for the window")
        t1 = time.perf_counter()
        if c.transform == "rownorm":
            from wordseq.embed.cooccur import row_normalize

            counts = row_normalize(counts)
        elif c.transform == "log":
            counts = counts.copy()
            counts.data = np.log1p(counts.data)
        self.vectors = Vectors(words, truncated_svd(counts, c.dim, c.eig, c.seed), freq)
        t2 = time.perf_counter()
        self.history = [{"pass": 1, "cooccur_seconds": t1 - t0, "svd_seconds": t2 - t1, "seconds": t2 - t0}]
        return self
