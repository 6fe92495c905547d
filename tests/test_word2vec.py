"""word2vec: planted structure for every architecture and loss, gradient checks of the kernel, loss
reporting, reproducibility, model files and bad configurations. Small generated corpora only."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from numba import njit

from wordseq.config import ConfigError
from wordseq.embed import Word2Vec, Word2VecConfig
from wordseq.embed import _w2v_kernel as K
from wordseq.embed.huffman import huffman_codes
from wordseq.errors import WordseqError
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer

TOPICS = 8


def planted_corpus(path, lines=6000, seed=0):
    """Lines ``L T R``: per topic k, 4 left words, 4 right words and two twins ``ta{k}``/``tb{k}`` in the
    middle. The twins share all their contexts, so each must become the other's nearest neighbour."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(lines):
        k = rng.integers(TOPICS)
        twin = "ta" if rng.random() < 0.5 else "tb"
        out.append(f"l{k}x{rng.integers(4)} {twin}{k} r{k}x{rng.integers(4)}")
    path.write_text("\n".join(out) + "\n")
    return encode_corpus(path, Tokenizer("whitespace"), min_count=1)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return planted_corpus(tmp_path_factory.mktemp("w2v") / "planted.txt")


def nearest(vectors, word):
    X = vectors.vectors / np.linalg.norm(vectors.vectors, axis=1, keepdims=True)
    sims = X @ X[vectors.index[word]]
    sims[vectors.index[word]] = -np.inf
    return vectors.words[int(np.argmax(sims))]


@pytest.mark.parametrize("arch", ["sg", "cbow"])
@pytest.mark.parametrize("loss", ["ns", "hs", "softmax"])
def test_planted_twins_are_nearest_neighbours(planted, arch, loss):
    cfg = Word2VecConfig(arch=arch, loss=loss, dim=16, window=2, negative=5, sample_threshold=0, epochs=8, threads=2)
    model = Word2Vec(cfg).fit(planted, progress=False)
    v = model.vectors
    assert len(v) == TOPICS * 10 and "</s>" not in v and "<unk>" not in v
    for k in range(TOPICS):
        assert nearest(v, f"ta{k}") == f"tb{k}"
        assert nearest(v, f"tb{k}") == f"ta{k}"
    assert model.losses[-1] < model.losses[0]
    assert all(np.isfinite(model.losses))


@pytest.mark.parametrize("loss", ["ns", "hs"])
def test_loss_decreases_and_is_independent_of_threads(planted, loss):
    """With hierarchical softmax several lanes also keep their own copies of the output rows nearest the
    Huffman root, synced per sentence."""
    losses = {}
    for threads in (1, 3):
        cfg = Word2VecConfig(arch="sg", loss=loss, dim=16, window=2, sample_threshold=0, epochs=4, threads=threads)
        losses[threads] = Word2Vec(cfg).fit(planted, progress=False).losses
    for ls in losses.values():
        assert all(a > b for a, b in zip(ls, ls[1:]))
    np.testing.assert_allclose(losses[1], losses[3], rtol=0.06)  # Hogwild and RNG noise only
    if loss == "ns":
        # below chance: the loss per pair at the start (one positive, five negatives, scores ~0) is 6 log 2
        assert losses[1][0] < 6 * math.log(2)


def test_reproducible_with_one_thread_and_a_seed(planted):
    def fit(seed, arch="sg"):
        cfg = Word2VecConfig(arch=arch, dim=8, window=3, sample_threshold=1e-2, epochs=2, threads=1, seed=seed)
        return Word2Vec(cfg).fit(planted, progress=False)

    a, b, c = fit(7), fit(7), fit(8)
    assert np.array_equal(a.vectors.vectors, b.vectors.vectors)
    assert np.array_equal(a.syn1, b.syn1) and a.losses == b.losses
    assert not np.array_equal(a.vectors.vectors, c.vectors.vectors)
    assert np.array_equal(fit(3, "cbow").vectors.vectors, fit(3, "cbow").vectors.vectors)


def test_windows_never_cross_line_ends(tmp_path):
    words = [f"w{i}" for i in range(10)]
    (tmp_path / "c.txt").write_text("\n".join(words * 50) + "\n")  # one word per line: no context at all
    enc = encode_corpus(tmp_path / "c.txt", Tokenizer("whitespace"), min_count=1)
    model = Word2Vec(Word2VecConfig(dim=8, sample_threshold=0, epochs=2, threads=2)).fit(enc, progress=False)
    assert not model.syn1.any()  # nothing was ever predicted


