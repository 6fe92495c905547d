"""Model configurations: one validated dataclass per model, the same shape in every family.

A config is checked when it is made (``__post_init__``) and again whenever it is changed through
:meth:`Config.replace`, so a model never starts from settings it cannot use. Errors name the field and the
allowed range, never a command-line flag: the CLI translates field names into its own options.

>>> @dataclass
... class MyConfig(Config):
...     dim: int = 100
...     lr: float = 0.025
...     def validate(self) -> None:
...         self.check_range("dim", lo=1, integer=True)
...         self.check_range("lr", lo=0.0, lo_open=True)
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from wordseq.errors import WordseqError


class ConfigError(WordseqError, ValueError):
    """A configuration field holds a value the model cannot use; names the field and what is allowed."""

    def __init__(self, config: str, field: str, value: object, allowed: str) -> None:
        super().__init__(f"{config}.{field} = {value!r}: {allowed}")
        self.config = config
        self.field = field
        self.value = value
        self.allowed = allowed


def _bound(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi:g}")
    return " and ".join(parts)


@dataclass
class Config:
    """Base of every ``...Config``: validation in ``__post_init__``, dict round-trips for model files."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raise :class:`ConfigError` naming the first bad one. Subclasses override."""

    # ------------------------------------------------------------------ checks subclasses use

    def fail(self, name: str, allowed: str) -> None:
        raise ConfigError(type(self).__name__, name, getattr(self, name), allowed)

    def check_range(
        self,
        name: str,
        lo: float | None = None,
        hi: float | None = None,
        *,
        lo_open: bool = False,
        hi_open: bool = False,
        integer: bool = False,
        optional: bool = False,
    ) -> None:
        """``name`` must be a number in [lo, hi] (open ends with ``lo_open``/``hi_open``); None if ``optional``."""
        value = getattr(self, name)
        if value is None and optional:
            return
        kind = "an integer" if integer else "a number"
        rng = _bound(lo, hi, lo_open, hi_open)
        allowed = f"must be {kind}" + (f" {rng}" if rng else "") + (" (or None)" if optional else "")
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
            self.fail(name, allowed)
        if not integer and not math.isfinite(value):
            self.fail(name, allowed)
        too_low = lo is not None and (value <= lo if lo_open else value < lo)
        too_high = hi is not None and (value >= hi if hi_open else value > hi)
        if too_low or too_high:
            self.fail(name, allowed)

    def check_choice(self, name: str, choices: Iterable[object]) -> None:
        """``name`` must be one of ``choices``."""
        choices = list(choices)
        if getattr(self, name) not in choices:
            self.fail(name, "must be one of " + ", ".join(repr(c) for c in choices))

    # ------------------------------------------------------------------ (de)serialisation

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-ready values (what a model file stores)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a config from :meth:`to_dict`'s output; fields added since the file was written take their
        defaults, and an unknown field is an error naming it."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            known = ", ".join(sorted(names))
            raise ConfigError(cls.__name__, unknown[0], data[unknown[0]], f"unknown field; known: {known}")
        values = dict(data)
        hints = typing.get_type_hints(cls)
        for name, value in values.items():  # nested configs (a model's training settings, say) come back as such
            nested = hints.get(name)
            if isinstance(value, Mapping) and isinstance(nested, type) and issubclass(nested, Config):
                values[name] = nested.from_dict(value)
        return cls(**values)

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes)
