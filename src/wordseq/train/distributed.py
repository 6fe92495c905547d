"""Data-parallel training with ``torchrun`` (DistributedDataParallel): gloo on CPU, NCCL on GPU.

``torchrun --nproc_per_node N -m wordseq lm train ...`` starts N copies of the program; each sees the
environment variables RANK, WORLD_SIZE and LOCAL_RANK. :func:`init` joins the process group, each process
trains on its share of every global batch (:func:`shard`), DDP averages the gradients, so the update equals
single-process training on the whole global batch. Outside torchrun every function here is a no-op.

When one process of the job dies (killed, out of memory, its machine lost), the others' next collective
operation fails (gloo sees the connection closed) or torchrun stops them with SIGTERM; either way
:func:`stopped_by_peer` recognises it and the training loop turns it into one
:class:`wordseq.errors.WordseqError` line saying which checkpoint to ``--resume`` from. A peer that hangs
without dying is given ``WORDSEQ_DIST_TIMEOUT`` seconds (default 600) in a collective operation before the
others give up on it.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
from collections.abc import Iterable, Sequence
from types import FrameType
from typing import TypeVar

import torch
import torch.distributed as tdist
from torch import nn

from wordseq.errors import WordseqError

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 600.0
"""How long a collective operation waits for a silent peer (``WORDSEQ_DIST_TIMEOUT`` overrides it)."""


class PeerStopped(WordseqError):
    """This process was stopped from outside while training under torchrun (SIGTERM: torchrun stops every
    process of a job when one of them fails)."""


_failed = False  # a peer was lost: leave the process group alone at exit (destroying it could wait on the dead)


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
    tdist.init_process_group(backend="nccl" if cuda else "gloo", timeout=datetime.timedelta(seconds=timeout_s()))
    signal.signal(signal.SIGTERM, _on_sigterm)
    return device


def timeout_s() -> float:
    """Seconds a collective operation waits for the other processes: ``WORDSEQ_DIST_TIMEOUT`` or 600."""
    raw = os.environ.get("WORDSEQ_DIST_TIMEOUT", "")
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise WordseqError(f"WORDSEQ_DIST_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return value


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise PeerStopped("torchrun sent SIGTERM, as it does to every process of a job when one of them fails")


# what gloo and NCCL say when a peer has gone: a closed or reset connection, a timed-out operation
_PEER_LOST = re.compile(
    r"connection (closed|reset|refused)|by peer|broken pipe|timed out|remote (worker|process)|"
    r"communicator was aborted",
    re.IGNORECASE,
)


def stopped_by_peer(error: BaseException) -> bool:
    """Whether ``error``, raised while training under torchrun, means that another process was lost (its
    collective operations failed, or torchrun is stopping the job)."""
    if not active() and not _failed:
        return False
    if isinstance(error, PeerStopped):
        return True
    dist_error = getattr(tdist, "DistError", None)
    if dist_error is not None and isinstance(error, dist_error):
        return True
    return isinstance(error, RuntimeError) and bool(_PEER_LOST.search(str(error)))


def peer_lost(error: BaseException) -> str:
    """A short cause for the message when :func:`stopped_by_peer` holds; also stops waiting on the lost
    process: SIGTERM is ignored from here on (the message is being written) and :func:`cleanup` skips the
    process group's teardown."""
    global _failed
    _failed = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if isinstance(error, PeerStopped):
        return str(error)
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    first = re.sub(r"^\[[^\]]*\]\s*", "", first)  # gloo's "[/path/pair.cc:553] " source location
    first = first.split(". ")[0].rstrip(".")
    backend = tdist.get_backend() if active() else "the process group"
    return f"{backend}: {first}"


def cleanup() -> None:
    if active() and not _failed:
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


def share(items: Sequence[T]) -> list[T]:
    """This process's share of the items (sentences, pairs) of one global batch: every ``world_size``-th,
    starting at its rank, so that length-sorted batches give every process rows of about the same length."""
    w = world_size()
    return list(items) if w == 1 else list(items[rank() :: w])


def shares(batches: Iterable[Sequence[T]]) -> list[list[T]]:
    """This process's :func:`share` of every global batch, so that data-parallel training goes through the
    batches one process would; a batch with fewer items than processes is left out (every process must
    take part in every step)."""
    w = world_size()
    return [share(b) for b in batches if len(b) >= w]


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