def test_rare_words_are_dropped_before_windows_form(tmp_path):
    # "a <rare> b": with the rare word dropped, a and b are neighbours even with window 1
    (tmp_path / "c.txt").write_text("".join(f"a rare{i} b\n" for i in range(200)))
    enc = encode_corpus(tmp_path / "c.txt", Tokenizer("whitespace"), min_count=5)
    cfg = Word2VecConfig(loss="hs", dim=8, window=1, sample_threshold=0, epochs=1, threads=1)
    model = Word2Vec(cfg).fit(enc, progress=False)
    assert model.vectors.words == ["a", "b"]
    assert model.syn1.any()


def test_subsampling_keeps_rare_words_and_thins_frequent_ones():
    from wordseq.embed.word2vec import _keep_thresholds

    counts = np.array([100_000, 1_000, 10], dtype=np.int64)
    keep = _keep_thresholds(counts, 1e-3).astype(np.float64) / 2**32
    t = 1e-3 * counts.sum()
    assert keep[0] == pytest.approx((math.sqrt(counts[0] / t) + 1) * t / counts[0], rel=1e-6)
    assert keep[2] == pytest.approx(1.0)
    assert (_keep_thresholds(counts, 0) == 0xFFFFFFFF).all()


def test_alias_table_draws_the_noise_distribution():
    rng = np.random.default_rng(0)
    weights = rng.random(50) ** 3
    thresh, alias = K.alias_table(weights)
    n = 400_000
    k = rng.integers(len(weights), size=n)
    u = rng.integers(0, 2**32, size=n, dtype=np.uint64)
    drawn = np.where(u < thresh[k], k, alias[k])
    freq = np.bincount(drawn, minlength=len(weights)) / n
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=4e-3)


# -- gradient checks: one tiny training step of the kernel against a float64 numpy model --------------


def _numpy_losses(syn0, syn1, sent, arch, loss_kind, huff, cbow_mean=True):
    """Loss of each centre word of one sentence with window 1 (every neighbour is context), float64."""
    losses = []
    for i, w in enumerate(sent):
        ctx = [sent[j] for j in (i - 1, i + 1) if 0 <= j < len(sent)]
        hiddens = (
            [syn0[c] for c in ctx] if arch == K.SG else [sum(syn0[c] for c in ctx) / (len(ctx) if cbow_mean else 1)]
        )
        total = 0.0
        for h in hiddens:
            if loss_kind == K.SOFTMAX:
                z = syn1 @ h
                total += np.log(np.exp(z - z.max()).sum()) + z.max() - z[w]
            else:
                for code, node in zip(huff.code(w), huff.path(w)):
                    f = syn1[node] @ h
                    total += np.log1p(np.exp(f)) if code else np.log1p(np.exp(-f))
        losses.append(total)
    return np.array(losses)


def _kernel_step(syn0, syn1, sent, arch, loss_kind, huff, alpha, cbow_mean=True):
    """Run the kernel over one sentence (window 1, no subsampling) and return its summed loss."""
    n_words, dim = syn0.shape
    ids = np.array([w + 4 for w in sent] + [3], dtype=np.int32)  # ids 0..3 are the specials, 3 is </s>
    n_out = n_words if loss_kind == K.SOFTMAX else int(huff.lengths.max())
    sig, nlogsig = K.sigmoid_tables()
    loss_sum, loss_n, done = np.zeros(1), np.zeros(1, np.int64), np.zeros(1, np.int64)
    K.train_chunk(
        ids,
        4,
        3,
        np.array([0]),
        np.array([len(ids)]),
        np.array([0]),
        np.array([len(ids)]),
        0,
        1,
        syn0,
        syn1,
        sig,
        nlogsig,
        np.full(n_words, 0xFFFFFFFF, np.uint32),
        np.ones(1, np.uint32),
        np.zeros(1, np.int32),
        huff.offsets,
        huff.codes,
        huff.points,
        arch,
        loss_kind,
        1,
        0,
        cbow_mean,
        alpha,
        alpha,
        np.array([12345], np.uint64),
        loss_sum,
        loss_n,
        done,
        np.zeros((1, K.MAX_SENTENCE), np.int32),
        np.zeros((1, 2), np.int32),
        np.zeros((1, 2 * n_out + 32), np.int32),  # two sets of outputs (this centre word's, the next's)
        np.zeros((1, 2 * n_out + 32), np.float32),
        np.zeros((1, 2, n_out), np.float32),
        np.zeros((1, 2, dim), np.float32),
    )
    return float(loss_sum[0])


