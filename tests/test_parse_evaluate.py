"""Attachment scores follow the CoNLL 2018 evaluation: punctuation counted, relation subtypes ignored."""

from __future__ import annotations

import pytest

from wordseq.parse.evaluate import attachment_scores, universal


def test_hand_worked_example():
    # "The cat 's toy fell ." with gold: The<-toy? (worked by hand below)
    # words:          1 The   2 cat       3 's     4 toy  5 fell  6 .
    gold_heads = [2, 4, 2, 5, 0, 5]
    gold_rels = ["det", "nmod:poss", "case", "nsubj", "root", "punct"]
    pred_heads = [2, 4, 2, 5, 0, 4]  # the full stop attached to "toy": wrong head
    pred_rels = ["det", "nmod", "case", "obj", "root", "punct"]  # nmod vs nmod:poss: same universal relation
    s = attachment_scores([(gold_heads, gold_rels)], [(pred_heads, pred_rels)])
    # heads right for words 1-5 (punctuation counts): UAS 5/6; labels right also for 1,2,3,5 (4 has obj): LAS 4/6
    assert s.uas == pytest.approx(5 / 6)
    assert s.las == pytest.approx(4 / 6)
    assert s.words == 6 and s.sentences == 1
    assert s.per_relation["nmod"] == {"words": 1, "uas": 1.0, "las": 1.0}
    assert s.per_relation["punct"]["uas"] == 0.0
    assert s.per_relation["nsubj"] == {"words": 1, "uas": 1.0, "las": 0.0}
    assert s.by_length["1-10"]["sentences"] == 1


def test_subtypes_on_both_sides_are_ignored_and_totals_pool_words():
    assert universal("obl:tmod") == "obl" and universal("root") == "root"
    s = attachment_scores(
        [([0], ["root"]), ([2, 0], ["compound:prt", "root"])],
        [([0], ["root"]), ([2, 0], ["compound", "root"])],
    )
    assert (s.uas, s.las, s.words) == (1.0, 1.0, 3)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 gold words but 1 predicted"):
        attachment_scores([([2, 0], ["a", "root"])], [([0], ["root"])])
