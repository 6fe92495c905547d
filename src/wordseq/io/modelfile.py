"""The one model-file format: safetensors weights plus JSON metadata, in a single file.

The JSON (format version, model kind, config, provenance) lives in the safetensors header under the key
``wordseq``; each vocabulary is stored as tensors (UTF-8 bytes, offsets, counts). A BLAKE2 digest of the
tensor data catches truncation and corruption. Nothing in the file is ever executed: no pickle.

This layer knows files, not models: vocabularies come back as plain :class:`StoredVocab` data, from which
the model builds its own :class:`wordseq.text.Vocab`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from safetensors.numpy import load as _st_load

from wordseq.errors import InputError
from wordseq.io.atomic import atomic_write

FORMAT_VERSION = 1
SUFFIX = ".wsq"
_MAX_HEADER = 100 * 1024 * 1024


class VocabLike(Protocol):
    """What saving needs of a vocabulary: its tokens in id order, their counts, the reserved tokens."""

    itos: list[str]
    counts: np.ndarray
    specials: Any


@dataclass
class StoredVocab:
    """A vocabulary as the file holds it: tokens in id order, counts, and which leading tokens are reserved."""

    itos: list[str]
    counts: np.ndarray
    specials: list[str]

    def __len__(self) -> int:
        return len(self.itos)


@dataclass
class ModelFile:
    """What a model file holds: its kind, config, weights (numpy arrays), vocabularies and provenance."""

    kind: str
    config: dict[str, Any]
    tensors: dict[str, np.ndarray]
    vocabs: dict[str, Any] = field(default_factory=dict)  # VocabLike when saving, StoredVocab when loaded
    provenance: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vocab(self) -> Any:
        return self.vocabs["vocab"]


def _vocab_tensors(name: str, vocab: VocabLike) -> dict[str, np.ndarray]:
    encoded = [t.encode("utf-8") for t in vocab.itos]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return {
        f"__vocab__.{name}.bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(),
        f"__vocab__.{name}.offsets": offsets,
        f"__vocab__.{name}.counts": vocab.counts.astype(np.int64),
    }


def _vocab_from_tensors(name: str, tensors: Mapping[str, np.ndarray], specials: list[str]) -> StoredVocab:
    data = tensors[f"__vocab__.{name}.bytes"].tobytes()
    offsets = tensors[f"__vocab__.{name}.offsets"].tolist()
    tokens = [data[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]
    return StoredVocab(tokens, tensors[f"__vocab__.{name}.counts"], list(specials))


class _LazyVocab:
    """A stored vocabulary decoded only when its words are asked for (``itos``); ``bytes`` and ``offsets``
    are the UTF-8 words and their boundaries as stored, for code that works on bytes."""

    def __init__(self, name: str, tensors: Mapping[str, np.ndarray], specials: list[str]) -> None:
        self.bytes = tensors[f"__vocab__.{name}.bytes"]
        self.offsets = tensors[f"__vocab__.{name}.offsets"]
        self.counts = tensors[f"__vocab__.{name}.counts"]
        self.specials = list(specials)
        self._itos: list[str] | None = None

    @property
    def itos(self) -> list[str]:
        if self._itos is None:
            data = self.bytes.tobytes()
            offsets = self.offsets.tolist()
            self._itos = [data[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]
        return self._itos

    def __len__(self) -> int:
        return len(self.offsets) - 1


def _digest(tensors: Mapping[str, np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        h.update(name.encode())
        h.update(str(arr.dtype).encode() + str(arr.shape).encode())
        h.update(arr.data if arr.size else b"")
    return h.hexdigest()


def save_model(path: str | os.PathLike, model: ModelFile) -> Path:
    """Write a model file atomically and return its path."""
    from wordseq._version import __version__

    tensors = {k: np.ascontiguousarray(v) for k, v in model.tensors.items()}
    for name, vocab in model.vocabs.items():
        tensors.update(_vocab_tensors(name, vocab))
    provenance = {
        "wordseq_version": __version__,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **model.provenance,
    }
    meta = {
        "format": "wordseq-model",
        "format_version": FORMAT_VERSION,
        "kind": model.kind,
        "config": model.config,
        "vocabs": {name: list(v.specials) for name, v in model.vocabs.items()},
        "provenance": provenance,
        "extra": model.extra,
        "digest": _digest(tensors),
    }
    with atomic_write(path, "wb") as f:
        _write_safetensors(f, tensors, {"wordseq": json.dumps(meta, ensure_ascii=False)})
    return Path(path)


_DTYPES = {
    "float64": "F64",
    "float32": "F32",
    "float16": "F16",
    "int64": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint64": "U64",
    "uint32": "U32",
    "uint16": "U16",
    "uint8": "U8",
    "bool": "BOOL",
}


def _write_safetensors(f, tensors: Mapping[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write the safetensors layout tensor by tensor (no copy of the whole model in memory, so a model of
    several GB needs no second copy to be saved). Same bytes layout as ``safetensors.numpy.save``."""
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    names = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))  # keeps every tensor aligned
    for name in names:
        arr = tensors[name]
        dtype = _DTYPES.get(str(arr.dtype))
        if dtype is None or arr.dtype.byteorder == ">":
            raise ValueError(f"tensor {name!r}: dtype {arr.dtype} cannot be stored")
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    blob = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    blob += b" " * (-len(blob) % 8)
    f.write(struct.pack("<Q", len(blob)))
    f.write(blob)
    for name in names:
        arr = tensors[name]
        if arr.nbytes:
            f.write(np.ascontiguousarray(arr).reshape(-1).view(np.uint8).data)


