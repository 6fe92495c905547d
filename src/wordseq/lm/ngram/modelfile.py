"""N-gram models in the wordseq model file (safetensors + JSON metadata, kind ``"ngram"``): fast to load,
no parsing, the tokenizer settings kept so test text is tokenized the way the training text was."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from wordseq.errors import InputError
from wordseq.io.modelfile import ModelFile, load_model, read_metadata, save_model
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab


def save_ngram(model, path: str | os.PathLike) -> Path:
    tensors: dict[str, np.ndarray] = {}
    for n in range(1, model.order + 1):
        if n >= 2:
            tensors[f"keys.{n}"] = model.keys[n]
        for name in ("logprob", "logbow", "counts", "totals"):
            table = getattr(model, name)
            if table is not None and table[n] is not None:
                tensors[f"{name}.{n}"] = table[n]
    config = {
        "order": model.order,
        "form": model.form,
        "smoothing": model.smoothing,
        "k": model.k,
        "discounts": [None if d is None else list(d) for d in model.discounts],
        "tokenizer": model.tokenizer.config(),
    }
    return save_model(
        path, ModelFile(f"ngram-{model.smoothing}", config, tensors, {"vocab": model.vocab}, extra=dict(model.info))
    )


def load_ngram(path: str | os.PathLike):
    from wordseq.lm.ngram.model import NgramModel

    kind = read_metadata(path)["kind"]
    if not kind.startswith("ngram"):
        raise InputError(path, f"is a {kind!r} model, not an n-gram model")
    mf = load_model(path)
    cfg = mf.config
    N = int(cfg["order"])

    def tables(name):
        if f"{name}.1" not in mf.tensors:
            return None
        return [None] + [mf.tensors.get(f"{name}.{n}") for n in range(1, N + 1)]

    keys = [None, None] + [mf.tensors[f"keys.{n}"] for n in range(2, N + 1)]
    discounts = [None if d is None else tuple(d) for d in cfg.get("discounts", [])]
    return NgramModel(
        N,
        Vocab.from_stored(mf.vocab),
        cfg["form"],
        keys,
        tables("logprob"),
        tables("logbow"),
        tables("counts"),
        tables("totals"),
        cfg["smoothing"],
        float(cfg.get("k", 1.0)),
        discounts,
        Tokenizer(**cfg["tokenizer"]),
        dict(mf.extra),
    )
