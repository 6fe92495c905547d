"""Jackknifed tags (``wordseq.tag.jackknife``, ``wordseq tag jackknife``): every fold is tagged by a tagger
that never saw it, the other columns are untouched, and an interrupted run continues from its finished folds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import run_cli
from wordseq.errors import WordseqError
from wordseq.tag.jackknife import fold_bounds, jackknife
from wordseq.text.conllu import read_conllu

TINY = Path(__file__).parent / "data" / "conllu" / "tiny.conllu"


@given(st.integers(2, 40), st.integers(0, 200))
def test_folds_cover_every_sentence_once_in_order(folds, extra):
    n = folds + extra
    bounds = fold_bounds(n, folds)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [b - a for a, b in bounds]
    assert max(sizes) - min(sizes) <= 1


def test_too_few_sentences_or_folds_is_an_error():
    with pytest.raises(WordseqError, match="cannot be split"):
        fold_bounds(3, 4)
    with pytest.raises(WordseqError, match="at least 2 folds"):
        fold_bounds(10, 1)


class _Config:
    columns = ["upos"]
    features: list[str] = []


class MemoryTagger:
    """Tags a word with the tag it had in training, ``UNSEEN`` for a word it never saw."""

    config = _Config()

    def fit(self, data, valid=None, log=None):
        self.seen = {w: t for s in data for w, t in zip(s.words, s.tags["upos"])}
        return self

    def predict(self, sentences, features=None):
        return [{"upos": [self.seen.get(w, "UNSEEN") for w in s]} for s in sentences]


def test_each_fold_is_tagged_by_a_tagger_that_never_saw_it():
    sents = read_conllu(TINY)
    for i, s in enumerate(sents):  # a word of its own in every sentence
        s.tokens[0].form = f"only{i}"
    tagged, scores = jackknife(sents, MemoryTagger, folds=3)
    assert [s.forms for s in tagged] == [s.forms for s in sents]
    assert all(s.tokens[0].upos == "UNSEEN" for s in tagged)
    for before, after in zip(sents, tagged):
        assert after.column("head") == before.column("head") and after.column("deprel") == before.column("deprel")
        assert after.column("xpos") == before.column("xpos")
    assert sents[0].tokens[0].upos != "UNSEEN"  # the input is not changed
    assert len(scores) == 3 and all(0.0 <= s["upos"] < 1.0 for s in scores)


def _ok(p):
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def test_command_writes_the_retagged_file_and_resumes_fold_by_fold(tmp_path):
    like = tmp_path / "like.wsq"
    _ok(run_cli("tag", "train", str(TINY), "--epochs", "2", "--threads", "1", "-q", "-o", str(like)))
    out = tmp_path / "train.jk.conllu"
    args = ["tag", "jackknife", str(TINY), "--like", str(like), "--folds", "2", "--threads", "1", "-q", "-o", str(out)]
    text = _ok(run_cli(*args, "--fold", "1"))
    assert "folds left: 0" in text and not out.exists()
    done = out.with_name(out.name + ".folds") / "fold-1-of-2.conllu"
    stamp = done.stat().st_mtime_ns
    text = _ok(run_cli(*args))
    assert "fold 1: kept" in text and done.stat().st_mtime_ns == stamp
    assert "upos: jackknifed accuracy" in text
    gold, retagged = read_conllu(TINY), read_conllu(out)
    assert [s.forms for s in retagged] == [s.forms for s in gold]
    assert [s.column("head") for s in retagged] == [s.column("head") for s in gold]
    bad = run_cli(*args, "--fold", "2")
    assert bad.returncode != 0 and "folds are numbered 0 to 1" in bad.stderr.decode()
    other = tmp_path / "other.wsq"
    other.write_bytes(b"not a model")
    bad = run_cli("tag", "jackknife", str(TINY), "--like", str(other), "-o", str(tmp_path / "x.conllu"))
    assert bad.returncode != 0 and "other.wsq" in bad.stderr.decode()
