"""Neural language-model files: weights, model config, vocabulary and tokenizer in one wordseq model file.

The file is the common format of :mod:`wordseq.io.modelfile` (safetensors + JSON, never pickle) with kind
``"neural-lm"``; its config holds the model config (what :func:`~wordseq.lm.neural.model.build_model` needs),
the tokenizer settings and the level (``word`` or ``char``), so a loaded model reads new text exactly the way
its training text was read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from wordseq.errors import InputError
from wordseq.io.modelfile import ModelFile, load_model, save_model
from wordseq.lm.neural.data import LEVELS
from wordseq.lm.neural.task import plain
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab

KIND = "neural-lm"


@dataclass
class LoadedLM:
    """A neural LM read from a file: the model (in eval mode), its config, vocabulary, tokenizer and level."""

    model: nn.Module
    config: dict[str, Any]
    vocab: Vocab
    tokenizer: Tokenizer
    level: str
    provenance: dict[str, Any]
    path: Path


def save_lm(
    path: str | os.PathLike,
    model: nn.Module,
    config: dict,
    vocab: Vocab,
    tokenizer_config: dict,
    level: str,
    provenance: dict | None = None,
) -> Path:
    """Write a neural LM file atomically; ``config`` is the model config (with ``vocab_size``)."""
    if level not in LEVELS:
        raise ValueError(f"level must be word or char, got {level!r}")
    state = plain(model).state_dict()
    tensors = {
        k: v.detach().to("cpu", torch.float32).numpy() if v.is_floating_point() else v.detach().cpu().numpy()
        for k, v in state.items()
    }
    file_config = {"model": dict(config), "tokenizer": dict(tokenizer_config), "level": level}
    return save_model(path, ModelFile(KIND, file_config, tensors, {"vocab": vocab}, dict(provenance or {})))


def load_lm(path: str | os.PathLike, device: str | torch.device = "cpu") -> LoadedLM:
    """Read a neural LM file; the model is on ``device`` and in eval mode."""
    from wordseq.lm.neural.model import build_model

    mf = load_model(path, KIND)
    try:
        model = build_model(mf.config["model"])
        tokenizer = Tokenizer(**mf.config["tokenizer"])
        level = mf.config["level"]
    except (KeyError, TypeError) as e:
        raise InputError(path, f"incomplete neural model config ({e})") from None
    state = {k: torch.from_numpy(np.array(v)) for k, v in mf.tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (k == "decoder.weight" and mf.config["model"].get("tied"))]
    if missing or unexpected:
        raise InputError(path, f"weights do not match the model config (missing {missing}, unexpected {unexpected})")
    if len(mf.vocab) != mf.config["model"]["vocab_size"]:
        raise InputError(
            path, f"vocabulary of {len(mf.vocab)} tokens, but the model expects {mf.config['model']['vocab_size']}"
        )
    model.to(device).eval()
    return LoadedLM(model, mf.config["model"], Vocab.from_stored(mf.vocab), tokenizer, level, mf.provenance, Path(path))
