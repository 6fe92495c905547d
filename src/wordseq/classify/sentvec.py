"""Logistic regression on sentence vectors: the plain mean of word vectors, or SIF (Arora, Liang & Ma
2017), with the first principal component of the training sentences removed. The sentence vectors
themselves are :mod:`wordseq.embed.sentences`' (``wordseq embed sentences`` writes them out).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from wordseq.classify.base import KIND_PREFIX, Classifier, softmax
from wordseq.classify.data import LabelledData, tokens
from wordseq.config import Config
from wordseq.errors import WordseqError
from wordseq.estimator import LayerInfo, ModelSummary


def load_word_vectors(path: str | os.PathLike) -> Any:
    """Any vector file wordseq reads (``.wsq``, word2vec text or binary, GloVe text) as ``Vectors``."""
    from wordseq.embed import load_vectors

    return load_vectors(path)


@dataclass
class VectorsConfig(Config):
    """``vectors``: the word-vector file; ``weighting``: ``mean`` or ``sif`` (``sif_a``; word frequencies from
    the vector file's counts when it has them, else from the training texts); ``c``: logistic regression's
    inverse regularization; ``keep_vectors``: how many of the file's most frequent words the model file keeps
    besides the training words (so that words first seen at prediction time still count)."""

    vectors: str = ""
    weighting: str = "mean"
    sif_a: float = 1e-3
    c: float = 1.0
    lower: bool = False
    keep_vectors: int = 50000
    max_iter: int = 1000
    seed: int = 0

    def validate(self) -> None:
        self.check_choice("weighting", ("mean", "sif"))
        self.check_range("sif_a", lo=0.0, lo_open=True)
        self.check_range("c", lo=0.0, lo_open=True)
        self.check_range("keep_vectors", lo=0, integer=True)
        self.check_range("max_iter", lo=1, integer=True)


class _Words:
    def __init__(self, itos: list[str], counts: np.ndarray) -> None:
        self.itos, self.counts, self.specials = itos, counts, ()


class VectorsClassifier(Classifier):
    """Logistic regression on mean or SIF sentence vectors."""

    kind: ClassVar[str] = f"{KIND_PREFIX}-vectors"
    config_class: ClassVar[type[Config]] = VectorsConfig
    config: VectorsConfig

    def __init__(self, config: VectorsConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.words: list[str] = []
        self.counts = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.weights: np.ndarray | None = None
        self.component: np.ndarray | None = None
        self.coef = np.zeros((0, 0))
        self.intercept = np.zeros(0)
        self._index: dict[str, int] | None = None

    @property
    def index(self) -> dict[str, int]:
        if self._index is None or len(self._index) != len(self.words):
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def _fit(self, train: LabelledData, dev: LabelledData | None, vectors: Any = None, **kwargs: Any) -> None:
        from sklearn.linear_model import LogisticRegression

        from wordseq.embed.sentences import first_component, sentence_vectors, sif_weights

        cfg = self.config
        vec = vectors if vectors is not None else (load_word_vectors(cfg.vectors) if cfg.vectors else None)
        if vec is None:
            raise WordseqError("mean-vectors needs a word-vector file (vectors=...)")
        train_counts: Counter[str] = Counter(t for text in train.texts for t in tokens(text, cfg.lower))
        rows = [i for i in range(min(cfg.keep_vectors, len(vec.words)))]
        keep = set(rows)
        covered = 0
        for w in train_counts:
            i = vec.index.get(w)
            if i is not None:
                covered += 1
                if i not in keep:
                    keep.add(i)
                    rows.append(i)
        self.notes.append(
            f"vectors cover {covered:,} of the {len(train_counts):,} training word types "
            f"({100 * covered / max(len(train_counts), 1):.1f}%)"
        )
        self.provenance["vector_coverage"] = self.notes[-1]
        self.words = [vec.words[i] for i in rows]
        self.matrix = vec.vectors[rows].astype(np.float32)
        if vec.counts is not None:
            self.counts = vec.counts[rows].astype(np.int64)
        else:
            self.counts = np.asarray([train_counts.get(w, 0) for w in self.words], dtype=np.int64)
        self._index = None
        self.weights = sif_weights(self.counts, cfg.sif_a) if cfg.weighting == "sif" else None
        self.component = None
        x = sentence_vectors(train.texts, self.index, self.matrix, self.weights, None, cfg.lower)
        if cfg.weighting == "sif":
            self.component = first_component(x)
            x -= np.outer(x @ self.component, self.component).astype(np.float32)
        model = LogisticRegression(C=cfg.c, max_iter=cfg.max_iter, random_state=cfg.seed)
        model.fit(x, self._label_ids(train.labels))
        self.coef = np.asarray(model.coef_, dtype=np.float64)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64).ravel()

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """The sentence vectors this model classifies."""
        from wordseq.embed.sentences import sentence_vectors

        return sentence_vectors(list(texts), self.index, self.matrix, self.weights, self.component, self.config.lower)

    def predict_proba(self, texts: Any) -> np.ndarray:
        s = self.transform(list(texts)).astype(np.float64) @ self.coef.T + self.intercept
        if s.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-s[:, 0]))
            return np.stack([1 - p1, p1], axis=1)
        return softmax(s)

    def save(self, path: str | os.PathLike) -> Any:
        tensors: dict[str, np.ndarray] = {"matrix": self.matrix, "coef": self.coef, "intercept": self.intercept}
        if self.weights is not None:
            tensors["weights"] = self.weights
        if self.component is not None:
            tensors["component"] = self.component
        return self._save(path, tensors, {"words": _Words(self.words, self.counts)})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        model, mf = cls._open(path)
        model.words = list(mf.vocabs["words"].itos)
        model.counts = np.asarray(mf.vocabs["words"].counts)
        model.matrix = mf.tensors["matrix"]
        model.coef = mf.tensors["coef"]
        model.intercept = mf.tensors["intercept"]
        model.weights = mf.tensors.get("weights")
        model.component = mf.tensors.get("component")
        return model

    def summary(self) -> ModelSummary:
        s = super().summary()
        s.vocab_size = len(self.words)
        dim = self.matrix.shape[1] if self.matrix.size else 0
        s.layers = [
            LayerInfo(
                "embedding", f"{self.config.weighting} of word vectors", f"(batch, {dim})", int(self.matrix.size), False
            ),
            LayerInfo(
                "linear",
                "LogisticRegression",
                f"(batch, {len(self.labels)})",
                int(self.coef.size + self.intercept.size),
            ),
        ]
        return s
