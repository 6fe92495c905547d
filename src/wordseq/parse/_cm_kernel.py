"""Chen & Manning's greedy decoding compiled (numba): the parser states of a whole batch of sentences as
flat arrays, their 48 features, the pre-computed hidden layer, and one greedy transition per state.

The decoder (:meth:`wordseq.parse.chen_manning.ChenManningParser.parse_trees`) advances every unfinished
sentence by one transition per step, in lockstep, exactly as the Python decoder does: the same rows in the
same order go to the same output product, and :func:`hidden_input` adds the pre-computed rows in numpy's
order (position by position, words, then tags, labels and the bias), so the trees are the Python decoder's
bit for bit (at a given number of torch threads, which can change the last bits of the output product for
small batches). What the compiled code saves is the per-state Python: features, legal moves, moves.

Layout: sentence k owns ``[off[k], off[k] + n[k] + 2)`` of every per-word array: ``words`` and ``tags``
hold its padded ids [ROOT, w1..wn, NULL], ``heads``/``labels`` its partial tree, ``l1``/``l2`` the leftmost
and second leftmost dependents of each word, ``r1``/``r2`` the rightmost and second rightmost (-1 for none),
and ``stack`` its stack (``depth[k]`` entries); ``front[k]`` is the first buffer word. A missing position
(-1) reads the NULL slot at ``off[k] + n[k] + 1``, as the Python states read index -1.

Training with error exploration (arc-hybrid, Goldberg & Nivre's dynamic oracle) runs the same states:
:func:`hybrid_costs` gives each move's cost and :func:`_explore_step` records the least-cost target and
follows the model's prediction or the target.

Systems: arc-standard and arc-hybrid (arc-eager, whose finished trees need repairs, keeps the Python
decoder). Compiling takes about 5 CPU-seconds once; later processes load numba's cache (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

ARC_STANDARD, ARC_HYBRID = 0, 1  # system codes
COMPILED_SYSTEMS = {"arc-standard": ARC_STANDARD, "arc-hybrid": ARC_HYBRID}
_SHIFT, _LEFT, _RIGHT = 0, 2, 3  # as wordseq.parse.transitions numbers the moves


class States:
    """The flat state arrays of a batch of sentences (see the module's docstring for the layout)."""

    def __init__(self, ids: list[tuple[list[int], list[int]]]) -> None:
        lens = np.array([len(w) for w, _ in ids], dtype=np.int64)  # n + 2 each
        self.n = lens - 2
        self.off = np.zeros(len(ids), dtype=np.int64)
        np.cumsum(lens[:-1], out=self.off[1:])
        total = int(lens.sum())
        self.words = np.fromiter((i for w, _ in ids for i in w), dtype=np.int64, count=total)
        self.tags = np.fromiter((i for _, t in ids for i in t), dtype=np.int64, count=total)
        self.heads = np.full(total, -1, dtype=np.int64)
        self.labels = np.full(total, -1, dtype=np.int64)
        self.l1 = np.full(total, -1, dtype=np.int64)
        self.l2 = np.full(total, -1, dtype=np.int64)
        self.r1 = np.full(total, -1, dtype=np.int64)
        self.r2 = np.full(total, -1, dtype=np.int64)
        self.stack = np.zeros(total, dtype=np.int64)  # ROOT (0) starts on every stack
        self.depth = np.ones(len(ids), dtype=np.int64)
        self.front = np.ones(len(ids), dtype=np.int64)

    def unfinished(self) -> np.ndarray:
        """The sentences whose states are not terminal, in order."""
        return _unfinished(self.n, self.depth, self.front)

    def features(self, active: np.ndarray) -> np.ndarray:
        """The (len(active), 48) feature ids of the active states."""
        return _features(
            active, self.off, self.n, self.words, self.tags, self.labels, self.l1, self.l2, self.r1, self.r2,
            self.stack, self.depth, self.front,
        )  # fmt: skip

    def step(self, system: int, active: np.ndarray, scores: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Apply each active state's best legal action by ``scores`` (row r: state ``active[r]``);
        ``actions``: the (move, label) of each action, as rows. Returns the states still unfinished."""
        return _step(
            system, active, scores, actions[:, 0].copy(), actions[:, 1].copy(), self.off, self.n, self.heads,
            self.labels, self.l1, self.l2, self.r1, self.r2, self.stack, self.depth, self.front,
        )  # fmt: skip

    def explore(
        self,
        active: np.ndarray,
        scores: np.ndarray,
        draws: np.ndarray,
        p: float,
        actions: np.ndarray,
        gold: np.ndarray,
        gold_labels: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One arc-hybrid step with error exploration (:func:`_explore_step`); ``gold``/``gold_labels``: the
        gold heads and label ids flat like the states. Returns (targets, least costs, followed-wrong flags,
        actions applied, states still unfinished)."""
        targets = np.empty(len(active), dtype=np.int64)
        least = np.empty(len(active), dtype=np.int64)
        followed = np.empty(len(active), dtype=np.int64)
        taken = np.empty(len(active), dtype=np.int64)
        rest = _explore_step(
            active, scores, draws, p, actions[:, 0].copy(), actions[:, 1].copy(), gold, gold_labels, self.off,
            self.n, self.heads, self.labels, self.l1, self.l2, self.r1, self.r2, self.stack, self.depth,
            self.front, targets, least, followed, taken,
        )  # fmt: skip
        return targets, least, followed, taken, rest

    def tree(self, k: int) -> tuple[list[int], list[int]]:
        """Heads and labels of sentence k's words 0..n (position 0: -1), as ``State.tree`` gives them."""
        o, n = int(self.off[k]), int(self.n[k])
        return self.heads[o : o + n + 1].tolist(), self.labels[o : o + n + 1].tolist()


@njit(cache=True, nogil=True)
def _unfinished(n: np.ndarray, depth: np.ndarray, front: np.ndarray) -> np.ndarray:
    """The sentences whose states are not terminal (buffer empty and only ROOT on the stack), in order."""
    out = np.empty(len(n), dtype=np.int64)
    m = 0
    for k in range(len(n)):
        if not (front[k] > n[k] and depth[k] == 1):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True, nogil=True)
def _features(active, off, n, words, tags, labels, l1, l2, r1, r2, stack, depth, front):
    """The 48 feature ids of each active state (:func:`wordseq.parse.features.features`, row by row)."""
    x = np.empty((len(active), 48), dtype=np.int64)
    pos = np.empty(18, dtype=np.int64)
    for r in range(len(active)):
        k = active[r]
        o = off[k]
        nk = n[k]
        null = o + nk + 1
        d = depth[k]
        s1 = stack[o + d - 1] if d > 0 else -1
        s2 = stack[o + d - 2] if d > 1 else -1
        s3 = stack[o + d - 3] if d > 2 else -1
        i = front[k]
        pos[0] = s1
        pos[1] = s2
        pos[2] = s3
        pos[3] = i if i <= nk else -1
        pos[4] = i + 1 if i + 1 <= nk else -1
        pos[5] = i + 2 if i + 2 <= nk else -1
        for t in range(2):
            s = s1 if t == 0 else s2
            g = o + s if s >= 0 else null
            lc1 = l1[g]
            rc1 = r1[g]
            base = 6 + 6 * t
            pos[base] = lc1
            pos[base + 1] = rc1
            pos[base + 2] = l2[g]
            pos[base + 3] = r2[g]
            pos[base + 4] = l1[o + lc1 if lc1 >= 0 else null]
            pos[base + 5] = r1[o + rc1 if rc1 >= 0 else null]
        for j in range(18):
            p = pos[j]
            g = o + p if p >= 0 else null
            x[r, j] = words[g]
            x[r, 18 + j] = tags[g]
            if j >= 6:
                x[r, 30 + j] = labels[g] + 1
    return x


@njit(cache=True, nogil=True)
def hidden_input(x, Tw, Tt, Tl, b, K, n_tags, n_labels):
    """The hidden layer's input from the pre-computed tables, without the rare words (ids >= K, which add
    0 here; the caller adds their products): per row, the 18 word rows summed in position order, plus the
    18 tag rows summed, plus the 12 label rows summed, plus the bias, each sum in float32 as numpy makes it."""
    B = x.shape[0]
    h = b.shape[0]
    z = np.empty((B, h), dtype=np.float32)
    acc = np.empty(h, dtype=np.float32)
    part = np.empty(h, dtype=np.float32)
    for r in range(B):
        acc[:] = 0.0
        for j in range(18):
            w = x[r, j]
            if w < K:
                row = j * K + w
                for c in range(h):
                    acc[c] += Tw[row, c]
        part[:] = 0.0
        for j in range(18):
            row = j * n_tags + x[r, 18 + j]
            for c in range(h):
                part[c] += Tt[row, c]
        for c in range(h):
            acc[c] += part[c]
        part[:] = 0.0
        for j in range(12):
            row = j * n_labels + x[r, 36 + j]
            for c in range(h):
                part[c] += Tl[row, c]
        for c in range(h):
            z[r, c] = (acc[c] + part[c]) + b[c]
    return z


@njit(cache=True, nogil=True, inline="always")
def _add_arc(o, head, dep, label, heads, labels, l1, l2, r1, r2):
    heads[o + dep] = head
    labels[o + dep] = label
    g = o + head
    if dep < head:  # keep the two leftmost left dependents
        if l1[g] < 0 or dep < l1[g]:
            l2[g] = l1[g]
            l1[g] = dep
        elif l2[g] < 0 or dep < l2[g]:
            l2[g] = dep
    elif r1[g] < 0 or dep > r1[g]:  # and the two rightmost right dependents
        r2[g] = r1[g]
        r1[g] = dep
    elif r2[g] < 0 or dep > r2[g]:
        r2[g] = dep


@njit(cache=True, nogil=True, inline="always")
def _apply_move(system, o, k, d, i, move, label, heads, labels, l1, l2, r1, r2, stack, depth, front):
    """Apply one move (with its label) to sentence k's state (offset o, stack depth d, buffer front i)."""
    if move == _SHIFT:
        stack[o + d] = i
        depth[k] = d + 1
        front[k] = i + 1
    elif system == ARC_STANDARD:
        top = stack[o + d - 1]
        below = stack[o + d - 2]
        if move == _LEFT:  # s1 heads s2, s2 leaves the stack
            _add_arc(o, top, below, label, heads, labels, l1, l2, r1, r2)
            stack[o + d - 2] = top
        else:  # s2 heads s1, s1 leaves the stack
            _add_arc(o, below, top, label, heads, labels, l1, l2, r1, r2)
        depth[k] = d - 1
    else:  # arc-hybrid
        top = stack[o + d - 1]
        if move == _LEFT:  # b1 heads s1
            _add_arc(o, i, top, label, heads, labels, l1, l2, r1, r2)
        else:  # s2 heads s1
            _add_arc(o, stack[o + d - 2], top, label, heads, labels, l1, l2, r1, r2)
        depth[k] = d - 1


@njit(cache=True, nogil=True)
def _step(system, active, scores, move_of, label_of, off, n, heads, labels, l1, l2, r1, r2, stack, depth, front):
    """Apply each active state's best legal action (numpy's argmax of the scores with the illegal ones at
    -inf: the first maximum, or the first NaN) and return the states still unfinished, in order."""
    out = np.empty(len(active), dtype=np.int64)
    m = 0
    legal = np.zeros(4, dtype=np.bool_)
    for r in range(len(active)):
        k = active[r]
        o = off[k]
        nk = n[k]
        d = depth[k]
        i = front[k]
        empty = i > nk
        legal[_SHIFT] = not empty
        if system == ARC_STANDARD:
            legal[_LEFT] = d > 2
        else:
            legal[_LEFT] = d > 1 and not empty
        legal[_RIGHT] = d > 2 or (d == 2 and empty)
        best = 0
        best_v = scores[r, 0] if legal[move_of[0]] else -np.inf
        if not np.isnan(best_v):
            for a in range(1, scores.shape[1]):
                v = scores[r, a] if legal[move_of[a]] else -np.inf
                if np.isnan(v):
                    best = a
                    break
                if v > best_v:
                    best = a
                    best_v = v
        _apply_move(
            system, o, k, d, i, move_of[best], label_of[best], heads, labels, l1, l2, r1, r2, stack, depth, front
        )
        if not (front[k] > nk and depth[k] == 1):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True, nogil=True)
