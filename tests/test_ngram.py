"""N-gram models: hand-computed probabilities on the slides' toy corpus, distributions that sum to one,
the vectorized scorer against the one-context distribution, discount fallback, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.errors import WordseqError
from wordseq.lm.ngram import DiscountWarning, NgramModel, count_ngrams
from wordseq.lm.ngram.estimate import FALLBACK_MKN, mkn_discounts
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab

TOY = ["I like deep learning", "I like NLP", "I enjoy flying"]


def encode(sentences, vocab=None):
    """Sentences -> (ids with </s> after each, vocab), whitespace tokens, every word kept."""
    tok = Tokenizer()
    if vocab is None:
        vocab = Vocab.build(tok(s) for s in sentences)
    ids = []
    for s in sentences:
        ids += vocab.encode(tok(s)).tolist() + [vocab.stoi["</s>"]]
    return np.array(ids, np.int32), vocab


def toy_model(order, smoothing, **kw):
    ids, vocab = encode(TOY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountWarning)
        return NgramModel.fit(ids, vocab, order, smoothing, **kw)


def p(model, word, *context):
    """p(word | <s> context...) from the model's scorer (full_scores of the shortest sentence)."""
    scores = model.full_scores(list(context) + [word], eos=False)
    return 10 ** scores[-1][0]


# -- hand-computed probabilities (the slides' corpus) -----------------------------------------------
def test_counts_toy():
    ids, vocab = encode(TOY)
    c = count_ngrams(ids, vocab, 2)
    assert c.tokens == 13 and c.sentences == 3  # 10 words + 3 </s>
    assert c.counts[1][vocab.stoi["I"]] == 3 and c.counts[1][vocab.stoi["</s>"]] == 3
    V = len(vocab)
    key = lambda a, b: vocab.stoi[a] * V + vocab.stoi[b]
    got = dict(zip(c.keys[2].tolist(), c.counts[2].tolist()))
    assert got[key("<s>", "I")] == 3 and got[key("I", "like")] == 2 and got[key("like", "NLP")] == 1
    assert len(c.keys[2]) == 10  # <s> I, I like, I enjoy, like deep, like NLP, deep learning, enjoy flying, 3 x w </s>


def test_mle_toy():
    m = toy_model(2, "mle")
    assert p(m, "I") == pytest.approx(1.0)  # P(I | <s>) = 3/3
    assert p(m, "like", "I") == pytest.approx(2 / 3)
    assert p(m, "enjoy", "I") == pytest.approx(1 / 3)
    assert p(m, "deep", "I", "like") == pytest.approx(1 / 2)
    assert 10 ** m.score("I like deep learning") == pytest.approx(1 / 3)  # 1 * 2/3 * 1/2 * 1 * 1
    assert m.score("I like flying") == -math.inf  # unseen bigram: MLE gives 0
    uni = toy_model(1, "mle")
    assert p(uni, "I") == pytest.approx(3 / 13) and p(uni, "</s>") == pytest.approx(3 / 13)
    assert p(uni, "like") == pytest.approx(2 / 13)


def test_add_one_toy():
    m = toy_model(2, "add-k", k=1.0)
    # predicted vocabulary: 7 words + </s> + <unk> = 9
    assert p(m, "like", "I") == pytest.approx((2 + 1) / (3 + 9))
    assert p(m, "NLP", "I") == pytest.approx(1 / 12)
    assert p(m, "zebra", "I") == pytest.approx(1 / 12)  # unknown word = <unk>, count 0
    half = toy_model(2, "add-k", k=0.5)
    assert p(half, "like", "I") == pytest.approx(2.5 / (3 + 4.5))


