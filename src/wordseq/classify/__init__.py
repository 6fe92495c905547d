"""Text classification: one reader for labelled text, linear models and NBSVM on n-grams, a fastText-style
classifier, Kim's CNN, recurrent classifiers and logistic regression on sentence vectors
(:mod:`wordseq.embed.sentences`), all as estimators with one model file.

The neural classifiers (``CNNClassifier``, ``RNNClassifier`` and their configs) are imported on first use,
so that the linear and fastText-style models and the readers do not pay for importing torch."""

from typing import Any

from wordseq.classify.base import Classifier
from wordseq.classify.data import LabelledData, read_class_files, read_labelled, stratified_folds
from wordseq.classify.fasttext import FastTextClassifier, FastTextConfig
from wordseq.classify.files import load_classifier
from wordseq.classify.linear import LinearClassifier, LinearConfig
from wordseq.classify.metrics import ClassifyScore, CrossValidationScore, plot_confusion, score
from wordseq.classify.sentvec import VectorsClassifier, VectorsConfig

__all__ = [
    "CNNClassifier",
    "CNNConfig",
    "Classifier",
    "ClassifyScore",
    "CrossValidationScore",
    "FastTextClassifier",
    "FastTextConfig",
    "LabelledData",
    "LinearClassifier",
    "LinearConfig",
    "RNNClassifier",
    "RNNConfig",
    "VectorsClassifier",
    "VectorsConfig",
    "load_classifier",
    "plot_confusion",
    "read_class_files",
    "read_labelled",
    "score",
    "stratified_folds",
]


def __getattr__(name: str) -> Any:
    if name in ("CNNClassifier", "CNNConfig", "RNNClassifier", "RNNConfig"):
        from wordseq.classify import neural

        return getattr(neural, name)
    raise AttributeError(f"module 'wordseq.classify' has no attribute {name!r}")
