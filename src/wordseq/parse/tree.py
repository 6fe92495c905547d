"""Dependency trees as head arrays: ``heads[d]`` is the head of word ``d`` (words 1..n, 0 is ROOT).

Position 0 of every array stands for ROOT and holds ``-1``; a well-formed tree has every word reachable from
ROOT, no cycle, and exactly one word attached to ROOT (as UD asks).
"""

from __future__ import annotations

from collections.abc import Sequence


def tree_problems(heads: Sequence[int], single_root: bool = True) -> list[str]:
    """Why ``heads`` (``heads[0] == -1``) is not one tree over its words; empty when it is."""
    n = len(heads) - 1
    problems = []
    for d in range(1, n + 1):
        h = heads[d]
        if h is None or h < 0 or h > n:
            problems.append(f"word {d} has head {h}, outside the sentence (0..{n})")
        elif h == d:
            problems.append(f"word {d} is its own head")
    if problems:
        return problems
    roots = [d for d in range(1, n + 1) if heads[d] == 0]
    if not roots:
        problems.append("no word is attached to the root")
    elif single_root and len(roots) > 1:
        problems.append(f"{len(roots)} words attached to the root ({', '.join(map(str, roots))})")
    state = [0] * (n + 1)  # 0 unvisited, 1 on the current path, 2 reaches the root
    state[0] = 2
    for d in range(1, n + 1):
        path = []
        v = d
        while state[v] == 0:
            state[v] = 1
            path.append(v)
            v = heads[v]
        if state[v] == 1:
            cycle = path[path.index(v) :]
            problems.append("cycle " + " -> ".join(map(str, cycle + [v])))
            for u in path:
                state[u] = 3
            continue
        for u in path:
            state[u] = state[v] if state[v] != 1 else 3
    return problems


def is_tree(heads: Sequence[int], single_root: bool = True) -> bool:
    """True when ``heads`` is one tree rooted at 0 (with one word on the root if ``single_root``)."""
    return not tree_problems(heads, single_root)


def is_projective(heads: Sequence[int]) -> bool:
    """True when no two arcs cross (drawn above the sentence, the root arc included)."""
    n = len(heads) - 1
    arcs = [(min(d, heads[d]), max(d, heads[d])) for d in range(1, n + 1)]
    for i, (a, b) in enumerate(arcs):
        for c, e in arcs[i + 1 :]:
            if a < c < b < e or c < a < e < b:
                return False
    return True


def children(heads: Sequence[int]) -> list[list[int]]:
    """``children(heads)[h]``: the dependents of ``h`` in word order."""
    out: list[list[int]] = [[] for _ in heads]
    for d in range(1, len(heads)):
        out[heads[d]].append(d)
    return out
