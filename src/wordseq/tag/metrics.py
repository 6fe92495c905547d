"""Tagging scores: token accuracy (overall, per gold tag, on words unseen in training) and span precision,
recall and F1 per type and micro-averaged, counted exactly as ``conlleval`` and ``seqeval`` count them; a
confusion-matrix picture.

Spans are read per sentence (:func:`wordseq.tag.schemes.spans`), as seqeval does after joining sentences
with ``O``: a span never crosses a sentence boundary. An F1 with no predicted or no gold span is 0.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wordseq.tag.schemes import spans


@dataclass
class SpanScore:
    """Precision, recall and F1 (fractions) of one span type, or micro-averaged over all."""

    precision: float
    recall: float
    f1: float
    gold_spans: int
    predicted_spans: int
    correct_spans: int


def _prf(correct: int, predicted: int, gold: int) -> SpanScore:
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return SpanScore(p, r, f, gold, predicted, correct)


def span_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, SpanScore]:
    """Span scores per type and ``"micro"`` over all types, from sentences of gold and predicted tags."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    g_count: Counter[str] = Counter()
    p_count: Counter[str] = Counter()
    c_count: Counter[str] = Counter()
    for g, p in zip(gold, predicted):
        if len(g) != len(p):
            raise ValueError(f"a sentence of {len(g)} gold tags has {len(p)} predicted tags")
        gs, ps = set(spans(g)), set(spans(p))
        g_count.update(t for t, _, _ in gs)
        p_count.update(t for t, _, _ in ps)
        c_count.update(t for t, _, _ in gs & ps)
    out = {t: _prf(c_count[t], p_count[t], g_count[t]) for t in sorted(set(g_count) | set(p_count))}
    out["micro"] = _prf(sum(c_count.values()), sum(p_count.values()), sum(g_count.values()))
    return out


@dataclass
class ColumnScore:
    """Scores of one tag column. Accuracies are fractions in [0, 1]; span figures only for span schemes.

    ``unseen_word_accuracy`` is over words whose lowercased form was not in the training data;
    ``unknown_gold_tags`` counts gold tags the model never saw in training (always counted wrong)."""

    column: str
    tokens: int
    accuracy: float
    unseen_word_tokens: int
    unseen_word_accuracy: float
    per_tag_accuracy: dict[str, float] = field(default_factory=dict)
    per_tag_tokens: dict[str, int] = field(default_factory=dict)
    unknown_gold_tags: dict[str, int] = field(default_factory=dict)
    span_f1: float | None = None
    span_precision: float | None = None
    span_recall: float | None = None
    spans_per_type: dict[str, SpanScore] = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            f"{self.column}: accuracy {100 * self.accuracy:.2f}% over {self.tokens:,} tokens; "
            f"unseen words {100 * self.unseen_word_accuracy:.2f}% over {self.unseen_word_tokens:,}"
        ]
        if self.span_f1 is not None:
            lines.append(
                f"{self.column}: spans precision {100 * (self.span_precision or 0):.2f}%  "
                f"recall {100 * (self.span_recall or 0):.2f}%  F1 {100 * self.span_f1:.2f}%"
            )
            for t, s in self.spans_per_type.items():
                if t != "micro":
                    lines.append(
                        f"  {t:<8} P {100 * s.precision:6.2f}  R {100 * s.recall:6.2f}  F1 {100 * s.f1:6.2f}  "
                        f"({s.gold_spans} gold, {s.predicted_spans} predicted)"
                    )
        if self.unknown_gold_tags:
            seen = ", ".join(f"{t} ({n})" for t, n in sorted(self.unknown_gold_tags.items()))
            lines.append(f"{self.column}: gold tags never seen in training, counted wrong: {seen}")
        return "\n".join(lines)


def column_score(
    column: str,
    words: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    seen_word: Callable[[str], bool],
    known_tags: set[str],
    span_scheme: bool,
) -> ColumnScore:
    """Score one column over sentences; ``seen_word(form)`` says whether the word was in training."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    unseen = unseen_right = 0
    unknown: Counter[str] = Counter()
    for ws, gs, ps in zip(words, gold, predicted):
        for w, g, p in zip(ws, gs, ps):
            total[g] += 1
            ok = g == p
            right[g] += ok
            if g not in known_tags:
                unknown[g] += 1
            if not seen_word(w):
                unseen += 1
                unseen_right += ok
    n = sum(total.values())
    score = ColumnScore(
        column,
        n,
        sum(right.values()) / n if n else 0.0,
        unseen,
        unseen_right / unseen if unseen else 0.0,
        {t: right[t] / total[t] for t in sorted(total)},
        dict(sorted(total.items())),
        dict(unknown),
    )
    if span_scheme:
        per = span_scores(gold, predicted)
        score.spans_per_type = per
        score.span_precision, score.span_recall, score.span_f1 = (
            per["micro"].precision,
            per["micro"].recall,
            per["micro"].f1,
        )
    return score


def plot_confusion(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], path: str | os.PathLike, title: str = ""
) -> Path:
    """Save a confusion matrix of tags (rows gold, columns predicted, each row normalised) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from wordseq.io.atomic import atomic_path

    pairs = Counter((g, p) for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps))
    tags = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    index = {t: i for i, t in enumerate(tags)}
    m = np.zeros((len(tags), len(tags)))
    for (g, p), c in pairs.items():
        m[index[g], index[p]] += c
    rows = m.sum(axis=1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    size = max(5.0, 0.35 * len(tags) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(tags)), tags, rotation=90, fontsize=7)
    ax.set_yticks(range(len(tags)), tags, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title or "confusion matrix (rows normalised)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return Path(path)


def plot_learning_curve(history: Sequence[dict], path: str | os.PathLike, title: str = "") -> Path | None:
    """Training loss (nats per word) and dev scores per epoch, as a PNG; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    from wordseq.io.atomic import atomic_path

    if not history:
        return None
    x = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(x, [h["train_loss_nats"] for h in history], "o-", color="tab:blue", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (nats per word)")
    keys = sorted({k for h in history for k in h if k.startswith("valid_") and k != "valid_error"})
    if keys:
        ax2 = ax.twinx()
        for k in keys:
            pts = [(h["epoch"], 100 * h[k]) for h in history if k in h]
            ax2.plot(*zip(*pts), "s--", label=k.removeprefix("valid_").replace("_", " ") + " (dev)")
        ax2.set_ylabel("dev score (%)")
        ax2.legend(loc="lower right", fontsize=8)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or "learning curve")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)
