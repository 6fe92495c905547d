"""Transition systems for dependency parsing: arc-standard, arc-eager and arc-hybrid, with their oracles.

A parser state (:class:`State`) is a stack, a buffer (the words from ``i`` to ``n``) and the arcs built so
far. ROOT (position 0) starts on the stack. Every system enforces its preconditions (:meth:`legal`): no arc
into ROOT, no reduce of an empty stack, and one word on ROOT (the arc from ROOT is only built when it can be
the last one), so every terminal state holds one well-formed tree.

Actions are integers: ``SHIFT`` and ``REDUCE`` (arc-eager) without a label, then one ``LEFT`` and one
``RIGHT`` action per label (:meth:`TransitionSystem.action`). The static oracles reproduce every projective
tree; arc-hybrid also has Goldberg & Nivre's dynamic oracle (:meth:`ArcHybrid.costs`), which gives, in any
state, how many gold arcs each move makes unreachable.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence

import numpy as np

SHIFT, REDUCE, LEFT, RIGHT = 0, 1, 2, 3
MOVE_NAMES = ("SHIFT", "REDUCE", "LEFT-ARC", "RIGHT-ARC")
NULL = -1  # "no such position": index -1 of every padded array holds the NULL value


class TransitionError(ValueError):
    """A move was applied whose precondition does not hold."""


class State:
    """Stack, buffer front ``i`` (words i..n remain) and the partial tree (heads, labels, children)."""

    __slots__ = ("heads", "i", "labels", "lefts", "n", "rights", "stack")

    def __init__(self, n: int) -> None:
        self.n = n
        self.stack = [0]
        self.i = 1
        # one extra slot at the end (index -1 = NULL) so that feature look-ups of a missing position need no test
        self.heads = [NULL] * (n + 2)
        self.labels = [NULL] * (n + 2)
        self.lefts: list[list[int]] = [[] for _ in range(n + 2)]  # dependents left of each word, leftmost first
        self.rights: list[list[int]] = [[] for _ in range(n + 2)]  # dependents right of each word, rightmost last

    def copy(self) -> State:
        s = State.__new__(State)
        s.n, s.i = self.n, self.i
        s.stack = self.stack.copy()
        s.heads = self.heads.copy()
        s.labels = self.labels.copy()
        s.lefts = [c.copy() for c in self.lefts]
        s.rights = [c.copy() for c in self.rights]
        return s

    @property
    def buffer_empty(self) -> bool:
        return self.i > self.n

    def add_arc(self, head: int, dep: int, label: int) -> None:
        self.heads[dep] = head
        self.labels[dep] = label
        insort(self.lefts[head] if dep < head else self.rights[head], dep)

    def tree(self) -> tuple[list[int], list[int]]:
        """Heads and labels of words 0..n (position 0: -1). Call on a terminal state."""
        return self.heads[: self.n + 1], self.labels[: self.n + 1]


class TransitionSystem:
    """What every system offers; subclasses define the moves, their preconditions and the static oracle."""

    name = ""
    moves: tuple[int, ...] = (SHIFT, LEFT, RIGHT)

    def __init__(self, n_labels: int) -> None:
        self.n_labels = n_labels
        unlabelled = [m for m in self.moves if m in (SHIFT, REDUCE)]
        self.actions: list[tuple[int, int]] = [(m, NULL) for m in unlabelled]
        for m in (LEFT, RIGHT):
            self.actions += [(m, label) for label in range(n_labels)]
        self.index = {a: k for k, a in enumerate(self.actions)}
        self.n_actions = len(self.actions)
        self._move_of = np.array([m for m, _ in self.actions])

    def action(self, move: int, label: int = NULL) -> int:
        """The action number of a move (with its label for LEFT and RIGHT)."""
        return self.index[(move, label if move in (LEFT, RIGHT) else NULL)]

    def initial(self, n: int) -> State:
        return State(n)

    def is_terminal(self, s: State) -> bool:
        return s.buffer_empty and len(s.stack) == 1

    def legal(self, s: State) -> tuple[bool, bool, bool, bool]:
        """Which moves (SHIFT, REDUCE, LEFT, RIGHT) are allowed in ``s``."""
        raise NotImplementedError

    def legal_mask(self, s: State) -> np.ndarray:
        """A boolean mask over the actions."""
        return np.asarray(self.legal(s))[self._move_of]

    def apply(self, s: State, move: int, label: int = NULL) -> None:
        """Apply a move to ``s`` in place; raises :class:`TransitionError` if its precondition fails."""
        if not self.legal(s)[move]:
            raise TransitionError(
                f"{self.name}: {MOVE_NAMES[move]} is not allowed here (stack {s.stack}, buffer {s.i}..{s.n})"
            )
        self._apply(s, move, label)

    def _apply(self, s: State, move: int, label: int) -> None:
        raise NotImplementedError

    def oracle(self, s: State, heads: Sequence[int], labels: Sequence[int]) -> tuple[int, int]:
        """The static oracle's move and label in ``s`` for the gold tree (``heads[0] == -1``)."""
        raise NotImplementedError

    def oracle_sequence(self, heads: Sequence[int], labels: Sequence[int]) -> list[tuple[State, int]]:
        """Every (state before, action) pair of the static oracle's derivation of a projective tree."""
        s = self.initial(len(heads) - 1)
        out = []
        while not self.is_terminal(s):
            move, label = self.oracle(s, heads, labels)
            out.append((s.copy(), self.action(move, label)))
            self.apply(s, move, label)
        return out

    def finish(self, s: State, fallback_label: int = 0) -> tuple[list[int], list[int]]:
        """The tree of a terminal state (for systems that may leave words without a head, attach them to the
        root's dependent, which keeps the tree well formed)."""
        return s.tree()


