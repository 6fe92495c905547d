"""Every classifier: learns a tiny separable problem exactly, predicts the same after save/load, and handles
bad input; the fastText kernel's gradient against autograd; the CNN's shapes and pooling by hand."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from wordseq.classify import (
    CNNClassifier,
    FastTextClassifier,
    LabelledData,
    LinearClassifier,
    RNNClassifier,
    VectorsClassifier,
    load_classifier,
)
from wordseq.classify.nets import KimCNN, RecurrentClassifier
from wordseq.errors import WordseqError
from wordseq.train import TrainConfig

POS = ["good", "great"]
NEG = ["bad", "awful"]
FILL = ["the", "film", "was", "a", "plot", "and", "it", "really", "very", "cast"]


def separable(n: int = 120, seed: int = 0, classes: int = 2) -> LabelledData:
    rng = random.Random(seed)
    cues = [POS, NEG, ["why", "how", "where"]][:classes]
    pairs = []
    for i in range(n):
        c = i % classes
        words = [rng.choice(FILL) for _ in range(rng.randint(0, 4))]
        words.insert(rng.randint(0, len(words)), rng.choice(cues[c]))
        pairs.append((["pos", "neg", "q"][c], " ".join(words)))
    return LabelledData.from_pairs(pairs)


def write_vectors(path, dim: int = 8, seed: int = 0) -> None:
    """A word2vec text file whose vectors separate the cue words."""
    rng = np.random.default_rng(seed)
    words = POS + NEG + FILL + ["why", "how", "where", "unseenword"]
    lines = [f"{len(words)} {dim}"]
    for w in words:
        v = rng.normal(0, 0.1, dim)
        if w in POS:
            v[0] += 1.0
        if w in NEG:
            v[0] -= 1.0
        v[1] += 3.0  # a direction every word shares, as in real vectors (SIF's common component)
        lines.append(w + " " + " ".join(f"{x:.6f}" for x in v))
    path.write_text("\n".join(lines) + "\n")


def quick_train(epochs: int = 30) -> TrainConfig:
    return TrainConfig(epochs=epochs, optimizer="adam", lr=0.02, seed=0)


def make_models(tmp_path):
    vec = tmp_path / "vec.txt"
    write_vectors(vec)
    small = dict(embed=8, batch_size=8, dropout=0.0, train=quick_train())
    return {
        "linear": LinearClassifier(c=100.0),
        "nbsvm": LinearClassifier(nb=True, loss="svm"),
        "fasttext": FastTextClassifier(dim=8, epochs=30, lr=0.5, buckets=1000),
        "fasttext-hs": FastTextClassifier(dim=8, epochs=30, lr=0.5, buckets=1000, loss="hs"),
        "fasttext-ns": FastTextClassifier(dim=8, epochs=30, lr=0.5, buckets=1000, loss="ns"),
        "cnn-rand": CNNClassifier(**small, maps=4),
        "cnn-multichannel": CNNClassifier(**small, maps=4, mode="multichannel", vectors=str(vec)),
        "cnn-static": CNNClassifier(**small, maps=4, mode="static", vectors=str(vec)),
        "rnn-lstm-max": RNNClassifier(**small, hidden=8),
        "rnn-gru-last": RNNClassifier(**small, hidden=8, cell="gru", pooling="last"),
        "rnn-lstm-mean-frozen": RNNClassifier(**small, hidden=8, pooling="mean", vectors=str(vec), freeze=True),
        "mean-vectors": VectorsClassifier(vectors=str(vec), c=100.0),
        "sif-vectors": VectorsClassifier(vectors=str(vec), c=100.0, weighting="sif"),
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("cls")
    train = separable()
    return {
        name: m.fit(train, log=None) if name.startswith(("cnn", "rnn")) else m.fit(train)
        for name, m in make_models(tmp).items()
    }, tmp


KINDS = [
    "linear",
    "nbsvm",
    "fasttext",
    "fasttext-hs",
    "fasttext-ns",
    "cnn-rand",
    "cnn-multichannel",
    "cnn-static",
    "rnn-lstm-max",
    "rnn-gru-last",
    "rnn-lstm-mean-frozen",
    "mean-vectors",
    "sif-vectors",
]


@pytest.mark.parametrize("name", KINDS)
def test_learns_a_separable_problem_exactly(trained, name):
    models, _ = trained
    test = separable(40, seed=7)
    result = models[name].evaluate(test)
    assert result.accuracy == 1.0, (name, result.text())


@pytest.mark.parametrize("name", KINDS)
def test_saved_model_predicts_exactly_as_before(trained, name):
    models, tmp = trained
    m = models[name]
    texts = separable(20, seed=3).texts + ["never seen words only", "good"]
    before = m.predict_proba(texts)
    path = m.save(tmp / f"{name}.wsq")
    loaded = load_classifier(path)
    assert type(loaded) is type(m) and loaded.labels == m.labels
    np.testing.assert_array_equal(loaded.predict_proba(texts), before)
    assert loaded.summary().total_params > 0
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-6)


def test_wordseq_load_opens_classifiers(trained):
    import wordseq.models

    models, tmp = trained
    path = models["linear"].save(tmp / "lin.wsq")
    assert isinstance(wordseq.models.load(path), LinearClassifier)


def test_three_classes_and_top_k(tmp_path):
    train = separable(60, classes=3)
    m = FastTextClassifier(dim=8, epochs=40, lr=0.5, buckets=1000).fit(train)
    assert m.evaluate(separable(30, seed=5, classes=3)).accuracy == 1.0
    top = m.top_k(["why was it", "great film"], k=3)
    assert [t[0][0] for t in top] == ["q", "pos"]
    assert all(len(t) == 3 and t[0][1] >= t[1][1] >= t[2][1] for t in top)
    lin = LinearClassifier(c=100.0).fit(train)
    assert lin.evaluate(separable(30, seed=5, classes=3)).accuracy == 1.0


def test_padding_does_not_change_neural_predictions(trained):
    models, _ = trained
    texts = ["good", "the film was really very bad and the plot and it"]
    for name in ("cnn-rand", "rnn-lstm-max", "rnn-lstm-mean-frozen"):
        m = models[name]
        together = m.predict_proba(texts)
        alone = np.vstack([m.predict_proba([t]) for t in texts])
        np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-7)


def test_static_embeddings_stay_fixed(trained, tmp_path):
    from wordseq.classify.sentvec import load_word_vectors

    models, tmp = trained
    m = models["cnn-static"]
    vec = load_word_vectors(tmp / "vec.txt")
    i = m.vocab.stoi["good"]
    np.testing.assert_allclose(m.net.embedding.weight[i].detach().numpy(), vec["good"], rtol=1e-6)
    mc = models["cnn-multichannel"]
    np.testing.assert_allclose(mc.net.static.weight[i].detach().numpy(), vec["good"], rtol=1e-6)
    assert not np.allclose(mc.net.embedding.weight[i].detach().numpy(), vec["good"])  # the trained channel moved
    assert any("cover" in n for n in m.notes)


# ---------------------------------------------------------------------- bad input


def test_one_class_and_empty_training_data():
    with pytest.raises(WordseqError, match="at least two classes"):
        LinearClassifier().fit(LabelledData.from_pairs([("a", "x y"), ("a", "z")]))
    with pytest.raises(WordseqError, match="no examples"):
        FastTextClassifier().fit(LabelledData([], []))


def test_label_seen_only_at_test_time_is_reported_and_wrong(trained):
    models, _ = trained
    test = LabelledData.from_pairs([("pos", "good film"), ("neutral", "the film"), ("neg", "bad")])
    r = models["fasttext"].evaluate(test)
    assert r.unseen_labels == {"neutral": 1}
    assert r.accuracy == pytest.approx(2 / 3)


def test_vector_dimension_differs_from_embed(tmp_path):
    vec = tmp_path / "v.txt"
    write_vectors(vec, dim=6)
    m = CNNClassifier(embed=300, maps=2, vectors=str(vec), mode="non-static", train=quick_train(2))
    with pytest.warns(UserWarning, match="6 dimensions, not embed=300; using 6"):
        m.fit(separable(), log=None)
    assert m.config.embed == 6 and m.net.embedding.weight.shape[1] == 6


def test_config_errors_name_the_field():
    from wordseq.config import ConfigError

    with pytest.raises(ConfigError, match="mode"):
        CNNConfig_ = CNNClassifier.config_class
        CNNConfig_(mode="wide")
    with pytest.raises(ConfigError, match="vectors"):
        CNNClassifier(mode="static")
    with pytest.raises(ConfigError, match="widths"):
        CNNClassifier(widths=[])


# ---------------------------------------------------------------------- fastText kernel


def test_fasttext_step_matches_autograd():
    from wordseq.classify._ft_kernel import softmax_step

    rng = np.random.default_rng(0)
    inp = rng.normal(0, 0.5, (7, 5)).astype(np.float32)
    out = rng.normal(0, 0.5, (3, 5)).astype(np.float32)
    ids = np.array([1, 4, 4, 6], dtype=np.int64)  # a repeated row counts twice
    label, lr = 2, 0.1
    a = torch.tensor(inp, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(out, dtype=torch.float64, requires_grad=True)
    h = a[torch.from_numpy(ids)].mean(dim=0)
    loss = torch.nn.functional.cross_entropy((b @ h)[None], torch.tensor([label]))
    loss.backward()
    inp2, out2 = inp.copy(), out.copy()
    scratch = np.zeros(5, np.float32), np.zeros(5, np.float32), np.zeros(3, np.float32)
    got = softmax_step(inp2, out2, ids, label, lr, *scratch)
    assert got == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(out2, out - lr * b.grad.numpy(), rtol=1e-5, atol=1e-6)
    # fastText updates the inputs with the output rows as they were before this step's update
    np.testing.assert_allclose(inp2, inp - lr * a.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_fasttext_ngrams_hash_independently_of_the_vocabulary():
    from wordseq.classify.fasttext import fnv1a, ngram_bucket

    assert fnv1a("a") == 0xE40C292C  # FNV-1a 32-bit test vector
    m = FastTextClassifier(word_ngrams=2, buckets=100)
    m.words, m.index = ["x"], {"x": 0}
    flat, offsets = m.encode(["x y", "y x"])
    assert offsets.tolist() == [0, 3, 6]  # x (y is unknown), then the bigrams (x y) and (y </s>)
    assert flat.tolist()[:3] == [0, 1 + ngram_bucket(["x", "y"], 100), 1 + ngram_bucket(["y", "</s>"], 100)]
    m2 = FastTextClassifier(word_ngrams=2, buckets=100)
    m2.words, m2.index = ["x", "y", "z"], {"x": 0, "y": 1, "z": 2}
    flat2, _ = m2.encode(["x y"])
    assert (flat2[2:] - 3).tolist() == (flat[1:3] - 1).tolist()  # same buckets whatever the vocabulary


# ---------------------------------------------------------------------- CNN by hand


def test_cnn_output_shape_and_max_over_time_by_hand():
    net = KimCNN(vocab_size=5, embed=1, classes=3, widths=[1, 2], maps=1, dropout=0.0)
    with torch.no_grad():
        net.embedding.weight[:, 0] = torch.tensor([0.0, 1.0, -2.0, 3.0, 0.5])
        net.convs[0].weight.fill_(1.0)
        net.convs[0].bias.zero_()
        net.convs[1].weight[:] = torch.tensor([[[1.0, -1.0]]])  # x[t-1] - x[t] over the wide window
        net.convs[1].bias.zero_()
    ids = torch.tensor([[1, 3, 2], [4, 0, 0]])
    lengths = torch.tensor([3, 1])
    f = net.features(ids, lengths)
    assert f.shape == (2, 2)
    # width 1: max(relu(1, 3, -2)) = 3; width 2 windows (0,1) (1,3) (3,-2) (-2,0): max relu(-1, -2, 5, -2) = 5
    # second text: width 1 max relu(0.5) = 0.5; width 2 (0, .5) (.5, 0): relu(-.5, .5) = .5
    torch.testing.assert_close(f, torch.tensor([[3.0, 5.0], [0.5, 0.5]]))
    assert net(ids, lengths).shape == (2, 3)


def test_rnn_shapes_for_every_pooling():
    for pooling in ("max", "mean", "last"):
        for cell in ("lstm", "gru"):
            net = RecurrentClassifier(10, 4, 3, hidden=5, cell=cell, pooling=pooling, dropout=0.0)
            ids = torch.tensor([[1, 2, 3], [4, 0, 0]])
            assert net.features(ids, torch.tensor([3, 1])).shape == (2, 10)
            assert net(ids, torch.tensor([3, 1])).shape == (2, 3)


# ---------------------------------------------------------------------- command line


def test_cli_train_eval_predict(tmp_path, capsys):
    from wordseq.cli import main

    train = tmp_path / "train.tsv"
    train.write_text("\n".join(f"{lab}\t{t}" for lab, t in zip(separable().labels, separable().texts)) + "\n")
    test = tmp_path / "test.txt"
    s = separable(20, seed=9)
    test.write_text("\n".join(f"__label__{lab} {t}" for lab, t in zip(s.labels, s.texts)) + "\n")
    model = tmp_path / "m.wsq"
    assert main(["classify", "train", str(train), "--model", "nbsvm", "--test", str(test), "-o", str(model), "-q"]) == 0
    assert "accuracy   100.00%" in capsys.readouterr().out
    assert main(["classify", "eval", str(model), str(test), "--confusion", str(tmp_path / "cm.png")]) == 0
    assert "accuracy   100.00%" in capsys.readouterr().out
    texts = tmp_path / "texts.txt"
    texts.write_text("a good film\nso bad\n")
    assert main(["classify", "predict", str(model), str(texts), "--k", "2"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == ["pos", "neg"] and all(len(r) == 4 for r in rows)
    assert main(["classify", "train", str(train), "--model", "linear", "--folds", "3", "-q"]) == 0
    assert "3-fold cross-validation" in capsys.readouterr().out
    assert main(["classify", "train", str(train), "--model", "cnn", "--widths", "2,x"]) == 1
    assert "--widths" in capsys.readouterr().err


def test_cli_sentence_vectors_is_embed_sentences(tmp_path, capsys):
    from wordseq.cli import main

    vec = tmp_path / "v.txt"
    write_vectors(vec, dim=4)
    texts = tmp_path / "t.txt"
    texts.write_text("good film\nnothing known here\n")
    out = tmp_path / "out.txt"
    assert main(["classify", "sentence-vectors", str(vec), str(texts), "-o", str(out)]) == 0
    assert "deprecated; use wordseq embed sentences" in capsys.readouterr().err
    lines = out.read_text().splitlines()
    rows = [[float(x) for x in line.split()[1:]] for line in lines[1:]]
    assert lines[0] == "2 4" and len(rows[0]) == 4 and rows[1] == [0.0] * 4


def test_resumed_training_keeps_the_best_dev_epoch_of_an_uninterrupted_run(tmp_path):
    data, dev = separable(60, seed=1), separable(20, seed=2)

    def run(epochs: int, ckpt: str, resume: bool = False) -> CNNClassifier:
        model = CNNClassifier(
            embed=8, batch_size=8, maps=4, train=TrainConfig(epochs=epochs, optimizer="adam", lr=0.02)
        )
        return model.fit(data, valid=dev, checkpoint=tmp_path / ckpt, resume=resume, log=None)

    full = run(4, "full.ckpt")
    run(2, "part.ckpt")
    resumed = run(4, "part.ckpt", resume=True)
    assert resumed.provenance["best_valid_accuracy"] == full.provenance["best_valid_accuracy"]
    assert resumed.predict_proba(dev.texts).tolist() == full.predict_proba(dev.texts).tolist()
