"""How to train a neural model: one validated dataclass, the nested ``train`` field of every neural model's
config. It imports no torch, so the CLI can show its defaults cheaply."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wordseq.config import Config

OPTIMIZERS = ("sgd", "adam", "adagrad", "rmsprop")
SCHEDULES = ("none", "step", "plateau")
DEVICES = ("cpu", "cuda", "mps", "xpu")
_ADDED_LATER = {"beta2": 0.999}


@dataclass
class TrainConfig(Config):
    """How to train (the model and data are given separately): the nested ``train`` field of every neural
    model's config, and what :func:`fit` reads."""

    epochs: int = 10
    optimizer: str = "sgd"  # one of OPTIMIZERS
    lr: float = 1.0
    momentum: float = 0.0
    beta2: float = 0.999  # Adam's decay of squared gradients (Dozat & Manning's parsers use 0.9)
    weight_decay: float = 0.0
    schedule: str = "none"  # one of SCHEDULES: none | step | plateau
    decay: float = 0.5  # step schedule: factor per epoch after decay_start
    decay_start: int = 4
    plateau_factor: float = 4.0
    patience: int = 0  # early stopping after this many epochs without improvement (0: off)
    clip: float = 0.0  # clip the global gradient norm to this (0: off)
    clip_value: float = 0.0  # clip each gradient element to [-v, v] (0: off)
    seed: int = 0
    device: str = "cpu"
    bf16: bool = False
    max_seconds: float = 0.0  # stop after this much training time (0: no limit)
    log_interval: int = 0  # log the running training loss every this many batches (0: only per epoch)

    def validate(self) -> None:
        self.check_range("epochs", lo=1, integer=True)
        self.check_choice("optimizer", OPTIMIZERS)
        self.check_range("lr", lo=0.0, lo_open=True)
        self.check_range("momentum", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("beta2", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("weight_decay", lo=0.0)
        self.check_choice("schedule", SCHEDULES)
        self.check_range("decay", lo=0.0, hi=1.0, lo_open=True)
        self.check_range("decay_start", lo=0, integer=True)
        self.check_range("plateau_factor", lo=1.0)
        self.check_range("patience", lo=0, integer=True)
        self.check_range("clip", lo=0.0)
        self.check_range("clip_value", lo=0.0)
        self.check_range("seed", lo=0, integer=True)
        if not isinstance(self.device, str) or self.device.split(":")[0] not in DEVICES:
            self.fail("device", "must be a torch device: cpu, cuda or cuda:N")
        self.check_range("max_seconds", lo=0.0)
        self.check_range("log_interval", lo=0, integer=True)

    def settings(self) -> dict[str, Any]:
        """The settings that must match for a resumed run to continue the same run."""
        d = asdict(self)
        for k in ("epochs", "device", "max_seconds", "log_interval", "patience"):
            d.pop(k)
        for k, default in _ADDED_LATER.items():  # older checkpoints lack these: at their default they match
            if d[k] == default:
                d.pop(k)
        return d
