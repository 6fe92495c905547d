"""Taggers: a tiny data set learned to 100% by every architecture, save/load giving the same predictions,
exact resume, and bad input (unknown tags at test time, empty and very long sentences)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wordseq.config import ConfigError
from wordseq.errors import InputError, WordseqError
from wordseq.tag import BiLSTMTagger, TaggedSentence, WindowTagger, load_tagger
from wordseq.tag.formats import from_conllu
from wordseq.text.conllu import read_conllu
from wordseq.train import TrainConfig

TINY = Path(__file__).parent / "data" / "conllu" / "tiny.conllu"


def _fast(epochs=40, **kw):
    return TrainConfig(epochs=epochs, optimizer="adam", lr=0.01, **kw)


def _pos():
    return from_conllu(read_conllu(TINY), ["upos", "xpos"])


def _ner():
    rows = [
        ("John Smith lives in Paris", "B-PER I-PER O O B-LOC"),
        ("Mary works for Acme Corp in Rome", "B-PER O O B-ORG I-ORG O B-LOC"),
        ("the Acme Corp office", "O B-ORG I-ORG O"),
        ("Paris and Rome", "B-LOC O B-LOC"),
    ]
    return [TaggedSentence(w.split(), {"ner": t.split()}) for w, t in rows]


ARCHS = [
    (WindowTagger, {}),
    (WindowTagger, {"crf": True, "chars": "cnn"}),
    (BiLSTMTagger, {}),
    (BiLSTMTagger, {"crf": True}),
    (BiLSTMTagger, {"chars": "lstm", "cell": "gru", "layers": 2}),
    (BiLSTMTagger, {"chars": "none", "cell": "lstm-coupled"}),
]


@pytest.mark.parametrize(("cls", "kw"), ARCHS)
def test_tiny_pos_data_learned_exactly_and_saved_tagger_predicts_the_same(cls, kw, tmp_path, one_torch_thread):
    data = _pos()
    tagger = cls(columns=["upos", "xpos"], dropout=0.0, word_dropout=0.0, train=_fast(), **kw)
    tagger.fit(data, valid=data, log=None)
    result = tagger.evaluate(data)
    assert result.columns["upos"].accuracy == 1.0
    assert result.columns["xpos"].accuracy == 1.0
    path = tagger.save(tmp_path / "t.wsq")
    again = load_tagger(path)
    assert type(again) is cls and again.config == tagger.config
    words = [s.words for s in data] + [["Unseen", "words", "here", "!"]]
    assert again.predict(words) == tagger.predict(words)
    summary = again.summary()
    assert "encoder" in summary.text()
    rows = {r.name: r for r in summary.layers}  # the example batch: 1 sentence of 2 words
    assert rows["heads.upos"].output_shape == f"(1, 2, {len(again.tags['upos'])})"
    assert summary.total_params == sum(p.numel() for p in again.net.parameters())


def test_tiny_ner_learned_exactly_with_crf(one_torch_thread):
    data = _ner()
    tagger = BiLSTMTagger(columns=["ner"], crf=True, dropout=0.0, word_dropout=0.0, train=_fast())
    tagger.fit(data, valid=data, log=None)
    assert tagger.schemes == {"ner": "iob2"}
    result = tagger.evaluate(data)
    assert result.f1 == 1.0 and result.accuracy == 1.0
    assert set(result.columns["ner"].spans_per_type) == {"PER", "ORG", "LOC", "micro"}


def test_predictions_do_not_depend_on_batching(one_torch_thread):
    data = _pos()
    tagger = BiLSTMTagger(columns=["upos"], train=_fast(epochs=3)).fit(data, log=None)
    words = [s.words for s in data]
    together = tagger.predict(words)
    alone = [tagger.predict([w])[0] for w in words]
    assert together == alone


def test_resume_gives_the_same_model(tmp_path, one_torch_thread):
    data = _pos()

    def make(epochs):
        return BiLSTMTagger(columns=["upos"], train=_fast(epochs=epochs))

    full = make(4).fit(data, valid=data, checkpoint=tmp_path / "a.ckpt", log=None)
    make(2).fit(data, valid=data, checkpoint=tmp_path / "b.ckpt", log=None)
    resumed = make(4).fit(data, valid=data, checkpoint=tmp_path / "b.ckpt", resume=True, log=None)
    words = [s.words for s in data]
    assert resumed.predict(words) == full.predict(words)
    assert [h["train_loss_nats"] for h in resumed.history] == [h["train_loss_nats"] for h in full.history]
    sa, sb = full.net.state_dict(), resumed.net.state_dict()
    assert all((sa[k] == sb[k]).all() for k in sa)


def test_tag_seen_only_at_test_time_is_counted_wrong_and_reported(one_torch_thread):
    data = _pos()
    tagger = WindowTagger(columns=["upos"], train=_fast(epochs=2)).fit(data, log=None)
    test = [TaggedSentence(["Hi", "there"], {"upos": ["INTJ", "NEWTAG"]})]
    score = tagger.evaluate(test).columns["upos"]
    assert score.unknown_gold_tags == {"NEWTAG": 1}
    assert score.per_tag_accuracy["NEWTAG"] == 0.0
    assert "never seen in training" in score.text()


def test_empty_and_very_long_sentences(one_torch_thread):
    data = _ner()
    tagger = BiLSTMTagger(columns=["ner"], crf=True, train=_fast(epochs=1)).fit(data, log=None)
    long = ["Paris"] * 5000
    out = tagger.predict([[], long, ["Rome"]])
    assert out[0] == {"ner": []}
    assert len(out[1]["ner"]) == 5000
    assert len(out[2]["ner"]) == 1


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="BiLSTMTaggerConfig.cell"):
        BiLSTMTagger(cell="transformer")
    with pytest.raises(ConfigError, match="char_window"):
        WindowTagger(char_window=2)


def test_untrained_and_wrong_data(tmp_path):
    with pytest.raises(WordseqError, match="not trained"):
        BiLSTMTagger().tag(["a"])
    text = tmp_path / "plain.txt"
    text.write_text("just some words\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be CoNLL-U or a column"):
        BiLSTMTagger().fit(text)
    with pytest.raises(WordseqError, match="no xpos tags"):
        BiLSTMTagger(columns=["xpos"]).fit(_ner())


def test_pretrained_vectors_start_the_word_table(tmp_path, one_torch_thread):
    import numpy as np

    vec = tmp_path / "v.txt"
    rows = {"sales": [0.5] * 7, "rose": [-0.25] * 7, "zebra": [1.0] * 7}
    vec.write_text("3 7\n" + "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()), encoding="utf-8")
    tagger = BiLSTMTagger(columns=["upos"], vectors=str(vec), train=_fast(epochs=1))
    table = tagger._build_vocabs(_pos())
    assert tagger.word_dim == 7 and table is not None
    for w, v in rows.items():  # vector words looked up lowercased; "zebra" is kept although unseen in training
        np.testing.assert_allclose(table[tagger.words.stoi[w]], v)
    assert tagger.seen_word("Sales") and not tagger.seen_word("zebra")
    tagger.fit(_pos(), log=None)
    again = load_tagger(tagger.save(tmp_path / "v.wsq"))
    assert again.word_dim == 7
    assert again.predict([["Zebra", "rose"]]) == tagger.predict([["Zebra", "rose"]])


def test_frozen_vectors_stay_fixed_and_only_training_words_learn(tmp_path, one_torch_thread):
    import numpy as np

    vec = tmp_path / "v.txt"
    rows = {"sales": [0.5] * 7, "rose": [-0.25] * 7, "zebra": [1.0] * 7}
    vec.write_text("3 7\n" + "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()), encoding="utf-8")
    tagger = BiLSTMTagger(columns=["upos"], vectors=str(vec), frozen_vectors=True, train=_fast(epochs=20))
    tagger.fit(_pos(), log=None)
    feats = tagger.net.features
    s = tagger.words.stoi
    assert feats.trained_words == s["zebra"] < len(tagger.words)  # vector-only words come last, no correction
    np.testing.assert_allclose(feats.fixed.weight[s["zebra"]].numpy(), rows["zebra"])
    np.testing.assert_allclose(feats.fixed.weight[s["sales"]].numpy(), rows["sales"])  # the table stays
    assert feats.words.weight[s["sales"]].abs().sum() > 0  # the training word's correction moved
    assert tagger.evaluate(_pos()).columns["upos"].accuracy == 1.0
    again = load_tagger(tagger.save(tmp_path / "f.wsq"))
    assert again.net.features.trained_words == feats.trained_words
    assert again.predict([["Zebra", "rose"]]) == tagger.predict([["Zebra", "rose"]])
    with pytest.raises(ConfigError, match="frozen_vectors"):
        BiLSTMTagger(frozen_vectors=True)
