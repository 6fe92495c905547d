"""N-gram models: hand-computed probabilities on the slides' toy corpus, distributions that sum to one,
the vectorized scorer against the one-context distribution, discount fallback, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.config import ConfigError
from wordseq.errors import WordseqError
from wordseq.lm.ngram import DiscountWarning, NgramConfig, NgramModel, count_ngrams
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
        return NgramModel(order=order, smoothing=smoothing, **kw).fit((ids, vocab))


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
        m = NgramModel(order=3, smoothing="mkn").fit((ids, vocab))
    assert m.discounts[3] == FALLBACK_MKN
    total = np.sum(10 ** m.distribution([vocab.stoi["<s>"], vocab.stoi["I"]]))
    assert total == pytest.approx(1.0)
    with pytest.warns(DiscountWarning, match="D=0.75"):
        NgramModel(order=2, smoothing="kn").fit(encode(["a b", "c d"]))


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
        m = NgramModel(order=order, smoothing=smoothing, k=0.5).fit((ids, vocab))
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
        m = NgramModel(order=order, smoothing=smoothing).fit((ids, vocab))
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
    r = m.evaluate(test)
    total = sum(m.score(s) for s in test)
    assert r.tokens == 9 and r.sentences == 2 and r.oov == 0
    assert r.perplexity == pytest.approx(10 ** (-total / 9))
    no_eos = m.evaluate(test, eos=False)
    assert no_eos.tokens == 7
    assert no_eos.log10_prob == pytest.approx(sum(m.score(s, eos=False) for s in test))


def test_generate():
    m = toy_model(2, "kn", discount=0.75)
    a = m.generate(num_samples=10, seed=1)
    assert a == m.generate(10, seed=1) and len(a) == 10
    words = set(" ".join(a).split())
    assert words <= {"I", "like", "deep", "learning", "NLP", "enjoy", "flying", "<unk>"}
    cold = toy_model(2, "mle").generate(5, temperature=0.05, seed=0)
    assert all(s.startswith("I ") for s in cold)  # P(I | <s>) = 1
    assert all(s.startswith("I like") for s in toy_model(2, "mle").generate(3, prefix="I like", seed=2))
    with pytest.raises(WordseqError, match="temperature"):
        m.generate(1, temperature=0)


def test_generate_is_fast_on_ptb_sized_vocab():
    import time

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(10000)]
    sents = [" ".join(rng.choice(words, size=20)) for _ in range(2000)]
    ids, vocab = encode(sents)
    m = NgramModel(order=3, smoothing="kn", discount=0.7).fit((ids, vocab))
    t = time.perf_counter()
    out = m.generate(10, seed=0, max_len=30)
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
    one = NgramModel.from_counts(whole, NgramConfig(smoothing="mkn"))
    monkeypatch.setattr(est, "SLICE", 29)
    sliced = NgramModel.from_counts(parts, NgramConfig(smoothing="mkn"), release=True)
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
        NgramModel(order=3).fit(empty)
    _ids, vocab = encode(TOY)
    with pytest.raises(WordseqError, match="empty corpus"):
        count_ngrams(np.zeros(0, np.int32), vocab, 2)


def test_all_unknown_test_corpus():
    """Every word unknown: the perplexity is finite and the OOV count says why (NLTK gives inf there)."""
    for smoothing in ("mkn", "kn", "absolute", "add-k"):
        m = toy_model(3, smoothing)
        r = m.evaluate(["zebra quagga", "okapi"])
        assert math.isfinite(r.perplexity) and r.perplexity > 0
        assert r.oov == 3 and r.tokens == 5 and r.zero_prob == 0
        assert math.isfinite(r.perplexity_without_oov)  # only the two </s> remain
    mle = toy_model(2, "mle").evaluate(["zebra"])
    assert mle.perplexity == math.inf and mle.zero_prob == 2 and mle.oov == 1  # MLE: honest zero, no exception


def test_empty_test_corpus():
    with pytest.raises(WordseqError, match="nothing to score"):
        toy_model(2, "mkn").evaluate([])


@pytest.mark.parametrize(
    "settings, field, message",
    [
        ({"smoothing": "witten-bell"}, "smoothing", "NgramConfig.smoothing = 'witten-bell': must be one of 'mkn', "),
        ({"smoothing": "kn", "discount": 1.5}, "discount", "= 1.5: must be a number > 0 and <= 1 (or None)"),
        ({"smoothing": "kn", "discount": 0}, "discount", "= 0: must be a number > 0 and <= 1"),
        ({"smoothing": "mkn", "discount": 0.5}, "discount", "applies only to smoothing 'kn' and 'absolute'"),
        ({"smoothing": "add-k", "k": 0}, "k", "NgramConfig.k = 0: must be a number > 0"),
        ({"order": 0}, "order", "NgramConfig.order = 0: must be an integer >= 1"),
        ({"order": 2.5}, "order", "must be an integer >= 1"),
        ({"min_count": 0}, "min_count", "NgramConfig.min_count = 0: must be an integer >= 1"),
        ({"max_vocab": 2}, "max_vocab", "NgramConfig.max_vocab = 2: must be an integer >= 4 (or None)"),
    ],
)
def test_config_errors_name_the_field(settings, field, message):
    with pytest.raises(ConfigError) as e:
        NgramModel(**settings)
    assert e.value.field == field and message in str(e.value)
    with pytest.raises(ConfigError):
        NgramConfig(**settings)
    with pytest.raises(ConfigError):  # replace validates too
        NgramModel().config.replace(**settings)


def test_arpa_smoothing_cannot_be_fitted():
    with pytest.raises(ConfigError, match="smoothing.*to estimate a model"):
        NgramModel(smoothing="arpa").fit(encode(TOY))


def test_corpus_unk_is_the_model_unk():
    """An <unk> in the training text (as in PTB) is the vocabulary's <unk>, counted like a word."""
    ids, vocab = encode(["a <unk> b", "a <unk> c", "<unk> b"])
    assert vocab.stoi["<unk>"] == vocab.unk_id
    m = NgramModel(order=2, smoothing="kn", discount=0.5).fit((ids, vocab))
    assert m.counts is None and p(m, "b", "<unk>") > p(m, "a", "<unk>")
    assert p(m, "zebra", "a") == p(m, "<unk>", "a")


