"""Softmax cross-entropy fused into one autograd node, computed a few rows at a time.

For a language model the vocabulary-sized softmax is most of the work after the output matrix product.
``F.cross_entropy`` materializes log-probabilities and, in the backward pass, a dense one-hot gradient and
the softmax gradient, each as large as the logits. :func:`cross_entropy` keeps only the log-sum-exp per row:
its backward pass recomputes ``softmax(z) - onehot(y)`` block by block while the block is in cache, and
writes the gradient once. The arithmetic is float32 whatever the logits' type, so bfloat16 logits (from a
bfloat16 output layer) lose nothing beyond their own rounding. Same value and gradient as
``F.cross_entropy(logits.float(), targets)``.
"""

from __future__ import annotations

import torch
from torch import Tensor

_BLOCK_BYTES = 1 << 20  # rows per block: about 1 MB of float32


class _CrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits: Tensor, targets: Tensor) -> Tensor:
        n, v = logits.shape
        rows = max(1, _BLOCK_BYTES // (4 * v))
        lse = torch.empty(n, dtype=torch.float32, device=logits.device)
        for s in range(0, n, rows):
            lse[s : s + rows] = torch.logsumexp(logits[s : s + rows].float(), dim=1)
        picked = logits.gather(1, targets[:, None]).squeeze(1).float()
        ctx.save_for_backward(logits, targets, lse)
        return (lse - picked).mean()

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        logits, targets, lse = ctx.saved_tensors
        n, v = logits.shape
        rows = max(1, _BLOCK_BYTES // (4 * v))
        grad = torch.empty_like(logits)
        scale = grad_out.float() / n
        same = logits.dtype == torch.float32
        for s in range(0, n, rows):
            e = min(s + rows, n)
            block = grad[s:e] if same else torch.empty(e - s, v, dtype=torch.float32, device=logits.device)
            torch.sub(logits[s:e], lse[s:e, None], out=block)
            block.exp_()
            block[torch.arange(e - s, device=logits.device), targets[s:e]] -= 1.0
            block.mul_(scale)
            if not same:
                grad[s:e] = block
        return grad, None


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean softmax cross-entropy of ``(N, V)`` logits (any float type) against ``(N,)`` class ids."""
    if logits.dim() != 2 or targets.shape != logits.shape[:1]:
        raise ValueError(f"expected (N, V) logits and (N,) targets, got {tuple(logits.shape)} and {tuple(targets.shape)}")
    return _CrossEntropy.apply(logits, targets)
