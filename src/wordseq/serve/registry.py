"""The models a server holds: each loaded once, named (file stem, made unique), classified into one of the
API's kinds, with a lock for the families whose inference is not safe to run from two threads at once."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wordseq.errors import WordseqError

KINDS = ("vectors", "ngram", "neural_lm", "classifier", "tagger", "parser", "translator")

# (module, class) -> API kind. A model's class (or a base of it) is in one of these modules, which is
# therefore imported already: looking it up in sys.modules never imports torch for a server of n-gram models.
_CLASSES: list[tuple[str, str, str]] = [
    ("wordseq.embed.vectors", "Vectors", "vectors"),
    ("wordseq.embed.base", "VectorModel", "vectors"),
    ("wordseq.lm.ngram.model", "NgramModel", "ngram"),
    ("wordseq.lm.neural.model", "NeuralLM", "neural_lm"),
    ("wordseq.classify.base", "Classifier", "classifier"),
    ("wordseq.tag.model", "Tagger", "tagger"),
    ("wordseq.parse.base", "Parser", "parser"),
    ("wordseq.seq2seq.model", "Seq2Seq", "translator"),
]

_MODEL_SUFFIXES = (".wsq", ".arpa", ".arpa.gz", ".arpa.bz2", ".arpa.xz", ".gz", ".bz2", ".xz")


def model_kind(model: Any) -> str:
    """The API kind of a loaded model (one of :data:`KINDS`); a :class:`WordseqError` for anything else."""
    for module_name, class_name, kind in _CLASSES:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if cls is not None and isinstance(model, cls):
            return kind
    raise WordseqError(f"a {type(model).__name__} is not a model kind the server knows ({', '.join(KINDS)})")


def stem(path: str | os.PathLike) -> str:
    """A model's name from its file name: the name without its model-file suffix, in URL-safe characters."""
    name = Path(path).name
    for suffix in _MODEL_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return safe_name(name)


def safe_name(name: str) -> str:
    """``name`` with every character other than letters, digits, ``.``, ``_`` and ``-`` made a ``-``."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", name).strip(".")
    return cleaned or "model"


def unique_names(names: Sequence[str]) -> list[str]:
    """The names with repeats made unique by ``-2``, ``-3``, ... in order of appearance."""
    taken: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}-{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


@dataclass
class ServedModel:
    """One model on the server: its name in URLs, its API kind, its file name (never the full path), the
    loaded object and a lock that serialises inference on it."""

    name: str
    kind: str
    model: Any
    path_name: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    _summary: dict[str, Any] | None = None

    @classmethod
    def of(cls, name: str, model: Any, path_name: str = "") -> ServedModel:
        if isinstance(model, ServedModel):
            return model
        return cls(name, model_kind(model), model, path_name)

    def summary(self) -> dict[str, Any]:
        """``{"kind", "params", "vocab_size", "description", "config"}`` as ``GET /api/models`` lists it."""
        if self._summary is None:
            self._summary = describe(self.model, self.kind)
        return self._summary

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "path_name": self.path_name, "summary": self.summary()}


def describe(model: Any, kind: str) -> dict[str, Any]:
    """A short JSON summary of a model, from its family's ``summary()`` where it has one."""
    file_kind, params, vocab_size, config = kind, None, None, {}
    if callable(getattr(model, "summary", None)):
        s = model.summary()
        file_kind, params, vocab_size, config = s.kind, s.total_params, s.vocab_size, s.config
    elif hasattr(model, "vectors") and hasattr(model, "words"):  # a plain Vectors
        file_kind, vocab_size, params = "vectors", len(model.words), int(model.vectors.size)
        config = {"dim": int(model.vectors.shape[1])}
    parts = [file_kind]
    if vocab_size is not None:
        parts.append(f"{vocab_size:,} words")
    if params:
        parts.append(f"{params:,} parameters")
    return {
        "kind": file_kind,
        "params": params,
        "vocab_size": vocab_size,
        "description": ", ".join(parts),
        "config": json.loads(json.dumps(config, default=str)),
    }


def load_models(
    paths: Sequence[str | os.PathLike], named: Sequence[tuple[str, str | os.PathLike]] = ()
) -> dict[str, ServedModel]:
    """Load each model file (any kind :func:`wordseq.models.load` opens) under its file stem, or under the
    name given in ``named`` (``(name, path)`` pairs); repeated names get ``-2``, ``-3``."""
    from wordseq.models import load

    entries = [(stem(p), p) for p in paths] + [(safe_name(n), p) for n, p in named]
    names = unique_names([n for n, _ in entries])
    served: dict[str, ServedModel] = {}
    for name, (_, path) in zip(names, entries):
        model = load(path)
        served[name] = ServedModel.of(name, model, Path(path).name)
    return served
