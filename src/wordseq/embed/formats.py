"""Word-vector files: word2vec text and binary, GloVe text, TensorBoard-projector TSV, and our model file.

- **word2vec text** (``.txt``, ``.vec``): a header ``"<words> <dim>"``, then ``word v1 ... vdim`` per line.
- **word2vec binary** (``.bin``): the same header, then per word ``word`` + space + ``dim`` little-endian
  float32 + newline, as the C tool writes it (gensim writes no newline; both are read).
- **GloVe text**: word2vec text without the header.
- **projector TSV**: ``vectors.tsv`` (tab-separated numbers, one row per word) and ``metadata.tsv`` (one word
  per line, no header), the two files TensorBoard's embedding projector loads.
- **wsq**: our model file (kind ``"vectors"`` or ``"vectors-<method>"``, see :mod:`wordseq.io.modelfile`),
  keeping the word counts; word2vec model files (kind ``"word2vec"``) are read for their input vectors too.

This module returns and takes plain data (words, a matrix, counts: :class:`VectorData`);
:class:`wordseq.embed.vectors.Vectors` builds itself from it.

Text numbers are written with 9 significant digits, which round-trips float32 exactly. Every file is
written atomically. A file whose header disagrees with its body, a line with the wrong number of fields or a
duplicate word is an error naming the file and line.
"""

from __future__ import annotations

import lzma
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.io.atomic import atomic_write
from wordseq.io.inputs import decode_line, open_input, read_lines, strip_compression

FORMATS = ("wsq", "word2vec", "word2vec-bin", "glove", "tsv")
KIND = "vectors"
WORD2VEC_KIND = "word2vec"


@dataclass
class VectorData:
    """What a vector file holds, as plain data: words, one float32 row per word, optional counts, and (for
    model files) the config, provenance and extra metadata stored with them."""

    words: list[str]
    matrix: np.ndarray
    counts: np.ndarray | None = None
    kind: str = KIND
    config: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def guess_format(path: str | os.PathLike, reading: bool = False) -> str:
    """The format a path's suffix names: .wsq, .bin, .tsv; .txt/.vec are word2vec text (when reading, a
    file whose first line is not a ``"<words> <dim>"`` header is taken as GloVe)."""
    name = strip_compression(path).lower()
    if name.endswith(".wsq"):
        return "wsq"
    if name.endswith(".bin"):
        return "word2vec-bin"
    if name.endswith(".tsv"):
        return "tsv"
    if reading and os.path.isfile(path) and not _has_header(path):
        return "glove"
    return "word2vec"