def _numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("arch, cbow_mean", [(K.SG, True), (K.CBOW, True), (K.CBOW, False)])
@pytest.mark.parametrize("loss_kind", [K.HS, K.SOFTMAX])
def test_kernel_step_is_a_gradient_step(arch, loss_kind, cbow_mean):
    rng = np.random.default_rng(1)
    n_words, dim = 6, 5
    syn0 = rng.normal(0, 0.5, (n_words, dim))
    syn1 = rng.normal(0, 0.5, (n_words, dim))
    huff = huffman_codes(np.array([9, 7, 5, 3, 2, 1]))
    sent = [0, 3, 1, 5, 2]
    f = lambda: _numpy_losses(syn0, syn1, sent, arch, loss_kind, huff, cbow_mean)
    loss0 = f().sum()
    g1 = _numeric_grad(lambda: f().sum(), syn1)
    # word2vec's CBOW convention (the C tool and gensim): every context row receives the whole error of
    # the hidden vector, not 1/n of it, so with the mean its step is n times its share of the gradient
    n_ctx = np.array([min(i, 1) + min(len(sent) - 1 - i, 1) for i in range(len(sent))])
    scale = n_ctx if (arch == K.CBOW and cbow_mean) else np.ones(len(sent))
    g0 = _numeric_grad(lambda: f() @ scale, syn0)
    alpha = 1e-3
    s0, s1 = syn0.astype(np.float32), syn1.astype(np.float32)
    kernel_loss = _kernel_step(s0, s1, sent, arch, loss_kind, huff, alpha, cbow_mean)
    assert kernel_loss == pytest.approx(loss0, rel=5e-3)
    # the kernel applies the updates position by position, so a step differs from -alpha * grad by O(alpha^2)
    np.testing.assert_allclose((s0 - syn0) / alpha, -g0, atol=0.02 * np.abs(g0).max())
    np.testing.assert_allclose((s1 - syn1) / alpha, -g1, atol=0.02 * np.abs(g1).max())


@njit
def _sg_window_call(syn0, syn1, ctx, outs, labels, loss_kind, alpha, sig, nlogsig):
    dots = np.zeros((len(ctx), len(outs)), np.float32)
    neu1e = np.zeros((len(ctx) + 1, syn0.shape[1]), np.float32)  # a spare row past the context rows
    hot = np.zeros((0, syn1.shape[1]), np.float32)
    return K._sg_window(
        syn0,
        syn1,
        ctx,
        len(ctx),
        outs,
        len(outs),
        labels,
        loss_kind,
        0,
        alpha,
        sig,
        nlogsig,
        dots,
        neu1e,
        hot,
        syn1.shape[0],
    )


@pytest.mark.parametrize("n_ctx", range(1, 10))
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6, 9])
def test_blocked_skipgram_window_is_the_plain_matrix_update(n_ctx, m):
    """Every blocking remainder (scores: 4 x 2, 1 x 2, and 4, 2, 1 context rows against an odd last output
    row; errors: 2 x 4, 2 x 1 and an odd last context row; updates: 2 x 4, 2 x 1 and an odd last output row), against X Y^T in float64
    with the kernel's sigmoid table: scores S = X Y^T, G = alpha (label - sigmoid(S)), X += G Y, Y += G^T X."""
    rng = np.random.default_rng(n_ctx * 10 + m)
    dim = 19  # not a multiple of any vector width
    syn0 = rng.normal(0, 0.5, (12, dim)).astype(np.float32)
    syn1 = rng.normal(0, 0.5, (12, dim)).astype(np.float32)
    ctx = rng.permutation(12)[:n_ctx].astype(np.int32)
    outs = rng.permutation(12)[:m].astype(np.int32)
    labels = np.where(np.arange(m) == 0, 1.0, -1.0).astype(np.float32)
    sig, nlogsig = K.sigmoid_tables()
    X, Y = syn0[ctx].astype(np.float64), syn1[outs].astype(np.float64)
    S = X @ Y.T
    scale = K.TABLE_SIZE / (2 * K.MAX_EXP)
    k = np.clip(((labels * S + K.MAX_EXP) * scale).astype(np.int64), 0, K.TABLE_SIZE - 1)
    G = 0.05 * labels * (1.0 - sig[k])
    loss = nlogsig[k].astype(np.float64).sum()
    want0, want1 = syn0.astype(np.float64), syn1.astype(np.float64)
    want0[ctx] += G @ Y
    want1[outs] += G.T @ X
    got = _sg_window_call(syn0, syn1, ctx, outs, labels, K.NS, np.float32(0.05), sig, nlogsig)
    assert got == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(syn0, want0, atol=1e-5)
    np.testing.assert_allclose(syn1, want1, atol=1e-5)


