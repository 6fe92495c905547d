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
        raise ValueError(
            f"expected (N, V) logits and (N,) targets, got {tuple(logits.shape)} and {tuple(targets.shape)}"
        )
    return _CrossEntropy.apply(logits, targets)


def _softmax_rows_(x: Tensor) -> Tensor:
    """Softmax over each row of a float32 matrix, in place where torch offers it (its fused row kernel)."""
    try:
        return torch._softmax(x, 1, False, out=x)
    except (AttributeError, RuntimeError, TypeError):  # no out= variant in this torch: a new array
        return torch.softmax(x, dim=1)


BLOCK_WORDS = 2560


def _logits(h: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``h @ weight.T + bias``. A float32 product on the CPU with a wide output (a vocabulary of thousands of
    words) runs a block of words at a time into one buffer: MKL took 12-13 ms that way against 15-17 ms in one
    call for 400 x 200 x 10,002 (PTB's output layer) on the 2-core machine of BENCHMARKS.md."""
    V = weight.size(0)
    if h.device.type != "cpu" or h.dtype != torch.float32 or V < 2 * BLOCK_WORDS:
        return torch.addmm(bias, h, weight.t()) if bias is not None else h @ weight.t()
    out = torch.empty(h.size(0), V, dtype=h.dtype)
    for a in range(0, V, BLOCK_WORDS):
        b = min(a + BLOCK_WORDS, V)
        if bias is not None:
            torch.addmm(bias[a:b], h, weight[a:b].t(), out=out[:, a:b])
        else:
            torch.mm(h, weight[a:b].t(), out=out[:, a:b])
    return out


class _LinearCrossEntropy(torch.autograd.Function):
    """``cross_entropy(h @ W.T + b, y)`` in one node. The logits buffer becomes the softmax in place (one
    vectorized pass per row while the row is in cache) and then the gradient ``softmax - onehot``; the
    ``1/N`` of the mean is applied to the small ``(N, H)`` operands of the backward products instead of the
    ``(N, V)`` gradient, so no vocabulary-sized array is read or written beyond what the products need.
    With ``dtype=bfloat16`` the three products run in bfloat16 and everything else in float32."""

    @staticmethod
    def forward(
        ctx, h: Tensor, weight: Tensor, bias: Tensor | None, targets: Tensor, dtype: torch.dtype = torch.float32
    ) -> Tensor:
        low = dtype != torch.float32
        hc, wc = (h.to(dtype), weight.to(dtype)) if low else (h, weight)
        bc = bias.to(dtype) if low and bias is not None else bias
        logits = _logits(hc, wc, bc)
        if low:
            logits = logits.float()
        rows = torch.arange(len(targets), device=h.device)
        picked = logits[rows, targets]  # the targets' raw logits, before the buffer turns into probabilities
        probs = _softmax_rows_(logits)
        nll = -torch.log(probs[rows, targets])
        lost = ~torch.isfinite(nll)  # a target probability below float32's range: recompute those rows
        if bool(lost.any()):
            idx = lost.nonzero().squeeze(1)
            z = (hc[idx] @ wc.t()).float() + (bias if bias is not None else 0.0)
            nll[idx] = torch.logsumexp(z, dim=1) - picked[idx]
        probs[rows, targets] -= 1.0  # now softmax - onehot
        ctx.save_for_backward(hc, wc, probs)
        ctx.has_bias, ctx.dtype = bias is not None, dtype
        return nll.mean()

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        h, weight, grad = ctx.saved_tensors
        scale = grad_out / grad.size(0)
        gh = gw = gb = None
        g = grad.to(ctx.dtype) if ctx.dtype != torch.float32 else grad
        if ctx.needs_input_grad[0]:
            gh = (g @ weight).float().mul_(scale)
        if ctx.needs_input_grad[1]:
            gw = (g.t() @ (h * scale.to(h.dtype))).float()
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.sum(0).mul_(scale)
        return gh, gw, gb, None, None


def linear_cross_entropy(
    h: Tensor, weight: Tensor, bias: Tensor | None, targets: Tensor, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Mean softmax cross-entropy of the logits ``h @ weight.T + bias`` against ``targets``, without keeping
    the logits (``h``: ``(N, H)``, ``weight``: ``(V, H)``, ``targets``: ``(N,)``). ``dtype``: of the matrix
    products (``torch.bfloat16`` for the CPU's and GPU's bfloat16 units); the softmax is float32 always."""
    if h.dim() != 2 or targets.shape != h.shape[:1] or weight.dim() != 2 or weight.size(1) != h.size(1):
        raise ValueError(
            f"expected (N, H) features, (V, H) weight and (N,) targets, got {tuple(h.shape)}, "
            f"{tuple(weight.shape)} and {tuple(targets.shape)}"
        )
    device = h.device.type
    if torch.is_autocast_enabled(device):  # under autocast: its type for the products, float32 for the rest
        dtype = torch.get_autocast_dtype(device)
        with torch.autocast(device, enabled=False):
            return _LinearCrossEntropy.apply(h, weight, bias, targets, dtype)
    return _LinearCrossEntropy.apply(h, weight, bias, targets, dtype)


def output_loss(decoder: torch.nn.Linear, h: Tensor, targets: Tensor, bf16: bool = False) -> Tensor:
    """Mean cross-entropy of a model's output layer ``decoder`` applied to features ``h`` (``(..., H)``)
    against ``targets`` (``h.shape[:-1]``), fused by :func:`linear_cross_entropy`; ``bf16``: the products in
    bfloat16."""
    return linear_cross_entropy(
        h.reshape(-1, h.size(-1)),
        decoder.weight,
        decoder.bias,
        targets.reshape(-1),
        torch.bfloat16 if bf16 else torch.float32,
    )
