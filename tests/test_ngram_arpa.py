"""ARPA files and model files: round trips, agreement with the kenlm module both ways, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from wordseq.demo import bundled_corpus
from wordseq.errors import InputError, WordseqError
from wordseq.lm.ngram import NgramModel
from wordseq.lm.ngram.arpa import read_arpa
from wordseq.text.tokenize import Tokenizer


@pytest.fixture(scope="module")
def shakespeare(tmp_path_factory):
    """Train / test text from the bundled corpus (a few thousand lines; whitespace tokens)."""
    lines = [ln for ln in bundled_corpus().read_text(encoding="utf-8").splitlines() if ln.strip()]
    d = tmp_path_factory.mktemp("shakespeare")
    (d / "train.txt").write_text("\n".join(lines[:6000]) + "\n", encoding="utf-8")
    (d / "test.txt").write_text("\n".join(lines[20000:20300]) + "\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def model4(shakespeare):
    return NgramModel.train(shakespeare / "train.txt", order=4, smoothing="mkn", tokenizer=Tokenizer())


def test_arpa_round_trip(model4, tmp_path):
    for name in ("m.arpa", "m.arpa.gz"):
        path = model4.save(tmp_path / name)
        back = NgramModel.load(path)
        assert back.order == 4 and back.sizes() == model4.sizes()
        assert set(back.vocab.itos) == set(model4.vocab.itos)
        words = model4.vocab.itos
        remap = np.array([back.vocab.stoi[w] for w in words])
        assert np.allclose(back.logprob[1][remap][model4.predicted()], model4.logprob[1][model4.predicted()], atol=1e-6)
        for line in ["First Citizen :", "the king is dead", "unheard-of words here"]:
            a, b = model4.full_scores(line), back.full_scores(line)
            assert [x[1] for x in a] == [x[1] for x in b]
            assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-5)
    assert (tmp_path / "m.arpa").read_text().startswith("\n\\data\\\nngram 1=")


def test_model_file_round_trip(model4, tmp_path, shakespeare):
    back = NgramModel.load(model4.save(tmp_path / "m.wsq"))
    assert back.tokenizer == model4.tokenizer and back.smoothing == "mkn"
    for n in range(2, 5):
        assert np.array_equal(back.keys[n], model4.keys[n]) and np.array_equal(back.logprob[n], model4.logprob[n])
    r1, r2 = model4.perplexity(shakespeare / "test.txt"), back.perplexity(shakespeare / "test.txt")
    assert r1.perplexity == r2.perplexity and r1.tokens == r2.tokens
    addk = NgramModel.train(shakespeare / "train.txt", order=2, smoothing="add-k", k=0.1)
    back = NgramModel.load(addk.save(tmp_path / "addk.wsq"))
    assert back.smoothing == "add-k" and back.k == 0.1
    assert back.score("the king") == addk.score("the king")
    with pytest.raises(WordseqError, match="no exact ARPA form"):
        addk.save(tmp_path / "addk.arpa")
    assert not (tmp_path / "addk.arpa").exists()


def test_tokenizer_is_stored(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("The Cat sat.\nthe cat ran.\n")
    m = NgramModel.train(corpus, order=2, smoothing="kn", tokenizer=Tokenizer("word", lower=True), discount=0.5)
    back = NgramModel.load(m.save(tmp_path / "m.wsq"))
    assert back.tokenizer == Tokenizer("word", lower=True)
    assert back.full_scores("THE CAT.") == m.full_scores(["the", "cat", "."])
    assert not any(oov for _, _, oov in back.full_scores("THE CAT."))


# -- kenlm ------------------------------------------------------------------------------------------
def _kenlm():
    return pytest.importorskip("kenlm", reason="the kenlm module is not installed; kenlm comparisons skipped")


def test_kenlm_reads_our_arpa_and_agrees(model4, tmp_path, shakespeare):
    kenlm = _kenlm()
    path = model4.save(tmp_path / "m.arpa")
    k = kenlm.Model(str(path))
    assert k.order == 4
    lines = (shakespeare / "test.txt").read_text(encoding="utf-8").splitlines()
    worst, n = 0.0, 0
    for line in lines:
        ours = model4.full_scores(line)
        theirs = list(k.full_scores(line))
        assert [o[1] for o in ours] == [t[1] for t in theirs], line
        assert [o[2] for o in ours] == [t[2] for t in theirs], line
        worst = max(worst, max(abs(o[0] - t[0]) for o, t in zip(ours, theirs)))
        n += len(ours)
        assert model4.score(line, eos=False) == pytest.approx(k.score(line, bos=True, eos=False), abs=1e-3)
    assert n > 2000 and worst < 1e-4


# Written the way SRILM's ngram-count writes a file: unigrams with and without backoff weights, a bigram
# context without a trigram, -99 for <s>.
OTHER_TOOL_ARPA = """\\data\\
ngram 1=8
ngram 2=8
ngram 3=4

\\1-grams:
-1.0791812\t</s>
-99\t<s>\t-0.30103
-1.3\t<unk>
-0.7781513\tthe\t-0.2
-1.2\tcat\t-0.15
-1.4\tdog\t-0.1
-1.1\tsat\t-0.25
-1.6\tran

\\2-grams:
-0.3\t<s> the\t-0.1
-0.5\tthe cat\t-0.05
-0.7\tthe dog
-0.2\tcat sat\t-0.12
-0.4\tdog ran
-0.3\tsat </s>
-0.6\tran </s>
-1.0\t<s> cat\t-0.3

\\3-grams:
-0.1\t<s> the cat
-0.2\tthe cat sat
-0.05\tcat sat </s>
-0.5\t<s> cat sat

