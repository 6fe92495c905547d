"""The compiled word2vec kernel: skip-gram or CBOW, with negative sampling, hierarchical or full softmax.

fastText's structure: a hidden vector is formed from input rows (skip-gram: one context word's row; CBOW:
the mean or sum of the context rows), and a pluggable output loss scores it against a set of output rows.
Skip-gram is batched the HogBatch way (Ji et al. 2016): all context words of a centre word share one set
of output rows (the centre word and one draw of negatives, or the centre word's Huffman path), so a window
is a small ``contexts x outputs`` matrix product whose rows stay in cache, and negatives are drawn once
per centre word instead of once per pair.

Threads: ``prange`` over ranges ("lanes") of the encoded corpus, each with its own RNG (xorshift64*) and
scratch buffers, updates lock-free on the shared matrices (Hogwild). Losses are summed per lane in float64.
Sigmoid and log-sigmoid come from lookup tables over [-MAX_EXP, MAX_EXP]. Each centre word's random draws
are made while the previous window is trained (same draws, same order) and the rows they select are
prefetched, so their cache misses overlap arithmetic instead of stalling it.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

MAX_EXP = 8.0
TABLE_SIZE = 2048
MAX_SENTENCE = 10000  # like gensim's LineSentence: longer lines are cut into pieces

HOT_ROWS = 32  # HS output rows nearest the root that each lane keeps its own copy of (several lanes only)

SG, CBOW = 0, 1
NS, HS, SOFTMAX = 0, 1, 2


def sigmoid_tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) and -log(sigmoid(x)) tabulated at bin centres over [-MAX_EXP, MAX_EXP]."""
    x = (np.arange(TABLE_SIZE, dtype=np.float64) + 0.5) / TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), np.log1p(np.exp(-x)).astype(np.float32)


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias method: draw index ``i`` with probability proportional to ``weights[i]`` in O(1).

    Returns (threshold, alias): pick a uniform bucket ``k``; keep it if a uniform 32-bit number is below
    ``threshold[k]`` (scaled to 2**32), else take ``alias[k]``.
    """
    n = len(weights)
    arr = np.asarray(weights, dtype=np.float64)
    arr = arr * (n / arr.sum())
    p = arr.tolist()  # Python floats: the same double arithmetic as numpy scalars, ten times faster
    thresh = [1.0] * n
    alias_list = list(range(n))
    below = arr < 1.0
    small = np.flatnonzero(below).tolist()
    large = np.flatnonzero(~below).tolist()
    while small and large:
        s, g = small.pop(), large.pop()
        thresh[s] = p[s]
        alias_list[s] = g
        p[g] -= 1.0 - p[s]
        (small if p[g] < 1.0 else large).append(g)
    threshold = np.array(thresh, dtype=np.float64)
    alias = np.array(alias_list, dtype=np.int32)
    scaled = np.minimum(np.floor(threshold * 4294967296.0), 4294967295.0)
    scaled[threshold >= 1.0] = 4294967295.0
    return scaled.astype(np.uint32), alias


@njit(inline="always")
def _next(state):
    """xorshift64*: returns (new state, 64 random bits)."""
    x = state
    x ^= x >> numba.uint64(12)
    x ^= x << numba.uint64(25)
    x ^= x >> numba.uint64(27)
    return x, x * numba.uint64(2685821657736338717)


@njit(inline="always")
def _score_sigmoid(f, sign, sig, nlogsig):
    """For a score ``f`` whose label is 1 (sign +1) or 0 (sign -1): the gradient factor label - sigmoid(f)
    and the loss -log sigmoid(sign * f), branch-free via the tables (linear beyond -MAX_EXP)."""
    x = sign * f
    k = min(max(int((x + MAX_EXP) * (TABLE_SIZE / (2 * MAX_EXP))), 0), TABLE_SIZE - 1)
    return sign * (numba.float32(1.0) - sig[k]), nlogsig[k] + max(numba.float32(0.0), -MAX_EXP - x)


@njit(inline="always")
def _outputs_ns(w, negative, thresh, alias, n_words, state, outs, labels):
    """The centre word and ``negative`` draws from the noise distribution (draws equal to it dropped)."""
    outs[0] = w
    labels[0] = 1.0
    m = 1  # labels hold signs: +1 for the true word, -1 for noise
    for _ in range(negative):
        state, r = _next(state)
        k = int(((r >> numba.uint64(32)) * numba.uint64(n_words)) >> numba.uint64(32))
        if numba.uint32(r & numba.uint64(0xFFFFFFFF)) >= thresh[k]:
            k = alias[k]
        if k == w:
            continue
        outs[m] = k
        labels[m] = -1.0
        m += 1
    return m, state


@njit(inline="always")
def _outputs_hs(w, hs_off, hs_codes, hs_points, outs, labels):
    """The inner nodes on ``w``'s Huffman path; label 1 - code (word2vec's convention), as a sign."""
    m = 0
    for i in range(hs_off[w], hs_off[w + 1]):
        outs[m] = hs_points[i]
        labels[m] = 1.0 - 2.0 * hs_codes[i]
        m += 1
    return m


@njit(inline="always")
def _grad_row(dots, m, labels, loss_kind, target, alpha, sig, nlogsig):
    """Turn one row of scores into gradient factors (times alpha), in place; return its loss."""
    loss = 0.0
    if loss_kind == SOFTMAX:
        mx = dots[0]
        for j in range(1, m):
            mx = max(mx, dots[j])
        z = 0.0
        for j in range(m):
            dots[j] = math.exp(dots[j] - mx)
            z += dots[j]
        loss = math.log(z) - math.log(dots[target])
        inv = 1.0 / z
        for j in range(m):
            dots[j] = -dots[j] * inv * alpha
        dots[target] += alpha
        return loss
    for j in range(m):
        g, l = _score_sigmoid(dots[j], labels[j], sig, nlogsig)
        dots[j] = g * alpha
        loss += l
    return loss


@njit(inline="always")
def _row(syn1, hot, hot_lo, k):
    """Output row ``k``: the lane's copy for the hot rows, else the shared matrix."""
    return hot[k - hot_lo] if k >= hot_lo else syn1[k]


