"""The training loop every wordseq model uses: epochs of minibatches, clipped gradients, a schedule,
validation, checkpoints, exact resume, divergence detection and data-parallel training.

What is specific to a model family lives in a :class:`Task`: which batches make an epoch, the loss of one
batch (with whatever the batch carries over to the next, e.g. the hidden state of truncated BPTT), and the
evaluation of a held-out split. :func:`fit` does the rest:

    for each epoch:
        for each batch: loss -> backward -> clip (global norm and/or value) -> optimizer step
        validation loss -> schedule (step decay or divide-on-plateau) -> early stopping
        checkpoint (model, optimizer, schedule, RNG states, history)

A checkpoint is written after every epoch; ``resume=True`` restores it and continues, giving exactly (bit
for bit on CPU) the result of an uninterrupted run. A loss or gradient norm that is not finite stops
training with :class:`TrainingDiverged`, leaving the last good checkpoint in place.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sized
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.progress import progress
from wordseq.train import distributed as dist
from wordseq.train.checkpoint import (
    config_differences,
    load_checkpoint,
    resume_note,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from wordseq.train.config import TrainConfig
from wordseq.train.optim import EarlyStopping, Schedule, make_optimizer, set_lr, sparse_embeddings


class TrainingDiverged(WordseqError):
    """The loss or the gradient became NaN or infinite."""


class TrainingStopped(WordseqError):
    """Data-parallel training lost one of its processes (killed, crashed, hung), so this one stopped too."""


class Task(Protocol):
    """What :func:`fit` needs to know about a model family."""

    unit: str  # what the loss is averaged over: "token", "char", "sentence", ...

    def batches(self, epoch: int) -> Iterable[Any]:
        """The training batches of one epoch (1-based), in a deterministic order given the epoch."""

    def start(self, model: nn.Module) -> Any:
        """What the first batch of an epoch carries in (e.g. a zero hidden state), or None."""

    def loss(self, model: nn.Module, batch: Any, carry: Any) -> tuple[Tensor, int, Any]:
        """Mean loss of a batch, the number of items it averages over, and what the next batch carries."""

    def evaluate(self, model: nn.Module, split: str) -> float | None:
        """Mean loss per item on a held-out split ("valid", "test"), or None if there is no such split.

        A task whose validation figure is not a loss (e.g. ``100 - BLEU``, lower is better as for a loss)
        names it in an attribute ``valid_metric``, so that logs and history call it by its name.

        A task that remembers something across epochs (the weights of its best validation epoch, say) has
        ``state_dict()`` and ``load_state_dict(state)``: the loop keeps that state in each checkpoint and gives
        it back on resume, so that a resumed run keeps what an uninterrupted one would."""


@dataclass
class EpochLog:
    epoch: int
    lr: float
    train_loss: float
    valid_loss: float | None
    seconds: float
    items: int
    items_per_s: float
    grad_norm: float  # mean global gradient norm before clipping
    stopped_early: bool = False
    valid_metric: str = ""  # the name of the validation figure when it is not a loss (Task.valid_metric)

    def describe(self, unit: str) -> str:
        def metric(loss: float | None, name: str = "") -> str:
            if loss is None:
                return "-"
            if name:
                return f"{name} {loss:.4f}"
            if unit == "char":
                return f"loss {loss:.4f} ({loss / math.log(2):.3f} bits/char)"
            return f"loss {loss:.4f} (ppl {perplexity(loss):.2f})"

        return (
            f"epoch {self.epoch}: lr {self.lr:.4g}  train {metric(self.train_loss)}  valid "
            f"{metric(self.valid_loss, self.valid_metric)}  {self.seconds:.1f} s  {self.items_per_s:,.0f} {unit}s/s"
        )


@dataclass
class History:
    unit: str
    epochs: list[EpochLog] = field(default_factory=list)
    stopped: str = ""  # why training stopped before the last epoch ("early stopping", "time limit")

    def to_list(self) -> list[dict]:
        return [asdict(e) for e in self.epochs]

    def records(self) -> list[dict[str, Any]]:
        """One dict per epoch with the units in the keys (what an estimator's ``history`` holds): losses in
        nats, perplexity (or bits per character for ``unit="char"``), seconds, items and items per second."""
        unit = "characters" if self.unit == "char" else self.unit + "s"
        out = []
        for e in self.epochs:
            r: dict[str, Any] = {"epoch": e.epoch, "lr": e.lr}
            for split, loss in (("train", e.train_loss), ("valid", e.valid_loss)):
                if loss is None:
                    continue
                if split == "valid" and e.valid_metric:
                    r["valid_" + metric_key(e.valid_metric)] = loss
                    continue
                r[f"{split}_loss_nats"] = loss
                if self.unit == "char":
                    r[f"{split}_bits_per_character"] = loss / math.log(2)
                else:
                    r[f"{split}_perplexity"] = perplexity(loss)
            r.update({"seconds": e.seconds, unit: e.items, f"{unit}_per_second": e.items_per_s})
            r.update({"grad_norm": e.grad_norm, "stopped_early": e.stopped_early})
            out.append(r)
        return out


def metric_key(name: str) -> str:
    """A metric's name as a history key: ``"100 - BLEU"`` -> ``"100_minus_bleu"``."""
    return "_".join(name.lower().replace("-", " minus ").split())


def perplexity(loss: float) -> float:
    return math.exp(loss) if loss < 700 else math.inf


def _grad(p: nn.Parameter) -> Tensor:
    """The gradient of a parameter known to have one."""
    assert p.grad is not None
    return p.grad


def clip_gradients(params: Iterable[nn.Parameter], max_norm: float = 0.0, max_value: float = 0.0) -> float:
    """Clip gradients in place: each element to [-max_value, max_value], then the global L2 norm (over all
    parameters together) to ``max_norm``; 0 turns either off. Returns the global norm before norm clipping."""
    params = [p for p in params if p.grad is not None]
    for p in params:
        if _grad(p).is_sparse:  # a sparse embedding gradient (see sparse_embeddings): repeated rows summed,
            p.grad = _grad(p).coalesce()  # so that its values are the rows' true gradients
    dense = [p for p in params if not _grad(p).is_sparse]
    rows = [_grad(p)._values() for p in params if _grad(p).is_sparse]
    if max_value > 0:
        nn.utils.clip_grad_value_(dense, max_value)
        for v in rows:
            v.clamp_(-max_value, max_value)
    norms = [nn.utils.get_total_norm([_grad(p) for p in dense])] + [torch.linalg.vector_norm(v) for v in rows]
    total = norms[0] if len(norms) == 1 else torch.linalg.vector_norm(torch.stack(norms))
    if max_norm > 0:
        nn.utils.clip_grads_with_norm_(dense, max_norm, total)
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)  # the factor clip_grads_with_norm_ applies
        for v in rows:
            v.mul_(coef)
    return float(total)


