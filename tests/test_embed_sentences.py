"""Sentence vectors (mean and SIF) from the library and from ``wordseq embed sentences``: the command's rows
equal the library's, its files read back, and SIF removes the first principal component."""

from __future__ import annotations

import numpy as np
import pytest

from wordseq.cli import main
from wordseq.embed import Vectors, load_vectors
from wordseq.embed.sentences import embed_sentences, first_component, sif_weights

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran"]
COUNTS = np.array([100, 5, 3, 40, 2, 6, 4])
TEXTS = ["the cat sat on the mat", "the dog ran", "unknown words only", "Dog ran on"]


def vectors(counts: bool = True) -> Vectors:
    rng = np.random.default_rng(0)
    m = rng.normal(0, 1, (len(WORDS), 5)).astype(np.float32) + 2.0  # a shared direction, as in real vectors
    return Vectors(WORDS, m, COUNTS if counts else None)


def test_mean_is_the_mean_of_known_word_vectors():
    v = vectors()
    x = embed_sentences(v, TEXTS, "mean")
    np.testing.assert_allclose(x[1], v.vectors[[0, 5, 6]].mean(axis=0), rtol=1e-6)
    assert not x[2].any()  # nothing known: zeros
    np.testing.assert_allclose(x[3], v.vectors[[6, 3]].mean(axis=0), rtol=1e-6)  # "Dog" is not "dog"
    np.testing.assert_allclose(embed_sentences(v, TEXTS, "mean", lower=True)[3], v.vectors[[5, 6, 3]].mean(axis=0))


def test_sif_weights_and_removes_the_first_component():
    v = vectors()
    x = embed_sentences(v, TEXTS, "sif", sif_a=0.01)
    w = 0.01 / (0.01 + COUNTS / COUNTS.sum())
    raw = np.stack(
        [
            (w[[0, 1, 2, 3, 0, 4], None] * v.vectors[[0, 1, 2, 3, 0, 4]]).mean(axis=0),
            (w[[0, 5, 6], None] * v.vectors[[0, 5, 6]]).mean(axis=0),
            np.zeros(5),
            (w[[6, 3], None] * v.vectors[[6, 3]]).mean(axis=0),
        ]
    )
    pc = np.linalg.svd(raw)[2][0]
    np.testing.assert_allclose(x, raw - np.outer(raw @ pc, pc), atol=1e-5)
    np.testing.assert_allclose(x @ first_component(raw.astype(np.float32)), 0.0, atol=1e-5)
    np.testing.assert_allclose(sif_weights(COUNTS, 0.01), w, rtol=1e-6)


def test_sif_counts_given_then_the_files_then_the_sentences():
    with_counts, without = vectors(), vectors(counts=False)
    given = {"the": 1, "cat": 1000}
    a = embed_sentences(with_counts, TEXTS, "sif", counts=given)
    b = embed_sentences(without, TEXTS, "sif", counts=given)
    np.testing.assert_array_equal(a, b)  # the counts given win over the file's
    c = embed_sentences(without, TEXTS, "sif")  # fitted on the sentences
    seen = np.array([sum(t.split().count(w) for t in TEXTS) for w in WORDS])
    d = embed_sentences(Vectors(WORDS, without.vectors, seen), TEXTS, "sif")
    np.testing.assert_array_equal(c, d)
    assert not np.allclose(a, embed_sentences(with_counts, TEXTS, "sif"))


@pytest.mark.parametrize("method", ["mean", "sif"])
def test_cli_rows_equal_the_library_and_read_back(tmp_path, method):
    vec = tmp_path / "v.wsq"
    vectors().save(vec)
    text = tmp_path / "in.txt"
    text.write_text("\n".join(TEXTS) + "\n")
    want = embed_sentences(load_vectors(vec), TEXTS, method)
    out = tmp_path / "out.txt"
    assert main(["embed", "sentences", str(vec), str(text), "-o", str(out), "--method", method]) == 0
    back = load_vectors(out)  # word2vec text, keyed by line number
    assert back.words == ["1", "2", "3", "4"]
    np.testing.assert_allclose(back.vectors, want, rtol=1e-6, atol=1e-7)
    npy = tmp_path / "out.npy"
    assert main(["embed", "sentences", str(vec), str(text), "-o", str(npy), "--method", method]) == 0
    np.testing.assert_array_equal(np.load(npy), want)


def test_cli_counts_file_stdout_and_bad_counts(tmp_path, capsys):
    vec = tmp_path / "v.txt"
    vectors(counts=False).save(vec, "word2vec")
    text = tmp_path / "in.txt"
    text.write_text("\n".join(TEXTS) + "\n")
    counts = tmp_path / "counts.tsv"
    counts.write_text("".join(f"{w}\t{c}\n" for w, c in zip(WORDS, COUNTS)))
    assert main(["embed", "sentences", str(vec), str(text), "--method", "sif", "--counts", str(counts)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "4 5" and len(lines) == 5 and "the counts given" in captured.err
    got = np.array([[float(t) for t in line.split()[1:]] for line in lines[1:]])
    want = embed_sentences(vectors(), TEXTS, "sif")  # the same counts, stored in the vectors
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    counts.write_text("the\t3\ncat\tmany\n")
    assert main(["embed", "sentences", str(vec), str(text), "--method", "sif", "--counts", str(counts)]) == 1
    err = capsys.readouterr().err
    assert f"{counts}:2:" in err and "'many'" in err
