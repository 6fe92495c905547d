"""Penn Treebank: modified Kneser-Ney perplexities of KenLM's lmplz + query (141.19 for 5-grams, 148.28 for
3-grams; <unk> an ordinary word, </s> predicted), and kenlm reading our PTB 5-gram ARPA file."""

from __future__ import annotations

import numpy as np
import pytest

from support import data_file
from wordseq.lm.ngram import NgramModel
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer


@pytest.fixture(scope="module")
def ptb():
    train = encode_corpus(data_file("ptb", "ptb.train.txt"), Tokenizer())
    return train, data_file("ptb", "ptb.test.txt")


@pytest.mark.parametrize("order, target", [(3, 148.28), (5, 141.19)])
def test_ptb_modified_kn_perplexity(ptb, order, target):
    train, test = ptb
    model = NgramModel(order=order, smoothing="mkn").fit(train, tokenizer=Tokenizer())
    r = model.evaluate(test)
    assert r.tokens == 82430 and r.oov == 4794  # PTB's own <unk>, scored as <unk>
    assert r.perplexity == pytest.approx(target, rel=1e-3)
    assert round(r.perplexity, 2) == target


@pytest.mark.slow
def test_ptb_kenlm_reads_our_arpa(ptb, tmp_path):
    import kenlm  # a dev dependency: missing, it fails rather than skips

    train, test = ptb
    model = NgramModel(order=5, smoothing="mkn").fit(train, tokenizer=Tokenizer())
    path = model.save(tmp_path / "ptb5.arpa")
    k = kenlm.Model(str(path))
    back = NgramModel.load(path)
    worst, total = 0.0, 0.0
    n = 0
    for line in test.read_text().splitlines():
        ours = np.array([s[0] for s in model.full_scores(line)])
        theirs = np.array([s[0] for s in k.full_scores(line)])
        worst = max(worst, float(np.abs(ours - theirs).max()))
        total += theirs.sum()
        n += len(theirs)
    assert worst < 1e-4
    assert 10 ** (-total / n) == pytest.approx(141.19, abs=0.01)
    assert back.evaluate(test).perplexity == pytest.approx(141.19, abs=0.01)