\\end\\
"""


def test_other_tools_arpa_scores_like_kenlm(tmp_path):
    kenlm = _kenlm()
    path = tmp_path / "srilm.arpa"
    path.write_text(OTHER_TOOL_ARPA)
    ours, theirs = read_arpa(path), kenlm.Model(str(path))
    sentences = [
        "the cat sat",
        "the dog ran",
        "cat sat",
        "the cat ran",
        "dog the cat sat sat",
        "a platypus sat",
        "",
        "ran ran ran the",
    ]
    for s in sentences:
        for bos in (True, False):
            for eos in (True, False):
                a = ours.full_scores(s, bos=bos, eos=eos)
                b = list(theirs.full_scores(s, bos=bos, eos=eos))
                assert [x[1] for x in a] == [x[1] for x in b], (s, bos, eos)
                assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-5), (s, bos, eos, a, b)


def test_random_arpa_scores_like_kenlm(tmp_path):
    """Any well-formed ARPA file (probabilities need not be normalized) scores the same in both."""
    kenlm = _kenlm()
    rng = np.random.default_rng(3)
    words = ["<s>", "</s>", "<unk>"] + [f"w{i}" for i in range(12)]
    content = [w for w in words if w != "<s>"]
    grams = {1: [(w,) for w in words]}
    for n in (2, 3):
        pool = set()
        while len(pool) < 25 * n:
            g = tuple(rng.choice(grams[n - 1])) if n > 2 else (str(rng.choice(words[:1] + content[2:])),)
            pool.add(g + (str(rng.choice(content)),))
        # keep only n-grams whose context and suffix are present (as every toolkit writes them)
        grams[n] = sorted(g for g in pool if g[:-1] in set(grams[n - 1]) and (n == 2 or g[1:] in set(grams[n - 1])))
    lines = ["\\data\\"] + [f"ngram {n}={len(grams[n])}" for n in (1, 2, 3)]
    for n in (1, 2, 3):
        lines += ["", f"\\{n}-grams:"]
        for g in grams[n]:
            lp = -99 if g == ("<s>",) else -rng.uniform(0.05, 2.5)
            row = f"{lp:.6f}\t{' '.join(g)}"
            if n < 3 and rng.random() < 0.7:
                row += f"\t{-rng.uniform(0, 1):.6f}"
            lines.append(row)
    lines += ["", "\\end\\", ""]
    path = tmp_path / "random.arpa"
    path.write_text("\n".join(lines))
    ours, theirs = read_arpa(path), kenlm.Model(str(path))
    for _ in range(200):
        s = " ".join(rng.choice(content[2:] + ["oov"], size=rng.integers(1, 9)))
        a, b = ours.full_scores(s), list(theirs.full_scores(s))
        assert [x[1] for x in a] == [x[1] for x in b], s
        assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-5), s


def test_missing_unk_gets_kenlm_value(tmp_path):
    path = tmp_path / "nounk.arpa"
    path.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-0.5\t</s>\n-99\t<s>\n-0.2\ta\n\n\\end\\\n")
    with pytest.warns(UserWarning, match="no <unk>"):
        m = read_arpa(path)
    assert m.full_scores("zzz", eos=False)[0][0] == pytest.approx(-100.0)


# -- bad ARPA files -------------------------------------------------------------------------------------
GOOD = (
    "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-0.5\t</s>\n-99\t<s>\t-0.1\n-1\t<unk>\n-0.4\ta\t-0.2\n\n"
    "\\2-grams:\n-0.2\t<s> a\n-0.1\ta </s>\n\n\\end\\\n"
)


def _bad(tmp_path, text):
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        read_arpa(path)
    return str(e.value)


def test_good_arpa_loads(tmp_path):
    path = tmp_path / "good.arpa"
    path.write_text(GOOD)
    m = read_arpa(path)
    assert m.order == 2 and m.score("a") == pytest.approx(-0.3)


@pytest.mark.parametrize(
    "change, message, line",
    [
        (("ngram 2=2", "ngram 2=3"), "declares 3 2-grams but the \\\\2-grams: section has 2", 13),
        (("\\end\\\n", ""), "missing \\\\end\\\\", 15),
        (("-0.1\ta </s>", "-0.1\ta b </s>"), "a 2-gram line needs 2 words", 13),
        (("-0.1\ta </s>", "-0.1\t</s>"), "a 2-gram line needs 2 words", 13),
        (("-0.4\ta\t-0.2", "-0.4x\ta\t-0.2"), "log10 probability '-0.4x' is not a number", 9),
        (("-99\t<s>\t-0.1", "-99\t<s>\tabc"), "backoff weight 'abc' is not a number", 7),
        (("-0.2\t<s> a", "-0.2\t<s> b"), "the word 'b' is not among the unigrams", 12),
        (("ngram 1=4", "ngram 1=5"), "declares 5 1-grams", 9),
        (("\\2-grams:", "\\3-grams:"), "no \\\\2-grams: section", 15),
        (("-0.1\ta </s>", "-0.1\ta </s>\t-0.3"), "the highest order has no backoff weights", 13),
    ],
)
def test_bad_arpa(tmp_path, change, message, line):
    text = GOOD.replace(*change)
    assert text != GOOD
    msg = _bad(tmp_path, text)
    assert message.replace("\\\\", "\\") in msg, msg
    assert f"bad.arpa:{line}:" in msg, msg


def test_not_arpa(tmp_path):
    assert "no \\data\\ header" in _bad(tmp_path, "hello\n")
    assert "is positive" in _bad(tmp_path, GOOD.replace("-0.4\ta", "0.4\ta"))
    assert "appears twice" in _bad(tmp_path, GOOD.replace("-0.1\ta </s>", "-0.2\t<s> a"))