def _check_finite(value: float, what: str, epoch: int, batch: int, lr: float, checkpoint: Path | None) -> None:
    if math.isfinite(value):
        return
    kept = (
        f"the last good checkpoint {checkpoint} is kept"
        if checkpoint and checkpoint.exists()
        else "no checkpoint was written yet"
    )
    raise TrainingDiverged(
        f"training diverged: the {what} became {value} in epoch {epoch}, batch {batch} "
        f"(learning rate {lr:g}); {kept}; try a lower --lr or --clip"
    )


def _share_weight(n: int) -> float:
    """Under DDP, the factor on this process's mean loss over its ``n`` items that makes DDP's average of the
    processes' gradients the gradient of the mean over the whole global batch: ``n * world_size / N``. It is
    exactly 1 when the shares are equal (language models); tagging and translation batches split into
    shares of different token counts."""
    total = dist.all_sum(n)
    return n * dist.world_size() / total if total else 0.0


def fit(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    meta: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = print,
) -> History:
    """Train ``model`` on ``task``; see the module docstring. ``meta`` (model config, data fingerprints, ...)
    is stored in the checkpoint and must match on resume, like the training settings.

    Under torchrun, a lost process (its collective operations fail, or torchrun stops this one) raises
    :class:`TrainingStopped`: one line naming the checkpoint, the epoch it holds and how to continue."""
    checkpoint = Path(checkpoint) if checkpoint else None
    try:
        return _fit(model, task, config, checkpoint, resume, meta, log)
    except BaseException as e:
        if not dist.stopped_by_peer(e):
            raise
        cause = dist.peer_lost(e)
    raise TrainingStopped(
        f"training stopped: another training process of this torchrun job was lost ({cause}); "
        + resume_note(checkpoint, config.epochs, "the same torchrun command")
    )


