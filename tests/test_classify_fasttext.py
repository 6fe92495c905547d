"""The fastText-style classifier against fastText itself: its n-gram buckets (the compiled encoder against a
plain-Python reference and against the ``fasttext`` package's sentence vectors), the hierarchical softmax's
gradient against autograd, and many labels learned through the hierarchical softmax."""

from __future__ import annotations

import random

import numpy as np
import pytest

from wordseq.classify import FastTextClassifier, LabelledData, load_classifier
from wordseq.classify.fasttext import EOS, LabelTree, ngram_bucket

WORDS = ["the", "film", "été", "naïve", "Ünïcode", "–", "plot", "x", "ok", "日本"]


def test_compiled_encoder_matches_the_python_reference():
    rng = random.Random(0)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 7))) for _ in range(50)]
    m = FastTextClassifier(word_ngrams=3, buckets=997)
    m.words = ["film", "naïve", EOS, "日本"]
    m.index = {w: i for i, w in enumerate(m.words)}
    flat, offsets = m.encode(texts)
    want: list[int] = []
    for i, text in enumerate(texts):
        toks = text.split() + [EOS]
        want += [m.index[t] for t in toks if t in m.index]
        for a in range(len(toks)):
            for b in range(a + 2, min(a + 3, len(toks)) + 1):
                want.append(len(m.words) + ngram_bucket(toks[a:b], 997))
        assert offsets[i + 1] == len(want)
    assert flat.tolist() == want


# Buckets of the bigram (word, </s>) with fastText's default 2,000,000 buckets, read off the ``fasttext`` 0.9.3
# package: trained on SST-2, its sentence vector of the one-word text ``w`` is the mean of the input rows
# of w, </s> and this bucket (rows checked to be trained, so not a zero row shared with other buckets).
# "film", "a", "movie" and "one" hash above 2^31, where fastText's int32 hashes are sign-extended.
PACKAGE_BUCKETS = {"film": 607666, "a": 1179901, "movie": 913006, "one": 78030, ".": 1391364, "in": 34947}


def test_buckets_equal_the_fasttext_packages():
    for w, bucket in PACKAGE_BUCKETS.items():
        assert ngram_bucket([w, EOS], 2_000_000) == bucket, w
    m = FastTextClassifier(word_ngrams=2, buckets=2_000_000)
    flat, _ = m.encode(list(PACKAGE_BUCKETS))
    assert flat.tolist() == list(PACKAGE_BUCKETS.values())  # no word is known: the buckets alone


