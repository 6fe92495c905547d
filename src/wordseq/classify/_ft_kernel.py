"""The compiled fastText-style supervised kernels (Joulin et al. 2016), in word2vec's kernel design.

fastText's structure, as in ``wordseq.embed._w2v_kernel``: a hidden vector is formed from input rows (here
the mean of a text's word rows and hashed word-n-gram rows, like CBOW's mean of context rows) and an output
loss scores it against output rows: a full softmax over the labels, a hierarchical softmax (binary
logistic steps along a label's path in a Huffman tree over the label counts), or negative sampling (a
binary logistic step for the label and for ``negative`` labels drawn by count^0.5). One SGD step per example,
the learning rate falling linearly to 0 over all tokens of all epochs, output rows starting at zero and
input rows uniform in [-1/dim, 1/dim], the input gradient divided by the number of inputs: fastText's recipe.

Encoding is compiled too: the text's tokens arrive as type ids (one Python dict pass), and
:func:`type_hashes` and :func:`encode` turn them into fastText's word ids and n-gram buckets, flat
(``flat[offsets[i]:offsets[i + 1]]`` are example i's input rows), so that training only walks arrays.

Threads: ``prange`` over lanes (contiguous ranges of the shuffled example order), updates lock-free on the
shared matrices (Hogwild); one thread runs a serial kernel and is deterministic.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

SOFTMAX, HS, NS = 0, 1, 2  # loss codes

_FNV_OFFSET = np.uint64(2166136261)
_FNV_PRIME = np.uint64(16777619)
_LOW32 = np.uint64(0xFFFFFFFF)
_HIGH32 = np.uint64(0xFFFFFFFF00000000)
_SIGN32 = np.uint64(0x80000000)
_SIGNED_BYTE = np.uint64(0xFFFFFF00)
_NGRAM_PRIME = np.uint64(116049371)


@njit(cache=True, nogil=True)
def type_hashes(data: np.ndarray, n_types: int) -> np.ndarray:
    """fastText's hash of each of the ``n_types`` space-separated words in the UTF-8 bytes ``data``: 32-bit
    FNV-1a over the bytes taken as signed chars, then, as fastText keeps word hashes in an ``int32_t``
    vector, sign-extended to the 64 bits its n-gram hash starts from."""
    out = np.empty(n_types, dtype=np.uint64)
    k = 0
    h = _FNV_OFFSET
    n = data.shape[0]
    for i in range(n + 1):
        if i == n or data[i] == 32:
            if k < n_types:
                out[k] = h | _HIGH32 if h & _SIGN32 else h
            k += 1
            h = _FNV_OFFSET
        else:
            b = np.uint64(data[i])
            if b > 127:
                b = b | _SIGNED_BYTE
            h = ((h ^ b) * _FNV_PRIME) & _LOW32
    return out


@njit(cache=True, nogil=True)
def encode(
    tokens: np.ndarray,
    lengths: np.ndarray,
    eos: int,
    type_word: np.ndarray,
    type_hash: np.ndarray,
    nwords: int,
    buckets: int,
    ngrams: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Input rows of each text: ``tokens`` holds the texts' token type ids back to back (``lengths[i]`` of
    text i), each text is closed by the type ``eos``; a type's word id is ``type_word`` (-1: not in the
    vocabulary, dropped, its hash still used). After the word ids come the n-grams up to ``ngrams`` words,
    bucket ``nwords + h % buckets`` with ``h = h * 116049371 + hash`` word by word (fastText's
    ``addWordNgrams``). Returns ``(flat, offsets)``."""
    n = lengths.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    pos = 0
    for i in range(n):  # sizes first
        m = lengths[i] + 1
        known = 0
        for j in range(pos, pos + lengths[i]):
            if type_word[tokens[j]] >= 0:
                known += 1
        if type_word[eos] >= 0:
            known += 1
        if buckets > 0:
            for a in range(m):
                known += min(ngrams - 1, m - 1 - a)
        offsets[i + 1] = offsets[i] + known
        pos += lengths[i]
    flat = np.empty(offsets[n], dtype=np.int64)
    nb = np.uint64(max(buckets, 1))
    longest = 0
    for i in range(n):
        longest = max(longest, lengths[i])
    hs = np.empty(longest + 1, dtype=np.uint64)
    pos = 0
    for i in range(n):
        m = lengths[i] + 1
        o = offsets[i]
        for j in range(m):
            t = tokens[pos + j] if j < m - 1 else eos
            hs[j] = type_hash[t]
            w = type_word[t]
            if w >= 0:
                flat[o] = w
                o += 1
        if buckets > 0:
            for a in range(m):
                h = hs[a]
                for b in range(a + 1, min(a + ngrams, m)):
                    h = h * _NGRAM_PRIME + hs[b]
                    flat[o] = nwords + np.int64(h % nb)
                    o += 1
        pos += lengths[i]
    return flat, offsets


