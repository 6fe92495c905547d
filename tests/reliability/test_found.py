"""The reader bugs the fuzzing found, each pinned down: one clear error naming the file instead of a crash
or a huge allocation."""

from __future__ import annotations

import gzip
import resource

import pytest

from wordseq.embed.evaluate import read_analogies
from wordseq.embed.formats import read_vectors
from wordseq.errors import InputError
from wordseq.text.corpus import fingerprint
from wordseq.text.vocab import Vocab


@pytest.mark.parametrize(
    "header", [b"999999999 999999999\n", b"3 999999999\nthe \x00\x00\x00\x00", b"99999999999 4\nthe abcd\n"]
)
def test_word2vec_binary_header_declaring_huge_sizes_is_refused_before_allocating(tmp_path, header):
    path = tmp_path / "v.bin"
    path.write_bytes(header)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match=r"v\.bin:1: the header says .* but the file holds \d+ bytes after it"):
        read_vectors(path, "word2vec-bin")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: nothing big was made


def test_damaged_gzip_stream_is_an_input_error_wherever_it_is_read(tmp_path):
    """zlib.error (not an OSError) escaped from readers iterating a damaged .gz file."""
    good = gzip.compress(b": capital\nathens greece berlin germany\n" * 200)
    path = tmp_path / "questions.txt.gz"
    path.write_bytes(good[:40] + b"\x00" * 16 + good[56:])
    with pytest.raises(InputError, match=r"questions\.txt\.gz: damaged or truncated compressed file"):
        list(read_analogies(path))
    plain_named = tmp_path / "questions.txt"  # found by its magic bytes, not its name
    plain_named.write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"questions\.txt: damaged or truncated compressed file"):
        list(read_analogies(plain_named))


def test_corpus_gone_before_hashing_is_an_input_error(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b\n")
    paths = [str(corpus)]
    corpus.unlink()
    with pytest.raises(InputError, match=r"c\.txt: no such file"):
        fingerprint(paths)


def test_vocabulary_count_beyond_64_bits_is_an_input_error(tmp_path):
    path = tmp_path / "v.vocab"
    path.write_text("<unk>\t0\nthe\t5999999999999999999999\n")
    with pytest.raises(InputError, match=r"v\.vocab:2: count '5999999999999999999999' is too large"):
        Vocab.load(path)
    path.write_text("<unk>\t0\nthe\t9223372036854775807\n")
    assert Vocab.load(path).counts[1] == 2**63 - 1
