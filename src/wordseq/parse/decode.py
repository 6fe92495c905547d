"""Maximum spanning trees over arc scores: Chu-Liu/Edmonds (any tree) and Eisner (projective trees).

``scores[h, d]`` is the score of the arc from head ``h`` to dependent ``d`` (0 is ROOT, words 1..n); the
result is a head array with ``heads[0] == -1``. Both decoders return a tree with exactly one word on ROOT,
as UD asks: Eisner by construction; Chu-Liu/Edmonds, when the best tree has several root words, by solving
once for each word as the only root word and keeping the best.
"""

from __future__ import annotations

import numpy as np


def _find_cycle(heads: np.ndarray) -> list[int] | None:
    n = len(heads)
    color = np.zeros(n, dtype=np.int8)  # 0 new, 1 on path, 2 done
    color[0] = 2
    for start in range(1, n):
        path = []
        v = start
        while color[v] == 0:
            color[v] = 1
            path.append(v)
            v = heads[v]
        if color[v] == 1:
            return path[path.index(v) :]
        for u in path:
            color[u] = 2
    return None


def _cle(scores: np.ndarray) -> np.ndarray:
    n = scores.shape[0]
    heads = scores.argmax(axis=0)
    heads[0] = -1
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    in_cycle = np.zeros(n, dtype=bool)
    in_cycle[cycle] = True
    rest = np.flatnonzero(~in_cycle)  # contains 0
    cyc = np.asarray(cycle)
    m = len(rest)
    sub = np.full((m + 1, m + 1), -np.inf)
    sub[:m, :m] = scores[np.ix_(rest, rest)]
    # into the cycle: replace the cycle arc into c by h -> c
    enter = scores[np.ix_(rest, cyc)] - scores[heads[cyc], cyc][None, :]
    enter_arg = enter.argmax(axis=1)
    sub[:m, m] = enter[np.arange(m), enter_arg]
    # out of the cycle: the best cycle word to head d
    out = scores[np.ix_(cyc, rest)]
    out_arg = out.argmax(axis=0)
    sub[m, :m] = out[out_arg, np.arange(m)]
    sub[:, 0] = -np.inf
    np.fill_diagonal(sub, -np.inf)
    sub_heads = _cle(sub)
    result = heads.copy()
    for j in range(1, m):
        h = sub_heads[j]
        result[rest[j]] = cyc[out_arg[j]] if h == m else rest[h]
    h = sub_heads[m]
    result[cyc[enter_arg[h]]] = rest[h]
    return result


def tree_score(scores: np.ndarray, heads: np.ndarray) -> float:
    """The sum of the arc scores of a tree."""
    d = np.arange(1, len(heads))
    return float(scores[heads[1:], d].sum())


def chu_liu_edmonds(scores: np.ndarray, single_root: bool = True) -> np.ndarray:
    """The highest-scoring dependency tree (non-projective allowed) for ``scores[h, d]``."""
    s = np.array(scores, dtype=np.float64)
    n = s.shape[0]
    if n == 1:
        return np.array([-1])
    s[:, 0] = -np.inf
    np.fill_diagonal(s, -np.inf)
    heads = _cle(s)
    if not single_root:
        return heads
    roots = np.flatnonzero(heads[1:] == 0) + 1
    if len(roots) <= 1:
        return heads
    best, best_score = heads, -np.inf
    for r in range(1, n):  # the best tree whose one root word is r, for every r
        trial = s.copy()
        trial[0, :] = -np.inf
        trial[0, r] = s[0, r]
        t = _cle(trial)
        score = tree_score(trial, t)
        if score > best_score:
            best, best_score = t, score
    return best


def eisner(scores: np.ndarray) -> np.ndarray:
    """The highest-scoring projective tree with one word on ROOT (Eisner's O(n^3) algorithm)."""
    s = np.asarray(scores, dtype=np.float64)
    n = s.shape[0] - 1
    if n == 0:
        return np.array([-1])
    # tables over words 1..n (index k = word k): complete/incomplete spans, right-headed (0) or left-headed (1)
    N = n + 1
    comp = np.full((N, N, 2), -np.inf)
    inc = np.full((N, N, 2), -np.inf)
    comp_bp = np.zeros((N, N, 2), dtype=np.int64)
    inc_bp = np.zeros((N, N, 2), dtype=np.int64)
    for k in range(1, N):
        comp[k, k, :] = 0.0
    for width in range(1, n):
        for i in range(1, N - width):
            j = i + width
            # incomplete: i..j with an arc between i and j, split at r (i <= r < j)
            r = np.arange(i, j)
            base = comp[i, r, 1] + comp[r + 1, j, 0]
            k = int(base.argmax())
            inc[i, j, 0] = base[k] + s[j, i]  # j heads i
            inc[i, j, 1] = base[k] + s[i, j]  # i heads j
            inc_bp[i, j, :] = r[k]
            # complete right-headed: head j, split at r (i <= r < j): comp[i, r, 0] + inc[r, j, 0]
            left = comp[i, r, 0] + inc[r, j, 0]
            k = int(left.argmax())
            comp[i, j, 0], comp_bp[i, j, 0] = left[k], r[k]
            # complete left-headed: head i, split at r (i < r <= j): inc[i, r, 1] + comp[r, j, 1]
            r2 = np.arange(i + 1, j + 1)
            right = inc[i, r2, 1] + comp[r2, j, 1]
            k = int(right.argmax())
            comp[i, j, 1], comp_bp[i, j, 1] = right[k], r2[k]
    roots = np.arange(1, N)
    total = s[0, roots] + comp[1, roots, 0] + comp[roots, n, 1]
    root = int(roots[total.argmax()])
    heads = np.full(N, -1, dtype=np.int64)
    heads[root] = 0

    def complete(i: int, j: int, d: int) -> None:
        if i == j:
            return
        r = comp_bp[i, j, d]
        if d == 0:
            complete(i, r, 0)
            incomplete(r, j, 0)
        else:
            incomplete(i, r, 1)
            complete(r, j, 1)

    def incomplete(i: int, j: int, d: int) -> None:
        if d == 0:
            heads[i] = j
        else:
            heads[j] = i
        r = inc_bp[i, j, d]
        complete(i, r, 1)
        complete(r + 1, j, 0)

    complete(1, root, 0)
    complete(root, n, 1)
    return heads
