"""Pictures of word vectors: a 2-D projection (PCA, or t-SNE) of chosen words or of word pairs to a PNG.

With pairs (country-capital, male-female, ...) each pair is joined by a line, as in the word2vec paper's
country and capital figure (Mikolov et al. 2013, fig. 2): parallel lines of about equal length are the
"vector offset" that analogies use. matplotlib (the ``plot`` extra) draws with the Agg backend, so no
display is needed; t-SNE uses scikit-learn.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wordseq.embed.vectors import Vectors
from wordseq.errors import InputError, WordseqError
from wordseq.io.atomic import atomic_path


def pca_2d(X: np.ndarray) -> np.ndarray:
    """The rows of ``X`` projected on their first two principal components."""
    X = np.asarray(X, dtype=np.float64)
    X = X - X.mean(axis=0)
    if len(X) < 2:
        return np.zeros((len(X), 2))
    u, s, _ = np.linalg.svd(X, full_matrices=False)
    out = u[:, :2] * s[:2]
    if out.shape[1] < 2:
        out = np.hstack([out, np.zeros((len(out), 2 - out.shape[1]))])
    return out


def tsne_2d(X: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE of the rows of ``X`` (scikit-learn), cosine distances, perplexity at most 30."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise WordseqError("t-SNE needs scikit-learn (pip install scikit-learn); PCA does not") from None
    if len(X) < 3:
        raise WordseqError("t-SNE needs at least 3 words")
    perplexity = float(min(30, max(1, (len(X) - 1) // 3)))
    return TSNE(n_components=2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed).fit_transform(
        np.asarray(X, dtype=np.float64)
    )


def read_pairs(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Word pairs from a file: ``a b`` per line; Google analogy lines ``a b c d`` give the pairs (a, b) and
    (c, d); ``: section`` lines, blank lines and ``#`` comments are skipped. Other lines are an error naming
    the line. Duplicates are dropped, order kept."""
    from wordseq.io.inputs import read_lines

    pairs: list[tuple[str, str]] = []
    for n, line in read_lines(path):
        if not line.strip() or line.startswith(": ") or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) == 2:
            new = [(parts[0], parts[1])]
        elif len(parts) == 4:
            new = [(parts[0], parts[1]), (parts[2], parts[3])]
        else:
            raise InputError(path, f"expected 2 words (a pair) or 4 (an analogy), found {len(parts)}", n)
        for p in new:
            if p not in pairs:
                pairs.append(p)
    if not pairs:
        raise InputError(path, "no word pairs in the file")
    return pairs


def resolve_case(vectors: Vectors, word: str) -> str | None:
    """``word`` itself, else its most frequent case variant in the vocabulary, else None."""
    if word in vectors:
        return word
    for variant in (word.lower(), word.capitalize(), word.upper()):
        if variant in vectors:
            return variant
    return None


def plot_words(
    vectors: Vectors,
    path: str | os.PathLike,
    words: Sequence[str] = (),
    pairs: Sequence[tuple[str, str]] = (),
    method: str = "pca",
    title: str | None = None,
    seed: int = 0,
) -> Path:
    """Draw the chosen ``words`` (every one must be known) or ``pairs`` (pairs with an unknown word are
    left out) projected to 2-D; write a PNG atomically. Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if method not in ("pca", "tsne"):
        raise WordseqError(f"unknown projection {method!r} (choose pca or tsne)")
    shown_pairs: list[tuple[str, str]] = []
    for a, b in pairs:
        ra, rb = resolve_case(vectors, a), resolve_case(vectors, b)
        if ra is not None and rb is not None:
            shown_pairs.append((ra, rb))
    chosen: list[str] = []
    for w in list(words) + [w for p in shown_pairs for w in p]:
        r = resolve_case(vectors, w)
        if r is None:
            vectors.id(w)  # raises, naming the word
        if r not in chosen:
            chosen.append(r)  # type: ignore[arg-type]
    if len(chosen) < 2:
        raise WordseqError(
            f"need at least 2 known words to plot, got {len(chosen)}"
            + (f" ({len(pairs) - len(shown_pairs)} pairs had an unknown word)" if pairs else "")
        )
    X = vectors.unit[[vectors.id(w) for w in chosen]]
    xy = pca_2d(X) if method == "pca" else tsne_2d(X, seed)
    pos = {w: xy[i] for i, w in enumerate(chosen)}

    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    firsts = {a for a, _ in shown_pairs}
    colors = ["tab:red" if w in firsts else "tab:blue" for w in chosen]
    ax.scatter(xy[:, 0], xy[:, 1], c=colors, s=18, zorder=3)
    for a, b in shown_pairs:
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color="0.6", lw=0.8, ls="--", zorder=1)
    for w in chosen:
        ax.annotate(w, pos[w], xytext=(4, 3), textcoords="offset points", fontsize=9)
    ax.set_title(title or f"{'PCA' if method == 'pca' else 't-SNE'} projection of {len(chosen)} word vectors")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