def hybrid_costs(o, nk, d, i, stack, gold):
    """Goldberg & Nivre's arc-hybrid costs of SHIFT, LEFT and RIGHT (:meth:`ArcHybrid.costs
    <wordseq.parse.transitions.ArcHybrid.costs>`, the gold heads ``gold`` flat like the states; -1 for an
    illegal move): how many gold arcs each makes unreachable."""
    empty = i > nk
    top = stack[o + d - 1]
    c_shift = c_left = c_right = -1
    if not empty:
        c_shift = 0
        for j in range(d):
            s = stack[o + j]
            if j < d - 1 and gold[o + i] == s:
                c_shift += 1
            if gold[o + s] == i:
                c_shift += 1
    if d > 1:
        buf_heads = 0  # gold heads of s0 in the buffer, and gold dependents of s0 there
        buf_deps = 0
        for b in range(i, nk + 1):
            if gold[o + top] == b:
                buf_heads += 1
            if gold[o + b] == top:
                buf_deps += 1
        if d > 1 and not empty:
            c_left = (1 if gold[o + top] == stack[o + d - 2] else 0) + buf_deps + buf_heads
            if gold[o + top] == i:
                c_left -= 1
        if d > 2 or (d == 2 and empty):
            c_right = buf_heads + buf_deps
    return c_shift, c_left, c_right


