import os

import numpy as np
import pytest

from wordseq.errors import WordseqError
from wordseq.text.encode import cache_dir, encode_corpus
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import EOS, UNK, Vocab


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_encoding_is_flat_ids_with_eos_after_each_line(tmp_path):
    path = write(tmp_path / "c.txt", "the cat sat\nthe dog\n\n")
    enc = encode_corpus(path, cache=False)
    v = enc.vocab
    assert v.itos[4:] == ["the", "cat", "sat", "dog"]
    assert v.decode(enc.ids) == ["the", "cat", "sat", EOS, "the", "dog", EOS, EOS]
    assert enc.ids.dtype == np.int32
    assert (enc.lines, enc.tokens, enc.types) == (3, 5, 4)
    assert v.counts[v[EOS]] == 3


def test_matches_a_plain_python_reference(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    lines = [" ".join(rng.choice(words, size=rng.integers(1, 20), p=None)) for _ in range(2000)]
    path = write(tmp_path / "c.txt", "\n".join(lines) + "\n")
    enc = encode_corpus(path, min_count=3, cache=False)
    ref = Vocab.build((line.split() for line in lines), min_count=3)
    assert enc.vocab.itos == ref.itos
    eos = ref[EOS]
    assert enc.vocab.counts[eos] == len(lines)
    assert np.array_equal(np.delete(enc.vocab.counts, eos), np.delete(ref.counts, eos))
    expected = []
    for line in lines:
        expected += [ref[t] for t in line.split()] + [ref[EOS]]
    assert enc.ids.tolist() == expected


def test_fixed_vocabulary_maps_unknowns_to_unk(tmp_path):
    train = encode_corpus(write(tmp_path / "a.txt", "a b c\n"), cache=False)
    enc = encode_corpus(write(tmp_path / "b.txt", "a z\n"), vocab=train.vocab, cache=False)
    assert train.vocab.decode(enc.ids) == ["a", UNK, EOS]


def test_cache_is_reused_and_invalidated(tmp_path):
    path = write(tmp_path / "c.txt", "one two two\n")
    first = encode_corpus(path)
    assert not first.cached and any(cache_dir().glob("*.npy"))
    second = encode_corpus(path)
    assert second.cached and second.vocab == first.vocab
    assert np.array_equal(second.ids, first.ids)
    # different tokenizer settings or vocabulary settings: a new encoding
    assert not encode_corpus(path, Tokenizer("whitespace", lower=True)).cached
    assert not encode_corpus(path, min_count=2).cached
    # a changed corpus (same size, same mtime) is noticed by its contents
    stat = os.stat(path)
    write(path, "one two twx\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = encode_corpus(path)
    assert not third.cached and "twx" in third.vocab


def test_damaged_cache_entry_is_rebuilt(tmp_path):
    path = write(tmp_path / "c.txt", "x y\n")
    encode_corpus(path)
    for f in cache_dir().glob("*.vocab"):
        f.write_text("garbage line without tab\n")
    again = encode_corpus(path)
    assert not again.cached and again.vocab.itos[4:] == ["x", "y"]


def test_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(WordseqError, match="empty file"):
        encode_corpus(write(tmp_path / "e.txt", ""))
    with pytest.raises(WordseqError, match="empty corpus"):
        encode_corpus(write(tmp_path / "blank.txt", "\n  \n\t\n"))


def test_ptb_statistics(tmp_path):
    from support import data_file

    enc = encode_corpus(data_file("ptb", "ptb.train.txt"), cache=False)
    assert (enc.tokens, enc.lines, enc.types) == (887_521, 42_068, 9_999)
    assert len(enc.vocab) == 10_002 and UNK in enc.vocab  # 9,999 + </s> = 10,000 real words, plus <pad>, <s>


def test_many_blocks_with_specials_in_the_text_match_the_reference(tmp_path):
    """A corpus of several read blocks (counts add up across blocks), with <unk> and </s> in the text itself."""
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(5000)] + [UNK, EOS, "\u00e9t\u00e9", "x\u2028y"]
    p = 1.0 / np.arange(1, len(words) + 1)
    stream = rng.choice(len(words), size=500_000, p=p / p.sum()).tolist()
    cuts = np.cumsum(rng.integers(1, 40, size=25_000)).tolist()
    lines = [" ".join(words[i] for i in stream[a:b]) for a, b in zip([0] + cuts, cuts) if b <= len(stream)]
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 2 << 20  # more than two blocks
    path = write(tmp_path / "c.txt", text)
    enc = encode_corpus(path, min_count=4, cache=False)
    tok = Tokenizer("whitespace")
    ref = Vocab.build((tok(line) for line in lines), min_count=4)
    ref.counts[ref[EOS]] += len(lines)
    assert enc.vocab == ref
    expected = []
    for line in lines:
        expected += [ref[t] for t in tok(line)] + [ref[EOS]]
    assert enc.ids.tolist() == expected
    fixed = encode_corpus(path, vocab=ref, cache=False)
    assert fixed.ids.tolist() == expected and fixed.vocab is ref
