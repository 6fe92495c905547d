"""Huffman coding of a vocabulary by frequency, for word2vec's hierarchical softmax.

Every word is a leaf of a binary tree built by Huffman's algorithm, so frequent words get short paths.
A word's *points* are the inner nodes on the path from the root to its leaf (rows of the output matrix,
``0 .. n-2``) and its *code* the branch taken at each of them (0 or 1). Both are stored flat, CSR-style:
word ``w`` owns ``codes[offsets[w]:offsets[w + 1]]`` and ``points[offsets[w]:offsets[w + 1]]``.

The tree is built with word2vec's linear-time two-queue method on the counts sorted in falling order
(leaves in one queue, merged nodes in a second queue that is born sorted), which gives an optimal code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from wordseq.errors import WordseqError


@dataclass
class HuffmanCodes:
    """Codes and inner-node paths of ``n`` words (flat arrays, see the module docstring)."""

    offsets: np.ndarray  # int64 (n + 1,)
    codes: np.ndarray  # uint8
    points: np.ndarray  # int32, inner node ids 0 .. n-2, root first

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def code(self, w: int) -> list[int]:
        return self.codes[self.offsets[w] : self.offsets[w + 1]].tolist()

    def path(self, w: int) -> list[int]:
        return self.points[self.offsets[w] : self.offsets[w + 1]].tolist()

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def huffman_codes(counts: np.ndarray) -> HuffmanCodes:
    """Huffman codes for words with these counts (any order; counts must be positive)."""
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    if n < 2:
        raise WordseqError(f"hierarchical softmax needs at least 2 distinct words, got {n}")
    if (counts <= 0).any():
        raise WordseqError("hierarchical softmax needs positive word counts")
    order = np.argsort(-counts, kind="stable")  # leaf k (falling count) is word order[k]
    parent, branch = _build_tree(counts[order])
    depth = _depths(parent)
    lengths = np.empty(n, dtype=np.int64)
    lengths[order] = depth[:n]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.empty(offsets[-1], dtype=np.uint8)
    points = np.empty(offsets[-1], dtype=np.int32)
    _fill_paths(order, parent, branch, offsets, codes, points, n)
    return HuffmanCodes(offsets, codes, points)


@njit(cache=True)
def _build_tree(sorted_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """word2vec's two-queue Huffman construction. Leaves are nodes 0..n-1 (falling count), inner nodes
    n..2n-2 in order of creation (the root is last). Returns each node's parent and branch bit."""
    n = len(sorted_counts)
    count = np.empty(2 * n - 1, dtype=np.int64)
    count[:n] = sorted_counts
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    branch = np.zeros(2 * n - 1, dtype=np.uint8)
    leaf, inner = n - 1, n  # next smallest leaf (scanning down), next unmerged inner node (scanning up)
    picked = np.zeros(2, dtype=np.int64)
    for new in range(n, 2 * n - 1):
        for i in range(2):
            if leaf >= 0 and (inner >= new or count[leaf] <= count[inner]):
                picked[i] = leaf
                leaf -= 1
            else:
                picked[i] = inner
                inner += 1
        count[new] = count[picked[0]] + count[picked[1]]
        parent[picked[0]] = new
        parent[picked[1]] = new
        branch[picked[1]] = 1
    return parent, branch


@njit(cache=True)
def _depths(parent):
    """Depth of every node, from the root (the last node) down: parents have larger ids than children."""
    depth = np.zeros(len(parent), dtype=np.int64)
    for node in range(len(parent) - 2, -1, -1):
        depth[node] = depth[parent[node]] + 1
    return depth


@njit(cache=True)
def _fill_paths(order, parent, branch, offsets, codes, points, n):
    root = 2 * n - 2
    for k in range(n):
        w = order[k]
        end = offsets[w + 1]
        i, node = end, k
        while node != root:  # walk up, filling the path from its end
            i -= 1
            codes[i] = branch[node]
            points[i] = parent[node] - n
            node = parent[node]
