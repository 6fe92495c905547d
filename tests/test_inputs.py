"""The one input opener: plain and compressed files (by suffix or magic bytes), stdin, and one set of
errors naming the file and line."""

import bz2
import gzip
import lzma
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.errors import InputError
from wordseq.io.inputs import open_input, read_lines, strip_compression

TEXT = "eins\nzwei\r\ndrei ü\n"


@pytest.mark.parametrize(
    "name,writer",
    [
        ("a.txt", lambda p, b: p.write_bytes(b)),
        ("a.txt.gz", lambda p, b: p.write_bytes(gzip.compress(b))),
        ("a.txt.bz2", lambda p, b: p.write_bytes(bz2.compress(b))),
        ("a.txt.xz", lambda p, b: p.write_bytes(lzma.compress(b))),
        ("a-gz-without-suffix", lambda p, b: p.write_bytes(gzip.compress(b))),
        ("a-xz-without-suffix", lambda p, b: p.write_bytes(lzma.compress(b))),
    ],
)
def test_every_compression_reads_the_same_lines(tmp_path, name, writer):
    path = tmp_path / name
    writer(path, TEXT.encode())
    assert [t for _, t in read_lines(path)] == ["eins", "zwei", "drei ü"]
    with open_input(path, "rt") as f:
        assert f.read().replace("\r\n", "\n") == TEXT.replace("\r\n", "\n")


def test_stdin(monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    assert [n for n, _ in read_lines("-")] == [1, 2, 3]


def test_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="nope.txt: no such file"):
        open_input(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        open_input(tmp_path)
    bad = tmp_path / "latin.txt"
    bad.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin.txt:2: byte 4 is not valid utf-8.*encoding"):
        list(read_lines(bad))
    assert [t for _, t in read_lines(bad, encoding="latin-1")] == ["ok", "café"]
    broken = tmp_path / "cut.gz"
    broken.write_bytes(gzip.compress("".join(f"{i}\n" for i in range(100000)).encode())[:5000])
    with pytest.raises(InputError, match="cut.gz: damaged or truncated"):
        list(read_lines(broken))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_permission_denied(tmp_path):
    p = tmp_path / "secret.txt"
    p.write_text("x")
    p.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        open_input(p)


def test_strip_compression():
    assert strip_compression("v.txt.GZ") == "v.txt" and strip_compression("v.bin") == "v.bin"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n")), max_size=8))
def test_lines_round_trip(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("lines") / "t.txt.gz"
    path.write_bytes(gzip.compress("".join(line + "\n" for line in lines).encode()))
    assert [t for _, t in read_lines(path)] == lines
