"""Written-out cells = torch's fused modules; gradchecks of the variants; initializations; make_recurrent."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from wordseq.errors import WordseqError
from wordseq.nn import (
    CELLS,
    LSTM_CELLS,
    CoupledLSTMCell,
    ElmanCell,
    GRUCell,
    LSTMCell,
    PeepholeLSTMCell,
    StackedRecurrent,
    detach_state,
    has_cell_state,
    init_recurrent,
    make_recurrent,
    orthogonal_matrix,
    zero_state,
)

T, B, I, H, L = 6, 3, 5, 4, 3


def _states(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run_with_grads(module, x, state):
    """Outputs, final states, and the gradients of a fixed random projection w.r.t. params, input and state."""
    x = x.clone().requires_grad_()
    state = tuple(s.clone().requires_grad_() for s in _states(state))
    out, final = module(x, state if len(state) == 2 else state[0])
    g = torch.Generator().manual_seed(7)
    loss = (out * torch.randn(out.shape, generator=g, dtype=out.dtype).to(out.device)).sum()
    for s in _states(final):
        loss = loss + (s * torch.randn(s.shape, generator=g, dtype=s.dtype).to(s.device)).sum()
    loss.backward()
    grads = [p.grad for p in module.parameters()] + [x.grad] + [s.grad for s in state]
    return out.detach(), [s.detach() for s in _states(final)], grads


@pytest.mark.parametrize(
    "fused",
    [
        lambda: nn.RNN(I, H, L),
        lambda: nn.RNN(I, H, L, nonlinearity="relu"),
        lambda: nn.LSTM(I, H, L),
        lambda: nn.GRU(I, H, L),
    ],
    ids=["rnn-tanh", "rnn-relu", "lstm", "gru"],
)
@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device (compares with cuDNN)"),
        ),
    ],
)
def test_written_out_cells_equal_fused_modules(fused, device):
    torch.manual_seed(0)
    fused = fused().double().to(device)
    cells = StackedRecurrent.from_fused(fused)
    assert next(cells.parameters()).device.type == device
    assert [n for n, _ in cells.named_parameters()] == [
        f"cells.{layer}.{w}" for layer in range(L) for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    x = torch.randn(T, B, I, dtype=torch.float64, device=device)
    state = tuple(
        torch.randn(L, B, H, dtype=torch.float64, device=device) for _ in range(2 if fused.mode == "LSTM" else 1)
    )
    out_f, final_f, grads_f = _run_with_grads(fused, x, state)
    out_c, final_c, grads_c = _run_with_grads(cells, x, state)
    torch.testing.assert_close(out_c, out_f, rtol=1e-10, atol=1e-12)
    for a, b in zip(final_c, final_f, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    # parameters come in the same order (weight_ih_l0, weight_hh_l0, bias_ih_l0, ... and cells.0.weight_ih, ...)
    for a, b in zip(grads_c, grads_f, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_from_fused_float32_and_no_bias():
    torch.manual_seed(1)
    fused = nn.GRU(I, H, 2, bias=False)
    cells = StackedRecurrent.from_fused(fused)
    assert all(c.bias_ih is None for c in cells.cells)
    x = torch.randn(T, B, I)
    torch.testing.assert_close(cells(x)[0], fused(x)[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(WordseqError):
        StackedRecurrent.from_fused(nn.LSTM(I, H, batch_first=True))


@pytest.mark.parametrize("cell_class", [PeepholeLSTMCell, CoupledLSTMCell])
def test_lstm_variants_pass_gradcheck(cell_class):
    torch.manual_seed(2)
    cell = cell_class(3, 4).double()
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    names = [n for n, _ in cell.named_parameters()]
    assert {"peephole_i", "peephole_f", "peephole_o"} <= set(names) or cell_class is CoupledLSTMCell

    def f(x, h, c, *params):  # gradients w.r.t. the inputs, the state and every parameter
        return torch.func.functional_call(cell, dict(zip(names, params)), (x, (h, c)))

    assert torch.autograd.gradcheck(f, (x, h, c, *cell.parameters()))
    # and through time and layers
    stacked = StackedRecurrent(lambda layer: cell_class(3 if layer == 0 else 4, 4), num_layers=2).double()
    xs = torch.randn(3, 2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda xs: stacked(xs)[0], (xs,))


def test_peephole_cell_with_zero_peepholes_is_the_lstm():
    torch.manual_seed(3)
    lstm, peep = LSTMCell(I, H), PeepholeLSTMCell(I, H)
    peep.load_state_dict(lstm.state_dict(), strict=False)
    x, h, c = torch.randn(B, I), torch.randn(B, H), torch.randn(B, H)
    assert not torch.allclose(peep(x, (h, c))[0], lstm(x, (h, c))[0])  # nonzero peepholes matter
    with torch.no_grad():
        for p in (peep.peephole_i, peep.peephole_f, peep.peephole_o):
            p.zero_()
    for a, b in zip(peep(x, (h, c)), lstm(x, (h, c))):
        torch.testing.assert_close(a, b)


def test_coupled_cell_is_an_lstm_whose_input_gate_is_one_minus_forget():
    torch.manual_seed(4)
    coupled = CoupledLSTMCell(I, H)
    lstm = LSTMCell(I, H)
    with torch.no_grad():  # LSTM gates i,f,g,o from coupled f,g,o with i = sigmoid(-a_f) = 1 - f
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            f, g, o = getattr(coupled, name).chunk(3)
            getattr(lstm, name).copy_(torch.cat([-f, f, g, o]))
    x, h, c = torch.randn(B, I), torch.randn(B, H), torch.randn(B, H)
    for a, b in zip(coupled(x, (h, c)), lstm(x, (h, c))):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("nonlinearity,fn", [("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu)])
def test_elman_cell_equation(nonlinearity, fn):
    torch.manual_seed(5)
    cell = ElmanCell(I, H, nonlinearity)
    x, h = torch.randn(B, I), torch.randn(B, H)
    expected = fn(x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh)
    torch.testing.assert_close(cell(x, h), expected)
    with pytest.raises(WordseqError, match="nonlinearity"):
        ElmanCell(I, H, "softsign")


def test_gru_cell_equation_resets_the_recurrent_term_with_its_bias():
    torch.manual_seed(6)
    cell = GRUCell(I, H)
    x, h = torch.randn(B, I), torch.randn(B, H)
    Wr, Wz, Wn = cell.weight_ih.chunk(3)
    Ur, Uz, Un = cell.weight_hh.chunk(3)
    br, bz, bn = cell.bias_ih.chunk(3)
    cr, cz, cn = cell.bias_hh.chunk(3)
    r = torch.sigmoid(x @ Wr.T + br + h @ Ur.T + cr)
    z = torch.sigmoid(x @ Wz.T + bz + h @ Uz.T + cz)
    n = torch.tanh(x @ Wn.T + bn + r * (h @ Un.T + cn))
    torch.testing.assert_close(cell(x, h), (1 - z) * n + z * h)


@settings(max_examples=15, deadline=None)
@given(cell=st.sampled_from(CELLS), split=st.integers(1, T - 1), layers=st.integers(1, 2))
def test_state_carried_across_windows_equals_one_pass(cell, split, layers):
    """Truncated BPTT relies on this: run [0, split) then [split, T) from the carried state = run [0, T)."""
    torch.manual_seed(8)
    rnn = make_recurrent(cell, I, H, num_layers=layers)
    x = torch.randn(T, B, I)
    with torch.no_grad():
        out, final = rnn(x)
        out1, s = rnn(x[:split])
        out2, final2 = rnn(x[split:], detach_state(s))
    torch.testing.assert_close(torch.cat([out1, out2]), out)
    for a, b in zip(_states(final2), _states(final)):
        torch.testing.assert_close(a, b)


# ----------------------------------------------------------------------------- make_recurrent


@pytest.mark.parametrize("cell", CELLS)
def test_make_recurrent_structure(cell):
    rnn = make_recurrent(cell, I, H, num_layers=2, dropout=0.2)
    fused = cell in ("rnn", "rnn-relu", "lstm", "gru")
    assert isinstance(rnn, nn.RNNBase if fused else StackedRecurrent)
    assert (rnn.input_size, rnn.hidden_size, rnn.num_layers) == (I, H, 2)
    out, state = rnn(torch.randn(T, B, I))
    assert out.shape == (T, B, H)
    assert has_cell_state(rnn) == (cell in LSTM_CELLS)
    if cell in LSTM_CELLS:
        h, c = state
        assert h.shape == c.shape == (2, B, H)
        torch.testing.assert_close(out[-1], h[-1])
    else:
        assert isinstance(state, torch.Tensor) and state.shape == (2, B, H)
        torch.testing.assert_close(out[-1], state[-1])
    zeros = zero_state(rnn, B)
    assert [z.shape for z in _states(zeros)] == [s.shape for s in _states(state)]
    assert all(not z.any() for z in _states(zeros))
    out0, _ = rnn.eval()(torch.randn(T, B, I), zeros)  # explicit state accepted
    assert out0.shape == (T, B, H)


def test_make_recurrent_nonlinearity():
    assert make_recurrent("rnn", I, H, nonlinearity="relu").nonlinearity == "relu"
    assert make_recurrent("rnn-relu", I, H).nonlinearity == "relu"
    assert make_recurrent("rnn", I, H).nonlinearity == "tanh"
    sig = make_recurrent("rnn", I, H, nonlinearity="sigmoid")
    assert isinstance(sig, StackedRecurrent) and sig.cells[0].nonlinearity == "sigmoid"
    out, _ = make_recurrent("rnn-sigmoid", I, H)(torch.randn(T, B, I))
    assert (out > 0).all() and (out < 1).all()


def test_make_recurrent_errors():
    with pytest.raises(WordseqError, match=r"unknown recurrent cell 'lstmm'; choose from rnn, rnn-relu"):
        make_recurrent("lstmm", I, H)
    with pytest.raises(WordseqError, match="dropout"):
        make_recurrent("lstm", I, H, num_layers=2, dropout=1.0)
    with pytest.raises(WordseqError, match="layers"):
        make_recurrent("gru", I, H, num_layers=0)
    with pytest.raises(WordseqError, match="sizes"):
        make_recurrent("gru", I, 0)
    with pytest.raises(WordseqError, match="nonlinearity"):
        make_recurrent("rnn", I, H, nonlinearity="gelu")


def test_stacked_dropout_between_layers_only_in_training():
    torch.manual_seed(9)
    rnn = make_recurrent("lstm-coupled", I, H, num_layers=2, dropout=0.5)
    x = torch.randn(T, B, I)
    rnn.train()
    assert not torch.equal(rnn(x)[0], rnn(x)[0])
    rnn.eval()
    assert torch.equal(rnn(x)[0], rnn(x)[0])
    single = make_recurrent("lstm-coupled", I, H, num_layers=1, dropout=0.5).train()
    assert torch.equal(single(x)[0], single(x)[0])  # no dropout after the last layer


def test_detach_state():
    h = torch.randn(2, 3, requires_grad=True) * 2
    assert detach_state(h).grad_fn is None
    pair = detach_state((h, h + 1))
    assert isinstance(pair, tuple) and all(s.grad_fn is None for s in pair)
    nested = detach_state([h, (h, h), None])
    assert isinstance(nested, list) and nested[1][0].grad_fn is None and nested[2] is None
    torch.testing.assert_close(nested[0], h)


# ----------------------------------------------------------------------------- initializations


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 24), cols=st.integers(1, 24), seed=st.integers(0, 2**31))
def test_orthogonal_matrix(rows, cols, seed):
    q = orthogonal_matrix(rows, cols, generator=torch.Generator().manual_seed(seed))
    assert q.shape == (rows, cols)
    small = min(rows, cols)
    gram = q.T @ q if rows >= cols else q @ q.T
    torch.testing.assert_close(gram, torch.eye(small, dtype=q.dtype), atol=1e-12, rtol=0)


def test_orthogonal_matrix_sign_correction():
    """Q is from the QR of the Gaussian A with R's diagonal made positive: Q^T A is upper triangular, diag > 0."""
    a = torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    q = orthogonal_matrix(6, 6, generator=torch.Generator().manual_seed(1))
    r = q.T @ a
    torch.testing.assert_close(r, torch.triu(r), atol=1e-12, rtol=0)
    assert (torch.diagonal(r) > 0).all()