def test_unk_from_a_vocabulary_threshold(tmp_path):
    """With min_count, rare training words become <unk>, which then has counts (and n-grams) of its own."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\na b d\na b e\na x b\n")
    m = NgramModel(order=2, smoothing="kn", min_count=2, discount=0.5).fit(corpus)
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
            m = NgramModel(order=order, smoothing="mkn").fit((ids, vocab))
            assert m.sizes()[-1] > 0
            assert (
                10 ** m.distribution([vocab.stoi["<s>"]] + vocab.encode(["a", "b", "c", "d", "e", "f", "g"]).tolist())
            ).sum() == pytest.approx(1.0)
            assert max(n for _, n, _ in m.full_scores(sents[0])) == order  # a training sentence: longest match


# -- the estimator convention --------------------------------------------------------------------------
def test_fit_returns_the_model_and_every_data_form_agrees(tmp_path):
    """A path, a list of paths, an Encoded corpus, (ids, vocab) and a list of sentences give one model."""
    from pathlib import Path

    from wordseq.text.encode import encode_corpus

    corpus = tmp_path / "toy.txt"
    corpus.write_text("\n".join(TOY) + "\n")
    ids, vocab = encode(TOY)
    model = NgramModel(order=2, smoothing="kn", discount=0.75)
    assert model.fit((ids, vocab)) is model
    reference = [model.score(s) for s in TOY + ["I like flying", "zebra"]]
    forms = [
        corpus,
        str(corpus),
        [Path(corpus)],
        encode_corpus(corpus, Tokenizer(), cache=False),
        TOY,
        [s.split() for s in TOY],
    ]
    for data in forms:
        other = NgramModel(order=2, smoothing="kn", discount=0.75).fit(data)
        assert [other.score(s) for s in TOY + ["I like flying", "zebra"]] == pytest.approx(reference), data
        assert other.sizes() == model.sizes()


def test_history_has_one_entry_with_counts_seconds_and_valid_perplexity():
    ids, vocab = encode(TOY)
    m = NgramModel(order=2, smoothing="kn", discount=0.75).fit((ids, vocab))
    assert len(m.history) == 1
    entry = m.history[0]
    assert entry["ngrams_per_order"] == m.sizes() == [len(vocab) - 1, 10]
    assert entry["train_tokens"] == 13 and entry["train_sentences"] == 3
    assert all(entry[k] >= 0 for k in ("encode_seconds", "count_seconds", "estimate_seconds"))
    assert "valid_perplexity" not in entry
    valid = ["I like NLP", "I enjoy learning"]
    m.fit((ids, vocab), valid=valid)
    assert len(m.history) == 1  # the history of the last fit only
    assert m.history[0]["valid_perplexity"] == pytest.approx(m.evaluate(valid).perplexity)
    assert m.history[0]["valid_tokens"] == 8  # six words and two </s>


def test_evaluate_is_an_lmscore_in_nats_matching_the_log10_scores():
    from wordseq.lm.scores import LMScore

    m = toy_model(3, "mkn")
    test = ["I like NLP", "I enjoy deep learning", "zebra"]
    r = m.evaluate(test)
    assert isinstance(r, LMScore)
    total_log10 = sum(m.score(s) for s in test)
    assert r.log10_prob == pytest.approx(total_log10)
    assert r.loss_nats == pytest.approx(-total_log10 * math.log(10) / r.tokens)
    assert r.perplexity == pytest.approx(10 ** (-total_log10 / r.tokens))
    assert r.tokens == 11 and r.sentences == 3 and r.oov == 1 and r.zero_prob == 0  # 8 words, 3 </s>


def test_evaluate_re_expresses_another_vocabulary():
    """An Encoded corpus or (ids, vocab) over another vocabulary is scored by its words, not its ids."""
    m = toy_model(2, "kn", discount=0.75)
    test = ["I like NLP", "flying zebra", "I enjoy deep learning"]
    ids, vocab = encode(test)  # ids in a different order, one word (zebra) the model lacks
    assert vocab.itos != m.vocab.itos
    a, b = m.evaluate((ids, vocab)), m.evaluate(test)
    assert a.loss_nats == pytest.approx(b.loss_nats) and a.oov == b.oov == 1 and a.tokens == b.tokens


def test_train_is_a_deprecated_alias(tmp_path):
    corpus = tmp_path / "toy.txt"
    corpus.write_text("\n".join(TOY) + "\n")
    with pytest.warns(DeprecationWarning, match="NgramModel.train is deprecated"):
        old = NgramModel.train(corpus, order=2, smoothing="kn", discount=0.75)
    new = NgramModel(order=2, smoothing="kn", discount=0.75).fit(corpus)
    assert old.score("I like NLP") == new.score("I like NLP")


def test_from_counts_is_a_constructor_taking_the_counts_order():
    ids, vocab = encode(TOY)
    counts = count_ngrams(ids, vocab, 2)
    m = NgramModel.from_counts(counts, NgramConfig(order=5, smoothing="kn", discount=0.75))
    assert m.order == 2 and m.config.order == 2
    assert m.score("I like NLP") == toy_model(2, "kn", discount=0.75).score("I like NLP")
    with pytest.raises(ConfigError, match="smoothing"):
        NgramModel.from_counts(counts, smoothing="nope")


def test_unfitted_model_says_so():
    m = NgramModel(order=2)
    for call in (lambda: m.score("a"), lambda: m.evaluate(["a"]), lambda: m.generate(1), lambda: m.summary()):
        with pytest.raises(WordseqError, match="no tables yet"):
            call()
    assert (
        repr(m)
        == "NgramModel(NgramConfig(order=2, smoothing='mkn', discount=None, k=1.0, min_count=1, max_vocab=None))"
    )


def test_vocabulary_settings_apply_to_text():
    sents = ["a a a b b c", "a b d", "a e"]
    m = NgramModel(order=2, smoothing="kn", discount=0.5, min_count=2).fit(sents)
    assert set(m.vocab.itos) == {"<unk>", "<pad>", "<s>", "</s>", "a", "b"}
    m = NgramModel(order=2, smoothing="kn", discount=0.5, max_vocab=5).fit(sents)
    assert len(m.vocab) == 5 and "a" in m.vocab.stoi and "b" not in m.vocab.stoi


def test_summary():
    m = toy_model(3, "mkn")
    s = m.summary()
    assert s.kind == "ngram-mkn" and s.vocab_size == len(m.vocab)
    assert s.config == m.config.to_dict()
    assert [layer.name for layer in s.layers] == ["1-grams", "2-grams", "3-grams"]
    assert [layer.params for layer in s.layers] == m.sizes() and s.total_params == sum(m.sizes())
    assert s.extra["ngrams per order"] == m.sizes() and len(s.extra["discounts"]) == 3
    text = s.text()
    assert "ngram-mkn" in text and "N-gram table" in text and "discounts" in text