def test_kneser_ney_toy():
    """Interpolated KN with D = 0.75, computed by hand. Continuation counts N1+(. w): every word 1 (one
    distinct left neighbour), </s> 3; total 10; 8 types with a count, so gamma() = 0.75 * 8 / 10 = 0.6."""
    m = toy_model(2, "kn", discount=0.75)
    p1 = lambda a: (a - 0.75) / 10 + 0.6 / 9
    uni = toy_model(1, "kn", discount=0.75)
    # order 1 alone uses raw counts (it is the highest order): (c - 0.75)/13 + gamma/9
    assert p(uni, "I") == pytest.approx((3 - 0.75) / 13 + (0.75 * 8 / 13) / 9)
    gamma_I = 0.75 * 2 / 3  # two word types follow "I", three tokens
    assert p(m, "like", "I") == pytest.approx((2 - 0.75) / 3 + gamma_I * p1(1))
    assert p(m, "flying", "I") == pytest.approx(gamma_I * p1(1))  # unseen bigram backs off
    assert p(m, "</s>", "I") == pytest.approx(gamma_I * p1(3))
    assert p(m, "zebra", "I") == pytest.approx(gamma_I * 0.6 / 9)  # <unk>: only the uniform share
    # absolute discounting: same form, raw counts at the lower order (I: 3, </s>: 3, like: 2, others 1)
    a = toy_model(2, "absolute", discount=0.75)
    pa = lambda c: (c - 0.75) / 13 + (0.75 * 8 / 13) / 9
    assert p(a, "like", "I") == pytest.approx(1.25 / 3 + gamma_I * pa(2))
    assert p(a, "flying", "I") == pytest.approx(gamma_I * pa(1))


def test_modified_kn_discounts_formula():
    a = np.array([1] * 10 + [2] * 5 + [3] * 3 + [4] * 2 + [7] * 4)
    n1, n2, n3, n4 = 10, 5, 3, 2
    y = n1 / (n1 + 2 * n2)
    assert mkn_discounts(a, 2) == pytest.approx((1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3))


def test_discount_fallback_on_tiny_corpus():
    ids, vocab = encode(TOY)
    with pytest.warns(DiscountWarning, match="D1=0.5 D2=1.0 D3\\+=1.5"):
        m = NgramModel.fit(ids, vocab, 3, "mkn")
    assert m.discounts[3] == FALLBACK_MKN
    total = np.sum(10 ** m.distribution([vocab.stoi["<s>"], vocab.stoi["I"]]))
    assert total == pytest.approx(1.0)
    with pytest.warns(DiscountWarning, match="D=0.75"):
        NgramModel.fit(*encode(["a b", "c d"]), 2, "kn")


# -- distributions sum to one ------------------------------------------------------------------------
sentences = st.lists(st.lists(st.sampled_from("abcde"), min_size=1, max_size=8).map(" ".join), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    sentences,
    st.integers(1, 4),
    st.sampled_from(["mkn", "kn", "absolute", "add-k", "mle"]),
    st.lists(st.sampled_from("abcdez"), max_size=4),
    st.booleans(),
)
def test_distribution_sums_to_one(sents, order, smoothing, history, at_start):
    ids, vocab = encode(sents)
    longest = max(len(s.split()) for s in sents) + 2
    order = min(order, longest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountWarning)
        m = NgramModel.fit(ids, vocab, order, smoothing, k=0.5)
    hist = ([vocab.stoi["<s>"]] if at_start else []) + [vocab[w] for w in history]
    dist = 10 ** m.distribution(hist)
    total = dist.sum()
    if smoothing == "mle" and total == 0:
        return  # an unseen context: MLE has no distribution there
    assert total == pytest.approx(1.0, abs=1e-5)
    assert dist[vocab.stoi["<s>"]] == 0 and dist[vocab.stoi["<pad>"]] == 0
    if smoothing != "mle":
        assert dist[vocab.unk_id] > 0  # <unk> gets mass even when the corpus never shows it


@settings(max_examples=30, deadline=None)
@given(
    sentences,
    st.integers(1, 5),
    st.sampled_from(["mkn", "kn", "absolute", "add-k", "mle"]),
    st.lists(st.sampled_from("abcdez"), min_size=1, max_size=7),
)
def test_vectorized_scores_match_distribution(sents, order, smoothing, sentence):
    """The whole-stream scorer gives each token the probability of the one-context distribution."""
    ids, vocab = encode(sents)
    order = min(order, max(len(s.split()) for s in sents) + 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountWarning)
        m = NgramModel.fit(ids, vocab, order, smoothing)
    scores = m.full_scores(sentence)
    stream = [vocab.stoi["<s>"]] + [vocab[w] for w in sentence] + [vocab.stoi["</s>"]]
    for i, (lp, n, oov) in enumerate(scores, start=1):
        expected = m.distribution(stream[:i])[stream[i]]
        assert lp == pytest.approx(expected, abs=1e-5) or (lp == expected == -math.inf)
        assert 1 <= n <= order and oov == (stream[i] == vocab.unk_id)
    assert m.score(sentence) == pytest.approx(sum(s[0] for s in scores)) or smoothing == "mle"