def test_orthogonal_matrix_is_not_biased_by_qr_signs():
    """Haar-distributed Q has E[Q] = 0; without the sign fix LAPACK's QR gives diagonal means near +-0.4."""
    g = torch.Generator().manual_seed(2)
    diag_means = torch.stack([torch.diagonal(orthogonal_matrix(4, 4, generator=g)) for _ in range(500)]).mean(0)
    assert diag_means.abs().max() < 0.1  # each mean has standard deviation ~0.022


@pytest.mark.parametrize("cell", ["lstm", "gru", "lstm-peephole", "rnn"])
def test_init_orthogonal_every_gate_block(cell):
    rnn = init_recurrent(make_recurrent(cell, I, H, num_layers=2), "orthogonal")
    for name, p in rnn.named_parameters():
        if "weight_hh" in name:
            for block in p.detach().double().split(H):
                torch.testing.assert_close(block.T @ block, torch.eye(H, dtype=torch.float64), atol=1e-6, rtol=0)
        elif "weight_ih" in name:
            for block in p.detach().double().split(H):
                gram = block @ block.T if block.shape[1] >= H else block.T @ block
                torch.testing.assert_close(gram, torch.eye(len(gram), dtype=torch.float64), atol=1e-6, rtol=0)
        else:
            assert not p.any(), name  # biases and peepholes zero


