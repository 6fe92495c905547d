"""Input columns beside the words (``features``: CoNLL-2000's POS column for chunking, UPOS for NER): read
from column files and CoNLL-U, learned from, required and used at prediction time, kept in the model file."""

from __future__ import annotations

import pytest

from support import run_cli
from wordseq.config import ConfigError
from wordseq.errors import InputError, WordseqError
from wordseq.tag import BiLSTMTagger, TaggedSentence, WindowTagger, load_tagger
from wordseq.tag.formats import read_iob, read_tagged
from wordseq.train import TrainConfig

# every word is "w": the chunk tag can only come from the POS column (DT/JJ/NN open a noun phrase, VB is O)
CHUNKS = """\
w DT B-NP
w NN I-NP
w VB O
w DT B-NP
w JJ I-NP
w NN I-NP

w NN B-NP
w VB O
w NN B-NP

w VB O
w DT B-NP
w NN I-NP
"""


@pytest.fixture
def chunk_file(tmp_path):
    path = tmp_path / "chunks.txt"
    path.write_text(CHUNKS, encoding="utf-8")
    return path


def test_column_file_input_columns_are_read_by_number(chunk_file):
    sents = read_iob(chunk_file, "chunk", features=["2"])
    assert sents[1].tags == {"chunk": ["B-NP", "O", "B-NP"], "2": ["NN", "VB", "NN"]}
    with pytest.raises(InputError, match=r"chunks.txt:1: 3 columns.*input columns 4"):
        read_iob(chunk_file, "chunk", features=["4"])


@pytest.mark.parametrize("cls", [BiLSTMTagger, WindowTagger])
def test_a_tag_only_the_input_column_tells_is_learned_and_kept_on_saving(cls, chunk_file, tmp_path, one_torch_thread):
    data = read_tagged(chunk_file, "iob", "chunk", features=["2"])
    train = TrainConfig(epochs=60, optimizer="adam", lr=0.02)
    tagger = cls(columns=["chunk"], features=["2"], dropout=0.0, word_dropout=0.0, train=train)
    tagger.fit(data, log=None)
    assert tagger.evaluate(data).f1 == 1.0
    blind = cls(columns=["chunk"], dropout=0.0, word_dropout=0.0, train=train).fit(data, log=None)
    assert blind.evaluate(data).f1 < 1.0  # without the column the words say nothing
    again = load_tagger(tagger.save(tmp_path / "t.wsq"))
    assert again.config.features == ["2"]
    feats = tagger.features_of(data)
    words = [s.words for s in data]
    assert again.predict(words, features=feats) == tagger.predict(words, features=feats)
    assert [p["chunk"] for p in again.predict(words, features=feats)] == [s.tags["chunk"] for s in data]
    unseen = again.predict([["w", "w"]], features=[{"2": ["XYZ", "VB"]}])  # an unknown value is no error
    assert len(unseen[0]["chunk"]) == 2
    with pytest.raises(WordseqError, match="input column"):
        again.predict([["w", "w"]])


def test_feature_settings_are_checked():
    with pytest.raises(ConfigError, match="features"):
        BiLSTMTagger(columns=["upos"], features=["upos"])
    with pytest.raises(ConfigError, match="features"):
        BiLSTMTagger(columns=["ner"], features=["0"])
    with pytest.raises(ConfigError, match="features"):
        BiLSTMTagger(columns=["ner"], features=["form"])
    with pytest.raises(WordseqError, match="no 2 tags"):
        BiLSTMTagger(columns=["chunk"], features=["2"]).fit([TaggedSentence(["w"], {"chunk": ["O"]})], log=None)


def _ok(p):
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def test_command_line_trains_and_predicts_with_an_input_column(chunk_file, tmp_path):
    model = tmp_path / "chunk.wsq"
    args = ["--feature", "2", "--column", "chunk", "--model", "bilstm-crf", "--epochs", "60", "--lr", "0.02"]
    _ok(
        run_cli("tag", "train", str(chunk_file), *args, "--dropout", "0", "--word-dropout", "0", "-q", "-o", str(model))
    )
    text = _ok(run_cli("tag", "eval", str(model), str(chunk_file)))
    assert "F1 100.00" in text or "f1 100.00" in text.lower()
    out = tmp_path / "out.txt"
    _ok(run_cli("tag", "predict", str(model), str(chunk_file), "-o", str(out)))
    rows = [line.split() for line in out.read_text(encoding="utf-8").splitlines() if line]
    assert all(r[2] == r[3] for r in rows)  # the predicted column, appended, equals the gold one
    bad = run_cli("tag", "predict", str(model), input=b"w w w\n")
    assert bad.returncode != 0 and "input column" in bad.stderr.decode()
