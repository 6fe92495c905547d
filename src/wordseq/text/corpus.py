"""Corpus streaming: a file, a directory, a glob or stdin; .gz/.bz2/.xz read transparently.

Text comes in blocks of about a megabyte that end at a line end, or, inside a very long line, at a
space, so memory stays bounded whatever the line lengths. Invalid UTF-8 is replaced (U+FFFD) and counted,
with one warning per file naming the first bad line.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
import lzma
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from wordseq.errors import InputError, WordseqError
from wordseq.io.inputs import open_input

BLOCK_BYTES = 1 << 20
_BINARY_SNIFF = 8192


class CorpusWarning(UserWarning):
    """Something in a corpus was repaired (invalid UTF-8)."""


def resolve_paths(spec: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """Files named by a path, a directory (its files, sorted, recursively), a glob, or ``-`` for stdin."""
    specs = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    if not specs:
        raise WordseqError("no corpus given")
    out: list[str] = []
    for s in specs:
        s = os.fspath(s)
        if s == "-":
            out.append(s)
        elif os.path.isdir(s):
            files = sorted(str(p) for p in Path(s).rglob("*") if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(s, "directory has no files")
            out.extend(files)
        elif os.path.exists(s):
            out.append(s)
        elif glob.has_magic(s):
            files = sorted(f for f in glob.glob(s, recursive=True) if os.path.isfile(f))
            if not files:
                raise InputError(s, "no files match this pattern")
            out.extend(files)
        else:
            raise InputError(s, "no such file or directory")
    return out


def _open_binary(path: str) -> IO[bytes]:
    return open_input(path, "rb")


def _looks_binary(sample: bytes) -> bool:
    """NUL bytes, or mostly control bytes, mean this is not text."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > 0.3 * len(sample)


@dataclass
class ReadStats:
    """What reading a corpus saw: bytes, lines, invalid UTF-8 sequences, files."""

    files: list[str] = field(default_factory=list)
    bytes: int = 0
    lines: int = 0
    invalid: int = 0
    warnings: list[str] = field(default_factory=list)


class _Counter:
    """A codecs error handler that replaces invalid bytes with U+FFFD and counts them."""

    count = 0

    @classmethod
    def handler(cls, err: UnicodeError) -> tuple[str | bytes, int]:
        cls.count += 1
        return "\ufffd", getattr(err, "end", 0)


codecs.register_error("wordseq.count", _Counter.handler)


def read_blocks(
    spec: str | os.PathLike | Sequence[str | os.PathLike],
    stats: ReadStats | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[str]:
    """Yield text blocks of about ``block_bytes``; each ends with ``\\n`` or, in a huge line, at a space.

    A line that is split across blocks is not marked as ended until its real ``\\n``; a file whose last
    line has no ``\\n`` gets one.
    """
    stats = stats if stats is not None else ReadStats()
    for path in resolve_paths(spec):
        yield from _read_file_blocks(path, stats, block_bytes)


def _read_file_blocks(path: str, stats: ReadStats, block_bytes: int) -> Iterator[str]:
    stats.files.append(path)
    name = "<stdin>" if path == "-" else path
    f = _open_binary(path)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="wordseq.count")
    first_bad_line: int | None = None
    invalid_before = _Counter.count
    line_no = 0
    pending = b""
    first = True
    ended = True  # whether the text so far ends with a line end
    try:
        while True:
            try:
                chunk = f.read(block_bytes)
            except (OSError, EOFError, lzma.LZMAError) as e:
                raise InputError(name, f"cannot read compressed data ({e})") from None
            if first:
                if _looks_binary(chunk[:_BINARY_SNIFF]) and not chunk.startswith(codecs.BOM_UTF8):
                    raise InputError(name, "binary file, not text")
                if chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[3:]
                first = False
            eof = not chunk
            data = pending + chunk
            stats.bytes += len(chunk)
            if eof:
                cut = len(data)
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one long line: cut at the last space, so no token is split
                    cut = max(data.rfind(b" "), data.rfind(b"\t")) + 1
                if cut == 0:
                    if len(data) < 4 * block_bytes:
                        pending = data
                        continue
                    cut = len(data)  # no space in megabytes: a cut at any byte (the decoder keeps UTF-8 whole)
            piece, pending = data[:cut], data[cut:]
            before = _Counter.count
            text = decoder.decode(piece, final=eof)
            newlines = text.count("\n")
            if _Counter.count != before and first_bad_line is None:
                first_bad_line = (
                    line_no + 1 + text[: text.index("\ufffd")].count("\n") if "\ufffd" in text else line_no + 1
                )
            line_no += newlines
            if text:
                ended = text.endswith("\n")
            if eof:
                if not ended:
                    text += "\n"
                    line_no += 1
                if text:
                    yield text
                break
            if text:
                yield text
    finally:
        if path != "-":
            f.close()
    stats.lines += line_no
    bad = _Counter.count - invalid_before
    stats.invalid += bad
    if bad:
        message = (
            f"{name}:{first_bad_line}: invalid UTF-8 ({bad} byte sequence{'s' if bad > 1 else ''} in this "
            "file replaced with U+FFFD)"
        )
        stats.warnings.append(message)
        warnings.warn(message, CorpusWarning, stacklevel=2)


def read_lines(spec: str | os.PathLike | Sequence[str | os.PathLike], stats: ReadStats | None = None) -> Iterator[str]:
    """Yield lines without their ``\\n``; a line longer than a block is joined whole (use blocks for huge lines)."""
    partial = ""
    for block in read_blocks(spec, stats):
        lines = block.split("\n")
        lines[0] = partial + lines[0]
        partial = lines.pop()
        yield from lines
    if partial:
        yield partial


def fingerprint(spec: str | os.PathLike | Sequence[str | os.PathLike]) -> str | None:
    """A hash of the corpus files' contents (None for stdin, which cannot be cached)."""
    paths = resolve_paths(spec)
    if "-" in paths:
        return None
    h = hashlib.blake2b(digest_size=16)
    for p in paths:
        h.update(b"\0file\0")
        try:
            with open(p, "rb") as f:
                while chunk := f.read(1 << 22):
                    h.update(chunk)
        except FileNotFoundError:  # deleted since the paths were resolved
            raise InputError(p, "no such file") from None
        except OSError as e:
            raise InputError(p, f"cannot be read ({e.strerror or e})") from None
    return h.hexdigest()


def total_size(paths: Sequence[str]) -> int | None:
    """The files' total size in bytes, for a progress bar (None if unknown: standard input, or a file that
    has gone, which the reading reports)."""
    try:
        return sum(os.path.getsize(p) for p in paths if p != "-") or None
    except OSError:
        return None
