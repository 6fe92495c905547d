"""ARPA files and model files: round trips, agreement with the kenlm module both ways, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.demo import bundled_corpus
from wordseq.errors import InputError, WordseqError
from wordseq.lm.ngram import NgramModel
from wordseq.lm.ngram.arpa import ArpaTables, read_arpa
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
    return NgramModel(order=4, smoothing="mkn").fit(shakespeare / "train.txt", tokenizer=Tokenizer())


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
    r1, r2 = model4.evaluate(shakespeare / "test.txt"), back.evaluate(shakespeare / "test.txt")
    assert r1.perplexity == r2.perplexity and r1.tokens == r2.tokens
    addk = NgramModel(order=2, smoothing="add-k", k=0.1).fit(shakespeare / "train.txt")
    back = NgramModel.load(addk.save(tmp_path / "addk.wsq"))
    assert back.smoothing == "add-k" and back.k == 0.1
    assert back.score("the king") == addk.score("the king")
    with pytest.raises(WordseqError, match="no exact ARPA form"):
        addk.save(tmp_path / "addk.arpa")
    assert not (tmp_path / "addk.arpa").exists()


def test_tokenizer_is_stored(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("The Cat sat.\nthe cat ran.\n")
    m = NgramModel(order=2, smoothing="kn", discount=0.5).fit(corpus, tokenizer=Tokenizer("word", lower=True))
    back = NgramModel.load(m.save(tmp_path / "m.wsq"))
    assert back.tokenizer == Tokenizer("word", lower=True)
    assert back.full_scores("THE CAT.") == m.full_scores(["the", "cat", "."])
    assert not any(oov for _, _, oov in back.full_scores("THE CAT."))


# -- kenlm ------------------------------------------------------------------------------------------
def _kenlm():
    import kenlm  # a dev dependency that `make test` installs: a missing module fails, never skips

    return kenlm


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
    ours, theirs = NgramModel.load(path), kenlm.Model(str(path))
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
    ours, theirs = NgramModel.load(path), kenlm.Model(str(path))
    for _ in range(200):
        s = " ".join(rng.choice(content[2:] + ["oov"], size=rng.integers(1, 9)))
        a, b = ours.full_scores(s), list(theirs.full_scores(s))
        assert [x[1] for x in a] == [x[1] for x in b], s
        assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-5), s


def test_missing_unk_gets_kenlm_value(tmp_path):
    path = tmp_path / "nounk.arpa"
    path.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-0.5\t</s>\n-99\t<s>\n-0.2\ta\n\n\\end\\\n")
    with pytest.warns(UserWarning, match="no <unk>"):
        m = NgramModel.load(path)
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
    tables = read_arpa(path)
    assert isinstance(tables, ArpaTables) and tables.order == 2 and tables.declared == [4, 2]
    assert tables.words[:4] == ["<unk>", "<pad>", "<s>", "</s>"] and tables.words[4:] == ["a"]
    m = NgramModel.load(path)
    assert m.order == 2 and m.score("a") == pytest.approx(-0.3)
    assert m.smoothing == "arpa" and m.summary().kind == "ngram-arpa"


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


# -- round trips for every smoothing, compressed files, standard input -----------------------------------
SMALL = ["the cat sat", "the dog sat", "a cat ran", "the cat ran away", "a dog sat down", "the end"]


def _small(smoothing):
    import warnings

    from wordseq.lm.ngram import DiscountWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountWarning)
        return NgramModel(order=3, smoothing=smoothing, k=0.5).fit(SMALL * 3)


PROBES = ["the cat sat", "a dog ran away", "the platypus sat", "end the"]


@pytest.mark.parametrize("smoothing", ["mkn", "kn", "absolute", "add-k", "mle"])
def test_wsq_round_trip_every_smoothing(smoothing, tmp_path):
    import wordseq.models

    m = _small(smoothing)
    path = m.save(tmp_path / "m.wsq")
    assert path == tmp_path / "m.wsq"
    for back in (NgramModel.load(path), wordseq.models.load(path)):
        assert isinstance(back, NgramModel) and back.config == m.config and back.vocab == m.vocab
        assert back.form == m.form and back.discounts == m.discounts and back.history == m.history
        assert [back.full_scores(s) for s in PROBES] == [m.full_scores(s) for s in PROBES]
        assert back.evaluate(SMALL) == m.evaluate(SMALL)
        assert back.generate(5, seed=3) == m.generate(5, seed=3)
        a, b = back.summary(), m.summary()
        assert (a.kind, a.config, a.layers, a.extra) == (b.kind, b.config, b.layers, b.extra)
        assert "wordseq_version" in a.provenance
    assert wordseq.models.kind_of(path) == f"ngram-{smoothing}"


@pytest.mark.parametrize("smoothing", ["mkn", "kn", "absolute"])
@pytest.mark.parametrize("suffix", [".arpa", ".arpa.gz", ".arpa.bz2", ".arpa.xz"])
def test_arpa_round_trip_every_backoff_smoothing(smoothing, suffix, tmp_path):
    m = _small(smoothing)
    path = m.save(tmp_path / f"m{suffix}")
    back = NgramModel.load(path)
    assert back.smoothing == "arpa" and back.order == 3 and back.vocab.itos == m.vocab.itos
    for s in PROBES:
        a, b = m.full_scores(s), back.full_scores(s)
        assert [x[1:] for x in a] == [x[1:] for x in b]
        assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-5)
    assert back.evaluate(SMALL).perplexity == pytest.approx(m.evaluate(SMALL).perplexity, rel=1e-5)
    again = NgramModel.load(back.save(tmp_path / "again.wsq"))  # an ARPA model saves as .wsq too
    assert again.smoothing == "arpa" and [again.score(s) for s in PROBES] == [back.score(s) for s in PROBES]
    plain = m.save(tmp_path / "plain.arpa").read_bytes()
    import bz2
    import gzip
    import lzma

    opener = {".arpa": open, ".arpa.gz": gzip.open, ".arpa.bz2": bz2.open, ".arpa.xz": lzma.open}[suffix]
    with opener(path, "rb") as f:
        assert f.read() == plain  # the same text, compressed


@pytest.mark.parametrize("compress", ["gzip", "bz2", "lzma"])
def test_compressed_arpa_without_its_name_is_found_by_its_bytes(compress, tmp_path):
    import importlib

    path = tmp_path / "model.bin"
    path.write_bytes(importlib.import_module(compress).compress(GOOD.encode()))
    m = NgramModel.load(path)
    assert m.order == 2 and m.score("a") == pytest.approx(-0.3)


def test_arpa_from_standard_input(monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD.encode())))
    m = NgramModel.load("-")
    assert m.order == 2 and m.score("a") == pytest.approx(-0.3)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD.replace("ngram 2=2", "ngram 2=3").encode())))
    with pytest.raises(InputError, match=r"^-:13: the header declares 3 2-grams"):
        read_arpa("-")


@pytest.mark.parametrize("suffix, compress", [(".arpa.gz", "gzip"), (".arpa.bz2", "bz2"), (".arpa.xz", "lzma")])
def test_bad_compressed_arpa_names_file_and_line(suffix, compress, tmp_path):
    import importlib

    module = importlib.import_module(compress)
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(module.compress(GOOD.replace("-0.4\ta\t-0.2", "-0.4x\ta\t-0.2").encode()))
    with pytest.raises(InputError, match=rf"bad{suffix}:9: log10 probability '-0.4x' is not a number"):
        NgramModel.load(path)
    whole = module.compress(GOOD.encode())
    path.write_bytes(whole[: len(whole) // 2])  # cut short
    with pytest.raises(InputError, match=rf"bad{suffix}: damaged or truncated compressed file"):
        NgramModel.load(path)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        NgramModel.load(tmp_path / "nope.arpa")
    with pytest.raises(InputError, match="no such file"):
        NgramModel.load(tmp_path / "nope.wsq")
    from wordseq.io.modelfile import ModelFile, save_model

    other = save_model(tmp_path / "other.wsq", ModelFile("word2vec", {}, {"x": np.zeros(2)}))
    with pytest.raises(InputError, match="is a 'word2vec' model, not an n-gram model"):
        NgramModel.load(other)


def test_model_file_of_the_earlier_layout_still_loads(tmp_path):
    """Files written before NgramConfig kept the table form, tokenizer and discounts inside the config."""
    from wordseq.io.modelfile import ModelFile, load_model, save_model

    m = _small("kn")
    mf = load_model(m.save(tmp_path / "new.wsq"))
    old_config = {
        "order": 3,
        "form": "backoff",
        "smoothing": "kn",
        "k": 0.5,
        "discounts": [None if d is None else list(d) for d in m.discounts],
        "tokenizer": m.tokenizer.config(),
    }
    old = save_model(tmp_path / "old.wsq", ModelFile("ngram-kn", old_config, mf.tensors, {"vocab": m.vocab}))
    back = NgramModel.load(old)
    assert back.config == m.config and back.discounts == m.discounts
    assert [back.full_scores(s) for s in PROBES] == [m.full_scores(s) for s in PROBES]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["a", "b", "c", "dé", "e-f"]), min_size=1, max_size=7), min_size=1, max_size=10),
    st.integers(1, 4),
    st.sampled_from(["mkn", "kn", "absolute"]),
    st.sampled_from([".arpa", ".arpa.gz", ".arpa.bz2", ".arpa.xz"]),
)
def test_any_model_reads_back_from_arpa(sentences, order, smoothing, suffix):
    """Property: whatever the corpus, order and estimator, the ARPA file read back scores every token as the
    model did (to the 6 decimals ARPA keeps), with the same n-gram order used."""
    import tempfile
    import warnings

    from wordseq.lm.ngram import DiscountWarning

    order = min(order, max(len(s) for s in sentences) + 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountWarning)
        m = NgramModel(order=order, smoothing=smoothing).fit(sentences)
    with tempfile.TemporaryDirectory() as d:
        back = NgramModel.load(m.save(f"{d}/m{suffix}"))
    assert back.sizes() == m.sizes()
    for s in sentences[:3] + [["zz", "a"], ["b", "b", "b"]]:
        a, b = m.full_scores(s), back.full_scores(s)
        assert [x[1:] for x in a] == [x[1:] for x in b]
        assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=5e-6)  # 6 decimals per stored value
