"""GloVe (Pennington, Socher & Manning 2014): weighted least squares on log co-occurrence counts.

For every stored cell ``X_ij`` (symmetric window, 1/distance weighting, as GloVe's ``cooccur``):

    J = sum_ij f(X_ij) (w_i . c_j + b_i + b~_j - log X_ij)^2,   f(x) = min(1, (x / x_max)^weighting_exponent)

minimized by AdaGrad (initial squared-gradient sums 1, learning rate ``lr``) over the cells in one
random order, as Stanford's ``glove`` does after ``shuffle``. The kernel is compiled with numba and runs
Hogwild: each thread takes its own contiguous range of the shuffled cells and updates the shared matrices
without locks (the GIL is released). The word vectors are ``W + C`` at the end (Stanford's ``-model 2``).
The loss per epoch (``history``, ``train_weighted_sq_error``) is the mean of ``0.5 f(x) (error)^2`` over the cells, summed in float64.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wordseq.config import Config
from wordseq.embed.base import Corpus, VectorModel
from wordseq.embed.checkpoint import TrainingState, corpus_fingerprint, load_training_state, save_training_state
from wordseq.embed.vectors import Vectors
from wordseq.errors import WordseqError
from wordseq.estimator import LayerInfo
from wordseq.progress import progress
from wordseq.text.tokenize import Tokenizer

if TYPE_CHECKING:
    import scipy.sparse as sp


KIND = "vectors-glove"


@dataclass
class GloVeConfig(Config):
    """GloVe's settings; names and defaults follow Stanford's ``glove`` (``threads`` None: all cores).
    ``min_count`` and ``max_vocab`` build the vocabulary when ``fit`` is given a corpus path."""

    dim: int = 100
    window: int = 10
    x_max: float = 100.0
    weighting_exponent: float = 0.75
    lr: float = 0.05
    epochs: int = 15
    distance_weighting: bool = True
    symmetric: bool = True
    min_count: int = 5
    max_vocab: int | None = None
    seed: int = 0
    threads: int | None = None

    def validate(self) -> None:
        self.check_range("dim", lo=1, integer=True)
        self.check_range("window", lo=1, integer=True)
        self.check_range("x_max", lo=0.0, lo_open=True)
        self.check_range("weighting_exponent", lo=0.0)
        self.check_range("lr", lo=0.0, lo_open=True)
        self.check_range("epochs", lo=1, integer=True)
        self.check_choice("distance_weighting", (True, False))
        self.check_choice("symmetric", (True, False))
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vocab", lo=1, integer=True, optional=True)
        self.check_range("seed", lo=0, integer=True)
        self.check_range("threads", lo=1, integer=True, optional=True)


class GloVe(VectorModel[GloVeConfig]):
    """``GloVe(dim=100, epochs=15).fit(corpus)``; then ``.vectors`` (W + C) and ``.history``.

    ``fit_matrix`` trains on a co-occurrence matrix already counted."""

    kind = KIND
    config_class = GloVeConfig

    def __init__(self, config: GloVeConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.cooccur_seconds = 0.0
        self.setup_seconds = 0.0  # shuffle, log counts, weights, initialization
        self.entries = 0  # co-occurrence cells trained on

    @property
    def losses(self) -> list[float]:
        """The per-epoch loss column of :attr:`history`."""
        return [h["train_weighted_sq_error"] for h in self.history]

    def fit(
        self,
        data: Corpus,
        valid: Any = None,
        *,
        tokenizer: Tokenizer | None = None,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        **kwargs: Any,
    ) -> GloVe:
        """Count co-occurrences in ``data`` (a corpus path or an encoded corpus) and train; returns the model.
        ``memory`` (bytes or ``"1G"``) counts within that budget, spilling sorted runs to disk (same counts);
        ``checkpoint`` and ``resume`` as in :meth:`fit_matrix`."""
        from wordseq.embed.cooccur import CooccurConfig, cooccurrence_matrix

        c = self.config
        memory = kwargs.pop("memory", None)
        encoded = self._encode(data, valid, tokenizer, kwargs)
        t0 = time.perf_counter()
        X, words, counts = cooccurrence_matrix(
            encoded,
            CooccurConfig(
                window=c.window,
                symmetric=c.symmetric,
                distance_weighting=c.distance_weighting,
                threads=c.threads,
                memory=memory,
            ),
        )
        self.cooccur_seconds = time.perf_counter() - t0
        return self.fit_matrix(X, words, counts, checkpoint=checkpoint, resume=resume)

    def fit_matrix(
        self,
        X: sp.spmatrix,
        words: list[str],
        counts: np.ndarray | None = None,
        *,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
    ) -> GloVe:
        """Train on a word-by-context co-occurrence matrix already counted; returns the model.

        ``checkpoint``: a file written after every epoch (both matrices, biases and AdaGrad sums, history);
        ``resume=True`` continues from it (same config and matrix), bit-identical with one thread."""
        import scipy.sparse as sp

        from wordseq.embed._glove_kernel import glove_epoch  # numba: loaded on first use
        from wordseq.embed.cooccur import default_threads

        c = self.config
        t0 = time.perf_counter()
        coo = sp.coo_matrix(X)
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
        fx = np.minimum(1.0, (x / c.x_max) ** c.weighting_exponent).astype(np.float32)
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
            return glove_epoch(
                rows, cols, logx, fx, bounds[t], bounds[t + 1], W, C, bW, bC, gW, gC, gbW, gbC, np.float32(c.lr)
            )

        self.history = []
        arrays = {"W": W, "C": C, "bW": bW, "bC": bC, "gW": gW, "gC": gC, "gbW": gbW, "gbC": gbC}
        fingerprint = corpus_fingerprint(len(rows), words, rows, cols, logx)
        start_epoch = 0
        if resume:
            if checkpoint is None:
                raise WordseqError("resume needs a checkpoint file")
            shapes = {k: v.shape for k, v in arrays.items()}
            state = load_training_state(checkpoint, KIND, c.to_dict(), fingerprint, shapes)
            for k, v in arrays.items():
                v[...] = state.arrays[k]
            self.history, start_epoch = state.history, state.epoch
        with ThreadPoolExecutor(threads) as pool:
            for epoch in progress(range(start_epoch, c.epochs), desc="GloVe", unit="epoch"):
                t0 = time.perf_counter()
                cost = sum(pool.map(part, range(threads))) if threads > 1 else part(0)
                self.history.append(
                    {
                        "epoch": epoch + 1,
                        "train_weighted_sq_error": float(cost) / len(rows),
                        "seconds": time.perf_counter() - t0,
                    }
                )
                if checkpoint is not None:
                    save_training_state(
                        checkpoint,
                        KIND,
                        c.to_dict(),
                        fingerprint,
                        c.epochs,
                        TrainingState(epoch + 1, self.history, arrays),
                    )
        self.vectors = Vectors(words, W + C, counts)
        return self

    def _layers(self) -> list[LayerInfo]:
        v = self._fitted()
        n, d = len(v), v.dim
        # training fits W, C (n x d each) and two bias vectors; the model keeps their useful sum
        return [LayerInfo("word vectors (W + C)", "Embedding", f"{n} x {d}", n * d)]
