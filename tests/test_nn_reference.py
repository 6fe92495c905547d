"""The numpy reference BPTT: gradients vs central differences, vs torch autograd, and the overfitting check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wordseq.nn.reference import (
    check_gradients,
    init_rnn_params,
    lstm_loss,
    numerical_gradient,
    one_hot,
    relative_error,
    rnn_loss,
)

T, B, D, H, V = 5, 3, 4, 6, 7


def problem(lstm: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = init_rnn_params(D, H, V, rng, scale=0.5, lstm=lstm)
    xs = rng.normal(size=(T, B, D))
    targets = rng.integers(0, V, size=(T, B))
    h0 = rng.normal(size=(B, H))
    c0 = rng.normal(size=(B, H))
    return params, xs, targets, h0, c0


def test_numerical_gradient_of_known_function():
    x = np.array([0.5, -1.0, 2.0])
    grad = numerical_gradient(lambda: float((x**3).sum()), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-9)
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])  # restored
    with pytest.raises(TypeError):
        numerical_gradient(lambda: 0.0, np.zeros(2, dtype=np.float32))


def test_rnn_gradients_match_central_differences():
    params, xs, targets, h0, _ = problem(lstm=False)
    errors = check_gradients(lambda: rnn_loss(params, xs, targets, h0)[:2], dict(params, xs=xs, h0=h0))
    assert set(errors) == {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "xs", "h0"}
    assert max(errors.values()) < 1e-6, errors


def test_lstm_gradients_match_central_differences():
    params, xs, targets, h0, c0 = problem(lstm=True)
    errors = check_gradients(lambda: lstm_loss(params, xs, targets, h0, c0)[:2], dict(params, xs=xs, h0=h0, c0=c0))
    assert set(errors) == {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "xs", "h0", "c0"}
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_detects_a_wrong_gradient():
    params, xs, targets, h0, _ = problem(lstm=False)

    def wrong():
        loss, grads, _ = rnn_loss(params, xs, targets, h0)
        grads["W_hh"] = grads["W_hh"] * 1.01  # a 1% mistake
        return loss, grads

    errors = check_gradients(wrong, {"W_hh": params["W_hh"], "b_h": params["b_h"]})
    assert errors["W_hh"] > 1e-3
    assert errors["b_h"] < 1e-6


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error(np.ones(3), -np.ones(3)) == pytest.approx(1.0)


def _torch_loss_and_grads(lstm: bool, params, xs, targets, h0, c0):
    """The same network in torch (fused module, float64) and its autograd gradients."""
    rnn = (torch.nn.LSTM(D, H) if lstm else torch.nn.RNN(D, H)).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["W_xh"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W_hh"]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b_h"]) * 0.25)  # the two biases add up to b_h
        rnn.bias_hh_l0.copy_(torch.from_numpy(params["b_h"]) * 0.75)
    W_hy = torch.tensor(params["W_hy"], requires_grad=True)
    b_y = torch.tensor(params["b_y"], requires_grad=True)
    x = torch.tensor(xs, requires_grad=True)
    h = torch.tensor(h0[None], requires_grad=True)
    c = torch.tensor(c0[None], requires_grad=True)
    out, state = rnn(x, (h, c) if lstm else h)
    logits = out @ W_hy.T + b_y
    loss = F.cross_entropy(logits.reshape(-1, V), torch.from_numpy(targets).reshape(-1))
    loss.backward()
    grads = {
        "W_xh": rnn.weight_ih_l0.grad,
        "W_hh": rnn.weight_hh_l0.grad,
        "b_h": rnn.bias_ih_l0.grad,
        "b_h (hh)": rnn.bias_hh_l0.grad,
        "W_hy": W_hy.grad,
        "b_y": b_y.grad,
        "xs": x.grad,
        "h0": h.grad[0],
    }
    if lstm:
        grads["c0"] = c.grad[0]
        state = tuple(s[0] for s in state)
    else:
        state = state[0]
    return loss.item(), {k: v.numpy() for k, v in grads.items()}, state


@pytest.mark.parametrize("lstm", [False, True], ids=["rnn", "lstm"])
def test_reference_matches_torch_autograd(lstm):
    params, xs, targets, h0, c0 = problem(lstm, seed=1)
    if lstm:
        loss, grads, (hT, cT) = lstm_loss(params, xs, targets, h0, c0)
    else:
        loss, grads, hT = rnn_loss(params, xs, targets, h0)
    t_loss, t_grads, t_state = _torch_loss_and_grads(lstm, params, xs, targets, h0, c0)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for name, g in t_grads.items():
        np.testing.assert_allclose(grads[name.split(" ")[0]], g, rtol=1e-9, atol=1e-12, err_msg=name)
    if lstm:
        np.testing.assert_allclose(hT, t_state[0].detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(cT, t_state[1].detach().numpy(), rtol=1e-12)
    else:
        np.testing.assert_allclose(hT, t_state.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("lstm", [False, True], ids=["rnn", "lstm"])
def test_final_state_chains_windows(lstm):
    """Running two halves with the state carried over gives the same states and losses as one pass."""
    params, xs, targets, h0, c0 = problem(lstm, seed=2)
    if lstm:
        full, _, (h, c) = lstm_loss(params, xs, targets, h0, c0)
        a, _, s = lstm_loss(params, xs[:2], targets[:2], h0, c0)
        b, _, (h2, c2) = lstm_loss(params, xs[2:], targets[2:], *s)
        np.testing.assert_allclose(c2, c, rtol=1e-12)
    else:
        full, _, h = rnn_loss(params, xs, targets, h0)
        a, _, s = rnn_loss(params, xs[:2], targets[:2], h0)
        b, _, h2 = rnn_loss(params, xs[2:], targets[2:], s)
    np.testing.assert_allclose(h2, h, rtol=1e-12)
    assert (2 * a + 3 * b) / 5 == pytest.approx(full, rel=1e-12)  # losses are means over T*B


def test_zero_initial_state_is_the_default():
    params, xs, targets, _, _ = problem(lstm=True, seed=3)
    zeros = np.zeros((B, H))
    assert lstm_loss(params, xs, targets)[0] == lstm_loss(params, xs, targets, zeros, zeros)[0]
    p = init_rnn_params(D, H, V, np.random.default_rng(3))
    assert rnn_loss(p, xs, targets)[0] == rnn_loss(p, xs, targets, zeros)[0]


@pytest.mark.parametrize("lstm", [False, True], ids=["rnn", "lstm"])
def test_tiny_model_overfits_a_tiny_sequence(lstm):
    """The slides' sanity check: SGD (elementwise clipping at 5, as in min-char-rnn) drives the loss on one short
    sequence to near zero. Without the clipping, lr 1.0 made the tanh RNN's path chaotic across numpy versions."""
    text = "hello world, hello rnn"
    chars = sorted(set(text))
    ids = np.array([chars.index(ch) for ch in text])
    xs, targets = one_hot(ids[:-1], len(chars))[:, None, :], ids[1:, None]
    params = init_rnn_params(len(chars), 32, len(chars), np.random.default_rng(0), scale=0.1, lstm=lstm)
    fn = lstm_loss if lstm else rnn_loss
    first = fn(params, xs, targets)[0]
    assert first == pytest.approx(np.log(len(chars)), rel=0.05)  # uniform guess at the start
    for _ in range(2000):
        loss, grads, _ = fn(params, xs, targets)
        if loss < 0.01:
            break
        for k in params:
            params[k] -= 0.5 * np.clip(grads[k], -5.0, 5.0)
    assert loss < 0.01
