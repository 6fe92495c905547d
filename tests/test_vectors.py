"""Vectors queries and evaluation, checked against gensim's KeyedVectors on the same small vectors."""

from __future__ import annotations

import gensim.models as gensim_models
import numpy as np
import pytest

from wordseq.embed import UnknownWordError, Vectors, evaluate_analogies, evaluate_similarity
from wordseq.errors import InputError, WordseqError


def planted_vectors(
    seed: int = 0, n_pairs: int = 40, n_noise: int = 150, dim: int = 12, noise: float = 0.35, zero: bool = False
):
    """Words x_i / y_i with y_i = x_i + a shared offset + noise (so analogies x_i:y_i::x_j:y_j are often but
    not always solvable), noise words, and case variants ("X3" after "x3") to exercise case folding."""
    rng = np.random.default_rng(seed)
    offset = rng.normal(size=dim) * 1.5
    words, rows = [], []
    for i in range(n_pairs):
        x = rng.normal(size=dim)
        words += [f"x{i}", f"y{i}"]
        rows += [x, x + offset + noise * rng.normal(size=dim)]
    for i in range(n_noise):
        words.append(f"n{i}")
        rows.append(rng.normal(size=dim))
    for i in range(0, n_pairs, 4):  # case variants, less frequent (later rows)
        words.append(f"X{i}")
        rows.append(rng.normal(size=dim))
    if zero:
        words.append("zero")
        rows.append(np.zeros(dim))
    return Vectors(words, np.array(rows, dtype=np.float32))


def to_gensim(v: Vectors):
    kv = gensim_models.KeyedVectors(v.dim)
    kv.add_vectors(v.words, v.vectors)
    return kv


def write_analogies(path, n_pairs: int = 40, seed: int = 1, extra: str = ""):
    rng = np.random.default_rng(seed)
    lines = [": first-section"]
    for _ in range(300):
        i, j = rng.choice(n_pairs, 2, replace=False)
        lines.append(f"x{i} y{i} x{j} y{j}")
    lines.append(": gram-second")
    for _ in range(200):
        i, j = rng.choice(n_pairs, 2, replace=False)
        lines.append(f"X{i} Y{i} x{j} Y{j}" if rng.random() < 0.5 else f"y{i} x{i} y{j} x{j}")
    lines += ["x1 y1 unknownword y2", "x1 y1 x2", "", "x3 y3 x3 y3"]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def gensim_analogy_counts(kv, path, restrict_vocab=300000, case_insensitive=True):
    score, sections = kv.evaluate_word_analogies(
        str(path), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
    )
    return score, [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections]


@pytest.mark.parametrize("restrict_vocab,case_insensitive", [(300000, True), (100, True), (300000, False)])
def test_analogy_evaluation_equals_gensim(tmp_path, restrict_vocab, case_insensitive):
    v = planted_vectors()
    path = write_analogies(tmp_path / "q.txt")
    score, gs = gensim_analogy_counts(to_gensim(v), path, restrict_vocab, case_insensitive)
    r = evaluate_analogies(v, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    ours = [(s.name, s.correct, s.total) for s in r.sections] + [("Total accuracy", r.correct, r.total)]
    assert ours == gs
    assert r.accuracy == pytest.approx(score)
    assert 0 < r.correct < r.total  # the test set is neither trivial nor hopeless
    assert r.invalid == 1 and r.first_invalid is not None


def test_analogy_batches_agree(tmp_path):
    v = planted_vectors(seed=3)
    path = write_analogies(tmp_path / "q.txt", seed=4)
    full = evaluate_analogies(v, path, keep_predictions=True)
    small = evaluate_analogies(v, path, batch_size=7, keep_predictions=True)
    assert full.predictions == small.predictions
    assert [s.correct for s in full.sections] == [s.correct for s in small.sections]


def test_analogy_predictions_match_most_similar(tmp_path):
    v = planted_vectors(seed=5)
    path = write_analogies(tmp_path / "q.txt", seed=6)
    r = evaluate_analogies(v, path, case_insensitive=False, keep_predictions=True)
    for a, b, c, _d, pred in r.predictions[:50]:
        assert v.analogy(a, b, c)[0][0] == pred


def test_3cosmul_evaluation_matches_query(tmp_path):
    v = planted_vectors(seed=7)
    path = write_analogies(tmp_path / "q.txt", seed=8)
    r = evaluate_analogies(v, path, case_insensitive=False, method="3cosmul", keep_predictions=True)
    assert r.total > 0
    for a, b, c, _d, pred in r.predictions[:50]:
        assert v.analogy(a, b, c, method="3cosmul")[0][0] == pred
    kv = to_gensim(v)
    for a, b, c, _d, pred in r.predictions[:20]:
        assert kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0] == pred


