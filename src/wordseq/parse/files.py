"""Open either parser's model file by its kind."""

from __future__ import annotations

import os
from typing import Any

from wordseq.errors import InputError

KINDS = ("parser-chen-manning", "parser-biaffine")


def load_parser(path: str | os.PathLike) -> Any:
    """A Chen & Manning or biaffine parser from its model file; other model files are refused by name."""
    from wordseq.io.modelfile import read_metadata
    from wordseq.parse.biaffine import BiaffineParser
    from wordseq.parse.chen_manning import ChenManningParser

    kind = str(read_metadata(path)["kind"])
    if kind == ChenManningParser.kind:
        return ChenManningParser.load(path)
    if kind == BiaffineParser.kind:
        return BiaffineParser.load(path)
    raise InputError(path, f"is a {kind!r} model, not a parser")
