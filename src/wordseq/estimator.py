"""The one shape every wordseq model has, in every family (scikit-learn's and gensim's shape):

    model = Word2Vec(Word2VecConfig(dim=100))   # or Word2Vec(dim=100): keyword overrides of the config
    model.fit(train, valid=None)                # returns the model; per-epoch figures in model.history
    model.evaluate(test)                        # a result dataclass whose field names state their units
    path = model.save("vec.wsq")                # returns the path written (atomically)
    model = Word2Vec.load(path)                 # or wordseq.load(path), which opens any model file by kind
    model.summary()                             # what `wordseq info` prints

See ``docs/architecture.md`` for the whole convention and how to add a family.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from wordseq.config import Config

C = TypeVar("C", bound=Config)


@dataclass
class LayerInfo:
    """One row of a model summary: a named part, what it is, the shape it outputs and its parameter count."""

    name: str
    type: str
    output_shape: str
    params: int
    trainable: bool = True


@dataclass
class ModelSummary:
    """What ``wordseq info`` shows: the lectures' ``model.summary()`` plus the file's story."""

    kind: str
    config: dict[str, Any]
    vocab_size: int | None = None
    layers: list[LayerInfo] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # family-specific facts (n-gram counts per order, ...)
    file: str | None = None
    file_bytes: int | None = None
    integrity: str = "not checked"
    # "layers" for a family's table of layers; "tensors" when the rows are the file's stored tensors
    # (name, dtype, shape, number of elements), as ``wordseq info`` shows for families without summary()
    layer_kind: str = "layers"

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def trainable_params(self) -> int:
        return sum(layer.params for layer in self.layers if layer.trainable)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["total_params"] = self.total_params
        d["trainable_params"] = self.trainable_params
        return d

    def text(self) -> str:
        """A plain-text report: header, configuration, the layer table with its totals, provenance."""
        lines = [f"kind        {self.kind}"]
        if self.file:
            size = f" ({self.file_bytes:,} bytes)" if self.file_bytes is not None else ""
            lines.append(f"file        {self.file}{size}")
        lines.append(f"integrity   {self.integrity}")
        if self.vocab_size is not None:
            lines.append(f"vocabulary  {self.vocab_size:,} entries")
        if not self.config:
            lines += ["", "configuration", "  (none stored)"]
        else:
            lines += ["", "configuration"] + _table(_flat(self.config), "  ")
        if self.extra:
            lines += [""] + _table(_flat(self.extra), "")
        if self.layers:
            header = ("tensor", "dtype", "shape", "elements") if self.layer_kind == "tensors" else None
            rows = [header or ("layer", "type", "output shape", "params")]
            rows += [(r.name, r.type, r.output_shape, f"{r.params:,}") for r in self.layers]
            widths = [max(len(row[i]) for row in rows) for i in range(4)]
            rule = "  " + "-" * (sum(widths) + 6)

            def fmt(row: tuple[str, ...]) -> str:
                return "  " + "  ".join(
                    c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))
                )

            lines += ["", fmt(rows[0]), rule] + [fmt(r) for r in rows[1:]] + [rule]
            total = "total elements  " if self.layer_kind == "tensors" else "total parameters"
            lines.append(f"  {total}      {self.total_params:,}")
            if self.trainable_params != self.total_params:
                lines.append(f"  trainable parameters  {self.trainable_params:,}")
        if self.metrics:
            lines += ["", "final metrics"] + _table(_flat(self.metrics), "  ")
        provenance = {k: v for k, v in self.provenance.items() if k not in ("history", "metrics")}
        if provenance:
            lines += ["", "provenance"] + _table(_flat(provenance), "  ")
        return "\n".join(lines)


def _flat(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (``model.hidden``), for display."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def _table(mapping: dict[str, Any], indent: str) -> list[str]:
    width = max(len(k) for k in mapping)
    return [f"{indent}{k:<{width}}  {_short(v)}" for k, v in mapping.items()]


def _short(value: Any, limit: int = 100) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Estimator(Generic[C]):
    """Base of every model family's estimator: a config, ``fit``/``evaluate``, ``save``/``load``, ``summary``.

    Subclasses set ``kind`` (the model-file kind that :func:`wordseq.load` dispatches on) and
    ``config_class``, and implement the methods below that apply to them.
    """

    kind: ClassVar[str] = ""
    config_class: ClassVar[type[Config]] = Config

    def __init__(self, config: C | None = None, **overrides: Any) -> None:
        cfg = config if config is not None else self.config_class()
        if not isinstance(cfg, self.config_class):
            raise TypeError(f"{type(self).__name__} takes a {self.config_class.__name__}, not {type(cfg).__name__}")
        self.config: C = cfg.replace(**overrides) if overrides else cfg  # type: ignore[assignment]
        self.history: list[dict[str, Any]] = []  # one dict per epoch (or pass) of the last fit

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    def fit(self, data: Any, valid: Any = None, **kwargs: Any) -> Self:
        """Train on ``data`` (and watch ``valid`` where the family uses it); returns the model."""
        raise NotImplementedError

    def evaluate(self, data: Any) -> Any:
        """Score held-out data; returns the family's result dataclass (fields name their units)."""
        raise NotImplementedError

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model file atomically and return its path."""
        raise NotImplementedError

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Read a model file written by :meth:`save` (never executes code from it)."""
        raise NotImplementedError

    def summary(self) -> ModelSummary:
        """Kind, configuration, layers with parameter counts, provenance: what ``wordseq info`` prints."""
        return ModelSummary(self.kind, self.config.to_dict())
