"""The compiled whitespace splitter gives the Python tokenizer's tokens, ids and counts exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wordseq.text.encode as E
from wordseq.text._split_kernel import SplitTable
from wordseq.text.tokenize import Tokenizer, _split_block

SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
# letters whose UTF-8 starts like a multi-byte separator (C2, E1, E2, E3 lead bytes) but are not one
LOOKALIKES = ["\u00a9", "\u00e9", "\u1681", "\u2018", "\u200b", "\u2060", "\u202e", "\u3001", "\u3042", "\ufffd"]
ALPHABET = SPACES + LOOKALIKES + list("abcxyz<>/") + ["\U0001f600", "\u4e2d"]


def reference(texts: list[str]) -> tuple[list[int], list[str], list[int]]:
    """Ids in order of first appearance ("\\n" is 0), the distinct tokens and their counts, from str.split."""
    index = {"\n": 0}
    ids = []
    for text in texts:
        for t in _split_block(text):
            ids.append(index.setdefault(t, len(index)))
    counts = np.bincount(ids, minlength=len(index)).tolist() if ids else [0]
    return ids, list(index), counts


def compiled(texts: list[str], **sizes) -> tuple[list[int], list[str], list[int]]:
    table = SplitTable(**sizes)
    ids = []
    for text in texts:
        ids += table.split(text.encode("utf-8", "surrogatepass")).tolist()
    return ids, table.tokens(), table.token_counts().tolist()


def test_all_unicode_whitespace_separates_and_only_newline_ends_a_line():
    text = "a" + "a".join(SPACES) + "b\u00a9c\u2018d\n\n"
    ids, tokens, counts = compiled([text])
    assert (ids, tokens, counts) == reference([text])
    assert tokens == ["\n", "a", "b\u00a9c\u2018d"]
    assert counts == [3, len(SPACES), 1]  # "\n" is one of the separators: one line end there, two at the end


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=60), min_size=1, max_size=6))
def test_same_as_str_split_on_any_text(texts):
    assert compiled(texts) == reference(texts)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=200), min_size=1, max_size=8))
def test_growing_from_tiny_tables_changes_nothing(texts):
    assert compiled(texts, types=2, store_bytes=1) == reference(texts)


def test_many_distinct_tokens_grow_the_table_many_times():
    rng = np.random.default_rng(0)
    words = [f"w{i}\u00e9" for i in range(20_000)]
    blocks = [" ".join(rng.choice(words, size=5000)) + "\n" for _ in range(8)]
    assert compiled(blocks, types=4, store_bytes=16) == reference(blocks)


@pytest.mark.parametrize("tokenizer", [Tokenizer("whitespace"), Tokenizer("whitespace", lower=True)])
def test_encode_corpus_gives_the_same_result_either_way(tmp_path, monkeypatch, tokenizer):
    """Several read blocks, Unicode separators, invalid UTF-8: encoded ids, vocabulary and statistics equal."""
    rng = np.random.default_rng(2)
    words = [f"W{i}" for i in range(3000)] + ["\u00e9t\u00e9", "x\u2028y", "a\u00a0b", "<unk>", "</s>"]
    p = 1.0 / np.arange(1, len(words) + 1)
    stream = rng.choice(len(words), size=600_000, p=p / p.sum())
    lines, i = [], 0
    while i < len(stream):
        n = int(rng.integers(1, 40))
        lines.append(" ".join(words[j] for j in stream[i : i + n]))
        i += n
    data = ("\n".join(lines) + "\n").encode() + b"bad \xff\xfe bytes\nno end"
    assert len(data) > 2 << 20
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    results = []
    for threshold in (1 << 62, 0):
        monkeypatch.setattr(E, "COMPILED_MIN_BYTES", threshold)
        with pytest.warns(E.CorpusWarning):
            results.append(E.encode_corpus(path, tokenizer, min_count=3, cache=False))
    a, b = results
    assert np.array_equal(np.asarray(a.ids), np.asarray(b.ids))
    assert a.vocab == b.vocab
    assert (a.lines, a.tokens, a.types, a.invalid_utf8) == (b.lines, b.tokens, b.types, b.invalid_utf8)
