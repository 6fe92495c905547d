"""Predicted tags for the parsers: a tagger model file (``wordseq tag train``) loaded and checked, and
sentences retagged with it, so that a parser sees at test time the tags it would see on raw text."""

from __future__ import annotations

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
    from wordseq.tag.formats import conllu_inputs, with_tags

    predicted = tagger.predict([s.forms for s in sentences], features=conllu_inputs(sentences, tagger.config.features))
    return with_tags(sentences, predicted, [column])