@njit(cache=True, nogil=True)
def _explore_step(
    active, scores, draws, p, move_of, label_of, gold, gold_labels, off, n, heads, labels, l1, l2, r1, r2,
    stack, depth, front, targets, min_costs, followed, taken,
):  # fmt: skip
    """One training step of arc-hybrid with error exploration: for each active state, the target is the
    highest-scoring action of least cost (with the gold label when its arc is gold), written to ``targets``
    (its cost to ``min_costs``); the state then follows the model's best legal action when that is a target
    action or when ``draws[r] < p``, else the target (``followed[r]``: 1 where a wrong prediction was
    followed; ``taken[r]``: the action applied). Returns the states still unfinished, in order."""
    out = np.empty(len(active), dtype=np.int64)
    m = 0
    cost = np.empty(4, dtype=np.int64)
    for r in range(len(active)):
        k = active[r]
        o = off[k]
        nk = n[k]
        d = depth[k]
        i = front[k]
        c_shift, c_left, c_right = hybrid_costs(o, nk, d, i, stack, gold)
        cost[_SHIFT] = c_shift
        cost[1] = -1
        cost[_LEFT] = c_left
        cost[_RIGHT] = c_right
        least = -1
        for mv in (_SHIFT, _LEFT, _RIGHT):
            if cost[mv] >= 0 and (least < 0 or cost[mv] < least):
                least = cost[mv]
        top = stack[o + d - 1]
        left_label = gold_labels[o + top] if gold[o + top] == i else -2  # -2: any label
        right_label = gold_labels[o + top] if d > 1 and gold[o + top] == stack[o + d - 2] else -2
        best = -1  # the best legal action (numpy's argmax with illegal actions at -inf: first maximum)
        best_v = -np.inf
        target = -1
        target_v = -np.inf
        for a in range(scores.shape[1]):
            mv = move_of[a]
            if cost[mv] < 0:
                continue
            v = scores[r, a]
            if best < 0 or v > best_v:
                best = a
                best_v = v
            if cost[mv] != least:
                continue
            if mv == _LEFT and left_label != -2 and label_of[a] != left_label:
                continue
            if mv == _RIGHT and right_label != -2 and label_of[a] != right_label:
                continue
            if target < 0 or v > target_v:
                target = a
                target_v = v
        targets[r] = target
        min_costs[r] = least
        take = target
        followed[r] = 0
        if best != target and draws[r] < p:
            take = best
            followed[r] = 1
        taken[r] = take
        _apply_move(
            ARC_HYBRID, o, k, d, i, move_of[take], label_of[take], heads, labels, l1, l2, r1, r2, stack, depth, front
        )
        if not (front[k] > nk and depth[k] == 1):
            out[m] = k
            m += 1
    return out[:m]