@njit(cache=True, nogil=True, inline="always")
def _hidden(inp: np.ndarray, ids: np.ndarray, hidden: np.ndarray, grad: np.ndarray) -> float:
    n = ids.shape[0]
    dim = inp.shape[1]
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
    return inv


@njit(cache=True, nogil=True, inline="always")
def _backprop(inp: np.ndarray, ids: np.ndarray, grad: np.ndarray, scale: float) -> None:
    dim = inp.shape[1]
    for j in range(ids.shape[0]):
        row = ids[j]
        for d in range(dim):
            inp[row, d] -= scale * grad[d]


@njit(cache=True, nogil=True)
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
    dim = inp.shape[1]
    k = out.shape[0]
    inv = _hidden(inp, ids, hidden, grad)
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
    _backprop(inp, ids, grad, lr * inv)
    return loss


@njit(cache=True, nogil=True)
def hs_step(
    inp: np.ndarray,
    out: np.ndarray,
    ids: np.ndarray,
    codes: np.ndarray,
    points: np.ndarray,
    lr: float,
    hidden: np.ndarray,
    grad: np.ndarray,
) -> float:
    """One SGD step of the hierarchical softmax: for each inner node ``points[i]`` on the label's path and
    its branch ``codes[i]``, a binary logistic loss on ``sigmoid(out[node] . h)`` (target: the branch);
    the node's row and the inputs are updated as in fastText's ``HierarchicalSoftmaxLoss``. Returns the
    loss (nats), the sum over the path."""
    dim = inp.shape[1]
    inv = _hidden(inp, ids, hidden, grad)
    loss = 0.0
    for i in range(points.shape[0]):
        node = points[i]
        s = 0.0
        for d in range(dim):
            s += out[node, d] * hidden[d]
        if codes[i]:
            loss += np.log1p(np.exp(-s)) if s > -30 else -s
        else:
            loss += np.log1p(np.exp(s)) if s < 30 else s
        p = 1.0 / (1.0 + np.exp(-s))
        g = p - codes[i]  # dloss/ds
        for d in range(dim):
            grad[d] += g * out[node, d]
            out[node, d] -= lr * g * hidden[d]
    _backprop(inp, ids, grad, lr * inv)
    return loss


@njit(cache=True, nogil=True)
def ns_step(
    inp: np.ndarray,
    out: np.ndarray,
    ids: np.ndarray,
    targets: np.ndarray,
    lr: float,
    hidden: np.ndarray,
    grad: np.ndarray,
) -> float:
    """One SGD step of negative sampling: a binary logistic loss on ``sigmoid(out[c] . h)`` with target 1
    for ``targets[0]`` (the label) and 0 for the sampled labels ``targets[1:]``, updated as in fastText's
    ``NegativeSamplingLoss``. Returns the loss (nats)."""
    dim = inp.shape[1]
    inv = _hidden(inp, ids, hidden, grad)
    loss = 0.0
    for i in range(targets.shape[0]):
        c = targets[i]
        s = 0.0
        for d in range(dim):
            s += out[c, d] * hidden[d]
        positive = i == 0
        if positive:
            loss += np.log1p(np.exp(-s)) if s > -30 else -s
        else:
            loss += np.log1p(np.exp(s)) if s < 30 else s
        g = 1.0 / (1.0 + np.exp(-s)) - (1.0 if positive else 0.0)
        for d in range(dim):
            grad[d] += g * out[c, d]
            out[c, d] -= lr * g * hidden[d]
    _backprop(inp, ids, grad, lr * inv)
    return loss


@njit(cache=True, nogil=True)
def _lane(
    inp: np.ndarray,
    out: np.ndarray,
    flat: np.ndarray,
    offsets: np.ndarray,
    labels: np.ndarray,
    ntokens: np.ndarray,
    orders: np.ndarray,
    lr0: float,
    loss_kind: int,
    hs_offsets: np.ndarray,
    hs_codes: np.ndarray,
    hs_points: np.ndarray,
    neg_table: np.ndarray,
    negative: int,
    seed: int,
    lo: int,
    hi: int,
    share: float,
    losses: np.ndarray,
) -> None:
    """Train on the examples ``orders[:, lo:hi]`` of every epoch; the learning rate falls with this lane's
    tokens scaled by ``share`` (the lane's part of all tokens), so that lanes decay together."""
    epochs = orders.shape[0]
    dim = inp.shape[1]
    hidden = np.zeros(dim, dtype=np.float32)
    grad = np.zeros(dim, dtype=np.float32)
    scores = np.zeros(max(out.shape[0], 1), dtype=np.float32)
    targets = np.zeros(negative + 1, dtype=np.int64)
    np.random.seed(seed)  # this thread's generator (numba keeps one per thread)
    done = 0.0
    for e in range(epochs):
        for t in range(lo, hi):
            i = orders[e, t]
            lr = lr0 * max(1.0 - done * share, 0.0)
            done += ntokens[i]
            a = offsets[i]
            b = offsets[i + 1]
            if b > a:
                y = labels[i]
                if loss_kind == SOFTMAX:
                    losses[e] += softmax_step(inp, out, flat[a:b], y, lr, hidden, grad, scores)
                elif loss_kind == NS:
                    targets[0] = y
                    for k in range(1, negative + 1):  # labels drawn by count^0.5, never the label itself
                        c = y
                        while c == y:
                            c = neg_table[np.random.randint(neg_table.shape[0])]
                        targets[k] = c
                    losses[e] += ns_step(inp, out, flat[a:b], targets, lr, hidden, grad)
                else:
                    c0 = hs_offsets[y]
                    c1 = hs_offsets[y + 1]
                    losses[e] += hs_step(inp, out, flat[a:b], hs_codes[c0:c1], hs_points[c0:c1], lr, hidden, grad)