@njit(inline="always")
def _sync_hot(syn1, hot, snap, hot_lo):
    """Add the lane's changes to its hot rows (since the last sync) to the shared rows, then refresh the
    copy from them, so the other lanes' changes come in too."""
    dim = syn1.shape[1]
    for k in range(hot.shape[0]):
        y = syn1[hot_lo + k]
        h = hot[k]
        s = snap[k]
        for d in range(dim):
            v = y[d] + (h[d] - s[d])
            y[d] = v
            h[d] = v
            s[d] = v


@njit(inline="always")
def _sg_window(
    syn0, syn1, ctx, n_ctx, outs, m, labels, loss_kind, target, alpha, sig, nlogsig, dots, neu1e, hot, hot_lo
):
    """Skip-gram, HogBatch: every context row is a hidden vector scored against the shared outputs:
    scores = X Y^T, errors X += G Y, Y += G^T X (X: context rows, Y: output rows, both read before writing).

    Register-blocked: each pass over the rows serves several rows of the other side (scores: four context
    rows x two output rows, eight dot products per pass; errors: two context rows x four output rows;
    output-row updates: two output rows x four context rows), so a loaded vector is used several times
    instead of once and each row is stored once per several rows it takes in. ``neu1e`` needs one spare row
    past the ``n_ctx`` context rows (an odd last context row is paired with it in the error pass).

    Output rows ``hot_lo`` and up are read from and written to the lane's copy ``hot`` instead of ``syn1``
    (see ``_sync_hot``)."""
    dim = syn0.shape[1]
    # scores, four context rows x two output rows per pass
    j = 0
    while j + 2 <= m:
        y0 = _row(syn1, hot, hot_lo, outs[j])
        y1 = _row(syn1, hot, hot_lo, outs[j + 1])
        b = 0
        while b + 4 <= n_ctx:
            x0 = syn0[ctx[b]]
            x1 = syn0[ctx[b + 1]]
            x2 = syn0[ctx[b + 2]]
            x3 = syn0[ctx[b + 3]]
            f00 = numba.float32(0.0)
            f10 = numba.float32(0.0)
            f20 = numba.float32(0.0)
            f30 = numba.float32(0.0)
            f01 = numba.float32(0.0)
            f11 = numba.float32(0.0)
            f21 = numba.float32(0.0)
            f31 = numba.float32(0.0)
            for d in range(dim):
                a0 = y0[d]
                a1 = y1[d]
                c0 = x0[d]
                c1 = x1[d]
                c2 = x2[d]
                c3 = x3[d]
                f00 += c0 * a0
                f10 += c1 * a0
                f20 += c2 * a0
                f30 += c3 * a0
                f01 += c0 * a1
                f11 += c1 * a1
                f21 += c2 * a1
                f31 += c3 * a1
            dots[b, j] = f00
            dots[b + 1, j] = f10
            dots[b + 2, j] = f20
            dots[b + 3, j] = f30
            dots[b, j + 1] = f01
            dots[b + 1, j + 1] = f11
            dots[b + 2, j + 1] = f21
            dots[b + 3, j + 1] = f31
            b += 4
        while b < n_ctx:
            x0 = syn0[ctx[b]]
            f00 = numba.float32(0.0)
            f01 = numba.float32(0.0)
            for d in range(dim):
                c0 = x0[d]
                f00 += c0 * y0[d]
                f01 += c0 * y1[d]
            dots[b, j] = f00
            dots[b, j + 1] = f01
            b += 1
        j += 2
    if j < m:
        y = _row(syn1, hot, hot_lo, outs[j])
        b = 0
        while b + 4 <= n_ctx:
            x0 = syn0[ctx[b]]
            x1 = syn0[ctx[b + 1]]
            x2 = syn0[ctx[b + 2]]
            x3 = syn0[ctx[b + 3]]
            f0 = numba.float32(0.0)
            f1 = numba.float32(0.0)
            f2 = numba.float32(0.0)
            f3 = numba.float32(0.0)
            for d in range(dim):
                yd = y[d]
                f0 += x0[d] * yd
                f1 += x1[d] * yd
                f2 += x2[d] * yd
                f3 += x3[d] * yd
            dots[b, j] = f0
            dots[b + 1, j] = f1
            dots[b + 2, j] = f2
            dots[b + 3, j] = f3
            b += 4
        while b + 2 <= n_ctx:
            x0 = syn0[ctx[b]]
            x1 = syn0[ctx[b + 1]]
            f0 = numba.float32(0.0)
            f1 = numba.float32(0.0)
            for d in range(dim):
                yd = y[d]
                f0 += x0[d] * yd
                f1 += x1[d] * yd
            dots[b, j] = f0
            dots[b + 1, j] = f1
            b += 2
        if b < n_ctx:
            x0 = syn0[ctx[b]]
            f0 = numba.float32(0.0)
            for d in range(dim):
                f0 += x0[d] * y[d]
            dots[b, j] = f0
    loss = 0.0
    for b in range(n_ctx):
        loss += _grad_row(dots[b], m, labels, loss_kind, target, alpha, sig, nlogsig)
    # errors of the context rows, two context rows x four output rows per pass
    b = 0
    while b < n_ctx:
        # an odd last row pairs with a scratch row (neu1e has a spare row past the context rows)
        e0 = neu1e[b]
        e1 = neu1e[b + 1]
        g0r = dots[b]
        g1r = dots[b + 1] if b + 1 < n_ctx else dots[b]
        for d in range(dim):
            e0[d] = 0.0
            e1[d] = 0.0
        j = 0
        while j + 4 <= m:
            y0 = _row(syn1, hot, hot_lo, outs[j])
            y1 = _row(syn1, hot, hot_lo, outs[j + 1])
            y2 = _row(syn1, hot, hot_lo, outs[j + 2])
            y3 = _row(syn1, hot, hot_lo, outs[j + 3])
            g0, g1, g2, g3 = g0r[j], g0r[j + 1], g0r[j + 2], g0r[j + 3]
            h0, h1, h2, h3 = g1r[j], g1r[j + 1], g1r[j + 2], g1r[j + 3]
            for d in range(dim):
                a0 = y0[d]
                a1 = y1[d]
                a2 = y2[d]
                a3 = y3[d]
                e0[d] += g0 * a0 + g1 * a1 + g2 * a2 + g3 * a3
                e1[d] += h0 * a0 + h1 * a1 + h2 * a2 + h3 * a3
            j += 4
        while j < m:
            y0 = _row(syn1, hot, hot_lo, outs[j])
            g0 = g0r[j]
            h0 = g1r[j]
            for d in range(dim):
                a0 = y0[d]
                e0[d] += g0 * a0
                e1[d] += h0 * a0
            j += 1
        b += 2
    # output rows, two output rows x four context rows per pass
    j = 0
    while j + 2 <= m:
        y0 = _row(syn1, hot, hot_lo, outs[j])
        y1 = _row(syn1, hot, hot_lo, outs[j + 1])
        b = 0
        while b + 4 <= n_ctx:
            x0 = syn0[ctx[b]]
            x1 = syn0[ctx[b + 1]]
            x2 = syn0[ctx[b + 2]]
            x3 = syn0[ctx[b + 3]]
            g0, g1, g2, g3 = dots[b, j], dots[b + 1, j], dots[b + 2, j], dots[b + 3, j]
            h0, h1, h2, h3 = dots[b, j + 1], dots[b + 1, j + 1], dots[b + 2, j + 1], dots[b + 3, j + 1]
            for d in range(dim):
                c0 = x0[d]
                c1 = x1[d]
                c2 = x2[d]
                c3 = x3[d]
                y0[d] += g0 * c0 + g1 * c1 + g2 * c2 + g3 * c3
                y1[d] += h0 * c0 + h1 * c1 + h2 * c2 + h3 * c3
            b += 4
        while b < n_ctx:
            x0 = syn0[ctx[b]]
            g0 = dots[b, j]
            h0 = dots[b, j + 1]
            for d in range(dim):
                c0 = x0[d]
                y0[d] += g0 * c0
                y1[d] += h0 * c0
            b += 1
        j += 2
    if j < m:
        y = _row(syn1, hot, hot_lo, outs[j])
        b = 0
        while b + 4 <= n_ctx:
            x0 = syn0[ctx[b]]
            x1 = syn0[ctx[b + 1]]
            x2 = syn0[ctx[b + 2]]
            x3 = syn0[ctx[b + 3]]
            g0, g1, g2, g3 = dots[b, j], dots[b + 1, j], dots[b + 2, j], dots[b + 3, j]
            for d in range(dim):
                y[d] += g0 * x0[d] + g1 * x1[d] + g2 * x2[d] + g3 * x3[d]
            b += 4
        while b < n_ctx:
            x0 = syn0[ctx[b]]
            g0 = dots[b, j]
            for d in range(dim):
                y[d] += g0 * x0[d]
            b += 1
    for b in range(n_ctx):
        x = syn0[ctx[b]]
        e = neu1e[b]
        for d in range(dim):
            x[d] += e[d]
    return loss