@njit
def _sg_window_hot_call(syn0, syn1, ctx, outs, labels, alpha, sig, nlogsig, hot_lo):
    dots = np.zeros((len(ctx), len(outs)), np.float32)
    neu1e = np.zeros((len(ctx) + 1, syn0.shape[1]), np.float32)
    hot = syn1[hot_lo:].copy()
    snap = hot.copy()
    loss = K._sg_window(
        syn0, syn1, ctx, len(ctx), outs, len(outs), labels, K.HS, 0, alpha, sig, nlogsig, dots, neu1e, hot, hot_lo
    )
    untouched = True  # before the sync, the shared hot rows are as they were
    for k in range(hot.shape[0]):
        for d in range(syn1.shape[1]):
            untouched = untouched and syn1[hot_lo + k, d] == snap[k, d]
    K._sync_hot(syn1, hot, snap, hot_lo)
    return loss, untouched, hot, snap


@pytest.mark.parametrize("hot_lo", [0, 5, 11, 12])
def test_hot_output_rows_are_written_back_on_sync(hot_lo):
    """A lane's copy of the hot output rows takes the window's updates; a sync adds them to the shared rows
    and leaves the copy equal to them: the same result as updating the shared rows directly."""
    rng = np.random.default_rng(hot_lo)
    dim = 19
    syn0 = rng.normal(0, 0.5, (12, dim)).astype(np.float32)
    syn1 = rng.normal(0, 0.5, (12, dim)).astype(np.float32)
    ctx = rng.permutation(12)[:7].astype(np.int32)
    outs = rng.permutation(12)[:9].astype(np.int32)
    labels = np.where(np.arange(9) % 2 == 0, 1.0, -1.0).astype(np.float32)
    sig, nlogsig = K.sigmoid_tables()
    want0, want1 = syn0.copy(), syn1.copy()
    want_loss = _sg_window_call(want0, want1, ctx, outs, labels, K.HS, np.float32(0.05), sig, nlogsig)
    loss, untouched, hot, snap = _sg_window_hot_call(
        syn0, syn1, ctx, outs, labels, np.float32(0.05), sig, nlogsig, hot_lo
    )
    assert untouched
    assert loss == pytest.approx(want_loss, rel=1e-6)
    np.testing.assert_allclose(syn0, want0, atol=1e-6)
    np.testing.assert_allclose(syn1, want1, atol=1e-6)
    np.testing.assert_array_equal(hot, syn1[hot_lo:])
    np.testing.assert_array_equal(snap, syn1[hot_lo:])


# -- model files and bad input -------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ["sg", "cbow"])
@pytest.mark.parametrize("loss", ["ns", "hs", "softmax"])
def test_save_load_round_trip(planted, tmp_path, arch, loss):
    """Every architecture option: the loaded model has the same config, matrices, vocabulary, history and
    summary, answers queries the same, and saves again to the same tensors."""
    cfg = Word2VecConfig(arch=arch, loss=loss, dim=8, window=2, epochs=2, threads=2, seed=5, min_count=1)
    model = Word2Vec(cfg).fit(planted, progress=False)
    path = model.save(tmp_path / "m.wsq")
    assert path == tmp_path / "m.wsq"
    back = Word2Vec.load(path)
    assert back.config == cfg
    assert back.vectors.words == model.vectors.words
    assert np.array_equal(back.vectors.vectors, model.vectors.vectors)
    assert np.array_equal(back.vectors.counts, model.vectors.counts)
    assert np.array_equal(back.syn1, model.syn1)
    assert back.history == model.history and back.vocab == model.vocab
    assert back.losses == model.losses
    assert back.vectors.most_similar("ta0", topn=3) == model.vectors.most_similar("ta0", topn=3)
    assert back.summary().layers == model.summary().layers
    import wordseq

    assert isinstance(wordseq.load(path), Word2Vec)
    again = back.save(tmp_path / "again.wsq")
    assert np.array_equal(Word2Vec.load(again).syn1, model.syn1)