def test_analogy_file_errors(tmp_path):
    v = planted_vectors()
    bad = tmp_path / "bad.txt"
    bad.write_text("x1 y1 x2 y2\n: sec\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.txt:1: .*before any"):
        evaluate_analogies(v, bad)
    (tmp_path / "none.txt").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="none.txt"):
        evaluate_analogies(v, tmp_path / "none.txt")
    with pytest.raises(InputError, match="no such file"):
        evaluate_analogies(v, tmp_path / "missing.txt")
    with pytest.raises(WordseqError, match="unknown analogy method"):
        evaluate_analogies(v, write_analogies(tmp_path / "q.txt"), method="3cosfoo")


def write_pairs(path, seed=2):
    rng = np.random.default_rng(seed)
    lines = ["# a comment"]
    for _ in range(120):
        i, j = rng.choice(40, 2, replace=False)
        a = f"x{i}" if rng.random() < 0.5 else f"y{i}"
        lines.append(f"{a}\tX{j}\t{rng.uniform(0, 10):.2f}")
    lines += ["x1\tmissing\t3.0", "x1 y1 3.0", "x2\ty2\tnot-a-number"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case_insensitive", [True, False])
def test_similarity_equals_gensim(tmp_path, case_insensitive):
    v = planted_vectors()
    path = write_pairs(tmp_path / "sim.txt")
    pearson, spearman, oov_ratio = to_gensim(v).evaluate_word_pairs(str(path), case_insensitive=case_insensitive)
    r = evaluate_similarity(v, path, case_insensitive=case_insensitive)
    assert r.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert r.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert 100 * r.oov_ratio == pytest.approx(oov_ratio)
    assert r.invalid == 2


def test_similarity_nothing_known(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("foo\tbar\t1\nbaz\tqux\t2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"s.txt: only 0 pairs"):
        evaluate_similarity(planted_vectors(), p)


def test_queries_equal_gensim():
    v = planted_vectors(seed=11)
    kv = to_gensim(v)
    for pos, neg in [(["x1"], []), (["y3", "x4"], ["x3"]), (["n5", "n6", "n7"], ["y9"]), ([], ["x2"])]:
        ours = v.most_similar(pos, neg, topn=7)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=7)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert [w for w, _ in v.most_similar("x1", topn=5, restrict_vocab=30)] == [
        w for w, _ in kv.most_similar("x1", topn=5, restrict_vocab=30)
    ]
    ours = v.most_similar_cosmul(["y3", "x4"], ["x3"], topn=5)
    theirs = kv.most_similar_cosmul(positive=["y3", "x4"], negative=["x3"], topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4)
    assert v.similarity("x1", "y2") == pytest.approx(float(kv.similarity("x1", "y2")), abs=1e-6)
    words = ["x1", "x2", "x3", "y7"]
    assert v.doesnt_match(words) == kv.doesnt_match(words)
    vec = v["n3"] + v["n4"]
    assert [w for w, _ in v.similar_by_vector(vec, topn=5)] == [w for w, _ in kv.similar_by_vector(vec, topn=5)]


def test_unit_is_cached_and_normalized():
    v = planted_vectors(zero=True)
    u = v.unit
    assert u is v.unit
    n = np.linalg.norm(u, axis=1)
    np.testing.assert_allclose(n[:-1], 1, atol=1e-5)
    assert n[-1] == 0  # the zero vector stays zero
    assert v.similarity("zero", "x1") == 0


def test_planted_analogy_is_solved():
    rng = np.random.default_rng(0)
    words = ["man", "woman", "king", "queen"] + [f"w{i}" for i in range(50)]
    base = rng.normal(size=(len(words), 50))
    gender = rng.normal(size=50)
    base[1] = base[0] + gender
    base[3] = base[2] + gender
    v = Vectors(words, base)
    assert v.analogy("man", "woman", "king")[0][0] == "queen"
    assert v.analogy("man", "woman", "king", method="3cosmul")[0][0] == "queen"


def test_unknown_word_is_named():
    v = planted_vectors()
    with pytest.raises(UnknownWordError, match="'nope' is not in the vocabulary"):
        v.most_similar("nope")
    with pytest.raises(KeyError):
        v["nope"]
    with pytest.raises(WordseqError, match="'bad'"):
        v.analogy("x1", "y1", "bad")
    with pytest.raises(WordseqError, match="'nothere'"):
        v.similarity("x1", "nothere")
    with pytest.raises(WordseqError, match="unknown analogy method"):
        v.analogy("x1", "y1", "x2", method="nope")


def test_constructor_checks():
    with pytest.raises(ValueError):
        Vectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(WordseqError, match="'a' appears twice"):
        Vectors(["a", "b", "a"], np.zeros((3, 2)))


@pytest.mark.slow
def test_google_analogies_equal_gensim_on_ptb_vectors():
    """On the real test sets, with vectors trained on PTB: exactly gensim's per-section counts."""
    from support import data_file
    from wordseq.embed import PPMISVD, PPMIConfig
    from wordseq.text.encode import encode_corpus

    questions = data_file("google_analogy", "questions-words.txt")
    simlex = data_file("word_similarity", "EN-SIMLEX-999.txt")
    v = PPMISVD(PPMIConfig(dim=50, window=5)).fit(encode_corpus(data_file("ptb", "ptb.train.txt"))).vectors
    kv = to_gensim(v)
    _score, gs = gensim_analogy_counts(kv, questions)
    r = evaluate_analogies(v, questions)
    assert [(s.name, s.correct, s.total) for s in r.sections] + [("Total accuracy", r.correct, r.total)] == gs
    assert r.correct > 0
    _, spearman, _ = kv.evaluate_word_pairs(str(simlex))
    assert evaluate_similarity(v, simlex).spearman == pytest.approx(spearman[0], abs=1e-6)


def test_top_k_equals_a_stable_sort():
    from wordseq.embed._topk_kernel import top_k

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 300)).astype(np.float32)
    scores[:, 7] = scores[:, 8]  # ties: the lower index first
    scores[3, :] = -np.inf
    scores[3, :2] = [1, 2]
    out = np.empty((40, 5), dtype=np.int64)
    top_k(scores, 5, out)
    ref = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(out[np.arange(40) != 3], ref[np.arange(40) != 3])
    assert out[3].tolist() == [1, 0, -1, -1, -1]


