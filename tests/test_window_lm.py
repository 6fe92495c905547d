"""The fixed-window LM: the window it reads, its gradients, state carried across calls, tying, and that a tiny
one learns a tiny corpus by heart when trained the way the RNNs are (streams cut into BPTT windows)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.func import functional_call

from wordseq.errors import WordseqError
from wordseq.lm.neural import NeuralLMConfig
from wordseq.lm.neural.window import WindowLM
from wordseq.nn import detach_state
from wordseq.text.batching import bptt_windows, lm_streams

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def reference_logits(model: WindowLM, ids: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """Bengio et al.'s equations written out position by position, with explicit loops."""
    p = dict(model.named_parameters())
    _E, V, C = model.embed_size, model.vocab_size, model.context
    B, T = ids.shape
    out = torch.empty(B, T, V, dtype=p["embedding.weight"].dtype)
    for b in range(B):
        history = state[b].tolist() + ids[b].tolist()
        for t in range(T):
            window = history[t + 1 : t + 1 + C]  # the C tokens up to and including ids[b, t]
            assert window[-1] == ids[b, t]
            if model.bounded_by is not None and model.bounded_by in window:
                last = max(i for i, w in enumerate(window) if w == model.bounded_by)
                window = [model.pad_id] * last + window[last:]
            x = torch.cat([p["embedding.weight"][w] for w in window])
            h = torch.tanh(p["hidden.weight"] @ x + p["hidden.bias"])
            if "projection.weight" in p:
                h = p["projection.weight"] @ h
            W_out = p["embedding.weight"] if model.config.tied else p["decoder.weight"]
            y = W_out @ h + p["decoder.bias"]
            if "direct.weight" in p:
                y = y + p["direct.weight"] @ x
            out[b, t] = y
    return out


VARIANTS = [
    dict(),
    dict(direct=True),
    dict(tied=True, embed=5),  # embed == hidden: the embedding matrix is the output matrix
    dict(tied=True, embed=3, direct=True),  # embed != hidden: a projection before the tied output layer
    dict(bounded_by=3),  # windows stop at </s>
    dict(bounded_by=2, direct=True, pad_id=0),
]


def tiny(seed=0, **kw) -> WindowLM:
    torch.manual_seed(seed)
    args = dict(vocab_size=7, context=3, embed=4, hidden=5, pad_id=3) | kw
    model = WindowLM(**args).double()
    if model.direct is not None:  # starts at zero; give it values so that it is tested
        torch.nn.init.normal_(model.direct.weight, std=0.3)
    return model


@pytest.mark.parametrize("kw", VARIANTS)
def test_forward_is_the_written_out_model(kw):
    model = tiny(**kw)
    ids = torch.randint(0, 7, (2, 6))
    state = model.init_state(2)
    assert state.shape == (2, 3) and (state == model.pad_id).all()
    logits, new_state = model(ids, state)
    assert logits.shape == (2, 6, 7)
    torch.testing.assert_close(logits, reference_logits(model, ids, state))
    assert torch.equal(new_state, ids[:, -3:])
    # A state from earlier text is read at the start of the window.
    state = torch.randint(0, 7, (2, 3))
    torch.testing.assert_close(model(ids, state)[0], reference_logits(model, ids, state))


def test_short_call_keeps_the_older_state_tokens():
    model = tiny()
    state = torch.tensor([[1, 2, 4]])
    _, new = model(torch.tensor([[5]]), state)
    assert new.tolist() == [[2, 4, 5]]


@pytest.mark.parametrize("kw", VARIANTS)
def test_gradcheck(kw):
    model = tiny(**kw)
    ids = torch.randint(0, 7, (2, 4))
    state = torch.randint(0, 7, (2, 3))
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for _, p in model.named_parameters())

    def f(*ps):
        return functional_call(model, dict(zip(names, ps)), (ids, state))[0]

    assert torch.autograd.gradcheck(f, params, eps=1e-6, atol=1e-6)


def test_bounded_windows_do_not_see_the_line_before():
    model = tiny(bounded_by=3)
    a = torch.tensor([[1, 2, 4, 3, 5, 6, 5]])
    b = torch.tensor([[6, 6, 6, 3, 5, 6, 5]])  # another line before the same one
    la, lb = model(a, None)[0], model(b, None)[0]
    torch.testing.assert_close(la[:, 3:], lb[:, 3:])  # from the </s> on, the line before is invisible
    assert not torch.allclose(la[:, :3], lb[:, :3])
    unbounded = tiny()
    assert not torch.allclose(unbounded(a, None)[0][:, 3:5], unbounded(b, None)[0][:, 3:5])


def test_tying_shares_the_matrix():
    same = WindowLM(50, context=2, embed=8, hidden=8, tied=True)
    assert same.decoder.weight is same.embedding.weight and same.projection is None
    proj = WindowLM(50, context=2, embed=8, hidden=16, tied=True)
    assert proj.decoder.weight is proj.embedding.weight and proj.projection.weight.shape == (8, 16)
    untied = WindowLM(50, context=2, embed=8, hidden=16)
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(untied) - count(proj) == 50 * 16 - 16 * 8
    # One gradient step moves the shared matrix for both uses.
    logits, _ = same(torch.tensor([[4, 5, 6]]), None)
    logits.sum().backward()
    assert same.embedding.weight.grad is not None