class ArcStandard(TransitionSystem):
    """Nivre's arc-standard system (the lectures'): SHIFT; LEFT-ARC makes s1 the head of s2 and pops s2;
    RIGHT-ARC makes s2 the head of s1 and pops s1 (s1 the top of the stack)."""

    name = "arc-standard"

    def legal(self, s: State) -> tuple[bool, bool, bool, bool]:
        depth = len(s.stack)
        left = depth > 2  # s2 is a word, not ROOT
        right = depth > 2 or (depth == 2 and s.buffer_empty)  # ROOT takes its one dependent last
        return (not s.buffer_empty, False, left, right)

    def _apply(self, s: State, move: int, label: int) -> None:
        if move == SHIFT:
            s.stack.append(s.i)
            s.i += 1
        elif move == LEFT:
            top = s.stack.pop()
            s.add_arc(top, s.stack.pop(), label)
            s.stack.append(top)
        else:
            top = s.stack.pop()
            s.add_arc(s.stack[-1], top, label)

    def oracle(self, s: State, heads: Sequence[int], labels: Sequence[int]) -> tuple[int, int]:
        if len(s.stack) >= 2:
            s1, s2 = s.stack[-1], s.stack[-2]
            if s2 > 0 and heads[s2] == s1:
                return LEFT, labels[s2]
            if heads[s1] == s2 and _all_children_attached(s, s1, heads) and (s2 > 0 or s.buffer_empty):
                return RIGHT, labels[s1]
        return SHIFT, NULL


class ArcEager(TransitionSystem):
    """Nivre's arc-eager system: SHIFT; LEFT-ARC makes b0 the head of s0 and pops it; RIGHT-ARC makes s0 the
    head of b0 and pushes b0; REDUCE pops an s0 that has its head."""

    name = "arc-eager"
    moves = (SHIFT, REDUCE, LEFT, RIGHT)

    def legal(self, s: State) -> tuple[bool, bool, bool, bool]:
        top = s.stack[-1]
        if s.buffer_empty:
            # only reductions remain; a word left without a head is attached by finish()
            return (False, top != 0, False, False)
        has_head = s.heads[top] != NULL
        left = top != 0 and not has_head
        right = top != 0 or not s.rights[0]  # ROOT takes one dependent
        return (True, top != 0 and has_head, left, right)

    def _apply(self, s: State, move: int, label: int) -> None:
        if move == SHIFT:
            s.stack.append(s.i)
            s.i += 1
        elif move == REDUCE:
            s.stack.pop()
        elif move == LEFT:
            s.add_arc(s.i, s.stack.pop(), label)
        else:
            s.add_arc(s.stack[-1], s.i, label)
            s.stack.append(s.i)
            s.i += 1

    def oracle(self, s: State, heads: Sequence[int], labels: Sequence[int]) -> tuple[int, int]:
        top = s.stack[-1]
        if s.buffer_empty:
            return REDUCE, NULL
        b = s.i
        if top != 0 and heads[top] == b:
            return LEFT, labels[top]
        if heads[b] == top:
            return RIGHT, labels[b]
        if s.heads[top] != NULL and any(heads[b] == k or heads[k] == b for k in s.stack[:-1]):
            return REDUCE, NULL
        return SHIFT, NULL

    def finish(self, s: State, fallback_label: int = 0) -> tuple[list[int], list[int]]:
        heads, labels = s.tree()
        loose = [d for d in range(1, s.n + 1) if heads[d] == NULL]
        if loose:
            top = s.rights[0][0] if s.rights[0] else loose[0]
            if heads[top] == NULL:
                heads[top], labels[top] = 0, fallback_label
            for d in loose:
                if d != top:
                    heads[d], labels[d] = top, fallback_label
        return heads, labels


