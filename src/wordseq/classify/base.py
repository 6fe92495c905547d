"""What every classifier shares: the data it accepts, prediction with probabilities and top-k, evaluation,
cross-validation, and the model-file envelope (labels, provenance, history)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from wordseq.classify.data import LabelledData, read_labelled, stratified_folds
from wordseq.classify.metrics import ClassifyScore, CrossValidationScore, cross_validation_score, score
from wordseq.config import Config
from wordseq.errors import WordseqError
from wordseq.estimator import Estimator, ModelSummary

KIND_PREFIX = "classify"


def as_data(data: Any) -> LabelledData:
    """A path (read with the format guessed, UTF-8), :class:`LabelledData`, or ``(label, text)`` pairs."""
    if isinstance(data, LabelledData):
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_labelled(data)
    return LabelledData.from_pairs(data)


class Classifier(Estimator[Any]):
    """Base of the text classifiers: subclasses implement ``_fit``, ``predict_proba`` and the file parts."""

    kind: ClassVar[str] = KIND_PREFIX
    config_class: ClassVar[type[Config]] = Config

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.labels: list[str] = []
        self.provenance: dict[str, Any] = {}
        self.notes: list[str] = []  # facts worth telling the user (vector coverage, dimension changes)

    # ------------------------------------------------------------------ training

    def fit(self, data: Any, valid: Any = None, **kwargs: Any) -> Self:
        """Train on labelled data (a path, :class:`LabelledData`, or ``(label, text)`` pairs); ``valid`` is
        used by the neural models for early stopping and choosing the best epoch."""
        train = as_data(data)
        if len(train) == 0:
            raise WordseqError(f"{train.source or 'the training data'}: no examples to train on")
        self.labels = sorted(set(train.labels))
        if len(self.labels) < 2:
            raise WordseqError(
                f"{train.source or 'the training data'}: every example has the label {self.labels[0]!r}; "
                "a classifier needs at least two classes"
            )
        dev = as_data(valid) if valid is not None else None
        self.history = []
        self.provenance = {"corpus": train.source, "train_examples": len(train), "label_counts": train.label_counts()}
        self._fit(train, dev, **kwargs)
        return self

    def _fit(self, train: LabelledData, dev: LabelledData | None, **kwargs: Any) -> None:
        raise NotImplementedError

    def _label_ids(self, labels: Sequence[str]) -> np.ndarray:
        index = {lab: i for i, lab in enumerate(self.labels)}
        return np.asarray([index.get(lab, -1) for lab in labels], dtype=np.int64)

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), len(labels))`` class probabilities (columns in the order of ``self.labels``)."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        if not len(texts):
            return []
        return [self.labels[i] for i in self.predict_proba(texts).argmax(axis=1).tolist()]

    def top_k(self, texts: Sequence[str], k: int = 1) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable labels of each text with their probabilities, best first."""
        if not len(texts):
            return []
        probs = self.predict_proba(texts)
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        return [[(self.labels[j], float(probs[i, j])) for j in row] for i, row in enumerate(order.tolist())]

    def evaluate(self, data: Any) -> ClassifyScore:
        """Accuracy, macro-F1, per-class scores and the confusion matrix on labelled data; gold labels never
        seen in training are reported and counted as wrong."""
        test = as_data(data)
        return score(test.labels, self.predict(test.texts), known=self.labels)

    def cross_validate(self, data: Any, folds: int = 10, seed: int = 0, **kwargs: Any) -> CrossValidationScore:
        """Stratified ``folds``-fold cross-validation with this configuration (a fresh model per fold)."""
        full = as_data(data)
        parts = stratified_folds(full.labels, folds, seed)
        scores = []
        for k, test_idx in enumerate(parts):
            mask = np.ones(len(full), dtype=bool)
            mask[test_idx] = False
            model = type(self)(self.config)
            model.fit(full.subset(np.flatnonzero(mask)), **kwargs)
            scores.append(model.evaluate(full.subset(test_idx)))
            self.history.append({"fold": k + 1, "accuracy": scores[-1].accuracy, "macro_f1": scores[-1].macro_f1})
        return cross_validation_score(scores)

    # ------------------------------------------------------------------ files

    def _save(
        self,
        path: str | os.PathLike,
        tensors: dict[str, np.ndarray],
        vocabs: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> Path:
        from wordseq.io.modelfile import ModelFile, save_model

        if not self.labels:
            raise WordseqError("the model is not trained yet: nothing to save")
        provenance = {**self.provenance, "history": self.history}
        return save_model(
            path,
            ModelFile(
                self.kind, self.config.to_dict(), tensors, vocabs, provenance, {"labels": self.labels, **(extra or {})}
            ),
        )

    @classmethod
    def _open(cls, path: str | os.PathLike) -> tuple[Self, Any]:
        """The model (config, labels, provenance restored) and the raw file, for the subclass to finish."""
        from wordseq.io.modelfile import load_model

        mf = load_model(path, kind=cls.kind)
        model = cls(cls.config_class.from_dict(mf.config))
        model.labels = list(mf.extra["labels"])
        model.provenance = {k: v for k, v in mf.provenance.items() if k != "history"}
        model.history = list(mf.provenance.get("history", []))
        return model, mf

    def summary(self) -> ModelSummary:
        return ModelSummary(
            self.kind,
            self.config.to_dict(),
            provenance=self.provenance,
            extra={"labels": ", ".join(self.labels)} if self.labels else {},
        )


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax (stable)."""
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