def test_perplexity_matches_scores():
    m = toy_model(3, "mkn")
    test = ["I like NLP", "I enjoy deep learning"]
    r = m.perplexity(test)
    total = sum(m.score(s) for s in test)
    assert r.tokens == 9 and r.sentences == 2 and r.oov == 0
    assert r.perplexity == pytest.approx(10 ** (-total / 9))
    no_eos = m.perplexity(test, eos=False)
    assert no_eos.tokens == 7
    assert no_eos.logprob == pytest.approx(sum(m.score(s, eos=False) for s in test))


def test_sampling():
    m = toy_model(2, "kn", discount=0.75)
    a = m.sample(10, seed=1)
    assert a == m.sample(10, seed=1) and len(a) == 10
    words = set(" ".join(a).split())
    assert words <= {"I", "like", "deep", "learning", "NLP", "enjoy", "flying", "<unk>"}
    cold = toy_model(2, "mle").sample(5, temperature=0.05, seed=0)
    assert all(s.startswith("I ") for s in cold)  # P(I | <s>) = 1
    assert all(s.startswith("I like") for s in toy_model(2, "mle").sample(3, prefix="I like", seed=2))
    with pytest.raises(WordseqError, match="temperature"):
        m.sample(1, temperature=0)


def test_sampling_is_fast_on_ptb_sized_vocab():
    import time

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(10000)]
    sents = [" ".join(rng.choice(words, size=20)) for _ in range(2000)]
    ids, vocab = encode(sents)
    m = NgramModel.fit(ids, vocab, 3, "kn", discount=0.7)
    t = time.perf_counter()
    out = m.sample(10, seed=0, max_len=30)
    assert len(out) == 10 and time.perf_counter() - t < 1.0


@pytest.mark.filterwarnings("ignore::wordseq.lm.ngram.estimate.DiscountWarning")
def test_chunked_counting_and_estimation_agree(monkeypatch):
    """Counting in many chunks (sorted runs merged) and estimating in slices give the one-pass result."""
    import importlib

    est = importlib.import_module("wordseq.lm.ngram.estimate")  # the package exports a function of that name
    rng = np.random.default_rng(0)
    sents = [" ".join(rng.choice(list("abcdefghijkl"), size=rng.integers(1, 12))) for _ in range(600)]
    ids, vocab = encode(sents)
    whole = count_ngrams(ids, vocab, 4)
    parts = count_ngrams(ids, vocab, 4, chunk=37)
    monkeypatch.setattr(importlib.import_module("wordseq.lm.ngram.counts"), "_MEMMAP_ABOVE", 100)
    on_disk = count_ngrams(ids, vocab, 4, chunk=501)  # per-position ids and chunk keys in temporary files
    for n in range(2, 5):
        for name in ("keys", "counts", "suffix", "bos_first"):
            assert np.array_equal(getattr(whole, name)[n], getattr(parts, name)[n]), (name, n)
            assert np.array_equal(getattr(whole, name)[n], getattr(on_disk, name)[n]), (name, n)
    one = NgramModel.from_counts(whole, "mkn")
    monkeypatch.setattr(est, "SLICE", 29)
    sliced = NgramModel.from_counts(parts, "mkn", release=True)
    for n in range(1, 5):  # equal up to float32 rounding (per-context sums are added slice by slice)
        assert np.allclose(one.logprob[n], sliced.logprob[n], rtol=0, atol=1e-6)
        if n < 4:
            assert np.allclose(one.logbow[n], sliced.logbow[n], rtol=0, atol=1e-6)


