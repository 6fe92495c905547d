"""GloVe: the kernel's update is AdaGrad on the analytic gradient (checked numerically), the loss falls,
planted twins become nearest neighbours, one thread with a seed is reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from embed_helpers import assert_planted_neighbours, planted_corpus
from wordseq.config import ConfigError
from wordseq.embed import GloVe, GloVeConfig, Vectors, load_vectors
from wordseq.embed._glove_kernel import glove_epoch
from wordseq.errors import WordseqError
from wordseq.text.encode import encode_corpus


def cell_loss(w, c, bw, bc, x, x_max=100.0, weighting_exponent=0.75):
    f = min(1.0, (x / x_max) ** weighting_exponent)
    return 0.5 * f * (w @ c + bw + bc - np.log(x)) ** 2


def test_one_update_is_adagrad_on_the_numerical_gradient():
    rng = np.random.default_rng(0)
    dim, x, lr = 6, 7.0, 0.05
    W = rng.normal(size=(3, dim)).astype(np.float32)
    C = rng.normal(size=(3, dim)).astype(np.float32)
    bW = rng.normal(size=3).astype(np.float32)
    bC = rng.normal(size=3).astype(np.float32)
    gW = rng.uniform(1, 3, size=(3, dim)).astype(np.float32)
    gC = rng.uniform(1, 3, size=(3, dim)).astype(np.float32)
    gbW = rng.uniform(1, 3, size=3).astype(np.float32)
    gbC = rng.uniform(1, 3, size=3).astype(np.float32)
    a, b = 1, 2
    w0, c0 = W[a].astype(float), C[b].astype(float)
    params0 = (W.copy(), C.copy(), bW.copy(), bC.copy(), gW.copy(), gC.copy(), gbW.copy(), gbC.copy())

    # central differences of the cell's loss
    h = 1e-5
    grad_w = np.array(
        [
            (cell_loss(w0 + h * e, c0, bW[a], bC[b], x) - cell_loss(w0 - h * e, c0, bW[a], bC[b], x)) / (2 * h)
            for e in np.eye(dim)
        ]
    )
    grad_c = np.array(
        [
            (cell_loss(w0, c0 + h * e, bW[a], bC[b], x) - cell_loss(w0, c0 - h * e, bW[a], bC[b], x)) / (2 * h)
            for e in np.eye(dim)
        ]
    )
    grad_b = (cell_loss(w0, c0, bW[a] + h, bC[b], x) - cell_loss(w0, c0, bW[a] - h, bC[b], x)) / (2 * h)

    f = min(1.0, (x / 100) ** 0.75)
    cost = glove_epoch(
        np.array([a], np.int32),
        np.array([b], np.int32),
        np.array([np.log(x)], np.float32),
        np.array([f], np.float32),
        0,
        1,
        W,
        C,
        bW,
        bC,
        gW,
        gC,
        gbW,
        gbC,
        np.float32(lr),
    )
    W0, C0, bW0, bC0, gW0, gC0, gbW0, gbC0 = params0
    assert cost == pytest.approx(cell_loss(w0, c0, bW0[a], bC0[b], x), rel=1e-5)
    np.testing.assert_allclose(W[a], W0[a] - lr * grad_w / np.sqrt(gW0[a]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(C[b], C0[b] - lr * grad_c / np.sqrt(gC0[b]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gW[a], gW0[a] + (lr * grad_w) ** 2, rtol=1e-4)
    assert bW[a] == pytest.approx(bW0[a] - lr * grad_b / np.sqrt(gbW0[a]), rel=1e-4)
    assert bC[b] == pytest.approx(bC0[b] - lr * grad_b / np.sqrt(gbC0[b]), rel=1e-4)
    assert gbC[b] == pytest.approx(gbC0[b] + (lr * grad_b) ** 2, rel=1e-4)
    untouched = [i for i in range(3) if i != a]
    np.testing.assert_array_equal(W[untouched], W0[untouched])


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return encode_corpus(planted_corpus(tmp_path_factory.mktemp("planted") / "c.txt"), cache=False)


def test_planted_neighbours_and_falling_loss(planted):
    model = GloVe(GloVeConfig(dim=20, window=3, epochs=50, threads=2)).fit(planted)
    assert_planted_neighbours(model.vectors)
    assert len(model.losses) == 50
    assert all(b < a for a, b in zip(model.losses, model.losses[1:5]))
    assert model.losses[-1] < 0.2 * model.losses[0]
    assert model.entries > 0 and [h["epoch"] for h in model.history] == list(range(1, 51))
    assert all(h["seconds"] >= 0 for h in model.history)


def test_one_thread_with_a_seed_is_reproducible(planted):
    cfg = GloVeConfig(dim=8, window=3, epochs=3, threads=1, seed=5)
    a, b = GloVe(cfg).fit(planted), GloVe(cfg).fit(planted)
    np.testing.assert_array_equal(a.vectors.vectors, b.vectors.vectors)
    assert a.losses == b.losses
    c = GloVe(GloVeConfig(dim=8, window=3, epochs=3, threads=1, seed=6)).fit(planted)
    assert not np.array_equal(a.vectors.vectors, c.vectors.vectors)


def test_fit_matrix_on_a_known_matrix():
    """Cells of a small rank-1 log matrix are fitted almost exactly."""
    rng = np.random.default_rng(0)
    u = rng.uniform(0.5, 2, 10)
    X = np.exp(np.outer(u, u) + 1.0)
    model = GloVe(GloVeConfig(dim=4, epochs=300, threads=1, lr=0.05, x_max=1.0)).fit_matrix(
        sp.csr_matrix(X), [f"w{i}" for i in range(10)]
    )
    assert model.losses[-1] < 1e-3 * model.losses[0]


def test_bad_settings(planted):
    with pytest.raises(WordseqError, match="no co-occurrences"):
        GloVe(dim=2, epochs=1).fit_matrix(sp.csr_matrix((3, 3)), ["a", "b", "c"])


@pytest.mark.parametrize(
    "kwargs, field, allowed",
    [
        ({"dim": 0}, "dim", "must be an integer >= 1"),
        ({"window": 0}, "window", "must be an integer >= 1"),
        ({"epochs": 0}, "epochs", "must be an integer >= 1"),
        ({"x_max": 0.0}, "x_max", "must be a number > 0"),
        ({"lr": -1.0}, "lr", "must be a number > 0"),
        ({"weighting_exponent": -0.5}, "weighting_exponent", "must be a number >= 0"),
        ({"threads": 0}, "threads", "must be an integer >= 1 (or None)"),
        ({"max_vocab": 0}, "max_vocab", "must be an integer >= 1 (or None)"),
    ],
)
def test_config_errors_name_field_and_range(kwargs, field, allowed):
    with pytest.raises(ConfigError) as e:
        GloVe(**kwargs)
    assert e.value.field == field and e.value.allowed == allowed
    assert str(e.value).startswith(f"GloVeConfig.{field} = ")


def test_save_load_round_trip(planted, tmp_path):
    model = GloVe(dim=8, window=3, epochs=3, threads=1, x_max=10.0, weighting_exponent=0.5).fit(planted)
    path = model.save(tmp_path / "g.wsq")
    assert path == tmp_path / "g.wsq"
    back = GloVe.load(path)
    assert back.config == model.config and back.history == model.history
    assert back.vectors.words == model.vectors.words
    np.testing.assert_array_equal(back.vectors.vectors, model.vectors.vectors)
    np.testing.assert_array_equal(back.vectors.counts, model.vectors.counts)
    assert back.vectors.most_similar("p0", topn=5) == model.vectors.most_similar("p0", topn=5)
    assert back.summary().layers == model.summary().layers and back.summary().vocab_size == len(model.vectors)
    assert back.losses == model.losses
    import wordseq

    assert isinstance(wordseq.load(path), GloVe)  # any model file opens by its kind
    v = load_vectors(path)  # the model file is a vectors file for every reader
    assert isinstance(v, Vectors) and v.words == model.vectors.words
    with pytest.raises(WordseqError, match="not 'vectors-glove'"):
        GloVe.load(model.vectors.save(tmp_path / "plain.wsq"))
