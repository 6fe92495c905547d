"""The labelled-text reader in every format, its bad input, stratified folds and the scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wordseq.classify.data import (
    LabelledData,
    parse_class_files,
    read_class_files,
    read_labelled,
    split_line,
    stratified_folds,
)
from wordseq.classify.metrics import cross_validation_score, plot_confusion, score
from wordseq.errors import InputError, WordseqError

DATA = Path(__file__).parent / "data" / "classify"


def test_first_token_format_sst():
    d = read_labelled(DATA / "sst.txt")
    assert d.labels == ["1", "0", "1", "0"]
    assert d.texts[0] == "a gripping , funny film"
    assert d.lines == [1, 2, 4, 5]  # the blank line is skipped, line numbers kept


def test_trec_fine_and_coarse_in_latin1():
    fine = read_labelled(DATA / "trec.label", encoding="latin-1")
    coarse = read_labelled(DATA / "trec.label", encoding="latin-1", coarse=True)
    assert fine.labels == ["NUM:dist", "LOC:city", "HUM:ind", "NUM:date", "LOC:other"]
    assert coarse.labels == ["NUM", "LOC", "HUM", "NUM", "LOC"]
    assert fine.texts[-1] == "Where is Café Du Monde ?"


def test_undecodable_bytes_name_file_line_and_option():
    with pytest.raises(InputError) as e:
        read_labelled(DATA / "trec.label")
    msg = str(e.value)
    assert "trec.label:5" in msg and "--encoding" in msg and "latin-1" in msg


def test_fasttext_format_keeps_first_label():
    d = read_labelled(DATA / "fasttext.txt")
    assert d.labels == ["pos", "neg", "pos"]
    assert d.texts == ["great stuff", "awful stuff", "loved it"]


def test_tsv_and_a_label_without_text_is_skipped_with_a_warning():
    with pytest.warns(UserWarning, match=r"skipped 1 line.*line 3"):
        d = read_labelled(DATA / "labels.tsv")
    assert d.labels == ["pos", "neg", "pos"]
    assert d.texts[2] == "loved it , truly"


def test_class_files_cp1252_ellipsis_is_not_a_line_break():
    files = parse_class_files([f"pos={DATA / 'mr.pos'}", f"neg={DATA / 'mr.neg'}"])
    d = read_class_files(files, encoding="cp1252")
    assert d.labels == ["pos", "pos", "neg", "neg"]
    assert d.texts[0] == "a wonderful film \u2026 really"
    assert d.texts[2] == "a na\u00efve and boring film"
    with pytest.raises(InputError, match="mr.pos:1"):
        read_class_files(files)


def test_bad_class_file_specs():
    with pytest.raises(WordseqError, match="LABEL=FILE"):
        parse_class_files(["pos"])
    with pytest.raises(WordseqError, match="twice"):
        parse_class_files(["a=x", "a=y"])


def test_empty_file_and_missing_label(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="no labelled examples"):
        read_labelled(empty)
    bad = tmp_path / "bad.txt"
    bad.write_text("__label__a fine\nno label here\n")
    with pytest.raises(InputError, match=r"bad.txt:2: no __label__"):
        read_labelled(bad)


def test_gzip_input(tmp_path):
    import gzip

    p = tmp_path / "d.txt.gz"
    with gzip.open(p, "wt") as f:
        f.write("a\tone\nb\ttwo\n")
    assert read_labelled(p).labels == ["a", "b"]


label_st = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=8).filter(
    lambda s: not s.startswith("__label__")
)
text_st = st.lists(
    st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=6), min_size=1, max_size=6
)


@given(label_st, text_st)
def test_split_line_round_trips_every_format(label, words):
    text = " ".join(words)
    assert split_line(f"{label}\t{text}", "tsv") == (label, text)
    assert split_line(f"{label} {text}", "first") == (label, text)
    assert split_line(f"__label__{label} {text}", "fasttext") == (label, text)


@given(st.lists(st.sampled_from("abc"), min_size=0, max_size=60), st.integers(2, 5), st.integers(0, 3))
def test_folds_are_stratified_disjoint_and_cover(labels, k, seed):
    counts = {lab: labels.count(lab) for lab in set(labels)}
    if any(c < k for c in counts.values()):
        with pytest.raises(WordseqError, match="folds"):
            stratified_folds(labels, k, seed)
        return
    folds = stratified_folds(labels, k, seed)
    allidx = np.concatenate(folds) if folds else np.zeros(0)
    assert sorted(allidx.tolist()) == list(range(len(labels)))  # disjoint and covering
    for lab in counts:
        per_fold = [sum(labels[i] == lab for i in f) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1  # each class spread evenly
    assert [f.tolist() for f in stratified_folds(labels, k, seed)] == [f.tolist() for f in folds]


def test_more_folds_than_examples_of_a_class():
    with pytest.raises(WordseqError, match=r"class 'b' has only 2 example.*at most 2 folds"):
        stratified_folds(["a"] * 10 + ["b"] * 2, 5)


def test_score_per_class_confusion_and_unseen_labels(tmp_path):
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    s = score(gold, pred, known=["a", "b"])
    assert s.accuracy == pytest.approx(3 / 5)
    assert s.unseen_labels == {"c": 1}
    assert s.labels == ["a", "b", "c"]
    assert s.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    pa = s.per_class[0]
    assert (pa.precision, pa.recall) == (pytest.approx(0.5), pytest.approx(0.5))
    f_b = 2 * (2 / 3) * 1 / (2 / 3 + 1)
    assert s.macro_f1 == pytest.approx((0.5 + f_b + 0.0) / 3)
    png = plot_confusion(s, tmp_path / "cm.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cv = cross_validation_score([s, score(["a"], ["a"])])
    assert cv.accuracy_mean == pytest.approx(0.8)
    assert cv.accuracy_std == pytest.approx(np.std([0.6, 1.0], ddof=1))


def test_subset_and_pairs():
    d = LabelledData.from_pairs([("x", "one"), ("y", "two"), ("x", "three")])
    assert d.subset([2, 0]).texts == ["three", "one"]
    assert d.label_counts() == {"x": 2, "y": 1}


def test_score_equals_scikit_learns():
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    rng = np.random.default_rng(0)
    gold = rng.choice(["a", "b", "c", "d"], 300).tolist()
    pred = rng.choice(["a", "b", "c", "e"], 300).tolist()
    s = score(gold, pred, known=["a", "b", "c", "d"])
    labels = ["a", "b", "c", "d", "e"]
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    np.testing.assert_allclose([c.precision for c in s.per_class], p)
    np.testing.assert_allclose([c.recall for c in s.per_class], r)
    np.testing.assert_allclose([c.f1 for c in s.per_class], f)
    assert [c.support for c in s.per_class] == n.tolist()
    assert s.confusion == confusion_matrix(gold, pred, labels=labels).tolist()
