"""Chen & Manning's parser trained with arc-hybrid's dynamic oracle and error exploration: without
exploration the targets rebuild every gold projective tree; with it every target costs the least (zero on
projective trees) in the state the parser reached, the compiled states match the Python states, the parser
learns the tiny treebank, resumes exactly, and saving keeps the option."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wordseq.config import ConfigError
from wordseq.parse import ChenManningParser
from wordseq.parse.features import features
from wordseq.parse.transitions import LEFT, RIGHT, ArcHybrid
from wordseq.parse.tree import is_projective
from wordseq.parse.treebank import gold_heads, gold_relations, read_treebank

EXCERPT = Path(__file__).parent / "data" / "parse" / "ewt-excerpt.conllu"


def make(epochs: int, **overrides) -> ChenManningParser:
    kw = dict(system="arc-hybrid", oracle="dynamic", embed=8, hidden=16, batch_size=64, precompute=20)
    p = ChenManningParser(**{**kw, **overrides})
    p.config.train.epochs = epochs
    p.config.train.optimizer, p.config.train.lr, p.config.train.weight_decay = "adam", 0.01, 0.0
    return p


@pytest.fixture(scope="module")
def parser() -> ChenManningParser:
    return make(1, explore_start=2).fit(EXCERPT, log=None)  # one static epoch: a weak network that errs


def replay(p: ChenManningParser, sentences, explore_p: float, seed: int = 3):
    """Make one epoch's examples, then walk every sentence's recorded states with the Python system:
    yields (sentence, state before, recorded features, target, action taken) and the final states."""
    taken: list[np.ndarray] = []
    X, y, stats = p._explore_data(sentences, explore_p, seed, taken=taken)
    moved = np.concatenate(taken)
    assert len(X) == len(y) == len(moved) == stats["states"]
    system = p.system
    assert isinstance(system, ArcHybrid)
    states = [system.initial(len(s)) for s in sentences]
    row = 0
    steps = []
    active = [k for k, s in enumerate(states) if not system.is_terminal(s)]
    while active:  # the lockstep order: at each step the unfinished sentences in order
        for k in active:
            s = states[k]
            steps.append((k, s.copy(), X[row], int(y[row]), int(moved[row])))
            move, label = system.actions[int(moved[row])]
            system.apply(s, move, label)  # raises if the kernel applied an illegal move
            row += 1
        active = [k for k in active if not system.is_terminal(states[k])]
    assert row == len(X)
    return steps, states, stats


def test_without_exploration_the_targets_rebuild_every_gold_projective_tree(parser):
    sentences = [s for s in read_treebank(EXCERPT) if is_projective(gold_heads(s))]
    assert len(sentences) >= 20
    steps, states, stats = replay(parser, sentences, explore_p=0.0)
    assert stats["followed_errors"] == 0 and stats["costly_states"] == 0
    assert all(t == m for _, _, _, t, m in steps)  # the targets were followed
    rel = {r: i for i, r in enumerate(parser.labels.itos[1:])}
    for sent, s in zip(sentences, states):
        heads, labels = parser.system.finish(s)
        assert heads == gold_heads(sent)
        assert labels[1:] == [rel[r] for r in gold_relations(sent)]
    # as many examples as the static oracle's (arc-hybrid: 2n transitions a sentence)
    _, y, _ = parser._oracle_data(sentences)
    assert len(y) == len(steps) == sum(2 * len(s) for s in sentences)


@pytest.mark.parametrize("explore_p", [0.9, 1.0])
def test_with_exploration_every_target_costs_the_least_in_its_state(parser, explore_p):
    sentences = read_treebank(EXCERPT)  # non-projective trees included
    assert any(not is_projective(gold_heads(s)) for s in sentences)
    steps, _, stats = replay(parser, sentences, explore_p)
    assert stats["followed_errors"] > 0.05 * len(steps)  # the weak network errs and its errors are followed
    assert sum(t != m for _, _, _, t, m in steps) == stats["followed_errors"]
    system = parser.system
    rel = {r: i for i, r in enumerate(parser.labels.itos[1:])}
    ids = [parser._sentence_ids(s) for s in sentences]
    zero_cost_on_projective = 0
    for k, state, x, target, _ in steps:
        sent = sentences[k]
        heads = gold_heads(sent)
        assert list(x) == features(state, *ids[k])  # the compiled features are the Python ones
        costs = system.costs(state, heads)
        move, label = system.actions[target]
        assert costs[move] == min(costs)  # a least-cost move...
        if is_projective(heads):
            assert costs[move] == 0  # ...which costs nothing on a projective tree, whatever went before
            zero_cost_on_projective += 1
        top = state.stack[-1]
        gold_head = state.i if move == LEFT else state.stack[-2] if move == RIGHT else None
        if gold_head is not None and heads[top] == gold_head:
            assert label == rel[gold_relations(sent)[top - 1]]  # a gold arc gets its gold label
    assert zero_cost_on_projective > 0.8 * len(steps)


def test_exploration_is_a_function_of_the_seed(parser):
    sentences = read_treebank(EXCERPT)
    a = parser._explore_data(sentences, 0.9, 5)
    b = parser._explore_data(sentences, 0.9, 5)
    c = parser._explore_data(sentences, 0.9, 6)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (len(a[1]) == len(c[1]) and np.array_equal(a[0], c[0]))


def test_learns_the_training_trees_with_the_dynamic_oracle():
    p = make(25, explore_start=8, explore_p=0.5, embed=16, hidden=64, dropout=0.0, batch_size=32, min_count=1)
    p.fit(EXCERPT, log=None)
    sentences = read_treebank(EXCERPT)
    assert p.provenance["explored_sentences"] == len(sentences) == 26  # the 3 non-projective trees too
    score = p.evaluate(sentences)
    assert score.uas > 0.95 and score.las > 0.93


def test_dynamic_oracle_needs_arc_hybrid():
    for system in ("arc-standard", "arc-eager"):
        with pytest.raises(ConfigError, match="arc-hybrid"):
            ChenManningParser(system=system, oracle="dynamic")
    with pytest.raises(ConfigError):
        ChenManningParser(system="arc-hybrid", oracle="dynamic", explore_p=1.5)
    with pytest.raises(ConfigError):
        ChenManningParser(system="arc-hybrid", oracle="dynamic", explore_start=0)


def test_saving_keeps_the_oracle(tmp_path):
    p = make(2, explore_start=2, explore_p=0.7).fit(EXCERPT, log=None)
    loaded = ChenManningParser.load(p.save(tmp_path / "dyn.wsq"))
    assert loaded.config == p.config
    assert (loaded.config.oracle, loaded.config.explore_start, loaded.config.explore_p) == ("dynamic", 2, 0.7)
    sentences = read_treebank(EXCERPT)
    assert loaded.parse_trees(sentences) == p.parse_trees(sentences)


def test_resumed_exploring_training_matches_an_uninterrupted_run(tmp_path):
    def run(epochs: int, ckpt: str, resume: bool = False) -> ChenManningParser:
        p = make(epochs, explore_start=2)
        return p.fit(EXCERPT, valid=EXCERPT, checkpoint=tmp_path / ckpt, resume=resume, log=None)

    full = run(3, "full.ckpt")
    run(2, "part.ckpt")  # stops after the first exploring epoch; the resumed run explores in epoch 3
    resumed = run(3, "part.ckpt", resume=True)
    assert resumed.metrics == full.metrics
    for (name, a), b in zip(full.net.state_dict().items(), resumed.net.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name
