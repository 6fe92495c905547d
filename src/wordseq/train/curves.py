"""Learning curves: training and validation loss per epoch, drawn as a PNG (matplotlib, headless)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from wordseq.io.atomic import atomic_path


def plot_curves(epochs: Sequence, path: str | os.PathLike, unit: str = "token", title: str = "") -> Path | None:
    """Draw train/valid perplexity (bits per character for ``unit="char"``) per epoch into ``path``.

    ``epochs``: :class:`~wordseq.train.loop.EpochLog` entries or dicts with ``epoch`` and ``train_loss`` and
    ``valid_loss`` (or ``train_loss_nats`` and ``valid_loss_nats``, as an estimator's ``history`` has them).
    Returns the path, or None when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    rows = [dict(e) if isinstance(e, dict) else vars(e) for e in epochs]
    for r in rows:
        for split in ("train", "valid"):
            r.setdefault(f"{split}_loss", r.get(f"{split}_loss_nats"))
    if unit == "char":
        f, label = (lambda loss: loss / math.log(2)), "bits per character"
    else:
        f, label = (lambda loss: math.exp(min(loss, 50))), "perplexity"
    x = [r["epoch"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(x, [f(r["train_loss"]) for r in rows], "o-", label="train")
    valid = [(r["epoch"], f(r["valid_loss"])) for r in rows if r.get("valid_loss") is not None]
    if valid:
        ax.plot(*zip(*valid), "s-", label="valid")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(label)
    if unit != "char":
        ax.set_yscale("log")
    ax.set_title(title or "learning curve")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)
