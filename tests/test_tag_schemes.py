"""Span schemes and scores: spans read as seqeval (and conlleval) read them, scheme conversions keep the
spans, and our span F1 equals seqeval's on random and on real tag sequences."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import data_file
from wordseq.errors import InputError
from wordseq.tag.formats import read_iob
from wordseq.tag.metrics import span_scores
from wordseq.tag.schemes import allowed, from_spans, repair, spans, to_scheme

seqeval_metrics = pytest.importorskip("seqeval.metrics")
seqeval_seq = pytest.importorskip("seqeval.metrics.sequence_labeling")

TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]
BIO = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


def _seqeval_spans(tags):
    return [(t, a, b + 1) for t, a, b in seqeval_seq.get_entities(list(tags))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TAGS), max_size=12))
def test_spans_equal_seqeval_on_any_sequence(tags):
    assert spans(tags) == _seqeval_spans(tags)


def test_invalid_bio_is_read_as_conlleval_reads_it():
    assert spans(["O", "I-PER", "I-PER", "I-LOC", "B-LOC"]) == [("PER", 1, 3), ("LOC", 3, 4), ("LOC", 4, 5)]
    assert repair(["O", "I-PER", "I-PER", "I-LOC", "B-LOC"]) == ["O", "B-PER", "I-PER", "B-LOC", "B-LOC"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(BIO), max_size=12))
def test_conversions_keep_spans(tags):
    fixed = repair(tags)
    for scheme in ("iob1", "iob2", "iobes"):
        converted = to_scheme(fixed, scheme)
        assert spans(converted) == spans(tags)
        # every transition of the converted sequence is allowed in its scheme
        prev = None
        for t in [*converted, "</s>"]:
            assert allowed(prev, t, scheme), (prev, t, scheme, converted)
            prev = t
    assert to_scheme(to_scheme(fixed, "iobes"), "iob2") == fixed


def test_from_spans_iob1_uses_b_only_between_touching_spans_of_one_type():
    assert from_spans([("PER", 0, 2), ("PER", 2, 3), ("LOC", 3, 4)], 5, "iob1") == [
        "I-PER",
        "I-PER",
        "B-PER",
        "I-LOC",
        "O",
    ]


def test_allowed_transitions_of_bio_and_iobes():
    assert not allowed(None, "I-PER", "iob2") and not allowed("O", "I-PER", "iob2")
    assert not allowed("B-LOC", "I-PER", "iob2") and allowed("B-PER", "I-PER", "iob2")
    assert allowed("I-PER", "</s>", "iob2") and not allowed("B-PER", "</s>", "iobes")
    assert not allowed("B-PER", "O", "iobes") and allowed("E-PER", "S-LOC", "iobes")
    assert not allowed("O", "E-PER", "iobes") and allowed("B-PER", "E-PER", "iobes")


def _random_corpus(rng, n, noise):
    gold, pred = [], []
    for _ in range(n):
        length = rng.randint(0, 15)
        g = repair([rng.choice(BIO) for _ in range(length)])
        p = [rng.choice(BIO) if rng.random() < noise else t for t in g]
        gold.append(g)
        pred.append(p)
    return gold, pred


def _assert_equal_to_seqeval(gold, pred):
    ours = span_scores(gold, pred)
    assert ours["micro"].f1 == pytest.approx(seqeval_metrics.f1_score(gold, pred), abs=1e-12)
    assert ours["micro"].precision == pytest.approx(seqeval_metrics.precision_score(gold, pred), abs=1e-12)
    assert ours["micro"].recall == pytest.approx(seqeval_metrics.recall_score(gold, pred), abs=1e-12)
    report = seqeval_metrics.classification_report(gold, pred, output_dict=True, zero_division=0)
    for t, s in ours.items():
        if t != "micro" and s.gold_spans:
            assert s.f1 == pytest.approx(report[t]["f1-score"], abs=1e-12)
            assert s.gold_spans == report[t]["support"]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("noise", [0.05, 0.3, 0.9])
def test_span_f1_equals_seqeval_on_random_predictions(noise):
    gold, pred = _random_corpus(random.Random(int(noise * 100)), 300, noise)
    _assert_equal_to_seqeval(gold, pred)


@pytest.mark.filterwarnings("ignore")
def test_span_f1_equals_seqeval_on_real_tags():
    gold = [s.tags["ner"] for s in read_iob(data_file("uner_english_ewt", "en_ewt-ud-dev.iob2"))]
    rng = random.Random(1)
    # a plausible tagger's errors: shifted boundaries, swapped types, spurious I- after O
    pred = []
    for g in gold:
        p = list(g)
        for i in range(len(p)):
            r = rng.random()
            if r < 0.03:
                p[i] = rng.choice(BIO)
            elif r < 0.05 and p[i] != "O":
                p[i] = "I-" + p[i][2:]
        pred.append(p)
    _assert_equal_to_seqeval(gold, pred)
    assert span_scores(gold, gold)["micro"].f1 == 1.0


def test_iob_file_with_an_unknown_scheme_names_the_line(tmp_path):
    path = tmp_path / "bad.iob2"
    path.write_text("1\tJohn\tB-PER\n2\tlives\tO\n\n1\tParis\tPLACE\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="'PLACE' is not in an IOB") as err:
        read_iob(path)
    assert err.value.line == 4


def test_iob_columns_found_by_shape(tmp_path):
    uner = tmp_path / "u.iob2"
    uner.write_text("# sent_id = a\n1\tJohn\tB-PER\t-\tx\n2\tran\tO\t-\t-\n\n", encoding="utf-8")
    s = read_iob(uner)[0]
    assert s.words == ["John", "ran"] and s.tags["ner"] == ["B-PER", "O"] and s.comments == ["# sent_id = a"]
    chunk = tmp_path / "c.txt"
    chunk.write_text("He PRP B-NP\nran VBD B-VP\n\nOk UH O\n\n", encoding="utf-8")
    sents = read_iob(chunk, "chunk")
    assert [s.tags["chunk"] for s in sents] == [["B-NP", "B-VP"], ["O"]]
    draft = tmp_path / "d.iob2"  # UNER's draft: O tokens in three columns, OTH mapped away
    draft.write_text("1\tIBM\tB-OTH\t-\tx\n2\tok\tO\n\n", encoding="utf-8")
    assert read_iob(draft, tag_map={"B-OTH": "O"})[0].tags["ner"] == ["O", "O"]


@pytest.mark.filterwarnings("ignore")
def test_span_f1_equals_seqeval_on_a_tagger_s_predictions(one_torch_thread):
    from wordseq.tag import WindowTagger
    from wordseq.train import TrainConfig

    sents = read_iob(data_file("uner_english_ewt", "en_ewt-ud-dev.iob2"))
    train, test = sents[:400], sents[400:800]
    tagger = WindowTagger(columns=["ner"], train=TrainConfig(epochs=2, optimizer="adam", lr=0.005)).fit(train, log=None)
    pred = [p["ner"] for p in tagger.predict([s.words for s in test])]
    gold = [s.tags["ner"] for s in test]
    assert any(p != g for p, g in zip(pred, gold))  # a real, imperfect tagger
    _assert_equal_to_seqeval(gold, pred)
    assert tagger.evaluate(test).f1 == pytest.approx(seqeval_metrics.f1_score(gold, pred), abs=1e-12)
