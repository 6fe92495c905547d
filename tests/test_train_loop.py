"""The shared training loop: clipping, schedules, overfitting, TBPTT state, exact resume, divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wordseq.errors import WordseqError
from wordseq.lm.neural.rnn import RNNLM
from wordseq.lm.neural.task import LMTask
from wordseq.train import TrainConfig, TrainingDiverged, fit
from wordseq.train.checkpoint import load_checkpoint
from wordseq.train.loop import clip_gradients
from wordseq.train.optim import EarlyStopping, Schedule, make_optimizer


def _quiet(_: str) -> None:
    pass


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_clip_by_norm_bounds_the_global_norm_and_keeps_the_direction():
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.zeros(5, 3)), torch.nn.Parameter(torch.zeros(7))]
    grads = [torch.randn(5, 3) * 10, torch.randn(7) * 10]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    before = math.sqrt(sum(float((g**2).sum()) for g in grads))
    norm = clip_gradients(params, max_norm=1.0)
    after = math.sqrt(sum(float((p.grad**2).sum()) for p in params))
    assert norm == pytest.approx(before, rel=1e-5)
    assert after == pytest.approx(1.0, rel=1e-4)
    for p, g in zip(params, grads):  # same direction, scaled by 1 / before
        torch.testing.assert_close(p.grad, g / before, rtol=1e-4, atol=1e-6)
    # a norm below the bound is left alone
    for p, g in zip(params, grads):
        p.grad = g / (10 * before)
    clip_gradients(params, max_norm=1.0)
    for p, g in zip(params, grads):
        torch.testing.assert_close(p.grad, g / (10 * before))


def test_clip_by_value_bounds_every_element():
    p = torch.nn.Parameter(torch.zeros(100))
    p.grad = torch.linspace(-5, 5, 100)
    clip_gradients([p], max_value=0.5)
    assert float(p.grad.abs().max()) == pytest.approx(0.5)
    assert float(p.grad[50]) == pytest.approx(5 / 99, rel=1e-5)  # small values untouched


def test_step_schedule_is_zaremba_and_plateau_divides_by_four():
    s = Schedule("step", lr=1.0, decay=0.5, decay_start=4)
    lrs = [1.0] + [s.update(e, None) for e in range(1, 13)]  # lr of epochs 1..13
    assert lrs == [1, 1, 1, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625, 0.001953125]
    p = Schedule("plateau", lr=20.0)
    assert [p.update(e, v) for e, v in enumerate([5.0, 4.0, 4.5, 3.0, 3.0], 1)] == [20, 20, 5, 5, 1.25]
    e = EarlyStopping(patience=2)
    assert [e.update(v) for v in [3.0, 2.0, 2.5, 2.1, 1.0]] == [False, False, False, True, False]


@pytest.mark.parametrize("name", ["sgd", "adam", "adagrad", "rmsprop"])
def test_every_optimizer_lowers_a_quadratic(name):
    w = torch.nn.Parameter(torch.tensor([3.0, -2.0]))
    opt = make_optimizer(
        name, [w], lr=0.5 if name == "adagrad" else 0.1, momentum=0.5 if name in ("sgd", "rmsprop") else 0.0
    )
    for _ in range(200):
        opt.zero_grad()
        (w**2).sum().backward()
        opt.step()
    assert float((w.detach() ** 2).sum()) < 0.5


def _tiny_lm(vocab, **kw):
    torch.manual_seed(0)
    kw = {"model": "lstm", "embed": 32, "hidden": 32, "layers": 1, **kw}
    return RNNLM(vocab, **kw)


def test_a_tiny_model_overfits_a_tiny_corpus():
    """The lectures' sanity check: a small LSTM memorizes 200 random tokens to near-zero loss."""
    rng = np.random.default_rng(0)
    ids = np.tile(rng.integers(0, 20, 100), 2)
    model = _tiny_lm(20, embed=32, hidden=64)
    task = LMTask(ids, None, None, batch=1, bptt=200, device="cpu")
    hist = fit(model, task, TrainConfig(epochs=80, optimizer="adam", lr=0.02, clip=5), log=_quiet)
    assert hist.epochs[0].train_loss > 2.5  # ln 20 = 3.0 at the start
    assert hist.epochs[-1].train_loss < 0.05


