"""Language modelling as a task of the training loop: truncated BPTT over parallel streams.

The training corpus is cut into ``batch`` parallel streams (the PyTorch word_language_model example's
batchify); an epoch walks them in windows of ``bptt`` tokens, and the hidden state at the end of one window
is carried, detached, into the next (truncated backpropagation through time). The loss is the mean
cross-entropy per predicted token. Evaluation does the same without gradients and counts every token of the
held-out text, the first one included (it is predicted after a ``</s>``), as the n-gram models do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from wordseq.nn import detach_state
from wordseq.text.batching import bptt_windows, lm_streams
from wordseq.train import distributed as dist


def plain(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


class LMTask:
    """Truncated BPTT over ``batch`` streams of the training ids (this process's share under DDP).

    ``eval_batch``/``eval_bptt``: streams and window length when scoring held-out text. ``carry_state=False``
    starts every training window from a zero state instead (an ablation: what TBPTT's carried state is worth).
    """

    def __init__(
        self,
        train: np.ndarray,
        valid: np.ndarray | None = None,
        test: np.ndarray | None = None,
        batch: int = 20,
        bptt: int = 35,
        eval_batch: int = 10,
        eval_bptt: int | None = None,
        eos_id: int | None = None,
        level: str = "word",
        device: str | torch.device = "cpu",
        carry_state: bool = True,
    ) -> None:
        self.unit = "char" if level == "char" else "token"
        self.device = torch.device(device)
        self.bptt, self.eval_batch, self.eval_bptt = bptt, eval_batch, eval_bptt or bptt
        streams = lm_streams(train, batch)[dist.shard(batch)]
        self.streams = torch.from_numpy(streams).to(self.device)
        self.splits = {"valid": valid, "test": test}
        self.eos_id = eos_id
        self.carry_state = carry_state  # False: every window starts from a zero state (for comparison)

    def batches(self, epoch: int) -> list[tuple[Tensor, Tensor]]:
        windows: Iterable[tuple[Tensor, Tensor]] = bptt_windows(cast(Any, self.streams), self.bptt)  # type: ignore[assignment]
        return list(windows)

    def start(self, model: nn.Module):
        return cast(Any, plain(model)).init_state(self.streams.size(0), self.device)

    def loss(self, model: nn.Module, batch: tuple[Tensor, Tensor], carry) -> tuple[Tensor, int, object]:
        x, y = batch
        if not self.carry_state:
            carry = self.start(model)
        loss, carry = model(x, detach_state(carry), targets=y)
        return loss, y.numel(), carry

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: str) -> float | None:
        ids = self.splits.get(split)
        if ids is None:
            return None
        return evaluate_lm(plain(model), ids, self.eval_batch, self.eval_bptt, self.eos_id, self.device)[0]


@torch.no_grad()
def evaluate_lm(
    model: nn.Module,
    ids: np.ndarray,
    batch: int = 10,
    bptt: int = 35,
    eos_id: int | None = None,
    device: str | torch.device = "cpu",
) -> tuple[float, int]:
    """Mean cross-entropy per token (nats) and the number of tokens scored, state carried across windows.

    With ``eos_id`` the text is read as if it followed a ``</s>``, so its first token is scored too. The
    stream is cut into at most ``batch`` parallel streams; the tail that does not fill a stream is scored as
    its own short stream, so every token counts once.
    """
    model.eval()
    device = torch.device(device)
    ids = np.asarray(ids, dtype=np.int64)
    if eos_id is not None:
        ids = np.concatenate([[eos_id], ids])
    n_pred = len(ids) - 1
    if n_pred < 1:
        return float("nan"), 0
    batch = max(1, min(batch, n_pred // 2 or 1))
    per = n_pred // batch  # predictions per stream
    total, count = 0.0, 0
    pieces = [(ids[: per * batch + 1], batch, per)]
    rest = n_pred - per * batch
    if rest:
        pieces.append((ids[per * batch :], 1, rest))
    for piece, b, length in pieces:
        # b streams of length+1 tokens; stream k starts where stream k-1's last prediction target was
        starts = np.arange(b) * length
        streams = torch.from_numpy(np.stack([piece[s : s + length + 1] for s in starts])).to(device)
        state = cast(Any, model).init_state(b, device)
        windows: Iterable[tuple[Tensor, Tensor]] = bptt_windows(cast(Any, streams), bptt)  # type: ignore[assignment]
        for x, y in windows:
            loss, state = model(x, state, targets=y)
            total += float(loss) * y.numel()
            count += y.numel()
    return total / count, count
