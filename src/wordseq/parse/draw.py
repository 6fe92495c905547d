"""Pictures of dependency trees as the lectures draw them: the words on one line (tags below them), each
arc a curve above the sentence from head to dependent with an arrowhead at the dependent and its relation at
the top, the root marked by an arrow from above. SVG is written directly; PNG goes through matplotlib.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from wordseq.io.atomic import atomic_path, atomic_write

CHAR_W = 8.0  # approximate width of a character at font size 14
GAP = 28.0
LEVEL_H = 26.0
FONT = 14


@dataclass
class _Layout:
    x: list[float]  # word centres
    width: float
    base: float  # y of the word line
    levels: list[int]  # arc height level per dependent (1-based word index - 1)
    height: float


def _layout(forms: Sequence[str], heads: Sequence[int], tags: Sequence[str] | None) -> _Layout:
    x, cursor = [], GAP
    for f, t in zip(forms, tags or [""] * len(forms)):
        w = max(len(f), len(t) if t else 0, 2) * CHAR_W
        x.append(cursor + w / 2)
        cursor += w + GAP
    # an arc sits one level above every arc it covers
    n = len(forms)
    spans = sorted((abs(h - d), d) for d, h in enumerate(heads, 1) if h > 0)
    level = [0] * n
    for _, d in spans:
        h = heads[d - 1]
        lo, hi = min(h, d), max(h, d)
        inner = [
            level[k - 1]
            for k in range(1, n + 1)
            if k != d
            and heads[k - 1] > 0
            and lo <= min(k, heads[k - 1])
            and max(k, heads[k - 1]) <= hi
            and abs(heads[k - 1] - k) < hi - lo
        ]
        level[d - 1] = 1 + max(inner, default=0)
    top = max(level, default=0) + 1
    base = top * LEVEL_H + 30
    return _Layout(x, cursor, base, level, base + (40 if tags else 22))


def tree_svg(
    forms: Sequence[str], heads: Sequence[int], relations: Sequence[str], tags: Sequence[str] | None = None
) -> str:
    """An SVG picture of a tree (``heads[k]`` is the head of word k+1, 0 for the root)."""
    lay = _layout(forms, heads, tags)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
        f'font-family="sans-serif" font-size="{FONT}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
        f'<rect width="{lay.width:.0f}" height="{lay.height:.0f}" fill="white"/>',
    ]
    y0 = lay.base - FONT - 4
    for i, f in enumerate(forms):
        out.append(f'<text x="{lay.x[i]:.1f}" y="{lay.base:.1f}" text-anchor="middle">{escape(f)}</text>')
        if tags:
            out.append(
                f'<text x="{lay.x[i]:.1f}" y="{lay.base + 18:.1f}" text-anchor="middle" fill="#777" '
                f'font-size="{FONT - 3}">{escape(tags[i])}</text>'
            )
    for d, (h, rel) in enumerate(zip(heads, relations), 1):
        xd = lay.x[d - 1]
        if h == 0:
            out.append(
                f'<line x1="{xd:.1f}" y1="6" x2="{xd:.1f}" y2="{y0:.1f}" stroke="#333" marker-end="url(#arrow)"/>'
            )
            out.append(f'<text x="{xd + 4:.1f}" y="16" font-size="{FONT - 2}" fill="#a00">{escape(rel)}</text>')
            continue
        xh = lay.x[h - 1] + (4 if d > h else -4)
        xd2 = xd + (-4 if d > h else 4)
        top = y0 - lay.levels[d - 1] * LEVEL_H
        out.append(
            f'<path d="M{xh:.1f},{y0:.1f} C{xh:.1f},{top:.1f} {xd2:.1f},{top:.1f} {xd2:.1f},{y0:.1f}" fill="none" '
            f'stroke="#333" marker-end="url(#arrow)"/>'
        )
        mid = (xh + xd2) / 2
        out.append(
            f'<text x="{mid:.1f}" y="{top + 0.25 * (y0 - top) - 3:.1f}" text-anchor="middle" font-size="{FONT - 2}" '
            f'fill="#a00">{escape(rel)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def draw_tree(
    path: str | os.PathLike,
    forms: Sequence[str],
    heads: Sequence[int],
    relations: Sequence[str],
    tags: Sequence[str] | None = None,
) -> Path:
    """Write the tree's picture to ``path``: SVG for ``.svg``, PNG (through matplotlib) for ``.png``."""
    p = Path(path)
    if p.suffix.lower() == ".png":
        return _draw_png(p, forms, heads, relations, tags)
    with atomic_write(p, "w", encoding="utf-8") as f:
        f.write(tree_svg(forms, heads, relations, tags))
    return p


def _draw_png(
    path: Path, forms: Sequence[str], heads: Sequence[int], relations: Sequence[str], tags: Sequence[str] | None
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MPath

    lay = _layout(forms, heads, tags)
    fig = plt.figure(figsize=(lay.width / 72, lay.height / 72), dpi=144)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    y0 = lay.base - FONT - 4
    for i, f in enumerate(forms):
        ax.text(lay.x[i], lay.base, f, ha="center", va="baseline", fontsize=10)
        if tags:
            ax.text(lay.x[i], lay.base + 18, tags[i], ha="center", va="baseline", fontsize=8, color="#777")
    for d, (h, rel) in enumerate(zip(heads, relations), 1):
        xd = lay.x[d - 1]
        if h == 0:
            ax.add_patch(FancyArrowPatch((xd, 6), (xd, y0), arrowstyle="-|>", mutation_scale=10, color="#333"))
            ax.text(xd + 4, 16, rel, fontsize=8, color="#a00")
            continue
        xh = lay.x[h - 1]
        top = y0 - lay.levels[d - 1] * LEVEL_H
        curve = MPath(
            [(xh, y0), (xh, top), (xd, top), (xd, y0)], [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4]
        )
        ax.add_patch(FancyArrowPatch(path=curve, arrowstyle="-|>", mutation_scale=10, color="#333", fill=False))
        ax.text((xh + xd) / 2, top + 0.25 * (y0 - top) - 3, rel, ha="center", fontsize=8, color="#a00")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
