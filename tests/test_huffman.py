"""Huffman codes for hierarchical softmax: prefix-free, optimal total length, consistent tree paths."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.embed.huffman import huffman_codes
from wordseq.errors import WordseqError


def reference_cost(counts: list[int]) -> int:
    """Total weighted code length of an optimal prefix code: the sum of all merge weights (heapq)."""
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a + b
        heapq.heappush(heap, a + b)
    return cost


def check_tree(counts: np.ndarray) -> None:
    n = len(counts)
    h = huffman_codes(counts)
    codes = ["".join(map(str, h.code(w))) for w in range(n)]
    # prefix-free: in sorted order a prefix would sit right before a word it prefixes
    ordered = sorted(codes)
    for a, b in zip(ordered, ordered[1:]):
        assert not b.startswith(a), (a, b)
    assert all(len(c) >= 1 for c in codes)
    assert int((h.lengths * counts).sum()) == reference_cost(counts.tolist())
    # paths start at the root, use inner nodes 0..n-2, and words sharing a code prefix share its nodes
    assert h.points.min() >= 0 and h.points.max() <= n - 2
    assert all(h.path(w)[0] == n - 2 for w in range(n))
    node_of_prefix: dict[str, int] = {}
    for w in range(n):
        for depth, node in enumerate(h.path(w)):
            prefix = codes[w][:depth]
            assert node_of_prefix.setdefault(prefix, node) == node
    assert len(node_of_prefix) == n - 1  # exactly n-1 inner nodes


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=2, max_size=200))
def test_codes_are_prefix_free_and_optimal(counts):
    check_tree(np.array(counts, dtype=np.int64))


def test_skewed_counts_give_long_codes_for_rare_words():
    counts = np.array([2**k for k in range(20, 0, -1)], dtype=np.int64)  # a chain-shaped tree
    h = huffman_codes(counts)
    assert h.lengths.tolist() == list(range(1, 20)) + [19]
    check_tree(counts)


def test_frequent_words_never_get_longer_codes():
    rng = np.random.default_rng(0)
    counts = rng.zipf(1.5, size=500).astype(np.int64)
    h = huffman_codes(counts)
    order = np.argsort(-counts, kind="stable")
    assert all(a <= b for a, b in itertools.pairwise(h.lengths[order]))


def test_two_words():
    h = huffman_codes(np.array([5, 3]))
    assert sorted([h.code(0), h.code(1)]) == [[0], [1]]
    assert h.path(0) == h.path(1) == [0]


@pytest.mark.parametrize("counts", [[7], [], [3, 0, 2]])
def test_bad_counts(counts):
    with pytest.raises(WordseqError):
        huffman_codes(np.array(counts, dtype=np.int64))
