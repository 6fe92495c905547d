"""Co-occurrence counting, PPMI and SVD: against direct numpy formulas and on a planted-structure corpus."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from embed_helpers import assert_planted_neighbours, planted_corpus
from wordseq.config import ConfigError
from wordseq.embed import PPMISVD, CountSVD, PPMIConfig, SVDConfig
from wordseq.embed.cooccur import CooccurConfig, cooccurrence_matrix, count_cooccurrences, row_normalize, word_stream
from wordseq.embed.count_models import ppmi, truncated_svd
from wordseq.errors import WordseqError
from wordseq.text.encode import encode_corpus


def naive_counts(stream, n_words, window, symmetric, weighted):
    X = np.zeros((n_words, n_words))
    for i, w in enumerate(stream):
        if w < 0:
            continue
        for d in range(1, window + 1):
            j = i - d
            if j < 0 or stream[j] < 0:
                break
            wt = 1 / d if weighted else 1
            X[w, stream[j]] += wt
            if symmetric:
                X[stream[j], w] += wt
    return X


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("max_product,threads", [(1, 1), (60, 2), (10**6, 2)])
def test_counts_equal_direct_counting(symmetric, weighted, max_product, threads):
    rng = np.random.default_rng(0)
    stream = rng.integers(0, 40, 4000).astype(np.int32)
    stream[rng.random(len(stream)) < 0.05] = -1
    cfg = CooccurConfig(
        window=5,
        symmetric=symmetric,
        distance_weighting=weighted,
        max_product=max_product,
        chunk_tokens=333,
        threads=threads,
    )
    X = count_cooccurrences(stream, 40, cfg)
    assert isinstance(X, sp.csr_matrix)
    np.testing.assert_allclose(X.toarray(), naive_counts(stream, 40, 5, symmetric, weighted), rtol=1e-12)
    if symmetric:
        assert abs(X - X.T).max() < 1e-9


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-1, 6), min_size=1, max_size=60), st.integers(1, 6), st.booleans())
def test_counts_property(stream, window, symmetric):
    stream = np.array(stream, dtype=np.int32)
    cfg = CooccurConfig(window=window, symmetric=symmetric, max_product=4, chunk_tokens=7, threads=2)
    np.testing.assert_allclose(
        count_cooccurrences(stream, 7, cfg).toarray(),
        naive_counts(stream, 7, window, symmetric, True),
        rtol=1e-12,
        atol=1e-12,
    )


def test_word_stream_drops_specials_and_marks_line_ends(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b rare\nb a\n", encoding="utf-8")
    enc = encode_corpus(p, min_count=2, cache=False)
    stream, words, counts = word_stream(enc)
    assert words == ["a", "b"] and counts.tolist() == [2, 2]
    assert stream.tolist() == [0, 1, -1, 1, 0, -1]  # <unk> removed before windowing
    stream, _, _ = word_stream(enc, cross_lines=True)
    assert stream.tolist() == [0, 1, 1, 0]
    X, _, _ = cooccurrence_matrix(enc, CooccurConfig(window=2, distance_weighting=False))
    assert X.toarray().tolist() == [[0, 2], [2, 0]]


def test_row_normalize():
    X = sp.csr_matrix(np.array([[0, 2, 2], [0, 0, 0], [1, 1, 2]], dtype=float))
    P = row_normalize(X).toarray()
    np.testing.assert_allclose(P, [[0, 0.5, 0.5], [0, 0, 0], [0.25, 0.25, 0.5]])


@pytest.mark.parametrize("smoothing,shift", [(1.0, 1.0), (0.75, 1.0), (0.75, 5.0)])
def test_ppmi_equals_formula(smoothing, shift):
    rng = np.random.default_rng(1)
    C = rng.poisson(1.0, size=(12, 9)).astype(float)
    M = ppmi(sp.csr_matrix(C), smoothing, shift).toarray()
    total = C.sum()
    pw = C.sum(1, keepdims=True) / total
    pc = C.sum(0, keepdims=True) ** smoothing
    pc = pc / pc.sum()
    with np.errstate(divide="ignore"):
        expected = np.maximum(0, np.log(C / total / (pw * pc)) - np.log(shift))
    np.testing.assert_allclose(M, expected, atol=1e-12)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_truncated_svd_equals_numpy(p):
    rng = np.random.default_rng(2)
    A = rng.random((30, 20))
    U, S, _ = np.linalg.svd(A, full_matrices=False)
    ours = truncated_svd(sp.csr_matrix(A), 5, p)
    ref = U[:, :5] * S[:5] ** p
    for k in range(5):  # equal up to the sign of each column
        s = np.sign(ours[:, k] @ ref[:, k])
        np.testing.assert_allclose(ours[:, k], s * ref[:, k], atol=1e-4)
    np.testing.assert_array_equal(ours, truncated_svd(sp.csr_matrix(A), 5, p))  # reproducible


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = planted_corpus(tmp_path_factory.mktemp("planted") / "c.txt")
    return encode_corpus(path, cache=False)


def test_ppmi_svd_planted_neighbours(planted):
    model = PPMISVD(PPMIConfig(dim=16, window=2)).fit(planted)
    assert_planted_neighbours(model.vectors)
    assert model.vectors.words[0] == planted.vocab.itos[planted.vocab.n_specials]
    assert model.vectors.counts is not None


@pytest.mark.parametrize("transform", ["none", "rownorm", "log"])
def test_count_svd_planted_neighbours(planted, transform):
    model = CountSVD(SVDConfig(dim=16, window=2, transform=transform)).fit(planted)
    assert_planted_neighbours(model.vectors)


def test_bad_settings(planted, tmp_path):
    with pytest.raises(WordseqError, match="smaller than the vocabulary"):
        PPMISVD(PPMIConfig(dim=500)).fit(planted)
    one = tmp_path / "one.txt"
    one.write_text("lonely\nlonely\n", encoding="utf-8")
    with pytest.raises(WordseqError, match="no co-occurrences"):
        PPMISVD(PPMIConfig(dim=1)).fit(encode_corpus(one, cache=False))
    with pytest.raises(WordseqError, match="no co-occurrences"):
        CountSVD(dim=1, min_count=1).fit(one)


@pytest.mark.parametrize(
    "config, kwargs, field, allowed",
    [
        (PPMIConfig, {"dim": 0}, "dim", "must be an integer >= 1"),
        (PPMIConfig, {"window": 0}, "window", "must be an integer >= 1"),
        (PPMIConfig, {"context_smoothing": 0.0}, "context_smoothing", "must be a number > 0 and <= 1"),
        (PPMIConfig, {"context_smoothing": 1.5}, "context_smoothing", "must be a number > 0 and <= 1"),
        (PPMIConfig, {"shift": 0.0}, "shift", "must be a number > 0"),
        (PPMIConfig, {"eig": -1.0}, "eig", "must be a number >= 0"),
        (SVDConfig, {"dim": 0}, "dim", "must be an integer >= 1"),
        (SVDConfig, {"window": 0}, "window", "must be an integer >= 1"),
        (SVDConfig, {"transform": "sqrt"}, "transform", "must be one of 'none', 'rownorm', 'log'"),
        (SVDConfig, {"min_count": 0}, "min_count", "must be an integer >= 1"),
    ],
)
def test_config_errors_name_field_and_range(config, kwargs, field, allowed):
    with pytest.raises(ConfigError) as e:
        config(**kwargs)
    assert e.value.field == field and e.value.allowed == allowed
    assert str(e.value).startswith(f"{config.__name__}.{field} = ")


@pytest.mark.parametrize(
    "model",
    [
        PPMISVD(dim=8, window=2, context_smoothing=0.5, shift=2.0),
        CountSVD(dim=8, window=2, transform="none"),
        CountSVD(dim=8, window=2, transform="rownorm"),
        CountSVD(dim=8, window=2, transform="log", eig=0.5),
    ],
    ids=["ppmi-svd", "svd-none", "svd-rownorm", "svd-log"],
)
def test_save_load_round_trip(planted, tmp_path, model):
    model.fit(planted)
    path = model.save(tmp_path / "m.wsq")
    assert path == tmp_path / "m.wsq"
    back = type(model).load(path)
    assert back.config == model.config and back.history == model.history
    import wordseq

    assert type(wordseq.load(path)) is type(model)
    assert back.vectors.words == model.vectors.words
    np.testing.assert_array_equal(back.vectors.vectors, model.vectors.vectors)
    np.testing.assert_array_equal(back.vectors.counts, model.vectors.counts)
    assert back.vectors.most_similar("p1", topn=5) == model.vectors.most_similar("p1", topn=5)
    s = back.summary()
    assert s.kind == model.kind and s.vocab_size == len(model.vectors)
    assert s.layers == model.summary().layers and s.total_params == 8 * len(model.vectors)


def test_fit_reads_a_corpus_path(tmp_path):
    path = planted_corpus(tmp_path / "c.txt")
    a = PPMISVD(dim=8, window=2, min_count=1).fit(path)
    b = PPMISVD(dim=8, window=2).fit(encode_corpus(path, min_count=1, cache=False))
    assert a.vectors.words == b.vectors.words
    np.testing.assert_array_equal(a.vectors.vectors, b.vectors.vectors)
    assert a.history[0]["pass"] == 1 and a.history[0]["seconds"] > 0