@njit(inline="always")
def _cbow_window(
    syn0, syn1, ctx, n_ctx, outs, m, labels, loss_kind, target, alpha, sig, nlogsig, cbow_mean, dots, h, e
):
    """CBOW: the hidden vector is the mean (or sum) of the context rows; its error goes to each of them."""
    dim = syn0.shape[1]
    for d in range(dim):
        h[d] = 0.0
        e[d] = 0.0
    for b in range(n_ctx):
        x = syn0[ctx[b]]
        for d in range(dim):
            h[d] += x[d]
    if cbow_mean:
        inv = numba.float32(1.0 / n_ctx)
        for d in range(dim):
            h[d] *= inv
    for j in range(m):
        y = syn1[outs[j]]
        f = numba.float32(0.0)
        for d in range(dim):
            f += h[d] * y[d]
        dots[j] = f
    loss = _grad_row(dots, m, labels, loss_kind, target, alpha, sig, nlogsig)
    for j in range(m):
        g = dots[j]
        y = syn1[outs[j]]
        for d in range(dim):
            e[d] += g * y[d]
            y[d] += g * h[d]
    for b in range(n_ctx):
        x = syn0[ctx[b]]
        for d in range(dim):
            x[d] += e[d]
    return loss


@intrinsic
def _prefetch(typingctx, arr, row, col):
    """A hint to bring ``arr[row, col]``'s cache line into cache for writing (LLVM's prefetch; no effect
    on results)."""

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        r = context.cast(builder, args[1], sig.args[1], types.intp)
        c = context.cast(builder, args[2], sig.args[2], types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [r, c])
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32]), "llvm.prefetch.p0"
        )
        builder.call(fn, [ptr, ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, row, col), codegen


@njit(inline="always")
def _prefetch_row(a, k):
    """Prefetch every cache line of row ``k`` of ``a`` (float32)."""
    dim = a.shape[1]
    for d in range(0, dim, 16):
        _prefetch(a, k, d)
    _prefetch(a, k, dim - 1)


@njit(inline="always")
def _draw(
    sent, i, n, window, loss_kind, negative, thresh, alias, hs_off, hs_codes, hs_points, n_words, state, outs, labels
):
    """Centre word ``sent[i]``'s window shrink and output rows (negatives drawn only if its window has a
    context word); returns (state, shrink, number of outputs)."""
    state, r = _next(state)
    shrink = int((r >> numba.uint64(33)) % numba.uint64(window))
    lo = max(0, i - window + shrink)
    hi = min(n, i + window + 1 - shrink)
    m = 0
    if hi - lo > 1:
        w = sent[i]
        if loss_kind == NS:
            m, state = _outputs_ns(w, negative, thresh, alias, n_words, state, outs, labels)
        elif loss_kind == HS:
            m = _outputs_hs(w, hs_off, hs_codes, hs_points, outs, labels)
        else:
            m = n_words
    return state, shrink, m


@njit(parallel=True, nogil=True, cache=True, fastmath=True)
def train_chunk(
    ids,
    first_word,
    eos,
    seg_start,
    seg_end,
    range_start,
    range_len,
    epoch,
    epochs,
    syn0,
    syn1,
    sig,
    nlogsig,
    keep,
    ns_thresh,
    ns_alias,
    hs_off,
    hs_codes,
    hs_points,
    arch,
    loss_kind,
    window,
    negative,
    cbow_mean,
    alpha0,
    min_alpha,
    rng,
    loss_sum,
    loss_n,
    words_done,
    sent_buf,
    ctx_buf,
    out_buf,
    label_buf,
    dots_buf,
    vec_buf,
):
    """Train on ``ids[seg_start[t]:seg_end[t]]`` for every lane ``t``, lanes in parallel.

    Token ids below ``first_word`` are not trained on (specials, ``<unk>``); ``eos`` ends a sentence.
    Word ``i`` of the model is token id ``first_word + i``. The learning rate falls linearly with each
    lane's progress through its whole range over all epochs.
    """
    n_lanes = len(seg_start)
    n_words = syn0.shape[0]
    dim = syn0.shape[1]
    n_hot = min(HOT_ROWS, syn1.shape[0]) if loss_kind == HS and arch == SG and n_lanes > 1 else 0
    hot_lo = syn1.shape[0] - n_hot
    for t in prange(n_lanes):
        state = rng[t]
        sent = sent_buf[t]
        ctx = ctx_buf[t]
        half = (out_buf.shape[1] - 32) // 2
        out2 = out_buf[t, : 2 * half].reshape((2, half))
        label2 = label_buf[t, : 2 * half].reshape((2, half))
        outs = out2[0]
        labels = label2[0]
        shrink_next = 0
        m_next = 0
        dots = dots_buf[t]
        vecs = vec_buf[t]
        # HS with several lanes: the output rows nearest the Huffman root are on almost every path, so two
        # threads writing them after every window keep moving their cache lines between cores. Each lane
        # works on its own copy of them and adds its changes to the shared rows once per sentence.
        hot = np.empty((n_hot, dim), dtype=np.float32)
        snap = np.empty((n_hot, dim), dtype=np.float32)
        for k in range(n_hot):
            for d in range(dim):
                hot[k, d] = syn1[hot_lo + k, d]
                snap[k, d] = hot[k, d]
        loss = 0.0
        n_pred = 0
        pos = seg_start[t]
        end = seg_end[t]
        while pos < end:
            # one sentence: real words up to </s> (or MAX_SENTENCE), after subsampling
            n = 0
            while pos < end and n < MAX_SENTENCE:
                tok = ids[pos]
                pos += 1
                if tok == eos:
                    break
                if tok < first_word:
                    continue
                w = tok - first_word
                if keep[w] != 0xFFFFFFFF:
                    state, r = _next(state)
                    if numba.uint32(r >> numba.uint64(32)) >= keep[w]:
                        continue
                sent[n] = w
                n += 1
            progress = (epoch + (pos - range_start[t]) / max(range_len[t], 1)) / epochs
            alpha = numba.float32(max(alpha0 - (alpha0 - min_alpha) * progress, min_alpha))
            # Each centre word's random draws (window shrink, then negatives) are made one word ahead, in
            # the same order as without the look-ahead, and the output rows they pick are prefetched, so
            # their cache misses overlap the current window's arithmetic.
            ahead = 0
            if n > 0:
                state, shrink_next, m_next = _draw(
                    sent, 0, n, window, loss_kind, negative, ns_thresh, ns_alias, hs_off, hs_codes, hs_points,
                    n_words, state, out2[0], label2[0],
                )  # fmt: skip
            for i in range(n):
                w = sent[i]
                shrink = shrink_next
                m = m_next
                outs = out2[ahead]
                labels = label2[ahead]
                if i + 1 < n:
                    ahead ^= 1
                    state, shrink_next, m_next = _draw(
                        sent, i + 1, n, window, loss_kind, negative, ns_thresh, ns_alias, hs_off, hs_codes,
                        hs_points, n_words, state, out2[ahead], label2[ahead],
                    )  # fmt: skip
                    if loss_kind != SOFTMAX:
                        nxt = out2[ahead]
                        for j in range(m_next):
                            if nxt[j] < hot_lo:
                                _prefetch_row(syn1, nxt[j])
                    _prefetch_row(syn0, sent[min(n - 1, i + 1 + window)])
                lo = max(0, i - window + shrink)
                hi = min(n, i + window + 1 - shrink)
                n_ctx = 0
                for j in range(lo, hi):
                    if j != i:
                        ctx[n_ctx] = sent[j]
                        n_ctx += 1
                if n_ctx == 0:
                    continue
                target = 0
                if loss_kind == SOFTMAX:
                    target = w
                    for j in range(m):
                        outs[j] = j
                if arch == SG:
                    loss += _sg_window(
                        syn0,
                        syn1,
                        ctx,
                        n_ctx,
                        outs,
                        m,
                        labels,
                        loss_kind,
                        target,
                        alpha,
                        sig,
                        nlogsig,
                        dots,
                        vecs,
                        hot,
                        hot_lo,
                    )
                    n_pred += n_ctx
                else:
                    loss += _cbow_window(
                        syn0,
                        syn1,
                        ctx,
                        n_ctx,
                        outs,
                        m,
                        labels,
                        loss_kind,
                        target,
                        alpha,
                        sig,
                        nlogsig,
                        cbow_mean,
                        dots[0],
                        vecs[0],
                        vecs[1],
                    )
                    n_pred += 1
            if n_hot > 0:
                _sync_hot(syn1, hot, snap, hot_lo)
        rng[t] = state
        loss_sum[t] += loss
        loss_n[t] += n_pred
        words_done[t] += end - seg_start[t]