# -- bad input ---------------------------------------------------------------------------------------
def test_bad_orders():
    ids, vocab = encode(TOY)
    with pytest.raises(WordseqError, match="at least 1"):
        count_ngrams(ids, vocab, 0)
    with pytest.raises(WordseqError, match="larger than this corpus allows.*longest sentence has 4 tokens"):
        count_ngrams(ids, vocab, 7)
    count_ngrams(ids, vocab, 6)  # <s> + 4 words + </s>


def test_empty_corpus(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(WordseqError, match="empty"):
        NgramModel.train(empty, order=3)
    _ids, vocab = encode(TOY)
    with pytest.raises(WordseqError, match="empty corpus"):
        count_ngrams(np.zeros(0, np.int32), vocab, 2)


def test_all_unknown_test_corpus():
    """Every word unknown: the perplexity is finite and the OOV count says why (NLTK gives inf there)."""
    for smoothing in ("mkn", "kn", "absolute", "add-k"):
        m = toy_model(3, smoothing)
        r = m.perplexity(["zebra quagga", "okapi"])
        assert math.isfinite(r.perplexity) and r.perplexity > 0
        assert r.oov == 3 and r.tokens == 5 and r.zero == 0
        assert math.isfinite(r.perplexity_without_oov)  # only the two </s> remain
    mle = toy_model(2, "mle").perplexity(["zebra"])
    assert mle.perplexity == math.inf and mle.zero == 2 and mle.oov == 1  # MLE: honest zero, no exception


def test_empty_test_corpus():
    with pytest.raises(WordseqError, match="nothing to score"):
        toy_model(2, "mkn").perplexity([])


def test_unknown_smoothing_and_options():
    ids, vocab = encode(TOY)
    with pytest.raises(WordseqError, match="unknown smoothing"):
        NgramModel.fit(ids, vocab, 2, "witten-bell")
    with pytest.raises(WordseqError, match="discount"):
        NgramModel.fit(ids, vocab, 2, "kn", discount=1.5)
    with pytest.raises(WordseqError, match="-k must be positive"):
        NgramModel.fit(ids, vocab, 2, "add-k", k=0)


def test_corpus_unk_is_the_model_unk():
    """An <unk> in the training text (as in PTB) is the vocabulary's <unk>, counted like a word."""
    ids, vocab = encode(["a <unk> b", "a <unk> c", "<unk> b"])
    assert vocab.stoi["<unk>"] == vocab.unk_id
    m = NgramModel.fit(ids, vocab, 2, "kn", discount=0.5)
    assert m.counts is None and p(m, "b", "<unk>") > p(m, "a", "<unk>")
    assert p(m, "zebra", "a") == p(m, "<unk>", "a")


def test_unk_from_a_vocabulary_threshold(tmp_path):
    """With min_count, rare training words become <unk>, which then has counts (and n-grams) of its own."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\na b d\na b e\na x b\n")
    m = NgramModel.train(corpus, order=2, smoothing="kn", min_count=2, discount=0.5)
    assert "c" not in m.vocab.stoi and "b" in m.vocab.stoi
    # <unk> followed b once and preceded </s> three times: P(</s> | <unk>) is high, as for any seen word
    assert p(m, "</s>", "<unk>") > 0.5
    assert p(m, "zzz", "b") == p(m, "c", "b") == p(m, "<unk>", "b")
    assert p(m, "<unk>", "b") > p(m, "a", "b")  # three of b's four successors were rare words


def test_sixth_order_and_beyond():
    rng = np.random.default_rng(1)
    sents = [" ".join(rng.choice(list("abcdefghij"), size=rng.integers(5, 15))) for _ in range(400)]
    ids, vocab = encode(sents)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountWarning)
        for order in (6, 8):
            m = NgramModel.fit(ids, vocab, order, "mkn")
            assert m.sizes()[-1] > 0
            assert (
                10 ** m.distribution([vocab.stoi["<s>"]] + vocab.encode(["a", "b", "c", "d", "e", "f", "g"]).tolist())
            ).sum() == pytest.approx(1.0)
            assert max(n for _, n, _ in m.full_scores(sents[0])) == order  # a training sentence: longest match
