"""The task panels' operations: a classifier's label probabilities, a tagger's tags (and the entity or chunk
spans of IOB-style tag sets), a parser's dependency tree, and a translation with its attention matrix.

Taggers and parsers read pre-tokenized text, as their ``predict`` commands do: words separated by spaces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wordseq.serve.limits import Limits
from wordseq.serve.requests import ApiError, Fields


def _text(body: Fields, limits: Limits) -> str:
    text = body.text("text", nonempty=True)
    if len(text.split()) > limits.max_text_tokens:
        raise ApiError(422, f"the text has {len(text.split())} tokens; the limit is {limits.max_text_tokens}")
    return text


def _words(body: Fields, limits: Limits) -> list[str]:
    return _text(body, limits).split()


def classify(model: Any, body: Fields, limits: Limits) -> dict[str, Any]:
    """``{"label", "probabilities": [{"label", "prob"}] (most probable first)}``."""
    text = _text(body, limits)
    probs = np.asarray(model.predict_proba([text]), dtype=np.float64)[0]
    order = np.argsort(-probs, kind="stable")
    ranked = [{"label": model.labels[i], "prob": float(probs[i])} for i in order.tolist()]
    return {"label": ranked[0]["label"], "probabilities": ranked}


def tag(model: Any, body: Fields, limits: Limits) -> dict[str, Any]:
    """``{"tokens": [{"token", "tag"}], "spans": [{"start", "end", "label"}], "column", "columns"}``: the
    first column's tags, every column's in ``columns``; spans for tag sets with a span scheme (IOB, BIOES)."""
    from wordseq.tag.schemes import spans

    words = _words(body, limits)
    predicted = model.predict([words])[0]
    column = model.config.columns[0]
    tags = predicted[column]
    found = spans(tags) if model.schemes.get(column) else []
    return {
        "tokens": [{"token": w, "tag": t} for w, t in zip(words, tags)],
        "spans": [{"start": start, "end": end, "label": label} for label, start, end in found],
        "column": column,
        "columns": {c: predicted[c] for c in model.config.columns},
    }


def parse(model: Any, body: Fields, limits: Limits) -> dict[str, Any]:
    """``{"tokens": [{"id", "form", "upos", "head", "deprel"}]}`` (CoNLL-U ids; head 0 is the root)."""
    from wordseq.text.conllu import Sentence

    words = _words(body, limits)
    (sentence,) = model.predict([Sentence.from_forms(words)])
    return {
        "tokens": [
            {"id": t.id, "form": t.form, "upos": t.upos, "head": t.head, "deprel": t.deprel} for t in sentence.tokens
        ]
    }


def translate(model: Any, body: Fields, limits: Limits) -> dict[str, Any]:
    """``{"source": [str], "target": [str], "translation": str, "attention": rows x cols | null}``; the
    target ends with ``</s>`` when there is attention, so that every row of the matrix has its token."""
    from wordseq.seq2seq import detokenize

    text = _text(body, limits)
    beam = body.integer("beam", min(5, limits.max_beam), lo=1, hi=limits.max_beam)
    if model.config.attention == "none":
        (source,) = model.tokenize([text])
        (tokens,) = model.translate([text], beam=beam, tokenized=True)
        target = tokens.split()
        attention = None
        translation = detokenize(target)
    else:
        source, target, matrix = model.attention(text, beam=beam)
        attention = np.asarray(matrix, dtype=np.float64)[: len(target), : len(source)].tolist()
        translation = detokenize([t for t in target if t != "</s>"])
    return {"source": source, "target": target, "translation": translation, "attention": attention}
