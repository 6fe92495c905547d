"""The one training loop (``loop.fit``) that wordseq's neural models share: its settings (``config``),
optimizers and schedules (``optim``), checkpoints with exact resume (``checkpoint``), learning curves
(``curves``) and data-parallel training under torchrun (``distributed``).

:class:`TrainConfig` imports no torch; the loop's names are loaded on first use, so that a model's config
(and ``wordseq --help``, which shows its defaults) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wordseq.train.config import TrainConfig

if TYPE_CHECKING:
    from wordseq.train.loop import EpochLog, History, Task, TrainingDiverged, TrainingStopped, fit

__all__ = ["EpochLog", "History", "Task", "TrainConfig", "TrainingDiverged", "TrainingStopped", "fit"]


def __getattr__(name: str) -> Any:
    """The loop's names, imported (with torch) when first asked for."""
    if name in ("EpochLog", "History", "Task", "TrainingDiverged", "TrainingStopped", "fit"):
        from wordseq.train import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