def test_summary_lists_the_layers(planted):
    n_words = len(planted.vocab) - len(planted.vocab.specials)
    for loss, rows, name in [("ns", n_words, "negative sampling"), ("hs", n_words - 1, "hierarchical softmax")]:
        model = Word2Vec(loss=loss, dim=8, window=2, epochs=1, threads=1).fit(planted, progress=False)
        s = model.summary()
        assert s.kind == "word2vec" and s.vocab_size == n_words
        assert [(layer.output_shape, layer.params) for layer in s.layers] == [
            (f"{n_words} x 8", n_words * 8),
            (f"{rows} x 8", rows * 8),
        ]
        assert name in s.layers[1].name and "input embeddings" in s.text()
        assert s.metrics["epoch"] == 1 and "train_loss_nats" in s.metrics


def test_fit_reads_a_corpus_path(tmp_path):
    """A path is encoded with the config's min_count (and a whitespace tokenizer), as the encoded corpus is."""
    text = tmp_path / "c.txt"
    planted_corpus(text, lines=800)
    cfg = Word2VecConfig(dim=8, window=2, epochs=1, threads=1, min_count=1)
    from_path = Word2Vec(cfg).fit(text, progress=False)
    from_enc = Word2Vec(cfg).fit(encode_corpus(text, Tokenizer("whitespace"), min_count=1), progress=False)
    assert from_path.vectors.words == from_enc.vectors.words
    assert np.array_equal(from_path.vectors.vectors, from_enc.vectors.vectors)
    assert from_path.provenance["corpus"] == [str(text)]
    rare = Word2Vec(cfg.replace(min_count=1000)).fit
    with pytest.raises(WordseqError):
        rare(text, progress=False)
    with pytest.raises(WordseqError, match="no validation data"):
        Word2Vec(cfg).fit(text, valid=text, progress=False)


def test_keyword_overrides_and_renamed_fields_of_old_files(tmp_path, planted):
    assert Word2Vec(dim=7, lr=0.1).config == Word2VecConfig(dim=7, lr=0.1)
    with pytest.raises(ConfigError, match="Word2VecConfig.window = 0"):
        Word2Vec(window=0)
    from wordseq.io.modelfile import load_model, save_model

    model = Word2Vec(dim=8, window=2, epochs=1, threads=1, lr=0.03).fit(planted, progress=False)
    mf = load_model(model.save(tmp_path / "m.wsq"))
    cfg = mf.config
    cfg["alpha"], cfg["min_alpha"], cfg["sample"] = cfg.pop("lr"), cfg.pop("min_lr"), cfg.pop("sample_threshold")
    mf.extra["losses"] = model.losses
    mf.provenance.pop("history")
    mf.vocabs["vocab"] = model.vocab
    save_model(tmp_path / "old.wsq", mf)
    back = Word2Vec.load(tmp_path / "old.wsq")
    assert back.config == model.config and back.losses == model.losses


def test_load_refuses_other_kinds_and_untrained_save(tmp_path):
    from wordseq.io.modelfile import ModelFile, save_model

    save_model(tmp_path / "x.wsq", ModelFile("glove", {}, {"w": np.zeros(2, np.float32)}))
    with pytest.raises(WordseqError, match="glove"):
        Word2Vec.load(tmp_path / "x.wsq")
    with pytest.raises(WordseqError, match="not been trained"):
        Word2Vec().save(tmp_path / "y.wsq")
    assert not (tmp_path / "y.wsq").exists()


@pytest.mark.parametrize(
    "kwargs, field, allowed",
    [
        ({"dim": 0}, "dim", "must be an integer >= 1"),
        ({"dim": -3}, "dim", "must be an integer >= 1"),
        ({"window": 0}, "window", "must be an integer >= 1"),
        ({"epochs": 0}, "epochs", "must be an integer >= 1"),
        ({"arch": "skipgram"}, "arch", "must be one of 'sg', 'cbow'"),
        ({"loss": "nce"}, "loss", "must be one of 'ns', 'hs', 'softmax'"),
        ({"negative": 0}, "negative", "must be an integer >= 1"),
        ({"sample_threshold": -1.0}, "sample_threshold", "must be a number >= 0"),
        ({"lr": 0.0}, "lr", "must be a number > 0 (or None)"),
        ({"min_lr": -1e-3}, "min_lr", "must be a number >= 0"),
        ({"ns_exponent": float("nan")}, "ns_exponent", "must be a number"),
        ({"min_count": 0}, "min_count", "must be an integer >= 1"),
        ({"threads": 0}, "threads", "must be an integer >= 1 (or None)"),
    ],
)
def test_bad_config(kwargs, field, allowed):
    """The error names the field and the allowed range, at construction and on replace()."""
    with pytest.raises(ConfigError) as e:
        Word2Vec(Word2VecConfig(**kwargs))
    assert e.value.field == field and e.value.allowed == allowed
    assert str(e.value).startswith(f"Word2VecConfig.{field} = ")
    with pytest.raises(ConfigError):
        Word2VecConfig().replace(**kwargs)