def _copy_stream(n_blocks: int, d: int, symbols: int, rng) -> np.ndarray:
    """Blocks of ``d`` random symbols followed by the same ``d`` symbols again."""
    first = rng.integers(0, symbols, (n_blocks, d))
    return np.concatenate([first, first], axis=1).reshape(-1)


def test_tbptt_carried_state_learns_dependencies_across_windows():
    """Blocks of 3 random symbols, then the same 3 again: each copy depends on the symbol 3 steps back. With
    4-step windows, 4 of every 6 copies depend on a symbol in the previous window. A model whose state is
    carried from window to window learns them all; one that starts each window from zero cannot, and is
    left with the loss of a model that knows only the copies inside its window."""
    rng = np.random.default_rng(1)
    d, symbols = 3, 4
    ids = _copy_stream(600, d, symbols, rng)
    optimum = 0.5 * math.log(symbols)  # random first halves, copied second halves
    reset_floor = optimum + (4 / 12) * math.log(symbols)  # plus the copies whose source is out of reach
    losses = {}
    for carry in (True, False):
        model = _tiny_lm(symbols, embed=8, hidden=48)
        task = LMTask(ids, None, None, batch=16, bptt=4, device="cpu", carry_state=carry)
        hist = fit(model, task, TrainConfig(epochs=30, optimizer="adam", lr=0.02, clip=1), log=_quiet)
        losses[carry] = hist.epochs[-1].train_loss
    assert losses[True] < optimum + 0.12
    assert losses[False] > reset_floor - 0.02


def _fit_run(tmp_path, epochs, resume=False, lr=1.0, dropout=0.3, ckpt="run.ckpt"):
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 30, 3000)
    valid = rng.integers(0, 30, 300)
    model = _tiny_lm(30, layers=2, dropout=dropout)
    task = LMTask(ids, valid, None, batch=8, bptt=10, device="cpu")
    cfg = TrainConfig(epochs=epochs, optimizer="sgd", lr=lr, momentum=0.9, schedule="plateau", clip=1.0, seed=7)
    hist = fit(model, task, cfg, checkpoint=tmp_path / ckpt, resume=resume, meta={"model.hidden": 32}, log=_quiet)
    return model, hist


def test_resume_equals_an_uninterrupted_run_bit_for_bit(tmp_path):
    full, full_hist = _fit_run(tmp_path, epochs=3, ckpt="full.ckpt")
    _fit_run(tmp_path, epochs=1, ckpt="part.ckpt")  # "interrupted" after one epoch
    resumed, resumed_hist = _fit_run(tmp_path, epochs=3, resume=True, ckpt="part.ckpt")
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    assert [e.train_loss for e in full_hist.epochs] == [e.train_loss for e in resumed_hist.epochs]
    assert [e.valid_loss for e in full_hist.epochs] == [e.valid_loss for e in resumed_hist.epochs]
    assert load_checkpoint(tmp_path / "part.ckpt")["epoch"] == 3


def test_resume_from_another_configuration_names_the_difference(tmp_path):
    _fit_run(tmp_path, epochs=1)
    with pytest.raises(WordseqError, match=r"lr: 1\.0 in the checkpoint, 0\.5 now"):
        _fit_run(tmp_path, epochs=2, resume=True, lr=0.5)


def test_checkpoint_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"format": "wordseq-checkpoint", "payload": object.__new__(Schedule)}, path)
    with pytest.raises(WordseqError, match="not a readable wordseq checkpoint"):
        load_checkpoint(path)


class _PoisonedTask(LMTask):
    """Its loss turns to NaN in epoch 2."""

    epoch = 0

    def batches(self, epoch):
        self.epoch = epoch
        return super().batches(epoch)

    def loss(self, model, batch, carry):
        loss, n, carry = super().loss(model, batch, carry)
        return (loss * math.nan if self.epoch == 2 else loss), n, carry


