"""The CRF against brute force: log Z and the best path by enumerating every tag sequence of tiny
sentences; its gradient against numerical differences; scheme constraints never decoded."""

from __future__ import annotations

import itertools

import pytest
import torch

from wordseq.tag.crf import CRF
from wordseq.tag.schemes import allowed


def _random_crf(k, seed):
    g = torch.Generator().manual_seed(seed)
    crf = CRF(k).double()
    with torch.no_grad():
        crf.transitions.copy_(torch.randn(k, k, generator=g, dtype=torch.float64))
        crf.start.copy_(torch.randn(k, generator=g, dtype=torch.float64))
        crf.end.copy_(torch.randn(k, generator=g, dtype=torch.float64))
    return crf


def _brute(crf, em):
    """All (score, path) pairs for one sentence's emissions (n, K)."""
    with torch.no_grad():
        trans, start, end = crf._params()
    n, k = em.shape
    out = []
    for path in itertools.product(range(k), repeat=n):
        s = start[path[0]] + end[path[-1]] + sum(em[t, path[t]] for t in range(n))
        s = s + sum(trans[path[t - 1], path[t]] for t in range(1, n))
        out.append((float(s), list(path)))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_log_partition_viterbi_and_score_equal_brute_force(seed):
    k, lengths = 3, [4, 1, 3, 2]
    crf = _random_crf(k, seed)
    g = torch.Generator().manual_seed(100 + seed)
    T = max(lengths)
    em = torch.randn(len(lengths), T, k, generator=g, dtype=torch.float64)
    mask = torch.tensor([[t < n for t in range(T)] for n in lengths])
    tags = torch.randint(0, k, (len(lengths), T), generator=g)
    with torch.no_grad():
        logz = crf.log_partition(em, mask)
        score = crf.score(em, tags, mask)
    best = crf.decode(em, mask)
    for b, n in enumerate(lengths):
        table = _brute(crf, em[b, :n])
        scores = torch.tensor([s for s, _ in table], dtype=torch.float64)
        assert float(logz[b]) == pytest.approx(float(torch.logsumexp(scores, 0)), abs=1e-9)
        top = max(table, key=lambda x: x[0])
        assert best[b] == top[1]
        gold = tags[b, :n].tolist()
        assert float(score[b]) == pytest.approx(next(s for s, p in table if p == gold), abs=1e-9)
    # the probabilities of all paths sum to one: nll of every path, exponentiated, sums to 1
    nll = crf(
        em[:1, :2].repeat(k * k, 1, 1),
        torch.tensor(list(itertools.product(range(k), repeat=2))),
        mask[:1, :2].repeat(k * k, 1),
    )
    assert float(torch.exp(-nll).sum()) == pytest.approx(1.0, abs=1e-9)


def test_gradient_equals_numerical_gradient(one_torch_thread):
    crf = _random_crf(3, 7)
    g = torch.Generator().manual_seed(3)
    em = torch.randn(2, 4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    tags = torch.randint(0, 3, (2, 4), generator=g)

    params = [p.detach().clone().requires_grad_(True) for p in (crf.transitions, crf.start, crf.end)]

    def func(e, trans, start, end):
        c = CRF(3).double()
        del c.transitions, c.start, c.end
        c.transitions, c.start, c.end = trans, start, end
        return c(e, tags, mask).sum()

    assert torch.autograd.gradcheck(func, (em, *params), eps=1e-6, atol=1e-6)


def test_constraints_are_never_decoded():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    crf = CRF(len(tags))
    crf.constrain(tags, "iob2")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        crf.transitions.copy_(torch.randn(5, 5, generator=g) * 3)
    em = torch.randn(16, 7, 5, generator=g) * 3
    em[:, :, 2] += 4.0  # I-PER scores high everywhere: unconstrained decoding would start with it
    paths = crf.decode(em, torch.ones(16, 7, dtype=torch.bool))
    for path in paths:
        names = [tags[i] for i in path]
        prev = None
        for t in [*names, "</s>"]:
            assert allowed(prev, t, "iob2")
            prev = t


def test_long_sentence_decodes(one_torch_thread):
    crf = CRF(4)
    em = torch.randn(1, 5000, 4)
    path = crf.decode(em, torch.ones(1, 5000, dtype=torch.bool))[0]
    assert len(path) == 5000
    assert torch.isfinite(crf(em, torch.tensor([path]), torch.ones(1, 5000, dtype=torch.bool))).all()