def _refuse(path: str | os.PathLike, head: bytes) -> None:
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        raise InputError(path, "refused: this is a Python pickle, and wordseq never loads pickles")
    if head[:2] == b"PK":
        raise InputError(path, "refused: this is a zip archive (a torch.save file?), not a wordseq model file")
    raise InputError(path, "not a wordseq model file (no safetensors header)")


def _open(path: Path) -> Any:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a model file") from None
    except OSError as e:
        raise InputError(path, f"cannot be read ({e.strerror or e})") from None


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON metadata of a model file, without reading its weights."""
    path = Path(path)
    with _open(path) as f:
        return _read_metadata(path, f)


def _read_metadata(path: Path, f: Any) -> dict[str, Any]:
    """The metadata from an open model file (left just after the header)."""
    try:
        head = f.read(8)
        if len(head) < 8:
            raise InputError(path, "truncated or empty model file")
        (n,) = struct.unpack("<Q", head)
        if n > _MAX_HEADER or n < 2:
            _refuse(path, head)
        header = f.read(n)
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a model file") from None
    if len(header) < n:
        if header[:1] != b"{" and (head[:2] == b"PK" or head[:1] == b"\x80"):
            _refuse(path, head)  # a small zip or pickle reads as a huge header size: say what it is
        raise InputError(path, "truncated model file (header cut short)")
    try:
        info = json.loads(header)
        meta = json.loads(info["__metadata__"]["wordseq"])
    except (ValueError, KeyError, TypeError):
        if header[:1] != b"{":
            _refuse(path, head)
        raise InputError(path, "a safetensors file, but not a wordseq model (no wordseq metadata)") from None
    if meta.get("format") != "wordseq-model":
        raise InputError(path, "not a wordseq model file")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise InputError(path, f"made by a newer wordseq (format {meta['format_version']}); upgrade wordseq")
    return meta


_NUMPY = {v: k for k, v in _DTYPES.items()}


def map_tensors(path: str | os.PathLike, f: Any = None) -> dict[str, np.ndarray]:
    """Every tensor of a model file as a read-only view of one memory map: nothing is read until used, so
    a model of GB opens in milliseconds. The digest is not checked (that would read every byte); offsets,
    sizes and dtypes are, so a truncated file is still refused. ``f``: the file already open (so that header
    and tensors come from the same file even if the path is replaced meanwhile)."""
    path = Path(path)
    if f is None:
        with _open(path) as f:
            return map_tensors(path, f)
    f.seek(0)
    (n,) = struct.unpack("<Q", f.read(8))
    info = json.loads(f.read(n))
    size = os.fstat(f.fileno()).st_size
    mm = np.memmap(f, np.uint8, mode="r") if size > 8 + n else np.zeros(0, np.uint8)
    out: dict[str, np.ndarray] = {}
    for name, t in info.items():
        if name == "__metadata__":
            continue
        try:
            dtype = np.dtype(_NUMPY[t["dtype"]])
            shape = [int(x) for x in t["shape"]]
            begin, end = (8 + n + int(x) for x in t["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise InputError(path, f"corrupt model file (tensor {name!r})") from None
        if end > size or end - begin != int(np.prod(shape)) * dtype.itemsize or begin > end:
            raise InputError(path, f"truncated or corrupt model file (tensor {name!r})")
        out[name] = np.asarray(mm[begin:end]).view(dtype).reshape(shape)
    return out


def _check_kind(path: Path, meta: dict[str, Any], kind: str | tuple[str, ...] | None) -> None:
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and meta["kind"] not in kinds:
        raise InputError(path, f"is a {meta['kind']!r} model, expected {' or '.join(map(repr, kinds))}")


def load_model(path: str | os.PathLike, kind: str | tuple[str, ...] | None = None, *, mmap: bool = False) -> ModelFile:
    """Read a model file; ``kind`` (one or several) refuses files of any other kind. ``mmap``: the tensors
    are read-only views of a memory map (see :func:`map_tensors`; no digest check, no copy)."""
    path = Path(path)
    if mmap:
        with _open(path) as f:  # the map outlives the file object; both come from one opening
            meta = _read_metadata(path, f)
            _check_kind(path, meta, kind)
            tensors = map_tensors(path, f)
        weights = {k: v for k, v in tensors.items() if not k.startswith("__vocab__.")}
        lazy: dict[str, Any] = {name: _LazyVocab(name, tensors, sp) for name, sp in meta["vocabs"].items()}
        return ModelFile(meta["kind"], meta["config"], weights, lazy, meta["provenance"], meta.get("extra", {}))
    with _open(path) as f:  # one opening: a file replaced meanwhile is read whole, old or new, never mixed
        meta = _read_metadata(path, f)
        _check_kind(path, meta, kind)
        f.seek(0)
        data = f.read()
    try:
        tensors = dict(_st_load(data))
    except Exception as e:  # safetensors raises its own error types for bad offsets and sizes
        raise InputError(path, f"truncated or corrupt model file ({e})") from None
    if _digest(tensors) != meta["digest"]:
        raise InputError(path, "corrupt model file (checksum mismatch)")
    vocabs = {name: _vocab_from_tensors(name, tensors, specials) for name, specials in meta["vocabs"].items()}
    weights = {k: v for k, v in tensors.items() if not k.startswith("__vocab__.")}
    return ModelFile(meta["kind"], meta["config"], weights, vocabs, meta["provenance"], meta.get("extra", {}))
