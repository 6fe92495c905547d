"""Transition systems: the oracles rebuild every projective tree; preconditions are enforced; any legal
sequence of moves ends in one well-formed tree; the arc-hybrid dynamic oracle's costs add up to the loss."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from wordseq.parse.transitions import (
    LEFT,
    REDUCE,
    RIGHT,
    SHIFT,
    SYSTEMS,
    ArcEager,
    ArcHybrid,
    ArcStandard,
    TransitionError,
    make_system,
)
from wordseq.parse.tree import is_projective, is_tree, tree_problems
from wordseq.parse.treebank import gold_heads, gold_relations, read_treebank

EXCERPT = Path(__file__).parent / "data" / "parse" / "ewt-excerpt.conllu"


def random_tree(n: int, rng: random.Random) -> list[int]:
    while True:
        heads = [-1] + [rng.randrange(0, n + 1) for _ in range(n)]
        if all(heads[d] != d for d in range(1, n + 1)) and is_tree(heads):
            return heads


def run(system, heads, labels):
    s = system.initial(len(heads) - 1)
    for _state, action in system.oracle_sequence(heads, labels):
        move, label = system.actions[action]
        system.apply(s, move, label)
    assert system.is_terminal(s)
    return system.finish(s)


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_oracle_rebuilds_every_projective_tree_of_the_excerpt(name):
    sentences = read_treebank(EXCERPT)
    relations = sorted({r for s in sentences for r in gold_relations(s)})
    system = make_system(name, len(relations))
    projective = 0
    for sent in sentences:
        heads = gold_heads(sent)
        if not is_projective(heads):
            continue
        projective += 1
        labels = [-1] + [relations.index(r) for r in gold_relations(sent)]
        assert run(system, heads, labels) == (heads, labels)
    assert projective == len(sentences) - 3  # the excerpt holds three non-projective trees


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_oracle_rebuilds_random_projective_trees(name):
    rng = random.Random(1)
    system = make_system(name, 4)
    seen = 0
    while seen < 400:
        n = rng.randrange(1, 9)
        heads = random_tree(n, rng)
        if not is_projective(heads):
            continue
        seen += 1
        labels = [-1] + [rng.randrange(4) for _ in range(n)]
        assert run(system, heads, labels) == (heads, labels)


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_any_legal_move_sequence_ends_in_one_tree(name):
    rng = random.Random(2)
    system = make_system(name, 2)
    for _ in range(300):
        n = rng.randrange(1, 10)
        s = system.initial(n)
        while not system.is_terminal(s):
            legal = [m for m, ok in enumerate(system.legal(s)) if ok]
            assert legal, "a non-terminal state must allow some move"
            system.apply(s, rng.choice(legal), rng.randrange(2))
        heads, _ = system.finish(s)
        assert tree_problems(heads) == []


def test_arc_standard_preconditions():
    system = ArcStandard(1)
    s = system.initial(2)
    with pytest.raises(TransitionError):  # reduce with only ROOT on the stack
        system.apply(s, RIGHT, 0)
    system.apply(s, SHIFT)
    with pytest.raises(TransitionError):  # ROOT never gets a head
        system.apply(s, LEFT, 0)
    with pytest.raises(TransitionError):  # ROOT takes its dependent only when the buffer is empty
        system.apply(s, RIGHT, 0)
    system.apply(s, SHIFT)
    with pytest.raises(TransitionError):  # empty buffer
        system.apply(s, SHIFT)
    with pytest.raises(TransitionError):
        system.apply(s, REDUCE)


def test_arc_eager_preconditions():
    system = ArcEager(1)
    s = system.initial(3)
    with pytest.raises(TransitionError):  # no reduce of ROOT
        system.apply(s, REDUCE)
    with pytest.raises(TransitionError):  # no arc into ROOT
        system.apply(s, LEFT, 0)
    system.apply(s, RIGHT, 0)  # ROOT -> 1
    with pytest.raises(TransitionError):  # 1 already has its head
        system.apply(s, LEFT, 0)
    system.apply(s, REDUCE)
    with pytest.raises(TransitionError):  # ROOT takes a single dependent
        system.apply(s, RIGHT, 0)
    system.apply(s, SHIFT)
    with pytest.raises(TransitionError):  # 2 has no head yet
        system.apply(s, REDUCE)


def test_arc_hybrid_preconditions():
    system = ArcHybrid(1)
    s = system.initial(2)
    with pytest.raises(TransitionError):
        system.apply(s, LEFT, 0)  # s0 is ROOT
    with pytest.raises(TransitionError):
        system.apply(s, RIGHT, 0)  # nothing to reduce
    system.apply(s, SHIFT)
    with pytest.raises(TransitionError):
        system.apply(s, RIGHT, 0)  # ROOT's one dependent comes last


def test_dynamic_oracle_costs_add_up_to_the_loss_from_any_state():
    """Arc-decomposability: following random legal moves, the summed costs equal the wrong heads at the end,
    and from every state a zero-cost move exists (so an explored state can still reach its best tree)."""
    rng = random.Random(3)
    system = ArcHybrid(1)
    done = 0
    while done < 500:
        n = rng.randrange(1, 9)
        heads = random_tree(n, rng)
        if not is_projective(heads):
            continue
        done += 1
        s = system.initial(n)
        total = 0
        while not system.is_terminal(s):
            costs = system.costs(s, heads)
            legal = [m for m, ok in enumerate(system.legal(s)) if ok]
            assert min(costs[m] for m in legal) == 0
            move = rng.choice(legal)
            total += costs[move]
            system.apply(s, move, 0)
        built, _ = s.tree()
        assert total == sum(built[d] != heads[d] for d in range(1, n + 1))


def test_dynamic_oracle_zero_cost_moves_rebuild_the_tree():
    rng = random.Random(4)
    system = ArcHybrid(1)
    for _ in range(200):
        n = rng.randrange(1, 9)
        heads = random_tree(n, rng)
        if not is_projective(heads):
            continue
        s = system.initial(n)
        while not system.is_terminal(s):
            costs = system.costs(s, heads)
            system.apply(s, rng.choice([m for m in range(4) if costs[m] == 0]), 0)
        assert s.tree()[0] == heads