def _fit(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    checkpoint: Path | None,
    resume: bool,
    meta: dict[str, Any] | None,
    log: Callable[[str], None] | None,
) -> History:
    device = torch.device(config.device)
    main = dist.is_main()
    log = log if (log and main) else (lambda s: None)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise WordseqError("--device cuda asked for, but torch sees no CUDA device")
    torch.manual_seed(config.seed)
    model.to(device)
    net = dist.wrap(model)
    optimizer = make_optimizer(
        config.optimizer, model.parameters(), config.lr, config.momentum, config.weight_decay, config.beta2
    )
    schedule = Schedule(config.schedule, config.lr, config.decay, config.decay_start, config.plateau_factor)
    early = EarlyStopping(config.patience)
    history = History(task.unit)
    settings = {**config.settings(), **(meta or {})}
    start_epoch = 1

    if resume:
        if checkpoint is None:
            raise WordseqError("--resume needs a checkpoint path")
        ckpt = load_checkpoint(checkpoint, map_location=device)
        diff = config_differences(ckpt["settings"], settings)
        if diff:
            raise WordseqError(
                f"{checkpoint}: cannot resume, the checkpoint is from another model or configuration: {'; '.join(diff)}"
            )
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        schedule.load_state_dict(ckpt["schedule"])
        early.load_state_dict(ckpt["early"])
        history.epochs = [EpochLog(**e) for e in ckpt["history"]]
        history.stopped = ckpt.get("stopped", "")
        set_rng_state(ckpt["rng"])
        if "task" in ckpt and hasattr(task, "load_state_dict"):
            task.load_state_dict(ckpt["task"])
        start_epoch = ckpt["epoch"] + 1
        log(f"resumed from {checkpoint} after epoch {ckpt['epoch']}")
        if history.stopped:
            log(f"training had already stopped ({history.stopped})")
            return history

    # --bf16: models with their own bfloat16 output layer (RNNLM) use it; others run under autocast
    autocast = config.bf16 and not hasattr(model, "bf16_output")
    t_start = time.perf_counter()
    # SGD and AdaGrad update only the looked-up rows of an embedding table: no dense gradient to build,
    # clip and apply for a vocabulary-sized matrix of which a batch touches a few hundred rows
    sparse = sparse_embeddings(
        model, config.optimizer, config.momentum, config.weight_decay, distributed=net is not model
    )
    try:
        for epoch in range(start_epoch, config.epochs + 1):
            set_lr(optimizer, schedule.lr)
            net.train()
            carry = task.start(model)
            total, items, norms, n_batches = 0.0, 0, 0.0, 0
            t0 = time.perf_counter()
            out_of_time = False
            batches = task.batches(epoch)
            bar = progress(
                batches,
                desc=f"epoch {epoch}",
                total=len(batches) if isinstance(batches, Sized) else None,
                **({} if main else {"disable": True}),
            )
            for n_batches, batch in enumerate(bar, 1):
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                    loss, n, carry = task.loss(net, batch, carry)
                optimizer.zero_grad(set_to_none=True)
                (loss * _share_weight(n) if net is not model else loss).backward()
                norm = clip_gradients(model.parameters(), config.clip, config.clip_value)
                value = loss.item()  # read here, not before backward(): on a GPU each read waits for the device
                # checked after backward, so that under DDP every process sees the (averaged, non-finite) gradient
                # and stops at the same batch instead of waiting for one that has stopped
                _check_finite(value, "loss", epoch, n_batches, schedule.lr, checkpoint)
                _check_finite(norm, "gradient norm", epoch, n_batches, schedule.lr, checkpoint)
                optimizer.step()
                total += value * n
                items += n
                norms += norm
                if config.log_interval and n_batches % config.log_interval == 0:
                    bar.set_postfix_str(f"loss {total / items:.3f}")
                    log(
                        f"  epoch {epoch} batch {n_batches}: loss {total / items:.4f} "
                        f"({items / (time.perf_counter() - t0):,.0f} {task.unit}s/s)"
                    )
                if config.max_seconds and dist.any_rank(time.perf_counter() - t_start > config.max_seconds):
                    out_of_time = True
                    break
            bar.close()
            seconds = time.perf_counter() - t0
            if n_batches == 0:
                raise WordseqError("the training data gives no batch (corpus too small for the batch size?)")
            items = int(dist.all_sum(items))
            total = dist.all_sum(total)
            net.eval()
            with torch.no_grad():
                valid = task.evaluate(model, "valid")
            entry = EpochLog(
                epoch,
                schedule.lr,
                total / items,
                valid,
                seconds,
                items,
                items / seconds,
                norms / n_batches,
                valid_metric=(getattr(task, "valid_metric", "") or "") if valid is not None else "",
            )
            if valid is not None:
                _check_finite(valid, "validation loss", epoch, n_batches, schedule.lr, checkpoint)
            history.epochs.append(entry)
            log(entry.describe(task.unit))
            schedule.update(epoch, valid)
            if early.update(valid):
                entry.stopped_early = True
                history.stopped = f"early stopping: no improvement for {early.patience} epochs"
            if out_of_time and not history.stopped:
                history.stopped = f"time limit of {config.max_seconds:g} s reached in epoch {epoch}"
            if checkpoint is not None and main:
                save_checkpoint(
                    checkpoint,
                    {
                        "epoch": epoch,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(),
                        "early": early.state_dict(),
                        "history": history.to_list(),
                        "stopped": history.stopped,
                        "rng": rng_state(),
                        "settings": settings,
                        **({"task": task.state_dict()} if hasattr(task, "state_dict") else {}),
                    },
                )
            if history.stopped:
                log(history.stopped)
                break
    finally:
        for module in sparse:
            module.sparse = False
    return history
