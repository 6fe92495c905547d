"""N-gram tables in the wordseq model file (safetensors + JSON metadata, kinds ``"ngram-<smoothing>"``): fast
to load, no parsing.

Plain data in, plain data out: :func:`write_ngram` takes the per-order arrays and :func:`read_ngram` gives them
back as :class:`StoredNgram`; the model (:mod:`.model`) builds itself from them, so this module never imports
it. Files written before the estimator convention (the tokenizer and table form inside ``config``) still read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError
from wordseq.io.modelfile import ModelFile, StoredVocab, VocabLike, load_model, read_metadata, save_model

TABLES = ("logprob", "logbow", "counts", "totals")


@dataclass
class StoredNgram:
    """What an n-gram model file holds. Table lists are indexed by order (index 0 unused; ``keys[1]`` too);
    a table the model's form does not have is None."""

    kind: str
    config: dict[str, Any]
    vocab: StoredVocab
    keys: list
    logprob: list | None = None
    logbow: list | None = None
    counts: list | None = None
    totals: list | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)


def write_ngram(
    path: str | os.PathLike,
    kind: str,
    config: dict[str, Any],
    order: int,
    vocab: VocabLike,
    tables: dict[str, list | None],
    extra: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Write the tables (``tables["keys"]`` and those of :data:`TABLES` the model has) atomically."""
    tensors: dict[str, np.ndarray] = {}
    for n in range(1, order + 1):
        if n >= 2:
            tensors[f"keys.{n}"] = tables["keys"][n]  # type: ignore[index]
        for name in TABLES:
            table = tables.get(name)
            if table is not None and table[n] is not None:
                tensors[f"{name}.{n}"] = table[n]
    mf = ModelFile(kind, config, tensors, {"vocab": vocab}, dict(provenance or {}), dict(extra or {}))
    return save_model(path, mf)


def read_ngram(path: str | os.PathLike, mmap: bool = False) -> StoredNgram:
    """Read an n-gram model file; a model file of another kind is refused naming its kind. ``mmap``: the
    tables are read-only views of a memory map and the vocabulary is decoded only when asked for."""
    kind = str(read_metadata(path)["kind"])
    if kind != "ngram" and not kind.startswith("ngram-"):
        raise InputError(path, f"is a {kind!r} model, not an n-gram model")
    mf = load_model(path, mmap=mmap)
    config, extra = dict(mf.config), dict(mf.extra)
    if "form" in config:  # the layout before the estimator convention: table facts inside the config
        for name in ("form", "tokenizer", "discounts"):
            extra.setdefault(name, config.pop(name))
    try:
        order = int(config["order"])
    except (KeyError, TypeError, ValueError):
        raise InputError(path, "an n-gram model file without its order") from None

    def tables(name: str) -> list | None:
        if f"{name}.1" not in mf.tensors:
            return None
        return [None] + [mf.tensors.get(f"{name}.{n}") for n in range(1, order + 1)]

    missing = [n for n in range(2, order + 1) if f"keys.{n}" not in mf.tensors]
    if missing:
        raise InputError(path, f"the model file has no {missing[0]}-gram keys")
    keys = [None, None] + [mf.tensors[f"keys.{n}"] for n in range(2, order + 1)]
    return StoredNgram(
        kind,
        config,
        mf.vocab,
        keys,
        tables("logprob"),
        tables("logbow"),
        tables("counts"),
        tables("totals"),
        extra,
        dict(mf.provenance),
    )
