"""The tagging task for :func:`wordseq.train.fit`: length-sorted batches shuffled per epoch, the loss of a
batch, and a validation figure (the dev error of the first column) with the best epoch's weights kept.
Under torchrun each process trains on its share of every batch and evaluates the whole dev set itself.

The best weights are also written beside the checkpoint (``<checkpoint>.best``, safetensors), so that a
resumed run ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor, nn

from wordseq.tag.data import Encoded, length_batches, make_batch
from wordseq.tag.formats import TaggedSentence
from wordseq.train import distributed as dist


class TaggingTask:
    unit = "token"

    def __init__(
        self, tagger: Any, train: list[Encoded], dev: list[TaggedSentence], checkpoint: str | os.PathLike | None
    ) -> None:
        self.tagger = tagger
        self.train = train
        self.dev = dev
        self.best_path = Path(f"{os.fspath(checkpoint)}.best") if checkpoint else None
        self.best_error = float("inf")
        self.best_epoch = 0
        self.best_state: dict[str, Any] | None = None
        self.scores: list[dict[str, Any]] = []
        self.epoch = 0
        if self.best_path is not None and self.best_path.exists():
            self._load_best()

    def batches(self, epoch: int) -> list[Any]:
        self.epoch = epoch
        cfg = self.tagger.config
        rng = np.random.default_rng([cfg.train.seed, epoch])
        groups = length_batches([len(e) for e in self.train], cfg.batch_size, rng=rng)
        shares = dist.shares(groups)  # under torchrun: this process's share of each global batch
        return [make_batch([self.train[i] for i in g], g) for g in shares]

    def start(self, model: nn.Module) -> None:
        return None

    def loss(self, model: nn.Module, batch: Any, carry: Any) -> tuple[Tensor, int, Any]:
        device = next(model.parameters()).device
        batch = batch.to(device)
        return model(batch), batch.tokens, None

    def evaluate(self, model: nn.Module, split: str) -> float | None:
        if split != "valid" or not self.dev:
            return None
        result = self.tagger.evaluate(self.dev)
        first = next(iter(result.columns.values()))
        # one figure over all columns: each column's span F1 (span columns) or accuracy, averaged
        metrics = [s.span_f1 if s.span_f1 is not None else s.accuracy for s in result.columns.values()]
        metric = sum(metrics) / len(metrics)
        entry: dict[str, Any] = {"epoch": self.epoch}
        for c, s in result.columns.items():
            entry[f"valid_{c}_accuracy"] = s.accuracy
            if s.span_f1 is not None:
                entry[f"valid_{c}_f1"] = s.span_f1
        self.scores.append(entry)
        error = 1.0 - metric
        if error < self.best_error:
            self.best_error, self.best_epoch = error, self.epoch
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if self.best_path is not None and self.best_state is not None and dist.is_main():
            self._save_best()  # every epoch, so that the dev scores so far survive an interruption
        print_ = getattr(self.tagger, "_log", None)
        if print_ and dist.is_main():
            print_(f"  dev {first.column}: " + ", ".join(f"{k} {v:.4f}" for k, v in entry.items() if k != "epoch"))
        return error

    def restore_best(self, model: nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def scores_by_epoch(self, n: int) -> list[dict[str, Any]]:
        by = {e["epoch"]: {k: v for k, v in e.items() if k != "epoch"} for e in self.scores}
        return [by.get(i, {}) for i in range(1, n + 1)]

    def _save_best(self) -> None:
        from safetensors.torch import save_file

        from wordseq.io.atomic import atomic_path

        assert self.best_state is not None and self.best_path is not None
        meta = {"epoch": str(self.best_epoch), "error": repr(self.best_error), "scores": repr(self.scores)}
        with atomic_path(self.best_path) as tmp:
            save_file({k: v.contiguous() for k, v in self.best_state.items()}, str(tmp), metadata=meta)

    def _load_best(self) -> None:
        import ast

        from safetensors import safe_open
        from safetensors.torch import load_file

        assert self.best_path is not None
        self.best_state = load_file(str(self.best_path))
        with safe_open(str(self.best_path), "pt") as f:
            meta = f.metadata() or {}
        self.best_epoch = int(meta.get("epoch", 0))
        self.best_error = float(meta.get("error", "inf"))
        self.scores = ast.literal_eval(meta.get("scores", "[]"))
