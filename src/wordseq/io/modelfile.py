"""The one model-file format: safetensors weights plus JSON metadata, in a single file.

The JSON (format version, model kind, config, provenance) lives in the safetensors header under the key
``wordseq``; the vocabulary is stored as tensors (UTF-8 bytes, offsets, counts). A BLAKE2 digest of the
tensor data catches truncation and corruption. Nothing in the file is ever executed: no pickle.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

from wordseq.errors import InputError
from wordseq.io.atomic import atomic_write
from wordseq.text.vocab import Vocab

FORMAT_VERSION = 1
SUFFIX = ".wsq"
_MAX_HEADER = 100 * 1024 * 1024


@dataclass
class ModelFile:
    """What a model file holds: its kind, config, weights (numpy arrays), vocabularies and provenance."""

    kind: str
    config: dict[str, Any]
    tensors: dict[str, np.ndarray]
    vocabs: dict[str, Vocab] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vocab(self) -> Vocab:
        return self.vocabs["vocab"]


def _vocab_tensors(name: str, vocab: Vocab) -> dict[str, np.ndarray]:
    encoded = [t.encode("utf-8") for t in vocab.itos]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return {
        f"__vocab__.{name}.bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(),
        f"__vocab__.{name}.offsets": offsets,
        f"__vocab__.{name}.counts": vocab.counts.astype(np.int64),
    }


def _vocab_from_tensors(name: str, tensors: Mapping[str, np.ndarray], specials: list[str]) -> Vocab:
    data = tensors[f"__vocab__.{name}.bytes"].tobytes()
    offsets = tensors[f"__vocab__.{name}.offsets"]
    tokens = [data[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]
    return Vocab(tokens, tensors[f"__vocab__.{name}.counts"], specials)


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
    from wordseq import __version__

    tensors = {k: np.ascontiguousarray(v) for k, v in model.tensors.items()}
    for name, vocab in model.vocabs.items():
        tensors.update(_vocab_tensors(name, vocab))
    provenance = {
        "wordseq_version": __version__,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
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
    blob = _st_save(tensors, metadata={"wordseq": json.dumps(meta, ensure_ascii=False)})
    with atomic_write(path, "wb") as f:
        f.write(blob)
    return Path(path)


def _refuse(path: str | os.PathLike, head: bytes) -> None:
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        raise InputError(path, "refused: this is a Python pickle, and wordseq never loads pickles")
    if head[:2] == b"PK":
        raise InputError(path, "refused: this is a zip archive (a torch.save file?), not a wordseq model file")
    raise InputError(path, "not a wordseq model file (no safetensors header)")


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON metadata of a model file, without reading its weights."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise InputError(path, "truncated or empty model file")
            (n,) = struct.unpack("<Q", head)
            if n > _MAX_HEADER or n < 2:
                _refuse(path, head)
            header = f.read(n)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a model file") from None
    if len(header) < n:
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


def load_model(path: str | os.PathLike, kind: str | tuple[str, ...] | None = None) -> ModelFile:
    """Read a model file; ``kind`` (one or several) refuses files of any other kind."""
    meta = read_metadata(path)
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and meta["kind"] not in kinds:
        raise InputError(path, f"is a {meta['kind']!r} model, expected {' or '.join(map(repr, kinds))}")
    try:
        tensors = dict(_st_load(Path(path).read_bytes()))
    except Exception as e:  # safetensors raises its own error types for bad offsets and sizes
        raise InputError(path, f"truncated or corrupt model file ({e})") from None
    if _digest(tensors) != meta["digest"]:
        raise InputError(path, "corrupt model file (checksum mismatch)")
    vocabs = {name: _vocab_from_tensors(name, tensors, specials) for name, specials in meta["vocabs"].items()}
    weights = {k: v for k, v in tensors.items() if not k.startswith("__vocab__.")}
    return ModelFile(meta["kind"], meta["config"], weights, vocabs, meta["provenance"], meta.get("extra", {}))