def test_evaluation_files_compressed_and_bad_bytes(tmp_path):
    """Analogy and similarity files are opened like every input: compressed ones too; bad bytes name the line."""
    import gzip

    v = planted_vectors()
    text = ": pairs\nx0 y0 x1 y1\nx2 y2 x3 y3\n"
    (tmp_path / "q.txt").write_text(text, encoding="utf-8")
    (tmp_path / "q.txt.gz").write_bytes(gzip.compress(text.encode()))
    plain, packed = evaluate_analogies(v, tmp_path / "q.txt"), evaluate_analogies(v, tmp_path / "q.txt.gz")
    assert (plain.correct, plain.total) == (packed.correct, packed.total) and plain.total == 2
    (tmp_path / "bad.txt").write_bytes(b"x0\ty0\t1\nx1\t\xffy1\t2\n")
    with pytest.raises(InputError, match=r"bad.txt:2: byte"):
        evaluate_similarity(v, tmp_path / "bad.txt")


def test_model_evaluate_groups_the_results(tmp_path):
    """``model.evaluate`` gives one dataclass holding each file's result, equal to the functions' results."""
    from wordseq.embed import PPMISVD, EmbeddingEvaluation

    v = planted_vectors()
    model = PPMISVD()
    model.vectors = v
    (tmp_path / "q.txt").write_text(": pairs\nx0 y0 x1 y1\nx2 y2 x3 y3\nx4 y4 x5 y5\n", encoding="utf-8")
    (tmp_path / "s.txt").write_text("x0\ty0\t9\nx1\tn3\t1\nx2\ty2\t8\nn1\tn2\t2\n", encoding="utf-8")
    r = model.evaluate(analogies=tmp_path / "q.txt", similarity=[tmp_path / "s.txt"])
    assert isinstance(r, EmbeddingEvaluation)
    a = r.analogies[str(tmp_path / "q.txt")]
    assert (a.correct, a.total) == (evaluate_analogies(v, tmp_path / "q.txt").correct, 3)
    assert r.similarity[str(tmp_path / "s.txt")] == evaluate_similarity(v, tmp_path / "s.txt")
    assert any("Spearman" in line for line in r.report())
    with pytest.raises(WordseqError, match="not been trained"):
        PPMISVD().evaluate(analogies=tmp_path / "q.txt")
