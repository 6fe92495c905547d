"""Classification scores: accuracy, macro-F1, per-class precision/recall/F1, the confusion matrix and its
picture, and the mean and standard deviation over cross-validation folds."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ClassScore:
    """Precision, recall and F1 (fractions in [0, 1]) of one class, and how many gold examples it has."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class ClassifyScore:
    """How a classifier did on labelled data. Fractions are in [0, 1].

    ``unseen_labels`` counts gold labels the model never saw in training (each such example is counted as
    wrong); ``confusion[i][j]`` counts gold ``labels[i]`` predicted as ``labels[j]``.
    """

    examples: int
    accuracy: float
    macro_f1: float
    per_class: list[ClassScore]
    labels: list[str]
    confusion: list[list[int]]
    unseen_labels: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        lines = [
            f"examples   {self.examples:,}",
            f"accuracy   {100 * self.accuracy:.2f}%",
            f"macro-F1   {100 * self.macro_f1:.2f}%",
        ]
        if self.unseen_labels:
            unseen = ", ".join(f"{k} ({v})" for k, v in self.unseen_labels.items())
            lines.append(f"labels not seen in training (counted as wrong): {unseen}")
        width = max([len(c.label) for c in self.per_class] + [5])
        lines += ["", f"  {'class':<{width}}  precision  recall     F1  support"]
        for c in self.per_class:
            lines.append(
                f"  {c.label:<{width}}  {100 * c.precision:9.2f}  {100 * c.recall:6.2f}  {100 * c.f1:5.2f}  {c.support:7,}"
            )
        return "\n".join(lines)


def score(gold: Sequence[str], predicted: Sequence[str], known: Sequence[str] | None = None) -> ClassifyScore:
    """Score ``predicted`` against ``gold``; ``known`` are the labels the model was trained on (gold labels
    outside it are reported in ``unseen_labels``)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labels = sorted(set(gold) | set(predicted) | set(known or ()))
    unseen = dict(sorted(Counter(g for g in gold if known is not None and g not in set(known)).items()))
    if not gold:
        return ClassifyScore(0, 0.0, 0.0, [], labels, [], unseen)
    cm = confusion(gold, predicted, labels)
    per_class = []
    for i, lab in enumerate(labels):
        tp, support, guessed = cm[i][i], sum(cm[i]), sum(row[i] for row in cm)
        p = tp / guessed if guessed else 0.0
        r = tp / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_class.append(ClassScore(lab, p, r, f, support))
    present = [c for c in per_class if c.support > 0]  # macro-F1 over the classes of the gold data
    correct = sum(g == q for g, q in zip(gold, predicted))
    return ClassifyScore(
        len(gold),
        correct / len(gold),
        sum(c.f1 for c in present) / max(len(present), 1),
        per_class,
        labels,
        cm,
        unseen,
    )


def confusion(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """``m[i][j]``: how many examples of gold ``labels[i]`` were predicted as ``labels[j]`` (plain Python,
    so that scoring does not import scikit-learn)."""
    index = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for (g, q), n in Counter(zip(gold, predicted)).items():
        m[index[g]][index[q]] += n
    return m


@dataclass
class CrossValidationScore:
    """Mean and (sample) standard deviation of accuracy and macro-F1 over folds; each fold's score too."""

    folds: list[ClassifyScore]
    accuracy_mean: float
    accuracy_std: float
    macro_f1_mean: float
    macro_f1_std: float

    def text(self) -> str:
        accs = " ".join(f"{100 * f.accuracy:.2f}" for f in self.folds)
        return (
            f"{len(self.folds)}-fold cross-validation\n"
            f"accuracy   {100 * self.accuracy_mean:.2f} ± {100 * self.accuracy_std:.2f}%   (folds: {accs})\n"
            f"macro-F1   {100 * self.macro_f1_mean:.2f} ± {100 * self.macro_f1_std:.2f}%"
        )


def _mean_std(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    var = sum((v - m) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    return m, math.sqrt(var)


def cross_validation_score(folds: list[ClassifyScore]) -> CrossValidationScore:
    am, asd = _mean_std([f.accuracy for f in folds])
    fm, fsd = _mean_std([f.macro_f1 for f in folds])
    return CrossValidationScore(folds, am, asd, fm, fsd)


def plot_confusion(result: ClassifyScore, path: str | os.PathLike, title: str = "") -> Path:
    """Write the confusion matrix (rows: gold, columns: predicted; shaded by row fraction) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from wordseq.io.atomic import atomic_path

    cm = np.asarray(result.confusion, dtype=float)
    n = len(result.labels)
    rows = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.5 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), result.labels, rotation=90 if n > 6 else 0)
    ax.set_yticks(range(n), result.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        f"{int(cm[i, j])}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if rows[i, j] > 0.5 else "black",
                    )
    ax.set_title(title or f"accuracy {100 * result.accuracy:.2f}%")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)
