import bz2
import gzip
import lzma
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import ROOT
from wordseq.errors import InputError
from wordseq.text.corpus import CorpusWarning, ReadStats, read_blocks, read_lines, resolve_paths

TEXT = "first line\nsecond  line here\n\nfourth\n"


@pytest.mark.parametrize("suffix, opener", [(".txt", open), (".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_files_read_transparently(tmp_path, suffix, opener):
    path = tmp_path / f"c{suffix}"
    with opener(path, "wb") as f:
        f.write(TEXT.encode())
    stats = ReadStats()
    assert list(read_lines(path, stats)) == TEXT.split("\n")[:-1]
    assert stats.lines == 4


def test_directory_glob_and_list(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("b\n")
    (tmp_path / "d" / "a.txt").write_text("a\n")
    (tmp_path / "d" / ".hidden").write_text("h\n")
    assert list(read_lines(tmp_path / "d")) == ["a", "b"]
    assert list(read_lines(str(tmp_path / "d" / "*.txt"))) == ["a", "b"]
    assert list(read_lines([tmp_path / "d" / "b.txt", tmp_path / "d" / "a.txt"])) == ["b", "a"]


def test_missing_paths_are_named(tmp_path):
    with pytest.raises(InputError, match="nope.txt: no such file"):
        resolve_paths(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="no files match"):
        resolve_paths(str(tmp_path / "*.none"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="directory has no files"):
        resolve_paths(tmp_path / "empty")


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match="binary file"):
        list(read_lines(path))


def test_invalid_utf8_is_replaced_counted_and_warned_once(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\nalso fine\nbad \xff here\nand \xc3 again \xfe\n")
    stats = ReadStats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lines = list(read_lines(path, stats))
    assert lines == ["fine", "also fine", "bad \ufffd here", "and \ufffd again \ufffd"]
    assert stats.invalid == 3
    messages = [str(w.message) for w in caught if issubclass(w.category, CorpusWarning)]
    assert len(messages) == 1 and messages[0].startswith(f"{path}:3: invalid UTF-8 (3 byte sequences")


def test_last_line_without_newline_and_bom(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xef\xbb\xbfa b\nc")
    assert list(read_lines(path)) == ["a b", "c"]


def test_multibyte_characters_survive_block_boundaries(tmp_path):
    path = tmp_path / "x.txt"
    text = ("\u00e9\u6771 " * 5000 + "\n") * 3
    path.write_text(text, encoding="utf-8")
    blocks = list(read_blocks(path, block_bytes=997))
    assert "".join(blocks) == text
    assert all(b.endswith(("\n", " ")) for b in blocks)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs"))), max_size=8), st.integers(1, 64))
def test_blocks_rebuild_the_text_for_any_block_size(tmp_path_factory, lines, block_bytes):
    text = "".join(line.replace("\r", "") + "\n" for line in lines).replace("\r", "")
    path = tmp_path_factory.mktemp("c") / "t.txt"
    path.write_bytes(text.encode("utf-8"))
    got = "".join(read_blocks(path, block_bytes=block_bytes))
    assert got == text


def test_stdin(tmp_path):
    code = "from wordseq.text.corpus import read_lines; print(list(read_lines('-')))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=b"a b\nc\n",
        capture_output=True,
        env={"PYTHONPATH": str(ROOT / "src")},
        check=True,
    )
    assert out.stdout.decode().strip() == "['a b', 'c']"


def test_huge_line_is_read_in_pieces_with_bounded_memory(tmp_path):
    """60 MB on one line without a newline: blocks stay near 1 MB, peak memory stays far below the file."""
    path = tmp_path / "huge.txt"
    word = b"lorem ipsum dolor sit amet consectetur "
    with open(path, "wb") as f:
        for _ in range(60):
            f.write(word * (1_000_000 // len(word) + 1))
    code = (
        "import resource, sys\n"
        "from wordseq.text.corpus import read_blocks\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "n = biggest = 0\n"
        "for b in read_blocks(sys.argv[1]):\n"
        "    n += len(b); biggest = max(biggest, len(b))\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(n, biggest, (peak - base) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, check=True, env={"PYTHONPATH": str(ROOT / "src")}
    )
    n, biggest, grown_mb = map(int, out.stdout.split())
    assert n == path.stat().st_size + 1  # the missing final newline is added
    assert biggest <= 2 * 1024 * 1024
    assert grown_mb < 40
