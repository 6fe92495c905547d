"""Maximum spanning trees: Chu-Liu/Edmonds and Eisner equal brute-force search over every tree of tiny
sentences, always with exactly one word on ROOT."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wordseq.parse.decode import chu_liu_edmonds, eisner
from wordseq.parse.tree import is_projective, is_tree, tree_problems


def all_trees(n: int, single_root: bool = True) -> list[list[int]]:
    out = []
    for h in itertools.product(range(n + 1), repeat=n):
        heads = [-1, *h]
        if all(heads[d] != d for d in range(1, n + 1)) and is_tree(heads, single_root):
            out.append(heads)
    return out


def score(S: np.ndarray, heads) -> float:
    return float(sum(S[heads[d], d] for d in range(1, len(heads))))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_chu_liu_edmonds_equals_brute_force(n):
    rng = np.random.default_rng(n)
    trees = all_trees(n)
    free = all_trees(n, single_root=False)
    for _ in range(60):
        S = rng.normal(size=(n + 1, n + 1))
        best = max(score(S, t) for t in trees)
        heads = chu_liu_edmonds(S)
        assert tree_problems(list(heads)) == []
        assert score(S, heads) == pytest.approx(best)
        assert score(S, chu_liu_edmonds(S, single_root=False)) == pytest.approx(max(score(S, t) for t in free))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_eisner_equals_brute_force_over_projective_trees(n):
    rng = np.random.default_rng(10 + n)
    trees = [t for t in all_trees(n) if is_projective(t)]
    for _ in range(60):
        S = rng.normal(size=(n + 1, n + 1))
        heads = eisner(S)
        assert tree_problems(list(heads)) == [] and is_projective(list(heads))
        assert score(S, heads) == pytest.approx(max(score(S, t) for t in trees))


def test_ties_and_a_long_sentence_still_give_one_tree():
    assert tree_problems(list(chu_liu_edmonds(np.zeros((6, 6))))) == []
    assert tree_problems(list(eisner(np.zeros((6, 6))))) == []
    S = np.random.default_rng(0).normal(size=(301, 301))
    S[0, :] += 5.0  # every word wants ROOT: the one-root rule must still hold
    assert tree_problems(list(chu_liu_edmonds(S))) == []
