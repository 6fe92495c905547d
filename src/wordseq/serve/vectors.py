"""The vectors panel's operations: nearest neighbours, analogies (3CosAdd, 3CosMul) with the expected
answer's rank, the odd one out, and a 2-D map (PCA or t-SNE) of words and their neighbours."""

from __future__ import annotations

from typing import Any

import numpy as np

from wordseq.embed.plot import pca_2d, resolve_case, tsne_2d
from wordseq.embed.vectors import Vectors
from wordseq.serve.limits import Limits
from wordseq.serve.requests import ApiError, Fields

OPERATIONS = ("neighbors", "analogy", "doesnt_match", "map")


def vectors_of(model: Any) -> Vectors:
    """The :class:`Vectors` of a vectors model file (a plain ``Vectors`` or a trained vector model)."""
    return model if isinstance(model, Vectors) else model.vectors


def known(vectors: Vectors, words: list[str], field: str) -> list[str]:
    """Each word as the vocabulary spells it (itself, else its most frequent case variant); a 422 naming
    every word that is not there."""
    found = [resolve_case(vectors, w) for w in words]
    missing = [w for w, f in zip(words, found) if f is None]
    if missing:
        listed = ", ".join(repr(w) for w in missing)
        raise ApiError(422, f"{field}: not in the vocabulary: {listed}")
    return [f for f in found if f is not None]


def neighbors(vectors: Vectors, body: Fields, limits: Limits) -> dict[str, Any]:
    word = known(vectors, [body.text("word")], "word")[0]
    topn = body.integer("topn", min(10, limits.max_topn), lo=1, hi=limits.max_topn)
    near = vectors.most_similar([word], topn=topn)
    return {"word": word, "neighbors": [{"word": w, "cosine": c} for w, c in near]}


def analogy(vectors: Vectors, body: Fields, limits: Limits) -> dict[str, Any]:
    a, b, c = (known(vectors, [body.text(f)], f)[0] for f in ("a", "b", "c"))
    method = body.choice("method", ("3cosadd", "3cosmul"), "3cosadd")
    topn = body.integer("topn", min(10, limits.max_topn), lo=1, hi=limits.max_topn)
    expected = body.optional_text("expected")
    target = resolve_case(vectors, expected) if expected is not None else None
    ranked = vectors.analogy(a, b, c, method=method, topn=len(vectors) if target else topn)
    rank = next((i + 1 for i, (w, _) in enumerate(ranked) if w == target), None) if target else None
    return {
        "a": a,
        "b": b,
        "c": c,
        "method": method,
        "answers": [{"word": w, "score": s} for w, s in ranked[:topn]],
        "expected": target if target is not None else expected,
        "expected_rank": rank,
    }


def doesnt_match(vectors: Vectors, body: Fields, limits: Limits) -> dict[str, Any]:
    words = known(vectors, body.words("words", lo=3, hi=limits.max_words), "words")
    ranked = vectors.rank_by_centrality(words)
    return {"odd": ranked[-1][1], "scores": [{"word": w, "cosine_to_mean": c} for c, w in ranked]}


def word_map(vectors: Vectors, body: Fields, limits: Limits) -> dict[str, Any]:
    words = known(vectors, body.words("words", [], hi=limits.max_words), "words")
    n_neighbors = body.integer("neighbors", 8, lo=0, hi=30)
    method = body.choice("method", ("pca", "tsne"), "pca")
    analogies = [
        known(vectors, row, "analogies") for row in body.word_lists("analogies", 4, hi=limits.max_words // 4 or 1)
    ]
    if not words and not analogies:
        raise ApiError(422, "the field 'words' needs at least one word (or give 'analogies')")
    points: dict[str, dict[str, Any]] = {}

    def add(word: str, query: bool, group: str) -> None:
        if word not in points:
            points[word] = {"word": word, "query": query, "group": group}
        elif query:
            points[word].update(query=True, group=group)

    for row in analogies:
        for w in row:
            add(w, True, "analogy")
    for w in words:
        add(w, True, w)
    for w in words:
        for n, _ in vectors.most_similar([w], topn=n_neighbors) if n_neighbors else []:
            add(n, False, w)
    order = list(points)
    if len(order) > limits.max_map_points:
        raise ApiError(
            422, f"the map would have {len(order)} points; the limit is {limits.max_map_points} (ask fewer neighbours)"
        )
    X = vectors.unit[[vectors.id(w) for w in order]]
    if method == "tsne":
        if len(order) < 3:
            raise ApiError(422, "t-SNE needs at least 3 points: ask for more words or neighbours")
        xy = tsne_2d(X)
    else:
        xy = pca_2d(X)
    xy = np.asarray(xy, dtype=np.float64)
    for (x, y), w in zip(xy.tolist(), order):
        points[w].update(x=x, y=y)
    arrows = [{"from": r[0], "to": r[1]} for r in analogies] + [{"from": r[2], "to": r[3]} for r in analogies]
    return {"method": method, "points": [points[w] for w in order], "arrows": arrows}


HANDLERS = {"neighbors": neighbors, "analogy": analogy, "doesnt_match": doesnt_match, "map": word_map}