@njit(cache=True, nogil=True)
def train_serial(
    inp: np.ndarray,
    out: np.ndarray,
    flat: np.ndarray,
    offsets: np.ndarray,
    labels: np.ndarray,
    ntokens: np.ndarray,
    orders: np.ndarray,
    lr0: float,
    loss_kind: int,
    hs_offsets: np.ndarray,
    hs_codes: np.ndarray,
    hs_points: np.ndarray,
    neg_table: np.ndarray,
    negative: int,
    seed: int,
) -> np.ndarray:
    """Train over ``orders`` (epochs x examples, each row an example order) in one thread. Example i's
    inputs are ``flat[offsets[i]:offsets[i+1]]`` and it counts ``ntokens[i]`` tokens for the learning-rate
    schedule. Returns the mean loss per epoch."""
    epochs, n = orders.shape
    losses = np.zeros(epochs)
    total = 0.0
    for i in range(ntokens.shape[0]):
        total += ntokens[i]
    share = 1.0 / max(total * epochs, 1.0)
    args = (flat, offsets, labels, ntokens, orders, lr0, loss_kind, hs_offsets, hs_codes, hs_points, neg_table)
    _lane(inp, out, *args, negative, seed, 0, n, share, losses)
    return losses / n


@njit(cache=True, nogil=True, parallel=True)
def train_parallel(
    inp: np.ndarray,
    out: np.ndarray,
    flat: np.ndarray,
    offsets: np.ndarray,
    labels: np.ndarray,
    ntokens: np.ndarray,
    orders: np.ndarray,
    lr0: float,
    loss_kind: int,
    hs_offsets: np.ndarray,
    hs_codes: np.ndarray,
    hs_points: np.ndarray,
    neg_table: np.ndarray,
    negative: int,
    seed: int,
    threads: int,
) -> np.ndarray:
    """:func:`train_serial` with ``threads`` Hogwild lanes, each over its own part of every epoch's order."""
    epochs, n = orders.shape
    losses = np.zeros((threads, epochs))
    total = 0.0
    for i in range(ntokens.shape[0]):
        total += ntokens[i]
    share = threads / max(total * epochs, 1.0)
    args = (flat, offsets, labels, ntokens, orders, lr0, loss_kind, hs_offsets, hs_codes, hs_points, neg_table)
    for lane in prange(threads):
        lo = lane * n // threads
        hi = (lane + 1) * n // threads
        _lane(inp, out, *args, negative, seed + lane, lo, hi, share, losses[lane])
    return losses.sum(axis=0) / n


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


@njit(cache=True, nogil=True)
def hs_log_probs(
    hidden: np.ndarray, out: np.ndarray, hs_offsets: np.ndarray, hs_codes: np.ndarray, hs_points: np.ndarray
) -> np.ndarray:
    """log p(label | h) for every label under the hierarchical softmax: the sum over the label's path of
    log sigmoid(+-out[node] . h). ``(examples, labels)``."""
    n = hidden.shape[0]
    k = hs_offsets.shape[0] - 1
    dim = hidden.shape[1]
    inner = out.shape[0]
    s = np.empty(inner, dtype=np.float64)
    lp = np.zeros((n, k), dtype=np.float64)
    for i in range(n):
        for node in range(inner):
            v = 0.0
            for d in range(dim):
                v += out[node, d] * hidden[i, d]
            s[node] = v
        for c in range(k):
            acc = 0.0
            for j in range(hs_offsets[c], hs_offsets[c + 1]):
                x = s[hs_points[j]] if hs_codes[j] else -s[hs_points[j]]
                acc -= np.log1p(np.exp(-x)) if x > -30 else -x
            lp[i, c] = acc
    return lp
