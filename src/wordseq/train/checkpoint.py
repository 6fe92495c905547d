"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint holds the model and optimizer state, the schedule and early-stopping state, the history so far,
the random-number generator states and the run's settings. It is written with ``torch.save`` but contains only
tensors and plain Python values, and is read with ``torch.load(weights_only=True)``, which refuses anything
else: loading a checkpoint never runs code. Writes are atomic, so an interrupted write keeps the previous one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from wordseq.errors import InputError
from wordseq.io.atomic import atomic_path

FORMAT = "wordseq-checkpoint"
VERSION = 1


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (tensors, dicts, lists, numbers, strings) atomically."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **payload}, tmp)
    return Path(path)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors and plain values only)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such checkpoint (nothing to resume from)")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises UnpicklingError for anything but plain data, RuntimeError for bad zips
        raise InputError(
            path, f"not a readable wordseq checkpoint ({type(e).__name__}: {str(e).splitlines()[0]})"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise InputError(path, "not a wordseq checkpoint")
    if ckpt.get("version", 0) > VERSION:
        raise InputError(path, "checkpoint made by a newer wordseq")
    return ckpt


def config_differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human-readable differences between two flat settings dicts, e.g. ``"hidden: 200 (checkpoint) vs 300"``."""
    out = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key, "<unset>"), current.get(key, "<unset>")
        if a != b:
            out.append(f"{key}: {a!r} in the checkpoint, {b!r} now")
    return out


def resume_note(path: str | os.PathLike | None, epochs: int, command: str = "the same command") -> str:
    """What the checkpoint left by a stopped run holds, and how to continue: for the one-line message of an
    interrupted or failed training command."""
    if path is None:
        return "no checkpoint was kept (training starts over)"
    path = Path(path)
    try:
        epoch = load_checkpoint(path)["epoch"] if path.exists() else None
    except InputError:
        epoch = None
    if epoch is None:
        return "before the first epoch ended: no checkpoint to continue from"
    return (
        f"{path} holds the model, optimizer, schedule and RNG state after epoch {epoch} of {epochs}; "
        f"run {command} with --resume to continue"
    )