@pytest.mark.parametrize("kw", VARIANTS)
def test_carried_state_equals_one_long_call(kw):
    model = tiny(**kw)
    ids = torch.randint(0, 7, (3, 11))
    whole, _ = model(ids, model.init_state(3))
    state, parts = model.init_state(3), []
    for chunk in (ids[:, :1], ids[:, 1:5], ids[:, 5:7], ids[:, 7:]):
        logits, state = model(chunk, detach_state(state))
        parts.append(logits)
    torch.testing.assert_close(torch.cat(parts, 1), whole, rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(1, 5))
def test_any_chunking_gives_the_same_logits(cuts, context):
    """Property: however a stream is cut into windows, carrying the state reproduces one long call."""
    torch.manual_seed(context)
    model = WindowLM(9, context=context, embed=3, hidden=4, direct=True, pad_id=0).double()
    ids = torch.randint(0, 9, (2, sum(cuts)), generator=torch.Generator().manual_seed(sum(cuts)))
    whole, last = model(ids, None)
    state, start, parts = None, 0, []
    for n in cuts:
        logits, state = model(ids[:, start : start + n], state)
        parts.append(logits)
        start += n
    torch.testing.assert_close(torch.cat(parts, 1), whole, rtol=0, atol=1e-12)
    assert torch.equal(state, last)


def test_bf16_autocast_forward_and_backward():
    model = WindowLM(40, context=3, embed=16, hidden=32, tied=True)
    ids = torch.randint(0, 40, (4, 10))
    reference, _ = model(ids, None)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, state = model(ids, None)
    assert logits.dtype == torch.bfloat16 and state.dtype == torch.long
    torch.testing.assert_close(logits.float(), reference, atol=0.05, rtol=0.05)
    logits.float().sum().backward()
    assert torch.isfinite(model.embedding.weight.grad).all()


def test_dropout_only_in_training():
    model = WindowLM(20, context=2, embed=6, hidden=10, dropout=0.5)
    ids = torch.randint(0, 20, (2, 5))
    model.train()
    assert not torch.equal(model(ids, None)[0], model(ids, None)[0])
    model.eval()
    assert torch.equal(model(ids, None)[0], model(ids, None)[0])


def test_built_from_its_config():
    """Keyword settings are overrides of a NeuralLMConfig; the model keeps that config, which rebuilds it."""
    model = WindowLM(30, context=5, embed=6, hidden=7, dropout=0.1, tied=True, direct=True, pad_id=2, bounded_by=3)
    assert model.config == NeuralLMConfig(
        model="window", context=5, embed=6, hidden=7, dropout=0.1, tied=True, direct=True, pad_id=2, bounded_by=3
    )
    again = WindowLM(30, model.config)
    again.load_state_dict(model.state_dict())
    ids = torch.randint(0, 30, (2, 8))
    model.eval(), again.eval()
    assert torch.equal(model(ids, None)[0], again(ids, None)[0])
    assert (again.pad_id, again.bounded_by, again.direct is not None) == (2, 3, True)
    with pytest.raises(WordseqError, match="a window model's config has model='window', not 'lstm'"):
        WindowLM(30, NeuralLMConfig())


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(context=0), r"NeuralLMConfig.context = 0: must be an integer >= 1"),
        (dict(dropout=1.0), r"NeuralLMConfig.dropout = 1.0"),
        (dict(hidden=0), r"NeuralLMConfig.hidden = 0"),
        (dict(pad_id=10), "padding id 10 is outside the vocabulary of 10 tokens"),
        (dict(bounded_by=10), "boundary id 10 is outside"),
        (dict(bounded_by=-1), r"NeuralLMConfig.bounded_by = -1"),
    ],
)
def test_bad_settings(kw, message):
    with pytest.raises(WordseqError, match=message):
        WindowLM(**(dict(vocab_size=10) | kw))


def test_bad_state_shape():
    model = WindowLM(10, context=3)
    with pytest.raises(WordseqError, match="does not fit"):
        model(torch.zeros(2, 4, dtype=torch.long), model.init_state(3))


def test_overfits_a_tiny_corpus_with_truncated_bptt():
    """The slides' sanity check: a tiny model drives the training loss on a tiny corpus to near zero.

    The corpus is a sequence in which a window of 3 tokens determines the next one, read through the same
    stream / BPTT-window layout the RNN trainer uses, with the state carried (and detached) across windows.
    """
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    line = rng.integers(4, 20, size=23).tolist()
    ids = np.array((line + [3]) * 12)  # 12 copies of one line, </s> after each
    streams = torch.from_numpy(lm_streams(ids, batch_size=4))
    model = WindowLM(20, context=3, embed=8, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(60):  # noqa: B007, the message names it
        state, total, n = model.init_state(4), 0.0, 0
        for x, y in bptt_windows(streams, bptt=10):
            logits, state = model(x, detach_state(state))
            loss = loss_fn(logits.reshape(-1, 20), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, n = total + loss.item() * y.numel(), n + y.numel()
    assert total / n < 0.05, f"training loss {total / n:.3f} after {epoch + 1} epochs"
    # And it now recites the line after the end of the one before.
    model.eval()
    text = torch.tensor([line + [3] + line])
    logits, _ = model(text[:, :-1], None)
    assert logits.argmax(-1)[0, -len(line) :].tolist() == line