class ArcHybrid(TransitionSystem):
    """Kuhlmann et al.'s arc-hybrid system: SHIFT; LEFT-ARC makes b0 the head of s0 and pops it; RIGHT-ARC
    makes s1 the head of s0 and pops it. Has an arc-decomposable dynamic oracle (Goldberg & Nivre 2013)."""

    name = "arc-hybrid"

    def legal(self, s: State) -> tuple[bool, bool, bool, bool]:
        depth = len(s.stack)
        left = depth > 1 and not s.buffer_empty
        right = depth > 2 or (depth == 2 and s.buffer_empty)
        return (not s.buffer_empty, False, left, right)

    def _apply(self, s: State, move: int, label: int) -> None:
        if move == SHIFT:
            s.stack.append(s.i)
            s.i += 1
        elif move == LEFT:
            s.add_arc(s.i, s.stack.pop(), label)
        else:
            top = s.stack.pop()
            s.add_arc(s.stack[-1], top, label)

    def oracle(self, s: State, heads: Sequence[int], labels: Sequence[int]) -> tuple[int, int]:
        top = s.stack[-1]
        if top != 0 and not s.buffer_empty and heads[top] == s.i:
            return LEFT, labels[top]
        if len(s.stack) >= 2:
            s1 = s.stack[-2]
            if heads[top] == s1 and _all_children_attached(s, top, heads) and (s1 > 0 or s.buffer_empty):
                return RIGHT, labels[top]
        return SHIFT, NULL

    def costs(self, s: State, heads: Sequence[int]) -> tuple[int, int, int, int]:
        """Goldberg & Nivre's dynamic oracle: for SHIFT, REDUCE (never legal), LEFT and RIGHT, the number of gold
        arcs that become unreachable (a large number for illegal moves). Zero-cost moves keep the best tree
        still reachable from ``s`` reachable, from any state, not only the oracle's."""
        big = 10**6
        shift_ok, _, left_ok, right_ok = self.legal(s)
        stack, n = s.stack, s.n
        top = stack[-1]
        buf = range(s.i, n + 1)
        cost_shift = cost_left = cost_right = big
        if shift_ok:
            b = s.i
            # b can no longer take a head from the stack below s0, nor dependents from the stack
            cost_shift = sum(1 for k in stack[:-1] if heads[b] == k) + sum(1 for k in stack if heads[k] == b)
        if left_ok:
            s1 = stack[-2] if len(stack) > 1 else NULL
            # s0 loses heads s1 and beyond b0 in the buffer, and its dependents in the buffer
            cost_left = (heads[top] == s1) + sum(1 for k in buf if k != s.i and heads[top] == k)
            cost_left += sum(1 for d in buf if heads[d] == top)
        if right_ok:
            # s0 loses heads in the buffer and its dependents in the buffer
            cost_right = sum(1 for k in buf if heads[top] == k) + sum(1 for d in buf if heads[d] == top)
        return (cost_shift, big, cost_left, cost_right)


def _all_children_attached(s: State, word: int, heads: Sequence[int]) -> bool:
    have = len(s.lefts[word]) + len(s.rights[word])
    return have == sum(1 for d in range(1, s.n + 1) if heads[d] == word)


SYSTEMS: dict[str, type[TransitionSystem]] = {
    "arc-standard": ArcStandard,
    "arc-eager": ArcEager,
    "arc-hybrid": ArcHybrid,
}


def make_system(name: str, n_labels: int) -> TransitionSystem:
    """A transition system by name (``arc-standard``, ``arc-eager``, ``arc-hybrid``)."""
    return SYSTEMS[name](n_labels)