def test_hs_step_matches_autograd():
    torch = pytest.importorskip("torch")
    from wordseq.classify._ft_kernel import hs_step

    rng = np.random.default_rng(0)
    inp = rng.normal(0, 0.5, (7, 5)).astype(np.float32)
    out = rng.normal(0, 0.5, (4, 5)).astype(np.float32)
    ids = np.array([1, 4, 4, 6], dtype=np.int64)
    points = np.array([3, 0, 2], dtype=np.int64)
    codes = np.array([1, 0, 1], dtype=np.uint8)
    lr = 0.1
    a = torch.tensor(inp, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(out, dtype=torch.float64, requires_grad=True)
    h = a[torch.from_numpy(ids)].mean(dim=0)
    s = b[torch.from_numpy(points)] @ h
    sign = torch.tensor(2.0 * codes - 1.0, dtype=torch.float64)
    loss = -torch.nn.functional.logsigmoid(sign * s).sum()
    loss.backward()
    inp2, out2 = inp.copy(), out.copy()
    got = hs_step(inp2, out2, ids, codes, points, lr, np.zeros(5, np.float32), np.zeros(5, np.float32))
    assert got == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(out2, out - lr * b.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inp2, inp - lr * a.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_ns_step_matches_autograd():
    torch = pytest.importorskip("torch")
    from wordseq.classify._ft_kernel import ns_step

    rng = np.random.default_rng(1)
    inp = rng.normal(0, 0.5, (7, 5)).astype(np.float32)
    out = rng.normal(0, 0.5, (4, 5)).astype(np.float32)
    ids = np.array([0, 2, 2, 5], dtype=np.int64)
    targets = np.array([1, 3, 0], dtype=np.int64)  # the label, then the negatives
    lr = 0.1
    a = torch.tensor(inp, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(out, dtype=torch.float64, requires_grad=True)
    h = a[torch.from_numpy(ids)].mean(dim=0)
    s = b[torch.from_numpy(targets)] @ h
    sign = torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64)
    loss = -torch.nn.functional.logsigmoid(sign * s).sum()
    loss.backward()
    inp2, out2 = inp.copy(), out.copy()
    got = ns_step(inp2, out2, ids, targets, lr, np.zeros(5, np.float32), np.zeros(5, np.float32))
    assert got == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(out2, out - lr * b.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inp2, inp - lr * a.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_negative_table_follows_square_root_counts():
    from wordseq.classify.fasttext import negative_table

    table = negative_table(np.array([400, 100, 0, 25]), np.random.default_rng(0), size=10_000)
    share = np.bincount(table, minlength=4) / len(table)
    np.testing.assert_allclose(share, [20 / 35, 10 / 35, 0, 5 / 35], atol=1e-3)


def test_hs_probabilities_sum_to_one_and_follow_the_tree():
    tree = LabelTree.build(np.array([50, 3, 20, 1, 7]))
    assert len(tree.offsets) == 6 and tree.points.max() == 3  # 5 labels, 4 inner nodes
    lengths = np.diff(tree.offsets)
    assert lengths[0] <= lengths[3]  # the frequent label sits nearer the root
    from wordseq.classify._ft_kernel import hs_log_probs

    rng = np.random.default_rng(0)
    h = rng.normal(0, 1, (3, 4)).astype(np.float32)
    out = rng.normal(0, 1, (4, 4)).astype(np.float32)
    p = np.exp(hs_log_probs(h, out, tree.offsets, tree.codes, tree.points))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)
    sig = 1 / (1 + np.exp(-(h.astype(np.float64) @ out.T.astype(np.float64))))
    c = 3
    want = np.ones(3)
    for j in range(tree.offsets[c], tree.offsets[c + 1]):
        node, code = tree.points[j], tree.codes[j]
        want *= sig[:, node] if code else 1 - sig[:, node]
    np.testing.assert_allclose(p[:, c], want, rtol=1e-6)


def many_labels(n: int, labels: int = 40, seed: int = 0) -> LabelledData:
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        c = i % labels
        words = [rng.choice(["the", "a", "of", "and"]) for _ in range(rng.randint(0, 3))]
        words.insert(rng.randint(0, len(words)), f"cue{c}")
        pairs.append((f"L{c}", " ".join(words)))
    return LabelledData.from_pairs(pairs)


def test_hs_learns_many_labels_and_round_trips(tmp_path):
    m = FastTextClassifier(dim=16, epochs=40, lr=0.5, word_ngrams=1, loss="hs").fit(many_labels(400))
    assert m.output.shape == (39, 16)  # one row per inner node of the 40-label tree
    test = many_labels(120, seed=5)
    assert m.evaluate(test).accuracy == 1.0
    loaded = load_classifier(m.save(tmp_path / "hs.wsq"))
    assert loaded.config.loss == "hs"
    np.testing.assert_array_equal(loaded.predict_proba(test.texts), m.predict_proba(test.texts))
    assert loaded.predict(test.texts) == test.labels


def test_ns_learns_many_labels():
    m = FastTextClassifier(dim=16, epochs=40, lr=0.5, word_ngrams=1, loss="ns", negative=5).fit(many_labels(400))
    assert m.output.shape == (40, 16)
    assert m.evaluate(many_labels(120, seed=5)).accuracy == 1.0


def test_cli_trains_with_hs(tmp_path, capsys):
    from wordseq.cli import main

    data = many_labels(400)
    train = tmp_path / "train.txt"
    train.write_text("".join(f"__label__{y} {t}\n" for y, t in zip(data.labels, data.texts)))
    model = tmp_path / "m.wsq"
    args = [
        "classify",
        "train",
        str(train),
        "--model",
        "fasttext",
        "--loss",
        "hs",
        "--dim",
        "16",
        "--lr",
        "0.5",
        "--word-ngrams",
        "1",
    ]
    assert main(args + ["--epochs", "40", "--test", str(train), "-o", str(model), "-q"]) == 0
    assert "accuracy   100.00%" in capsys.readouterr().out
    assert load_classifier(model).config.loss == "hs"


def test_two_hogwild_threads_learn_too():
    data = many_labels(400, labels=10)
    m = FastTextClassifier(dim=16, epochs=30, lr=0.5, word_ngrams=1, threads=2).fit(data)
    assert m.evaluate(many_labels(100, labels=10, seed=5)).accuracy == 1.0
    assert m.history[-1]["train_loss_nats"] < m.history[0]["train_loss_nats"]
