"""Attention pictures: the weights of each output word over the source words, as a PNG heat map."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wordseq.errors import WordseqError
from wordseq.io.atomic import atomic_path


def plot_attention(
    source: Sequence[str], output: Sequence[str], weights: np.ndarray, path: str | os.PathLike, title: str = ""
) -> Path:
    """Draw ``weights`` (output words x source words, rows summing to one) with the words on the axes."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(output), len(source)):
        raise ValueError(f"weights of shape {weights.shape} for {len(output)} output and {len(source)} source words")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise WordseqError("attention pictures need matplotlib (pip install matplotlib)") from None
    w = max(4.0, 0.45 * len(source) + 2)
    h = max(3.0, 0.4 * len(output) + 1.5)
    fig, ax = plt.subplots(figsize=(w, h))
    im = ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), list(source), rotation=60, ha="right")
    ax.set_yticks(range(len(output)), list(output))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return Path(path)
