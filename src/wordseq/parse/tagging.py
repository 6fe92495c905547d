"""Predicted tags for the parsers: a tagger model file (``wordseq tag train``) loaded and checked, and
sentences retagged with it, so that a parser sees at test time the tags it would see on raw text."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

from wordseq.errors import InputError
from wordseq.text.conllu import Sentence


def load_tagger(path: str | os.PathLike, column: str) -> Any:
    """A tagger model that predicts ``column`` (``upos`` or ``xpos``); any other model file is refused with
    one line naming it."""
    from wordseq.io.modelfile import read_metadata

    kind = str(read_metadata(path)["kind"])
    if not kind.startswith("tagger"):
        raise InputError(path, f"is a {kind!r} model, not a tagger (train one with `wordseq tag train`)")
    from wordseq.tag import load_tagger as _load  # type: ignore[attr-defined,unused-ignore]

    tagger = _load(path)
    columns = list(getattr(tagger.config, "columns", []))
    if column not in columns:
        raise InputError(path, f"the tagger predicts {', '.join(columns) or 'no column'}, not {column}")
    return tagger


def tag_sentences(tagger: Any, sentences: Sequence[Sentence], column: str) -> list[Sentence]:
    """Copies of the sentences whose ``column`` holds the tagger's predictions (other columns untouched)."""
    inputs = list(getattr(tagger.config, "features", []))  # input columns the tagger reads beside the words
    predicted = tagger.predict(
        [s.forms for s in sentences], features=[{f: s.column(f) for f in inputs} for s in sentences]
    )
    out = []
    for s, tags in zip(sentences, predicted, strict=True):
        c = copy.deepcopy(s)
        for tok, tag in zip(c.tokens, tags[column], strict=True):
            setattr(tok, column, tag)
        out.append(c)
    return out
