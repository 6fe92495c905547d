"""Word-vector files: word2vec text and binary, GloVe text, TensorBoard-projector TSV, and our model file.

- **word2vec text** (``.txt``, ``.vec``): a header ``"<words> <dim>"``, then ``word v1 ... vdim`` per line.
- **word2vec binary** (``.bin``): the same header, then per word ``word`` + space + ``dim`` little-endian
  float32 + newline, as the C tool writes it (gensim writes no newline; both are read).
- **GloVe text**: word2vec text without the header.
- **projector TSV**: ``vectors.tsv`` (tab-separated numbers, one row per word) and ``metadata.tsv`` (one word
  per line, no header), the two files TensorBoard's embedding projector loads.
- **wsq**: our model file (kind ``"vectors"``, see :mod:`wordseq.io.modelfile`), keeping the word counts.

Text numbers are written with 9 significant digits, which round-trips float32 exactly. Every file is
written atomically. A file whose header disagrees with its body, a line with the wrong number of fields or a
duplicate word is an error naming the file and line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from wordseq.embed.vectors import Vectors
from wordseq.errors import InputError, WordseqError
from wordseq.io.atomic import atomic_write
from wordseq.io.inputs import OPENERS

FORMATS = ("wsq", "word2vec", "word2vec-bin", "glove", "tsv")
KIND = "vectors"


def guess_format(path: str | os.PathLike, reading: bool = False) -> str:
    """The format a path's suffix names: .wsq, .bin, .tsv; .txt/.vec are word2vec text (when reading, a
    file whose first line is not a ``"<words> <dim>"`` header is taken as GloVe)."""
    name = str(path).lower()
    for suffix in OPENERS:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith(".wsq"):
        return "wsq"
    if name.endswith(".bin"):
        return "word2vec-bin"
    if name.endswith(".tsv"):
        return "tsv"
    if reading and os.path.isfile(path) and not _has_header(path):
        return "glove"
    return "word2vec"


def _open(path: str | os.PathLike, mode: str = "rb"):
    opener = OPENERS.get(Path(path).suffix.lower(), open)
    try:
        return opener(path, mode)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None


def _has_header(path: str | os.PathLike) -> bool:
    with _open(path) as f:
        first = f.readline(1 << 16).split()
    return len(first) == 2 and all(p.isdigit() for p in first)


def _parse_header(path, line: bytes) -> tuple[int, int]:
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
def _read_text(path, header: bool) -> Vectors:
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: dict[str, int] = {}
    n_expected, dim = None, None
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            if n == 1 and header:
                n_expected, dim = _parse_header(path, raw)
                continue
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise InputError(path, "not UTF-8 text", n) from None
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
    return Vectors(words, np.vstack(rows))


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _write_text(vectors: Vectors, path, header: bool) -> None:
    for w in vectors.words:
        _check_word(w)
    fmt = " ".join(["%.9g"] * vectors.dim) + "\n"
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        if header:
            f.write(f"{len(vectors)} {vectors.dim}\n")
        for word, row in zip(vectors.words, vectors.vectors.tolist()):
            f.write(word + " " + fmt % tuple(row))


# -- word2vec binary -----------------------------------------------------------------------------
def _read_binary(path) -> Vectors:
    with _open(path) as f:
        data = f.read()
    nl = data.find(b"\n")
    if nl < 0:
        raise InputError(path, "no header line", 1)
    n_expected, dim = _parse_header(path, data[:nl])
    width = 4 * dim
    pos = nl + 1
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
    return Vectors(words, mat)


def _write_binary(vectors: Vectors, path) -> None:
    for w in vectors.words:
        _check_word(w)
    mat = vectors.vectors.astype("<f4")
    with atomic_write(path, "wb") as f:
        f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        for word, row in zip(vectors.words, mat):
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


def _write_tsv(vectors: Vectors, path) -> None:
    for w in vectors.words:
        if "\t" in w or "\n" in w or "\r" in w:
            raise WordseqError(f"the word {w!r} contains a tab or newline and cannot be written to TSV")
    fmt = "\t".join(["%.9g"] * vectors.dim) + "\n"
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        for row in vectors.vectors.tolist():
            f.write(fmt % tuple(row))
    with atomic_write(metadata_path(path), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(w + "\n" for w in vectors.words)


def _read_tsv(path, metadata: str | os.PathLike | None = None) -> Vectors:
    meta = Path(metadata) if metadata else metadata_path(path)
    if not meta.exists():
        raise InputError(meta, "no such file (the projector metadata: one word per line)")
    words = meta.read_text(encoding="utf-8").split("\n")
    if words and words[-1] == "":
        words.pop()
    rows = []
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            parts = raw.decode("utf-8").rstrip("\r\n").split("\t")
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
    return Vectors(words, np.vstack(rows))


# -- our model file ---------------------------------------------------------------------------------
def _write_wsq(vectors: Vectors, path, config: dict | None = None, provenance: dict | None = None) -> None:
    from wordseq.io.modelfile import ModelFile, save_model
    from wordseq.text.vocab import Vocab

    counts = vectors.counts if vectors.counts is not None else np.zeros(len(vectors), dtype=np.int64)
    cfg = dict(config or {})
    cfg.setdefault("dim", vectors.dim)
    cfg["has_counts"] = vectors.counts is not None
    save_model(
        path,
        ModelFile(KIND, cfg, {"vectors": vectors.vectors}, {"vocab": Vocab(vectors.words, counts)}, provenance or {}),
    )


def _read_wsq(path) -> Vectors:
    from wordseq.io.modelfile import load_model

    m = load_model(path, kind=KIND)
    if "vectors" not in m.tensors:
        raise InputError(path, "a vectors model file without its 'vectors' tensor")
    counts = m.vocab.counts if m.config.get("has_counts", True) else None
    v = Vectors(m.vocab.itos, m.tensors["vectors"], counts)
    v.config = m.config  # type: ignore[attr-defined]
    return v


# -- entry points -------------------------------------------------------------------------------------
def load_vectors(
    path: str | os.PathLike, format: str | None = None, metadata: str | os.PathLike | None = None
) -> Vectors:
    """Read vectors in any supported format (guessed from the suffix and the first line unless given)."""
    if not os.path.exists(path):
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


def save_vectors(
    vectors: Vectors,
    path: str | os.PathLike,
    format: str | None = None,
    config: dict | None = None,
    provenance: dict | None = None,
) -> Path:
    """Write vectors (format from the suffix unless given); returns the path. TSV also writes the
    metadata file beside it (see :func:`metadata_path`)."""
    fmt = format or guess_format(path)
    if fmt == "wsq":
        _write_wsq(vectors, path, config, provenance)
    elif fmt == "word2vec":
        _write_text(vectors, path, header=True)
    elif fmt == "glove":
        _write_text(vectors, path, header=False)
    elif fmt == "word2vec-bin":
        _write_binary(vectors, path)
    elif fmt == "tsv":
        _write_tsv(vectors, path)
    else:
        raise WordseqError(f"unknown vector format {fmt!r} (choose {', '.join(FORMATS)})")
    return Path(path)