def test_negative_not_below_distinct_words(tmp_path):
    (tmp_path / "c.txt").write_text("a b c d\n" * 10)
    enc = encode_corpus(tmp_path / "c.txt", Tokenizer("whitespace"))
    with pytest.raises(WordseqError, match=r"negative \(5\) must be smaller .* distinct words .*\(4\)"):
        Word2Vec(Word2VecConfig(negative=5)).fit(enc, progress=False)
    Word2Vec(Word2VecConfig(negative=3, epochs=1, dim=4)).fit(enc, progress=False)


def test_corpus_smaller_than_window(tmp_path):
    (tmp_path / "c.txt").write_text("a b c\n")
    enc = encode_corpus(tmp_path / "c.txt", Tokenizer("whitespace"))
    with pytest.raises(WordseqError, match="not more than the window"):
        Word2Vec(Word2VecConfig(window=5, loss="hs")).fit(enc, progress=False)


def test_corpus_without_trainable_words(tmp_path):
    (tmp_path / "c.txt").write_text("a b c\n")
    enc = encode_corpus(tmp_path / "c.txt", Tokenizer("whitespace"), min_count=5)  # everything is <unk>
    with pytest.raises(WordseqError, match="no words to train on"):
        Word2Vec(Word2VecConfig()).fit(enc, progress=False)


def test_corpus_ranges_start_at_sentence_starts():
    from wordseq.embed.word2vec import _split

    rng = np.random.default_rng(0)
    ids = rng.integers(4, 50, size=5000).astype(np.int32)
    ids[rng.choice(5000, 300, replace=False)] = 3  # </s>
    cuts = _split(ids, 3, 7)
    assert cuts[0] == 0 and cuts[-1] == len(ids) and cuts == sorted(cuts) and len(cuts) == 8
    assert all(ids[c - 1] == 3 for c in cuts[1:-1])  # every inner cut follows a </s>
    no_eos = np.full(100_000, 5, dtype=np.int32)  # one endless line: cuts stay where they fall
    assert _split(no_eos, 3, 4) == [0, 25_000, 50_000, 75_000, 100_000]


def test_kernel_is_loaded_once_with_the_types_of_the_training_calls(planted, monkeypatch):
    """fit loads the kernel with an empty call before the matrices exist; that call must have exactly the
    argument types of the training calls, or numba would compile a second specialization."""
    import numba

    from wordseq.embed import word2vec as W

    calls = []
    real = K.train_chunk

    def spy(*args):
        calls.append((len(args[3]), tuple(numba.typeof(a) for a in args)))
        return real(*args)

    released = []
    monkeypatch.setattr(K, "train_chunk", spy)
    monkeypatch.setattr(W, "_release_llvm_code", lambda: released.append(len(calls)))
    Word2Vec(Word2VecConfig(dim=8, epochs=1, threads=2)).fit(planted, progress=False)
    assert calls[0][0] == 0 and all(n > 0 for n, _ in calls[1:])  # no lanes first, then the real ones
    assert len({types for _, types in calls}) == 1
    assert released == [0, 1]  # after numba's start-up and after the kernel is loaded, before training


def test_llvm_pages_released_and_numba_still_compiles():
    """Dropping LLVM's clean code pages from the resident set leaves numba able to compile new code."""
    import numba

    from wordseq.io.memory import release_llvm_code as _release_llvm_code

    _release_llvm_code()

    @numba.njit
    def add(a, b):
        return a + b

    assert add(2, 3) == 5
    before = _llvm_resident_kb()
    _release_llvm_code()
    if sys.platform.startswith("linux"):
        assert _llvm_resident_kb() < before
    assert add(2.5, 1.0) == 3.5


def _llvm_resident_kb() -> int:
    """Resident KB of LLVM's library in this process (Linux), from /proc/self/smaps."""
    if not sys.platform.startswith("linux"):
        return 0
    total, ours = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                ours = len(head) == 6 and "libllvmlite" in head[5]
            elif ours and line.startswith("Rss:"):
                total += int(head[1])
    return total