def test_divergence_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path):
    ids = np.random.default_rng(0).integers(0, 10, 500)
    model = _tiny_lm(10)
    ckpt = tmp_path / "m.ckpt"
    with pytest.raises(TrainingDiverged, match=r"loss became nan in epoch 2, batch 1 .*m\.ckpt is kept"):
        fit(model, _PoisonedTask(ids, batch=4, bptt=10), TrainConfig(epochs=3), checkpoint=ckpt, log=_quiet)
    saved = load_checkpoint(ckpt)
    assert saved["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in saved["model"].values())


def test_an_exploding_learning_rate_stops_with_a_clear_error(tmp_path):
    ids = np.random.default_rng(0).integers(0, 10, 2000)
    model = _tiny_lm(10, model="rnn-relu", init="identity")
    with pytest.raises(TrainingDiverged, match="diverged.*lower --lr"):
        fit(model, LMTask(ids, batch=4, bptt=20), TrainConfig(epochs=5, lr=1e6, clip=0), log=_quiet)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_fused_cross_entropy_equals_torch(dtype):
    from wordseq.train.losses import cross_entropy

    torch.manual_seed(0)
    z = (torch.randn(300, 7001) * 3).to(dtype).requires_grad_()  # several row blocks, a ragged last one
    y = torch.randint(0, 7001, (300,))
    ref = torch.nn.functional.cross_entropy(z.float(), y)
    (g_ref,) = torch.autograd.grad(ref * 2.5, z)
    ours = cross_entropy(z, y)
    (g,) = torch.autograd.grad(ours * 2.5, z)
    assert g.dtype == dtype
    assert float(ours.detach()) == pytest.approx(float(ref.detach()), rel=1e-6)
    torch.testing.assert_close(g.float(), g_ref.float(), rtol=0, atol=1e-7 if dtype == torch.float32 else 1e-5)


def test_fused_cross_entropy_gradient_is_numerically_right():
    from wordseq.train.losses import cross_entropy

    z = torch.randn(5, 9, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 8, 3, 3, 1])
    assert torch.autograd.gradcheck(lambda t: cross_entropy(t.float(), y).double(), (z,), eps=1e-3, atol=1e-3)


def test_linear_cross_entropy_gradient_is_numerically_right():
    from wordseq.train.losses import linear_cross_entropy

    torch.manual_seed(0)
    h = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(11, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(11, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 10, 3, 3, 1, 7, 7])
    assert torch.autograd.gradcheck(lambda h, w, b: linear_cross_entropy(h, w, b, y) * 3.0, (h, w, b))
    assert torch.autograd.gradcheck(lambda h, w: linear_cross_entropy(h, w, None, y), (h, w))


def _output_layer(n: int, hidden: int, vocab: int):
    """Features, output weight and bias (all needing gradients) and targets for the fused loss's tests."""
    torch.manual_seed(0)
    h = torch.randn(n, hidden, requires_grad=True)
    w = (torch.randn(vocab, hidden) * 0.3).requires_grad_()
    b = torch.randn(vocab, requires_grad=True)
    return h, w, b, torch.randint(0, vocab, (n,))


@pytest.mark.parametrize("vocab", [3001, 2 * 2560 + 7])  # the second: logits a block of words at a time
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_cross_entropy_equals_torch_in_float32(vocab, with_bias):
    from wordseq.train.losses import BLOCK_WORDS, linear_cross_entropy

    assert BLOCK_WORDS == 2560
    h, w, b, y = _output_layer(120, 64, vocab)
    params = (h, w, b) if with_bias else (h, w)
    ref = torch.nn.functional.cross_entropy(torch.nn.functional.linear(h, w, b if with_bias else None), y)
    g_ref = torch.autograd.grad(ref * 1.7, params)
    ours = linear_cross_entropy(h, w, b if with_bias else None, y)
    g = torch.autograd.grad(ours * 1.7, params)
    assert float(ours.detach()) == pytest.approx(float(ref.detach()), rel=1e-6)
    for a, r in zip(g, g_ref):
        torch.testing.assert_close(a, r, rtol=1e-5, atol=1e-6)


def test_linear_cross_entropy_survives_a_target_probability_below_float32_range():
    from wordseq.train.losses import linear_cross_entropy

    h = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    w = torch.tensor([[500.0, 0.0], [0.0, 0.0], [-500.0, 0.0]])
    y = torch.tensor([2, 0])  # target 2 has probability exp(-1000): zero in float32
    ours = linear_cross_entropy(h, w, None, y)
    ref = torch.nn.functional.cross_entropy(h @ w.t(), y)
    assert torch.isfinite(ours) and float(ours) == pytest.approx(float(ref), rel=1e-6)


