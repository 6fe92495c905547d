"""Optimizers and learning-rate schedules for the training loop.

Optimizers: SGD (with momentum), Adam, AdaGrad, RMSProp, by name. Schedules, applied at the end of each
epoch: ``step`` (Zaremba et al. 2014: after epoch ``decay_start`` the rate is multiplied by ``decay`` each
epoch), ``plateau`` (the PyTorch word_language_model example: divide by 4 whenever the validation loss does
not improve) and ``none``. :class:`EarlyStopping` stops after ``patience`` epochs without improvement. All
keep their state in plain dicts so that checkpoints restore them exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import torch

from wordseq.errors import WordseqError
from wordseq.train.config import OPTIMIZERS, SCHEDULES


def make_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter],
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    beta2: float = 0.999,
) -> torch.optim.Optimizer:
    """An optimizer by name; ``momentum`` applies to SGD and RMSProp, ``beta2`` to Adam."""
    if not lr > 0 or not math.isfinite(lr):
        raise WordseqError(f"learning rate must be positive, got {lr}")
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, beta2), weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise WordseqError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def sparse_embeddings(
    model: torch.nn.Module, optimizer: str, momentum: float = 0.0, weight_decay: float = 0.0, distributed: bool = False
) -> list[torch.nn.Embedding]:
    """Switch the model's embedding tables to sparse gradients where the update stays exactly the dense one
    and is cheaper: plain SGD or AdaGrad (rows without gradient do not move), no weight decay or momentum
    (they move every row), a table that is no other layer's weight (tying makes its gradient dense anyway),
    not data-parallel. Returns the switched modules, to switch back after training."""
    if optimizer not in ("sgd", "adagrad") or momentum or weight_decay or distributed:
        return []
    uses: dict[int, int] = {}
    for _, p in model.named_parameters(remove_duplicate=False):
        uses[id(p)] = uses.get(id(p), 0) + 1
    switched = []
    for module in model.modules():
        if (
            isinstance(module, torch.nn.Embedding)
            and not module.sparse
            and uses.get(id(module.weight)) == 1
            and module.max_norm is None
        ):
            module.sparse = True
            switched.append(module)
    if switched and optimizer == "adagrad":
        # torch's sparse AdaGrad warns unless the (default: off) invariant checks are set explicitly
        torch.sparse.check_sparse_tensor_invariants.disable()
    return switched


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


@dataclass
class Schedule:
    """Learning rate per epoch. ``update(epoch, valid_loss)`` is called after each epoch (1-based) and
    returns the rate for the next one."""

    kind: str = "none"
    lr: float = 1.0
    decay: float = 0.5  # step: the factor per epoch after decay_start
    decay_start: int = 4  # step: first decay after this epoch (Zaremba "small": 4)
    plateau_factor: float = 4.0  # plateau: divide by this when validation does not improve
    best: float = math.inf

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise WordseqError(f"unknown schedule {self.kind!r}; choose from {', '.join(SCHEDULES)}")

    def update(self, epoch: int, valid_loss: float | None) -> float:
        if self.kind == "step" and epoch >= self.decay_start:
            self.lr *= self.decay
        elif self.kind == "plateau" and valid_loss is not None:
            if valid_loss < self.best:
                self.best = valid_loss
            else:
                self.lr /= self.plateau_factor
        return self.lr

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs (0: never stop)."""

    patience: int = 0
    best: float = math.inf
    bad_epochs: int = 0

    def update(self, valid_loss: float | None) -> bool:
        """Record an epoch's validation loss; True when training should stop."""
        if valid_loss is None or self.patience <= 0:
            return False
        if valid_loss < self.best:
            self.best, self.bad_epochs = valid_loss, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)
