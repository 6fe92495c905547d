"""The one training loop (``loop.fit``) that wordseq's neural models share: optimizers and schedules
(``optim``), checkpoints with exact resume (``checkpoint``), learning curves (``curves``) and data-parallel
training under torchrun (``distributed``)."""

from wordseq.train.loop import EpochLog, History, Task, TrainConfig, TrainingDiverged, fit

__all__ = ["EpochLog", "History", "Task", "TrainConfig", "TrainingDiverged", "fit"]
