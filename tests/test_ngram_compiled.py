"""The compiled n-gram paths give what the numpy paths give: scoring (per sentence, whole text, hashed or not),
the compiled ARPA reader (same tables, same refusals), and memory-mapped model files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordseq.errors import InputError
from wordseq.lm.ngram import NgramModel
from wordseq.lm.ngram.arpa import _layout, _read_bytes, _read_checked, _read_compiled, read_arpa

WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "caf\u00e9", "\u65e5\u672c"]


def _corpus(seed: int, lines: int = 400) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(1, 9))) for _ in range(lines)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("compiled")
    fitted = NgramModel(order=4, smoothing="mkn").fit(_corpus(0))
    arpa = NgramModel.load(fitted.save(d / "m.arpa"))
    return fitted, arpa, d


def _numpy_only(model: NgramModel) -> NgramModel:
    """The same model scored by the numpy passes (the compiled scorer switched off)."""
    other = NgramModel.load(model.info["source"]) if "source" in model.info else None
    assert other is not None
    other._scorer = lambda: None  # type: ignore[method-assign]
    return other


SENTENCES = [
    "the cat sat on a mat",
    "the zebra sat",  # an unknown word
    "",
    "a",
    "dog ran the cat <s> the mat",  # a literal <s> inside
    "the\u00a0cat\u3000sat\x1con\ta  mat",  # Unicode whitespace, as str.split() splits on
    "caf\u00e9 \u65e5\u672c caf\u00e9e </s> dog",
    " ".join(["the cat"] * 200),  # longer than the scorer's first row buffer
    " ".join(["a dog"] * 2500),  # longer than its scratch memory: allocated for the call
]


@pytest.mark.parametrize("hashed", [False, True])
def test_sentence_scores_equal_numpy_path(models, hashed):
    _, arpa, _ = models
    slow = _numpy_only(arpa)
    scorer = arpa._scorer()
    if hashed:
        assert arpa.index() is arpa
    else:
        scorer._budget = 1 << 60  # stay on binary search throughout
    assert scorer.indexed == hashed
    for s in SENTENCES:
        for bos in (True, False):
            for eos in (True, False):
                a, b = arpa.full_scores(s, bos=bos, eos=eos), slow.full_scores(s, bos=bos, eos=eos)
                assert [x[1:] for x in a] == [x[1:] for x in b], (s, bos, eos)
                assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-9), (s, bos, eos)
                assert arpa.score(s, bos=bos, eos=eos) == pytest.approx(slow.score(s, bos=bos, eos=eos), abs=1e-9)
    assert scorer.indexed == hashed


def _fresh(d: Path, hashed: bool) -> NgramModel:
    """The ARPA model read again, its compiled scorer on probing tables or kept on binary search."""
    model = NgramModel.load(d / "m.arpa")
    if hashed:
        model.index()
    else:
        model._scorer()._budget = 1 << 60
    return model


@pytest.mark.parametrize("long", [False, True])
def test_whole_text_equals_encoder_path(models, tmp_path, long):
    fitted, _, d = models
    text = "\n".join(SENTENCES) + "\r\n\n  \nthe cat\n" + "a mat"  # blank lines, CRLF, no final line end
    if long:  # many blocks of ids (their lookahead ends at each block's end), a written </s> across a block end
        lines = _corpus(2, 1500)
        lines[700] += " </s> a cat </s>"
        text = "\n".join(lines[:750]) + "\n" + text + "\n" + "\n".join(lines[750:])
    path = tmp_path / "test.txt"
    path.write_text(text, encoding="utf-8")
    for model in (fitted, _fresh(d, False), _fresh(d, True)):
        for eos in (True, False):
            fast = model.evaluate(path, eos=eos)
            slow = model.evaluate([Path(path)], eos=eos)  # a list of paths goes through the encoder
            assert fast.tokens == slow.tokens and fast.sentences == slow.sentences and fast.oov == slow.oov
            assert fast.log10_prob == pytest.approx(slow.log10_prob, abs=1e-6)
            assert fast.perplexity_without_oov == pytest.approx(slow.perplexity_without_oov, rel=1e-9)


def test_hash_tables_give_the_same_totals(models, tmp_path):
    _, _, d = models
    path = tmp_path / "big.txt"
    path.write_text("\n".join(_corpus(1, 3000)) + "\n", encoding="utf-8")
    scorer = _fresh(d, False)._scorer()
    plain = scorer.score_text(path.read_bytes())
    assert not scorer.indexed
    scorer.index()
    assert np.allclose(scorer.score_text(path.read_bytes()), plain, atol=1e-6)


# an ARPA file whose 3-gram "a b c" lacks its suffix "b c": a lookup miss must not end the search there
NOT_SUFFIX_CLOSED = (
    "\\data\\\nngram 1=6\nngram 2=3\nngram 3=1\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>\t-0.3\n-0.7\t</s>\n"
    "-0.6\ta\t-0.2\n-0.8\tb\t-0.25\n-0.9\tc\t-0.1\n\n\\2-grams:\n-0.3\t<s> a\t-0.05\n-0.2\ta b\t-0.15\n"
    "-0.4\tc </s>\n\n\\3-grams:\n-0.05\ta b c\n\n\\end\\\n"
)


def test_model_without_suffix_closure_scores_as_numpy_path(tmp_path):
    path = tmp_path / "open.arpa"
    path.write_text(NOT_SUFFIX_CLOSED)
    model, slow = NgramModel.load(path), NgramModel.load(path)
    slow._scorer = lambda: None  # type: ignore[method-assign]
    model._scorer().index()
    for s in ["a b c", "b c", "a b c a b c", "c a b"]:
        a, b = model.full_scores(s), slow.full_scores(s)
        assert [x[1:] for x in a] == [x[1:] for x in b], s
        assert np.allclose([x[0] for x in a], [x[0] for x in b], atol=1e-9), s
    assert not model._scorer().closed  # the scorer saw that suffixes are missing
    assert model.full_scores("a b c")[2][1] == 3  # the 3-gram is found although "b c" is not a 2-gram


# -- the compiled ARPA reader -------------------------------------------------------------------------------
def _same_tables(a, b) -> None:
    assert a.words == b.words and a.order == b.order and a.declared == b.declared
    for n in range(1, a.order + 1):
        if n >= 2:
            assert np.array_equal(a.keys[n], b.keys[n])
        assert np.array_equal(a.logprob[n], b.logprob[n])
        if n < a.order:
            assert np.array_equal(a.logbow[n], b.logbow[n])


def test_compiled_reader_equals_checking_reader(models):
    _, _, d = models
    data = _read_bytes(d / "m.arpa")
    layout = _layout("m.arpa", data)
    fast = _read_compiled("m.arpa", data, *layout)
    assert fast is not None  # a well-formed file never needs the checking reader
    _same_tables(fast[0], _read_checked("m.arpa", data, *layout)[0])


def _outcome(read, path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read(path)
    except InputError as e:
        return str(e)


def _checked(path):
    data = _read_bytes(path)
    return _read_checked(path, data, *_layout(path, data))[0]


@pytest.fixture(scope="module")
def small_arpa(tmp_path_factory):
    model = NgramModel(order=3, smoothing="mkn").fit(_corpus(2, 60))
    return model.save(tmp_path_factory.mktemp("arpa") / "small.arpa").read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.data(),
    st.sampled_from(["delete", "insert", "replace", "drop line", "repeat line", "swap fields"]),
)
def test_mutated_arpa_same_answer_as_checking_reader(small_arpa, tmp_path, data, how):
    """Whatever is done to a line, the compiled reader returns what the checking reader returns, or the
    same refusal naming the same file and line."""
    lines = small_arpa.split("\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    piece = data.draw(st.sampled_from([" ", "\t", "x", "-", ".", "e", "1", "0", "+", "\u00a0", "a", "<s>", "\r"]))
    j = data.draw(st.integers(0, len(line)))
    if how == "delete" and line:
        line = line[: min(j, len(line) - 1)] + line[min(j, len(line) - 1) + 1 :]
    elif how == "insert":
        line = line[:j] + piece + line[j:]
    elif how == "replace" and line:
        k = min(j, len(line) - 1)
        line = line[:k] + piece + line[k + 1 :]
    elif how == "swap fields":
        fields = line.split("\t")
        line = "\t".join(fields[::-1])
    if how == "drop line":
        del lines[i]
    elif how == "repeat line":
        lines.insert(i, lines[i])
    else:
        lines[i] = line
    path = tmp_path / "mutated.arpa"
    path.write_text("\n".join(lines), encoding="utf-8")
    got, want = _outcome(read_arpa, path), _outcome(_checked, path)
    if isinstance(want, str):
        assert got == want
    else:
        assert not isinstance(got, str), got
        _same_tables(got, want)


# -- memory-mapped model files ------------------------------------------------------------------------------
def test_memory_mapped_model_scores_the_same(models, tmp_path):
    fitted, _, _ = models
    path = fitted.save(tmp_path / "m.wsq")
    mapped = NgramModel.load(path, mmap=True)
    assert mapped._vocab is None  # the vocabulary is not decoded to score text
    for s in SENTENCES:
        assert mapped.full_scores(s) == fitted.full_scores(s)
    text = tmp_path / "t.txt"
    text.write_text("\n".join(SENTENCES), encoding="utf-8")
    assert mapped.evaluate(text).log10_prob == pytest.approx(fitted.evaluate(text).log10_prob, abs=1e-9)
    assert mapped._vocab is None  # nor to score a text file (seconds on a model of millions of words)
    assert not mapped.keys[3].flags.writeable  # a view of the read-only map, not a copy
    assert mapped.vocab.itos == fitted.vocab.itos  # decoded on demand


def test_truncated_model_file_refused_when_mapped(models, tmp_path):
    fitted, _, _ = models
    path = fitted.save(tmp_path / "m.wsq")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 100])
    with pytest.raises(InputError, match="truncated or corrupt"):
        NgramModel.load(path, mmap=True)


def test_pickled_model_scores_the_same(models):
    """The compiled scorer holds raw addresses: a pickled model leaves it behind and builds a new one."""
    import pickle

    _, arpa, _ = models
    arpa.index()
    want = [arpa.full_scores(s) for s in SENTENCES]
    copy = pickle.loads(pickle.dumps(arpa))
    assert copy._compiled is None
    assert [copy.full_scores(s) for s in SENTENCES] == want
