"""A planted-structure corpus for word-vector tests: words that share all their contexts."""

from __future__ import annotations

import numpy as np


def planted_corpus(
    path, groups: int = 8, sentences: int = 3000, seed: int = 0, words: int = 60, successors: int = 4, length: int = 10
):
    """Write a corpus where ``p{k}`` and ``q{k}`` occur in exactly the same contexts, so each must become
    the other's nearest neighbour. The text is a random walk on ``words`` words (``w{i}``), each with a few
    random successors (so every word has its own contexts); the first ``groups`` words are each replaced,
    half of the time at random, by ``p{k}``, the other half by ``q{k}``. Returns the path."""
    rng = np.random.default_rng(seed)
    succ = np.array([rng.choice(words, successors, replace=False) for _ in range(words)])
    names = [f"w{i}" for i in range(words)]
    lines = []
    for _ in range(sentences):
        i = rng.integers(words)
        out = []
        for _ in range(length):
            out.append(names[i] if i >= groups else (f"p{i}" if rng.random() < 0.5 else f"q{i}"))
            i = succ[i, rng.integers(successors)]
        lines.append(" ".join(out))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_planted_neighbours(vectors, groups: int = 8, min_correct: int | None = None) -> int:
    """p{k}'s nearest neighbour is q{k} (and the other way round) for all (or ``min_correct``) groups."""
    correct = 0
    for k in range(groups):
        correct += vectors.most_similar(f"p{k}", topn=1)[0][0] == f"q{k}"
        correct += vectors.most_similar(f"q{k}", topn=1)[0][0] == f"p{k}"
    need = 2 * groups if min_correct is None else min_correct
    assert correct >= need, f"only {correct} of {2 * groups} planted pairs are nearest neighbours"
    return correct
