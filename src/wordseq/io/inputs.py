"""The one input opener every reader uses: plain files, ``.gz``/``.bz2``/``.xz`` (by suffix or by their
magic bytes), and ``-`` for standard input; one set of errors that name the file (and line).

Readers of corpora, vocabularies, vectors, ARPA files, evaluation sets, model files and the task formats
all open their input here, so each accepts the same things and fails the same way.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from wordseq.errors import InputError

# Compressed formats read transparently, by file suffix.
OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_MAGIC = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def compressed_suffix(path: str | os.PathLike) -> str:
    """``.gz``, ``.bz2`` or ``.xz`` if the name ends so (any case), else ``""``."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in OPENERS else ""


def strip_compression(path: str | os.PathLike) -> str:
    """The name without a compression suffix: ``vec.txt.gz`` -> ``vec.txt`` (to guess the inner format)."""
    name = os.fspath(path)
    suffix = compressed_suffix(name)
    return name[: -len(suffix)] if suffix else name


def _opener(path: str) -> Callable[..., Any]:
    by_suffix = OPENERS.get(Path(path).suffix.lower())
    if by_suffix is not None:
        return by_suffix
    with open(path, "rb") as f:
        head = f.read(6)
    for magic, opener in _MAGIC:
        if head.startswith(magic):
            return opener
    return open


_DAMAGED = (EOFError, lzma.LZMAError, zlib.error, OSError)  # gzip.BadGzipFile is an OSError; zlib.error is not


class _Guarded(io.RawIOBase):
    """A decompressing stream whose decoding errors (a damaged or truncated file: zlib.error, EOFError,
    LZMAError, BadGzipFile) become one :class:`InputError` naming the file, wherever the reading happens."""

    def __init__(self, inner: IO[bytes], name: str) -> None:
        self._inner = inner
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            return self._inner.readinto(b)  # type: ignore[attr-defined]
        except _DAMAGED as e:
            raise InputError(self._name, f"damaged or truncated compressed file ({e})") from None

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_input(
    path: str | os.PathLike,
    mode: str = "rb",
    encoding: str = "utf-8",
    errors: str = "strict",
    newline: str | None = None,
) -> IO[Any]:
    """Open ``path`` for reading, decompressing as needed; ``-`` is standard input.

    ``mode`` is ``"rb"`` (bytes) or ``"rt"``/``"r"`` (text in ``encoding``). Missing files, folders,
    unreadable files and damaged compressed streams become :class:`InputError` naming the file.
    """
    if mode not in ("rb", "rt", "r"):
        raise ValueError(f"open_input reads only: mode must be 'rb' or 'rt', not {mode!r}")
    name = os.fspath(path)
    if name == "-":
        raw: IO[bytes] = sys.stdin.buffer
    else:
        try:
            opener = _opener(name)
            raw = opener(name, "rb")
            if opener is not open:
                raw = io.BufferedReader(_Guarded(raw, name), 1 << 16)
        except FileNotFoundError:
            raise InputError(name, "no such file") from None
        except IsADirectoryError:
            raise InputError(name, "is a directory, not a file") from None
        except PermissionError:
            raise InputError(name, "permission denied") from None
        except OSError as e:
            raise InputError(name, f"cannot be read ({e.strerror or e})") from None
    if mode == "rb":
        return raw
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=newline)


def decode_line(path: str | os.PathLike, line_no: int, data: bytes, encoding: str = "utf-8") -> str:
    """One line's bytes as text, or an :class:`InputError` naming the file, the line and the remedy."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputError(
            path,
            f"byte {e.start + 1} is not valid {encoding} ({data[e.start : e.start + 1]!r}); "
            "give the file's encoding (for example cp1252 or latin-1)",
            line=line_no,
        ) from None
    except LookupError:
        raise InputError(path, f"unknown text encoding {encoding!r}") from None


def read_lines(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each line (line ends removed), decoded strictly in ``encoding`` so that a
    wrong encoding is reported at its line, not silently replaced."""
    with open_input(path, "rb") as f:
        try:
            for n, raw in enumerate(f, 1):
                yield n, decode_line(path, n, raw.rstrip(b"\r\n"), encoding)
        except _DAMAGED as e:
            raise InputError(path, f"damaged or truncated compressed file ({e})") from None
