"""Per-epoch checkpoints of word-vector training, so that a run of hours survives a crash or a Ctrl-C.

A checkpoint is a model file (:mod:`wordseq.io.modelfile`, kind ``<model kind>-checkpoint``) written
atomically after every epoch: the matrices being trained, the random-number state, the epochs done and the
history, the config and a fingerprint of the encoded corpus. Resuming from it with the same config and
corpus continues where the run stopped; with one thread the result is bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.io.modelfile import ModelFile, load_model, read_metadata, save_model


@dataclass
class TrainingState:
    """What a checkpoint holds: the epochs finished, the history so far and the named arrays."""

    epoch: int
    history: list[dict[str, Any]]
    arrays: dict[str, np.ndarray]


def corpus_fingerprint(length: int, words: list[str], *arrays: np.ndarray) -> str:
    """A short digest of the training data (its length, vocabulary and summary arrays such as the word
    counts), to refuse resuming on another corpus without reading all of it again."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(length).encode())
    h.update("\n".join(words).encode("utf-8"))
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype}{arr.shape}".encode())
        h.update(arr.data if arr.size else b"")
    return h.hexdigest()


def save_training_state(
    path: str | os.PathLike,
    kind: str,
    config: dict[str, Any],
    fingerprint: str,
    epochs: int,
    state: TrainingState,
) -> Path:
    """Write the state after ``state.epoch`` of ``epochs`` epochs atomically (the previous checkpoint stays
    whole until the new one is complete)."""
    extra = {"epoch": state.epoch, "epochs": epochs, "corpus_fingerprint": fingerprint}
    model = ModelFile(f"{kind}-checkpoint", config, dict(state.arrays), {}, {"history": state.history}, extra=extra)
    return save_model(path, model)


def load_training_state(
    path: str | os.PathLike, kind: str, config: dict[str, Any], fingerprint: str, names: Mapping[str, tuple[int, ...]]
) -> TrainingState:
    """Read a checkpoint written by :func:`save_training_state`, refusing one made with another config or
    corpus, or whose arrays (``names``: name -> shape) do not fit this run."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such checkpoint (nothing to resume from)")
    mf = load_model(path, f"{kind}-checkpoint")
    diff = [
        f"{k}: {mf.config.get(k, '<unset>')!r} in the checkpoint, {config.get(k, '<unset>')!r} now"
        for k in sorted(set(mf.config) | set(config))
        if mf.config.get(k) != config.get(k)
    ]
    if diff:
        raise WordseqError(f"{path}: cannot resume, the checkpoint was made with other settings: {'; '.join(diff)}")
    if mf.extra.get("corpus_fingerprint") != fingerprint:
        raise WordseqError(f"{path}: cannot resume, the checkpoint was made on another corpus or vocabulary")
    for name, shape in names.items():
        arr = mf.tensors.get(name)
        if arr is None or tuple(arr.shape) != tuple(shape):
            raise InputError(path, f"checkpoint array {name!r} is missing or has the wrong shape")
    epoch = int(mf.extra.get("epoch", 0))
    return TrainingState(epoch, list(mf.provenance.get("history", [])), dict(mf.tensors))


def describe_checkpoint(path: str | os.PathLike) -> str | None:
    """One line saying what a checkpoint holds (``after epoch 3 of 5``), or None when there is none to read."""
    try:
        meta = read_metadata(path)
    except InputError:
        return None
    extra = meta.get("extra", {})
    kind = str(meta.get("kind", "")).removesuffix("-checkpoint")
    return (
        f"{path} holds the {kind} vectors and training state after epoch {extra.get('epoch')} of {extra.get('epochs')}"
    )