def test_init_identity_for_relu_rnn():
    torch.manual_seed(10)
    rnn = init_recurrent(make_recurrent("rnn-relu", 200, H, num_layers=2), "identity")
    torch.testing.assert_close(rnn.weight_hh_l0, torch.eye(H))
    torch.testing.assert_close(rnn.weight_hh_l1, torch.eye(H))
    assert not rnn.bias_ih_l0.any() and not rnn.bias_hh_l1.any()
    assert rnn.weight_ih_l0.std().item() == pytest.approx(0.001, rel=0.1)
    # with zero input the first layer of an identity ReLU RNN keeps a non-negative state as it is
    h0 = torch.rand(2, B, H)
    _out, h = rnn(torch.zeros(T, B, 200), h0)
    torch.testing.assert_close(h[0], h0[0])


def test_init_uniform_bounds():
    torch.manual_seed(11)
    model = nn.Sequential(nn.Embedding(50, I), make_recurrent("lstm", I, 64, num_layers=2))
    before = model[0].weight.clone()
    init_recurrent(model, "uniform", scale=0.05)
    values = torch.cat([p.detach().flatten() for p in model[1].parameters()])
    assert values.abs().max() <= 0.05
    assert values.abs().max() > 0.0499 and values.min() < -0.0499
    assert values.mean().abs() < 0.002
    torch.testing.assert_close(model[0].weight, before)  # only the recurrent layers are touched


