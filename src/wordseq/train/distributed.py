"""Data-parallel training with ``torchrun`` (DistributedDataParallel): gloo on CPU, NCCL on GPU.

``torchrun --nproc_per_node N -m wordseq lm train ...`` starts N copies of the program; each sees the
environment variables RANK, WORLD_SIZE and LOCAL_RANK. :func:`init` joins the process group, each process
trains on its share of every global batch (:func:`shard`), DDP averages the gradients, so the update equals
single-process training on the whole global batch. Outside torchrun every function here is a no-op.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as tdist
from torch import nn

from wordseq.errors import WordseqError


def launched() -> bool:
    """Whether this process was started by torchrun with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def active() -> bool:
    return tdist.is_available() and tdist.is_initialized()


def rank() -> int:
    return tdist.get_rank() if active() else 0


def world_size() -> int:
    return tdist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def init(device: str = "cpu") -> str:
    """Join the process group when launched by torchrun; returns the device this process should use
    (``cuda:LOCAL_RANK`` for CUDA)."""
    if not launched() or active():
        return device
    cuda = device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        raise WordseqError("--device cuda asked for, but torch sees no CUDA device")
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    tdist.init_process_group(backend="nccl" if cuda else "gloo")
    return device


def cleanup() -> None:
    if active():
        tdist.destroy_process_group()


def wrap(model: nn.Module) -> nn.Module:
    """The model wrapped in DistributedDataParallel when running distributed, else the model itself."""
    if not active():
        return model
    device_ids = [model_device(model).index] if model_device(model).type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def shard(n: int) -> slice:
    """This process's share of ``n`` rows of a global batch (they must divide evenly)."""
    w = world_size()
    if n % w:
        raise WordseqError(f"the batch size {n} must be divisible by the number of processes {w}")
    k = n // w
    return slice(rank() * k, (rank() + 1) * k)


def _reduce_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if tdist.get_backend() == "nccl" else torch.device("cpu")


def all_sum(value: float | int) -> float | int:
    """Sum of a number over all processes."""
    if not active():
        return value
    t = torch.tensor([float(value)], dtype=torch.float64, device=_reduce_device())
    tdist.all_reduce(t)
    return type(value)(t.item())


def any_rank(flag: bool) -> bool:
    """True on every process when it is True on any (so that all stop at the same batch)."""
    if not active():
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=_reduce_device())
    tdist.all_reduce(t, op=tdist.ReduceOp.MAX)
    return bool(t.item())
