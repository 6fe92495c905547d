"""The compiled fastText-style supervised kernel (Joulin et al. 2016), in word2vec's kernel design.

fastText's structure, as in ``wordseq.embed._w2v_kernel``: a hidden vector is formed from input rows (here
the mean of a text's word rows and hashed word-n-gram rows, like CBOW's mean of context rows) and a
pluggable output loss scores it against output rows (here a full softmax over the labels). One SGD step per
example, the learning rate falling linearly to 0 over training, output rows starting at zero and input rows
uniform in [-1/dim, 1/dim], the input gradient divided by the number of inputs: fastText's recipe.

Threads: ``prange`` over lanes (contiguous ranges of the shuffled example order), updates lock-free on the
shared matrices (Hogwild); with one thread the run is deterministic.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, fastmath=False)
def softmax_step(
    inp: np.ndarray,
    out: np.ndarray,
    ids: np.ndarray,
    label: int,
    lr: float,
    hidden: np.ndarray,
    grad: np.ndarray,
    scores: np.ndarray,
) -> float:
    """One SGD step on one example: h = mean(inp[ids]), p = softmax(out h), loss = -log p[label];
    ``out -= lr * (p - onehot) h^T`` and each ``inp[id] -= lr * out^T (p - onehot) / len(ids)``.
    Returns the loss (nats). ``hidden``, ``grad`` (dim) and ``scores`` (labels) are scratch space."""
    n = ids.shape[0]
    dim = inp.shape[1]
    k = out.shape[0]
    for d in range(dim):
        hidden[d] = 0.0
        grad[d] = 0.0
    for j in range(n):
        row = ids[j]
        for d in range(dim):
            hidden[d] += inp[row, d]
    inv = 1.0 / n
    for d in range(dim):
        hidden[d] *= inv
    top = -1e30
    for c in range(k):
        s = 0.0
        for d in range(dim):
            s += out[c, d] * hidden[d]
        scores[c] = s
        if s > top:
            top = s
    total = 0.0
    for c in range(k):
        scores[c] = np.exp(scores[c] - top)
        total += scores[c]
    loss = -np.log(max(scores[label] / total, 1e-30))
    for c in range(k):
        g = scores[c] / total - (1.0 if c == label else 0.0)  # dloss/dscore_c
        for d in range(dim):
            grad[d] += g * out[c, d]
            out[c, d] -= lr * g * hidden[d]
    for j in range(n):
        row = ids[j]
        for d in range(dim):
            inp[row, d] -= lr * grad[d] * inv
    return loss


@njit(cache=True, nogil=True, parallel=True)
def train_epochs(
    inp: np.ndarray,
    out: np.ndarray,
    flat: np.ndarray,
    offsets: np.ndarray,
    labels: np.ndarray,
    orders: np.ndarray,
    lr0: float,
    threads: int,
) -> np.ndarray:
    """Train over ``orders`` (epochs x examples, each row an example order). Example i's inputs are
    ``flat[offsets[i]:offsets[i+1]]``. Returns the mean loss per epoch."""
    epochs, n = orders.shape
    dim = inp.shape[1]
    k = out.shape[0]
    losses = np.zeros((epochs, threads))
    total_steps = epochs * n
    for lane in prange(threads):
        hidden = np.zeros(dim, dtype=np.float32)
        grad = np.zeros(dim, dtype=np.float32)
        scores = np.zeros(k, dtype=np.float32)
        lo = lane * n // threads
        hi = (lane + 1) * n // threads
        for e in range(epochs):
            for t in range(lo, hi):
                done = e * n + lo + (t - lo) * threads  # this lane's share of progress, scaled to the whole
                lr = lr0 * max(1.0 - done / total_steps, 1e-4)
                i = orders[e, t]
                a = offsets[i]
                b = offsets[i + 1]
                if b > a:
                    losses[e, lane] += softmax_step(inp, out, flat[a:b], labels[i], lr, hidden, grad, scores)
    return losses.sum(axis=1) / n


@njit(cache=True, nogil=True)
def hidden_vectors(inp: np.ndarray, flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The mean input row of each example (zeros for an example with no known input)."""
    n = offsets.shape[0] - 1
    dim = inp.shape[1]
    h = np.zeros((n, dim), dtype=np.float32)
    for i in range(n):
        a = offsets[i]
        b = offsets[i + 1]
        for j in range(a, b):
            for d in range(dim):
                h[i, d] += inp[flat[j], d]
        if b > a:
            for d in range(dim):
                h[i, d] /= b - a
    return h
