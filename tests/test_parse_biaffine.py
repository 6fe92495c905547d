"""The biaffine parser: learns a tiny treebank (non-projective trees included), always outputs one tree with
one root word, and a saved parser gives the same trees."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from wordseq.parse import BiaffineParser
from wordseq.parse.tree import is_projective, tree_problems
from wordseq.parse.treebank import read_treebank
from wordseq.text.conllu import Sentence, read_conllu

EXCERPT = Path(__file__).parent / "data" / "parse" / "ewt-excerpt.conllu"


def _tiny(**changes) -> BiaffineParser:
    """A parser small enough to learn the excerpt in seconds (30 epochs of Adam at 0.005)."""
    settings = dict(
        hidden=32, embed=16, tag_embed=8, char_filters=8, arc_mlp=32, label_mlp=16, layers=1, dropout=0.0,
        min_count=1, batch_tokens=100,
    )  # fmt: skip
    p = BiaffineParser(**{**settings, **changes})
    p.config.train.epochs = 30
    p.config.train.lr = 0.005
    return p


@pytest.fixture(scope="module")
def parser() -> BiaffineParser:
    return _tiny().fit(EXCERPT, log=None)


def test_learns_the_training_trees(parser):
    score = parser.evaluate(EXCERPT)
    assert score.uas > 0.95 and score.las > 0.9


def test_saved_parser_gives_the_same_trees(parser, tmp_path):
    sentences = read_treebank(EXCERPT)
    loaded = BiaffineParser.load(parser.save(tmp_path / "bi.wsq"))
    assert loaded.parse_trees(sentences) == parser.parse_trees(sentences)
    assert loaded.summary().total_params == parser.summary().total_params > 0


def test_every_output_is_one_tree_and_eisner_keeps_it_projective(parser):
    one = Sentence.from_forms(["Hi"])
    long = Sentence.from_forms([f"zz{i}" for i in range(300)])  # unseen words, unseen tags
    sentences = [*read_treebank(EXCERPT), one, long]
    for heads, rels in parser.parse_trees(sentences):
        assert tree_problems([-1, *heads]) == [] and "<null>" not in rels
    parser.config = parser.config.replace(decoder="eisner")
    try:
        for heads, _ in parser.parse_trees(sentences[:-1]):
            assert is_projective([-1, *heads])
    finally:
        parser.config = parser.config.replace(decoder="chu-liu-edmonds")


def test_vector_words_join_the_vocabulary_and_word_dropout_still_learns(tmp_path):
    """With ``--vectors``, words known only from the vector file get their own (pre-trained) rows instead of
    ``<unk>``; training with word and tag dropout still fits the tiny treebank."""
    import numpy as np

    from wordseq.parse.treebank import read_treebank as rt

    forms = sorted({f.lower() for s in rt(EXCERPT) for f in s.forms})
    rng = np.random.default_rng(0)
    extra = ["zebra", "quokka"]
    lines = [f"{len(forms) + 2} 4"] + [
        " ".join([w, *(f"{x:.4f}" for x in rng.normal(size=4))]) for w in [*forms[:20], *extra, *forms[20:]]
    ]
    vec = tmp_path / "v.txt"
    vec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = _tiny(embed=4, char_filters=0, word_dropout=0.1, max_vectors=22)
    p.config.train.beta2 = 0.9
    p.fit(EXCERPT, vectors=vec, log=None)
    assert p.words is not None and {"zebra", "quokka"} <= set(p.words.itos)
    assert "found" in p.provenance["vectors"]
    assert p.evaluate(EXCERPT).uas > 0.8  # 4-dim words and no characters: less than the fixture's 0.95
    loaded = BiaffineParser.load(p.save(tmp_path / "bi.wsq"))
    assert loaded.config.word_dropout == 0.1 and loaded.config.train.beta2 == 0.9
    assert loaded.words is not None and "quokka" in loaded.words.stoi


def test_frozen_vectors_stay_fixed_and_unseen_vector_words_keep_them(tmp_path):
    """``frozen_vectors``: the vector table is not trained, the learned correction starts at zero and stays zero
    for words never seen in training, so such a word is embedded by exactly its (projected) vector."""
    import numpy as np

    forms = sorted({f.lower() for s in read_treebank(EXCERPT) for f in s.forms})
    rng = np.random.default_rng(1)
    lines = [f"{len(forms) + 1} 4"] + [
        " ".join([w, *(f"{x:.4f}" for x in rng.normal(size=4))]) for w in ["quokka", *forms]
    ]
    vec = tmp_path / "v.txt"
    vec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = _tiny(embed=4, char_filters=0, frozen_vectors=True, max_vectors=5)
    p.config.train.epochs = 3
    p.fit(EXCERPT, vectors=vec, log=None)
    before = _tiny(embed=4, char_filters=0, frozen_vectors=True, max_vectors=5)
    before.config.train.epochs = 0
    before.fit(EXCERPT, vectors=vec, log=None)
    assert p.words is not None and p.words.itos == before.words.itos
    q = p.words.stoi["quokka"]
    assert np.array_equal(p.net.pretrained.weight.numpy(), before.net.pretrained.weight.numpy())
    assert np.abs(p.net.pretrained.weight[q].numpy()).sum() > 0
    assert not p.net.words.weight[q].any()  # never in training: no correction
    seen = p.words.stoi[forms[0]]
    assert p.net.words.weight[seen].abs().sum() > 0  # trained words moved
    loaded = BiaffineParser.load(p.save(tmp_path / "bi.wsq"))
    sentences = read_treebank(EXCERPT)
    assert loaded.parse_trees(sentences) == p.parse_trees(sentences)


def test_a_parser_without_tag_features_ignores_the_tags():
    """``tag_embed=0`` leaves the tags out of the input: the trees do not depend on them."""
    import copy

    p = _tiny(tag_embed=0).fit(EXCERPT, log=None)
    assert p.net.tags is None
    sentences = read_treebank(EXCERPT)
    scrambled = copy.deepcopy(sentences)
    for s in scrambled:
        for t in s.tokens:
            t.upos = "X"
    assert p.parse_trees(scrambled) == p.parse_trees(sentences)
    assert p.evaluate(EXCERPT).uas > 0.9


class _RecordingTagger:
    """Tags every word ``NOUN`` and keeps the sentences it was given."""

    config = SimpleNamespace(columns=["upos"], features=[])

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def predict(self, sentences, features=None):
        self.seen += [list(s) for s in sentences]
        return [{"upos": ["NOUN"] * len(s)} for s in sentences]


def test_a_parser_with_a_tagger_scores_its_dev_set_with_the_taggers_tags():
    dev = read_conllu(EXCERPT)[:5]
    tagger = _RecordingTagger()
    gold, p = _tiny(), _tiny()
    gold.config.train.epochs = p.config.train.epochs = 3
    gold.fit(EXCERPT, valid=dev, log=None)
    p.tagger = tagger
    p.fit(EXCERPT, valid=dev, log=None)
    assert tagger.seen == [s.forms for s in dev]  # the dev set, not the training set, was retagged
    assert "NOUN" in p.tags.stoi and p.tags.stoi.keys() == gold.tags.stoi.keys()  # training kept the gold tags
    assert p.metrics["valid_las"] != gold.metrics["valid_las"]  # dev parsed with all-NOUN tags scores otherwise
    assert [t.upos for t in dev[0].tokens] != ["NOUN"] * len(dev[0])  # the caller's sentences are untouched


def test_training_from_a_saved_model_keeps_its_architecture_vocabularies_and_weights(parser, tmp_path):
    path = parser.save(tmp_path / "start.wsq")
    more = _tiny(hidden=64, layers=2, min_count=5, dropout=0.25)  # the saved model's shape wins over these
    more.config.train.epochs, more.config.train.lr = 1, 1e-5
    more.fit(EXCERPT, init=path, log=None)
    assert (more.config.hidden, more.config.layers, more.config.min_count) == (32, 1, 1)
    assert {m.p for m in more.net.modules() if type(m).__name__ == "Dropout"} == {0.25}  # this run's dropout
    assert more.words.itos == parser.words.itos and more.labels.itos == parser.labels.itos
    assert more.provenance["init"]["epochs"] == 30
    assert more.evaluate(EXCERPT).uas > 0.95  # a new network after one epoch parses far worse
    fresh = _tiny()
    fresh.config.train.epochs, fresh.config.train.lr = 1, 1e-5
    assert fresh.fit(EXCERPT, log=None).evaluate(EXCERPT).uas < 0.5


def test_a_saved_model_and_vectors_do_not_go_together(parser, tmp_path):
    from wordseq.errors import WordseqError

    path = parser.save(tmp_path / "start.wsq")
    with pytest.raises(WordseqError, match="--init and --vectors"):
        _tiny().fit(EXCERPT, init=path, vectors=tmp_path / "v.txt", log=None)
