"""Interpolated Kneser-Ney beside NLTK's ``KneserNeyInterpolated`` at the same fixed discount.

Bigram models, so both pad each sentence the same way (``<s> w1 ... wn </s>``; NLTK pads an N-gram model
with N-1 markers on each side, which changes the counts of higher orders).

Where they agree: the highest order, ``max(c(h w) - d, 0) / c(h) + gamma(h) * lower(w)`` with
``gamma(h) = d * N1+(h .) / c(h)``.

Where they differ: the lower-order distribution at the end of the recursion. Jurafsky & Martin (3rd ed.,
ch. 3, "Kneser-Ney smoothing") discount the continuation counts there too and interpolate them with the
uniform distribution::

    P_KN(w) = max(N1+(. w) - d, 0) / N1+(. .) + lambda(eps) / |V|,   lambda(eps) = d * |{w: N1+(. w) > 0}| / N1+(. .)

NLTK (3.8+) stops at the undiscounted continuation distribution ``N1+(. w) / N1+(. .)``, so a word never
seen after another word (``<UNK>``, any unknown word) gets probability 0 and a test text with one unknown
word has infinite perplexity (NLTK issues #3065, #2599). wordseq follows the textbook (and KenLM's lmplz).
The tests below check both statements numerically against a dictionary-based implementation of the
formulas, written independently of wordseq's arrays.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from wordseq.lm.ngram import NgramModel
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab

D = 0.75
TOY = ["I like deep learning", "I like NLP", "I enjoy flying"]


def textbook_bigram_kn(sentences, d):
    """Jurafsky & Martin's interpolated KN for bigrams, with plain dictionaries."""
    bigrams = Counter()
    for s in sentences:
        words = ["<s>"] + s.split() + ["</s>"]
        bigrams.update(zip(words, words[1:]))
    vocab = {w for pair in bigrams for w in pair} - {"<s>"} | {"<unk>"}  # what can be predicted
    left = defaultdict(set)
    for a, b in bigrams:
        left[b].add(a)
    cont = {w: len(left[w]) for w in vocab}
    total = sum(cont.values())
    lam = d * sum(1 for w in vocab if cont[w] > 0) / total
    p_uni = {w: max(cont[w] - d, 0) / total + lam / len(vocab) for w in vocab}
    ctx_count = Counter()
    ctx_types = Counter()
    for (a, _b), c in bigrams.items():
        ctx_count[a] += c
        ctx_types[a] += 1

    def p(w, h):
        w = w if w in vocab else "<unk>"
        if ctx_count[h] == 0:
            return p_uni[w]
        return max(bigrams[(h, w)] - d, 0) / ctx_count[h] + d * ctx_types[h] / ctx_count[h] * p_uni[w]

    return p, p_uni, cont, total


def fit_both(sentences):
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    tok = Tokenizer()
    vocab = Vocab.build(tok(s) for s in sentences)
    ids = []
    for s in sentences:
        ids += vocab.encode(tok(s)).tolist() + [vocab.stoi["</s>"]]
    ours = NgramModel(order=2, smoothing="kn", discount=D).fit((np.array(ids, np.int32), vocab))
    train, nltk_vocab = padded_everygram_pipeline(2, [s.split() for s in sentences])
    theirs = KneserNeyInterpolated(2, discount=D)
    theirs.fit(train, nltk_vocab)
    return ours, theirs


def ours_p(model, w, h):
    ctx = [model.vocab.stoi["<s>"]] if h == "<s>" else [model.vocab[h]]
    return 10 ** model.distribution(ctx)[model.vocab[w]]


@pytest.fixture(scope="module")
def corpus():
    from wordseq.demo import bundled_corpus

    lines = [ln for ln in bundled_corpus().read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines[:150]


@pytest.mark.parametrize("which", ["toy", "shakespeare"])
def test_kn_against_nltk_and_the_textbook(which, corpus):
    sentences = TOY if which == "toy" else corpus
    ours, theirs = fit_both(sentences)
    textbook, p_uni, cont, total = textbook_bigram_kn(sentences, D)
    words = sorted({w for s in sentences for w in s.split()} | {"</s>"})
    contexts = ["<s>"] + words[:: max(1, len(words) // 15)]
    targets = words[:: max(1, len(words) // 25)] + ["</s>"]
    for h in contexts:
        if h == "</s>":
            continue
        for w in targets:
            ref = textbook(w, h)
            # wordseq = the textbook formula
            assert ours_p(ours, w, h) == pytest.approx(ref, rel=1e-5, abs=1e-9)
            # the highest order agrees with NLTK term by term ...
            alpha, gamma = theirs.estimator.alpha_gamma(w, (h,))
            ours_alpha = ref - gamma * p_uni[w]
            assert ours_alpha == pytest.approx(alpha, rel=1e-9, abs=1e-12)
            # ... and NLTK's lower order is the undiscounted continuation distribution, not P_KN(w)
            assert theirs.estimator.unigram_score(w) == pytest.approx(cont[w] / total)
            assert theirs.score(w, [h]) == pytest.approx(alpha + gamma * cont[w] / total)
    # so they differ wherever the lower order matters, e.g. P(like | I) on the slides' corpus
    if which == "toy":
        assert theirs.score("like", ["I"]) == pytest.approx(1.25 / 3 + 0.5 * 1 / 10)  # 0.4667
        assert ours_p(ours, "like", "I") == pytest.approx(1.25 / 3 + 0.5 * (0.25 / 10 + 0.6 / 9))  # 0.4625


def test_unknown_words_nltk_zero_wordseq_finite(corpus):
    ours, theirs = fit_both(corpus)
    assert theirs.score("<UNK>", ["the"]) == 0.0  # one unknown word -> infinite perplexity in NLTK
    assert ours_p(ours, "qwertyuiop", "the") > 0
    r = ours.evaluate(["qwertyuiop zxcvb the"])
    assert np.isfinite(r.perplexity) and r.oov == 2


def test_both_sum_to_one_over_their_vocabularies(corpus):
    ours, theirs = fit_both(corpus)
    for h in ["the", "I", "<s>"]:
        assert sum(theirs.score(w, [h]) for w in theirs.vocab) == pytest.approx(1.0)
        ctx = [ours.vocab.stoi["<s>"]] if h == "<s>" else [ours.vocab[h]]
        assert (10 ** ours.distribution(ctx)).sum() == pytest.approx(1.0)