def test_init_xavier_variance():
    torch.manual_seed(12)
    rnn = init_recurrent(make_recurrent("gru", 300, 200), "xavier")
    for name, fan_in in (("weight_ih_l0", 300), ("weight_hh_l0", 200)):
        w = getattr(rnn, name).detach()
        for block in w.split(200):
            expected = 2.0 / (fan_in + 200)
            assert block.var().item() == pytest.approx(expected, rel=0.03)
            assert block.abs().max() <= math.sqrt(6.0 / (fan_in + 200))
    assert not rnn.bias_ih_l0.any()


@pytest.mark.parametrize("cell,gate,gates", [("lstm", 1, 4), ("lstm-peephole", 1, 4), ("lstm-coupled", 0, 3)])
def test_forget_bias(cell, gate, gates):
    rnn = init_recurrent(make_recurrent(cell, I, H, num_layers=2), "xavier", forget_bias=1.0)
    for layer in range(2):
        if isinstance(rnn, nn.LSTM):
            total = getattr(rnn, f"bias_ih_l{layer}") + getattr(rnn, f"bias_hh_l{layer}")
        else:
            total = rnn.cells[layer].bias_ih + rnn.cells[layer].bias_hh
        expected = torch.zeros(gates * H)
        expected[gate * H : (gate + 1) * H] = 1.0
        torch.testing.assert_close(total.detach(), expected)
    with pytest.raises(WordseqError, match="LSTM"):
        init_recurrent(make_recurrent("gru", I, H), "xavier", forget_bias=1.0)


def test_init_single_cells_and_whole_models():
    torch.manual_seed(13)
    cell = init_recurrent(PeepholeLSTMCell(I, H), "orthogonal", forget_bias=2.0)
    for block in cell.weight_hh.detach().double().split(H):
        torch.testing.assert_close(block.T @ block, torch.eye(H, dtype=torch.float64), atol=1e-6, rtol=0)
    assert not cell.peephole_o.any()
    torch.testing.assert_close((cell.bias_ih + cell.bias_hh)[H : 2 * H].detach(), torch.full((H,), 2.0))
    model = nn.Sequential(nn.Embedding(20, I), make_recurrent("rnn-sigmoid", I, H, 2), nn.Linear(H, 20))
    linear = model[2].weight.clone()
    init_recurrent(model, "identity")
    torch.testing.assert_close(model[1].cells[1].weight_hh, torch.eye(H))
    torch.testing.assert_close(model[2].weight, linear)


def test_init_errors():
    with pytest.raises(WordseqError, match="unknown initialization 'he'"):
        init_recurrent(make_recurrent("lstm", I, H), "he")
    with pytest.raises(WordseqError, match="no recurrent layer"):
        init_recurrent(nn.Linear(3, 3), "xavier")