@pytest.mark.parametrize("model", ["lstm", "window"])
def test_a_model_given_targets_returns_the_cross_entropy_of_its_logits(model):
    from wordseq.lm.neural import NeuralLMConfig, build_network

    torch.manual_seed(0)
    lm = build_network(NeuralLMConfig(model=model, embed=8, hidden=12, layers=1), 50)
    x, y = torch.randint(0, 50, (3, 6)), torch.randint(0, 50, (3, 6))
    logits, _ = lm(x, lm.init_state(3))
    loss, _ = lm(x, lm.init_state(3), targets=y)
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, 50), y.reshape(-1))
    assert float(loss.detach()) == pytest.approx(float(ref.detach()), rel=1e-6)


def test_clipping_a_sparse_gradient_equals_clipping_its_dense_form():
    from wordseq.train.loop import clip_gradients

    torch.manual_seed(0)
    ids = torch.tensor([[1, 4, 4, 7], [0, 4, 9, 1]])
    results = []
    for sparse in (False, True):
        torch.manual_seed(0)
        emb, lin = torch.nn.Embedding(10, 3, sparse=sparse), torch.nn.Linear(3, 2)
        lin(emb(ids)).pow(2).sum().mul(50).backward()
        norm = clip_gradients([emb.weight, lin.weight, lin.bias], max_norm=0.5, max_value=2.0)
        g = emb.weight.grad.to_dense() if sparse else emb.weight.grad
        results.append((norm, g, lin.weight.grad.clone()))
    (n0, e0, l0), (n1, e1, l1) = results
    assert n1 == pytest.approx(n0, rel=1e-6) and n0 > 0.5
    torch.testing.assert_close(e1, e0)
    torch.testing.assert_close(l1, l0)


def test_embeddings_train_sparsely_only_where_the_update_is_the_dense_one():
    from wordseq.train.optim import sparse_embeddings

    lm = _tiny_lm(20)
    assert sparse_embeddings(lm, "sgd") == [lm.encoder] and lm.encoder.sparse
    for kw in (
        {"optimizer": "adam"},
        {"optimizer": "sgd", "momentum": 0.9},
        {"optimizer": "sgd", "weight_decay": 1e-4},
        {"optimizer": "sgd", "distributed": True},
    ):
        assert sparse_embeddings(_tiny_lm(20), **kw) == []
    assert sparse_embeddings(_tiny_lm(20, tied=True), "adagrad") == []  # the tied table has a dense gradient


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("adagrad", 0.01)])
def test_training_with_sparse_embedding_gradients_matches_dense_training(optimizer, lr, monkeypatch):
    import wordseq.train.loop as loop

    ids = np.random.default_rng(0).integers(0, 30, 3000)
    config = TrainConfig(epochs=2, optimizer=optimizer, lr=lr, clip=0.5)
    sparse_model = _tiny_lm(30)
    fit(sparse_model, LMTask(ids, batch=4, bptt=10), config, log=_quiet)
    assert not sparse_model.encoder.sparse  # switched back after training
    monkeypatch.setattr(loop, "sparse_embeddings", lambda *a, **k: [])
    dense_model = _tiny_lm(30)
    fit(dense_model, LMTask(ids, batch=4, bptt=10), config, log=_quiet)
    for (name, a), (_, b) in zip(sparse_model.state_dict().items(), dense_model.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


def test_linear_cross_entropy_in_bfloat16_is_close_to_float32():
    from wordseq.train.losses import linear_cross_entropy

    h, w, b, y = _output_layer(64, 32, 501)
    full = linear_cross_entropy(h, w, b, y)
    g_full = torch.autograd.grad(full, (h, w, b))
    half = linear_cross_entropy(h, w, b, y, torch.bfloat16)
    g_half = torch.autograd.grad(half, (h, w, b))
    assert float(half.detach()) == pytest.approx(float(full.detach()), rel=2e-2)
    for a, r in zip(g_half, g_full):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, r, rtol=0.05, atol=2e-3)


def test_linear_cross_entropy_under_autocast_multiplies_in_bfloat16_and_keeps_the_softmax_in_float32():
    from wordseq.train.losses import linear_cross_entropy

    torch.manual_seed(0)
    h, w, y = torch.randn(16, 8), torch.randn(40, 8), torch.randint(0, 40, (16,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        auto = linear_cross_entropy(h, w, None, y)
    explicit = linear_cross_entropy(h, w, None, y, torch.bfloat16)
    assert auto.dtype == torch.float32 and float(auto) == float(explicit)