@contextmanager
def _open(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """The input as bytes through :func:`wordseq.io.inputs.open_input`; a damaged compressed stream is an
    error naming the file."""
    with open_input(path, "rb") as f:
        try:
            yield f
        except (EOFError, lzma.LZMAError, OSError) as e:  # gzip.BadGzipFile is an OSError
            raise InputError(path, f"damaged or truncated compressed file ({e})") from None


def _has_header(path: str | os.PathLike) -> bool:
    with _open(path) as f:
        first = f.readline(1 << 16).split()
    return len(first) == 2 and all(p.isdigit() for p in first)


def _parse_header(path: str | os.PathLike, line: bytes) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise InputError(path, f"expected a header '<words> <dimension>', found {line[:60]!r}", 1)
    n, dim = int(parts[0]), int(parts[1])
    if dim < 1:
        raise InputError(path, f"header gives dimension {dim}", 1)
    return n, dim


def _check_word(word: str) -> None:
    if not word or any(c.isspace() for c in word):
        raise WordseqError(
            f"the word {word!r} contains whitespace (or is empty) and cannot be written to a "
            "text or binary vector file; use the .wsq format"
        )


# -- word2vec and GloVe text ---------------------------------------------------------------------
def _read_text(path: str | os.PathLike, header: bool) -> VectorData:
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: dict[str, int] = {}
    n_expected, dim = None, None
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            if n == 1 and header:
                n_expected, dim = _parse_header(path, raw)
                continue
            line = decode_line(path, n, raw.rstrip(b"\r\n"))
            if not line.strip():
                if header or n == 1:
                    raise InputError(path, "empty line", n)
                continue
            parts = line.rstrip(" ").split(" ")
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise InputError(path, "expected a word and its numbers", n)
            if len(parts) != dim + 1:
                raise InputError(
                    path,
                    f"expected a word and {dim} numbers, found {len(parts) - 1} numbers"
                    + (" (the header disagrees with the body)" if header else ""),
                    n,
                )
            if n_expected is not None and len(words) >= n_expected:
                raise InputError(path, f"the header says {n_expected} words but there are more", n)
            try:
                row = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                bad = next(p for p in parts[1:] if not _is_float(p))
                raise InputError(path, f"{bad!r} is not a number", n) from None
            word = parts[0]
            if word in seen:
                raise InputError(path, f"the word {word!r} appears twice (first at line {seen[word]})", n)
            seen[word] = n
            words.append(word)
            rows.append(row)
    if n_expected is not None and len(words) != n_expected:
        raise InputError(path, f"the header says {n_expected} words but the file has {len(words)}", len(words) + 2)
    if not words:
        raise InputError(path, "no vectors in the file")
    return VectorData(words, np.vstack(rows))


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _write_text(data: VectorData, path: str | os.PathLike, header: bool) -> None:
    for w in data.words:
        _check_word(w)
    dim = data.matrix.shape[1]
    fmt = " ".join(["%.9g"] * dim) + "\n"
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        if header:
            f.write(f"{len(data.words)} {dim}\n")
        for word, row in zip(data.words, data.matrix.tolist()):
            f.write(word + " " + fmt % tuple(row))


# -- word2vec binary -----------------------------------------------------------------------------
def _read_binary(path: str | os.PathLike) -> VectorData:
    with _open(path) as f:
        data = f.read()
    nl = data.find(b"\n")
    if nl < 0:
        raise InputError(path, "no header line", 1)
    n_expected, dim = _parse_header(path, data[:nl])
    width = 4 * dim
    pos = nl + 1
    if n_expected * (width + 1) > len(data) - pos:  # checked before the matrix is allocated
        raise InputError(
            path,
            f"the header says {n_expected:,} words of dimension {dim:,} (at least {n_expected * (width + 1):,} "
            f"bytes), but the file holds {len(data) - pos:,} bytes after it",
            1,
        )
    words: list[str] = []
    mat = np.empty((n_expected, dim), dtype=np.float32)
    seen: set[str] = set()
    end = len(data)
    for i in range(n_expected):
        while pos < end and data[pos] in (10, 13):  # the C tool's newline after each vector
            pos += 1
        sp = data.find(b" ", pos, pos + (1 << 16))
        if pos >= end:
            raise InputError(path, f"the header says {n_expected} words but the file holds {i}")
        if sp < 0:
            raise InputError(
                path,
                f"word {i + 1}: no space after the word (the header's dimension {dim} "
                "disagrees with the body, or the file is cut short)",
            )
        try:
            word = data[pos:sp].decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(
                path, f"word {i + 1} is not UTF-8 (the header's dimension {dim} may disagree with the body)"
            ) from None
        if sp + 1 + width > end:
            raise InputError(
                path,
                f"word {i + 1} ({word!r}): the file ends inside its vector "
                f"(the header says {n_expected} words of dimension {dim})",
            )
        if word in seen:
            raise InputError(
                path, f"word {i + 1}: {word!r} appears twice (the header's dimension {dim} may disagree with the body)"
            )
        seen.add(word)
        words.append(word)
        mat[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=sp + 1)
        pos = sp + 1 + width
    rest = data[pos:].strip(b"\r\n")
    if rest:
        raise InputError(
            path,
            f"{len(rest)} bytes after the {n_expected} vectors the header announces "
            "(the header disagrees with the body)",
        )
    if not np.all(np.isfinite(mat)):
        bad = int(np.argmax(~np.isfinite(mat).all(axis=1)))
        raise InputError(
            path, f"word {bad + 1} ({words[bad]!r}) has a non-finite number (the header may disagree with the body)"
        )
    return VectorData(words, mat)


def _write_binary(data: VectorData, path: str | os.PathLike) -> None:
    for w in data.words:
        _check_word(w)
    mat = data.matrix.astype("<f4")
    with atomic_write(path, "wb") as f:
        f.write(f"{len(data.words)} {mat.shape[1]}\n".encode())
        for word, row in zip(data.words, mat):
            f.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")


# -- TensorBoard projector TSV ---------------------------------------------------------------------
def metadata_path(path: str | os.PathLike) -> Path:
    """``metadata.tsv`` beside ``vectors.tsv`` (``X.tsv`` -> ``X.metadata.tsv`` for other names)."""
    p = Path(path)
    if p.name == "vectors.tsv":
        return p.with_name("metadata.tsv")
    if p.name.endswith("vectors.tsv"):
        return p.with_name(p.name[: -len("vectors.tsv")] + "metadata.tsv")
    return p.with_name(p.stem + ".metadata.tsv")


def _write_tsv(data: VectorData, path: str | os.PathLike) -> None:
    for w in data.words:
        if "\t" in w or "\n" in w or "\r" in w:
            raise WordseqError(f"the word {w!r} contains a tab or newline and cannot be written to TSV")
    fmt = "\t".join(["%.9g"] * data.matrix.shape[1]) + "\n"
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        for row in data.matrix.tolist():
            f.write(fmt % tuple(row))
    with atomic_write(metadata_path(path), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(w + "\n" for w in data.words)


def _read_tsv(path: str | os.PathLike, metadata: str | os.PathLike | None = None) -> VectorData:
    meta = Path(metadata) if metadata else metadata_path(path)
    if not meta.exists():
        raise InputError(meta, "no such file (the projector metadata: one word per line)")
    words = [line for _, line in read_lines(meta)]
    rows: list[np.ndarray] = []
    for n, line in read_lines(path):
        parts = line.split("\t")
        if rows and len(parts) != len(rows[0]):
            raise InputError(path, f"expected {len(rows[0])} numbers, found {len(parts)}", n)
        try:
            rows.append(np.array(parts, dtype=np.float32))
        except ValueError:
            raise InputError(path, "not a number", n) from None
    if len(rows) != len(words):
        raise InputError(meta, f"{len(words)} words but {path} has {len(rows)} vectors")
    if not rows:
        raise InputError(path, "no vectors in the file")
    return VectorData(words, np.vstack(rows))


# -- our model file ---------------------------------------------------------------------------------
def _write_wsq(data: VectorData, path: str | os.PathLike) -> Path:
    from wordseq.io.modelfile import ModelFile, StoredVocab, save_model

    counts = data.counts if data.counts is not None else np.zeros(len(data.words), dtype=np.int64)
    cfg = dict(data.config)
    extra = {**data.extra, "has_counts": data.counts is not None, "dim": int(data.matrix.shape[1])}
    vocab = StoredVocab(list(data.words), np.asarray(counts, dtype=np.int64), [])
    tensors = {"vectors": np.ascontiguousarray(data.matrix, dtype=np.float32)}
    return save_model(path, ModelFile(data.kind, cfg, tensors, {"vocab": vocab}, dict(data.provenance), extra))


def _read_wsq(path: str | os.PathLike) -> VectorData:
    from wordseq.io.modelfile import load_model

    m = load_model(path)
    if m.kind != KIND and not m.kind.startswith(KIND + "-") and m.kind != WORD2VEC_KIND:
        raise InputError(path, f"a {m.kind!r} model file holds no word vectors")
    if "vectors" not in m.tensors:
        raise InputError(path, "a vectors model file without its 'vectors' tensor")
    vocab = m.vocab
    if m.kind == WORD2VEC_KIND:  # the input vectors of the real words; the specials have none
        words = vocab.itos[len(vocab.specials) :]
        counts: np.ndarray | None = m.tensors.get("counts")
    else:
        words = vocab.itos
        has_counts = m.extra.get("has_counts", m.config.get("has_counts", True))
        counts = vocab.counts if has_counts else None
    return VectorData(words, m.tensors["vectors"], counts, m.kind, m.config, m.provenance, m.extra)


# -- entry points -------------------------------------------------------------------------------------
def read_vectors(
    path: str | os.PathLike, format: str | None = None, metadata: str | os.PathLike | None = None
) -> VectorData:
    """Read a vector file in any supported format (guessed from the suffix and the first line unless given)."""
    if os.fspath(path) != "-" and not os.path.exists(path):
        raise InputError(path, "no such file")
    fmt = format or guess_format(path, reading=True)
    if fmt == "wsq":
        return _read_wsq(path)
    if fmt == "word2vec":
        return _read_text(path, header=True)
    if fmt == "glove":
        return _read_text(path, header=False)
    if fmt == "word2vec-bin":
        return _read_binary(path)
    if fmt == "tsv":
        return _read_tsv(path, metadata)
    raise WordseqError(f"unknown vector format {fmt!r} (choose {', '.join(FORMATS)})")


def write_vectors(
    path: str | os.PathLike,
    words: Sequence[str],
    matrix: np.ndarray,
    counts: np.ndarray | None = None,
    format: str | None = None,
    *,
    kind: str = KIND,
    config: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write words and their vectors (format from the suffix unless given), atomically; returns the path.
    TSV also writes the metadata file beside it (see :func:`metadata_path`); only ``.wsq`` keeps the counts,
    the config and the provenance."""
    data = VectorData(list(words), matrix, counts, kind, dict(config or {}), dict(provenance or {}), dict(extra or {}))
    fmt = format or guess_format(path)
    if fmt == "wsq":
        _write_wsq(data, path)
    elif fmt == "word2vec":
        _write_text(data, path, header=True)
    elif fmt == "glove":
        _write_text(data, path, header=False)
    elif fmt == "word2vec-bin":
        _write_binary(data, path)
    elif fmt == "tsv":
        _write_tsv(data, path)
    else:
        raise WordseqError(f"unknown vector format {fmt!r} (choose {', '.join(FORMATS)})")
    return Path(path)
