"""Initializations for recurrent networks, as in the lectures.

- ``uniform``: every parameter from U(-r, r), r = 0.1 in Zaremba et al. (2014) "small", 0.05 "medium".
- ``xavier``: Glorot & Bengio (2010), U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), so Var = 2 / (fan_in +
  fan_out); applied per gate block (each gate is its own H x fan_in map). Biases zero.
- ``orthogonal``: Saxe et al. (2014); each gate block is Q from the QR decomposition of a Gaussian matrix,
  with the signs of Q's columns fixed by the diagonal of R so that Q is uniformly (Haar) distributed. Biases zero.
- ``identity``: Le, Jaitly & Hinton (2015) "IRNN" for ReLU RNNs: W_hh = I, biases zero, W_ih ~ N(0, 0.001^2).

The schemes act on the recurrent layers inside the given module (torch's fused ``nn.RNN``/``nn.LSTM``/
``nn.GRU``, :class:`~wordseq.nn.cells.StackedRecurrent` and single cells), so a whole language model can be
passed; its embeddings and output layer are left alone.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.nn.cells import CoupledLSTMCell, LSTMCell, PeepholeLSTMCell, StackedRecurrent, _Cell

SCHEMES = ("uniform", "xavier", "orthogonal", "identity")


def orthogonal_matrix(rows: int, cols: int, generator: torch.Generator | None = None) -> Tensor:
    """A random (semi-)orthogonal ``rows x cols`` matrix: orthonormal columns if rows >= cols, else rows.

    QR of a Gaussian matrix A = QR; multiplying column j of Q by sign(R_jj) makes the factorization unique
    and Q Haar-distributed (without it, Q is biased by the QR algorithm's sign convention).
    """
    n, m = max(rows, cols), min(rows, cols)
    a = torch.randn(n, m, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(a)  # q: (n, m) with orthonormal columns
    q = q * torch.sign(torch.diagonal(r)).masked_fill(torch.diagonal(r) == 0, 1.0)
    return q if rows >= cols else q.T


def xavier_bound(fan_in: int, fan_out: int) -> float:
    """Glorot's uniform bound: U(-a, a) has variance a^2 / 3 = 2 / (fan_in + fan_out)."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def recurrent_modules(module: nn.Module) -> list[nn.Module]:
    """The outermost recurrent layers in ``module`` (itself included): fused torch modules, stacked cells,
    or single cells."""
    if isinstance(module, (nn.RNNBase, StackedRecurrent, _Cell)):
        return [module]
    return [m for child in module.children() for m in recurrent_modules(child)]


@torch.no_grad()
def init_recurrent(
    module: nn.Module, scheme: str = "uniform", scale: float = 0.1, forget_bias: float | None = None
) -> nn.Module:
    """Initialize the recurrent layers in ``module`` in place with ``scheme`` (see the module docstring).

    ``scale`` is the bound r of the ``uniform`` scheme (the other schemes have no free scale). ``forget_bias``,
    when given, then sets the LSTM forget-gate biases (b_ih + b_hh) to that value, e.g. 1.0 (Jozefowicz et
    al. 2015). Returns ``module``.
    """
    if scheme not in SCHEMES:
        raise WordseqError(f"unknown initialization {scheme!r}; choose from {', '.join(SCHEMES)}")
    layers = recurrent_modules(module)
    if not layers:
        raise WordseqError(f"{type(module).__name__} has no recurrent layer to initialize")
    for rnn in layers:
        H = rnn.hidden_size
        for name, p in rnn.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if scheme == "uniform":
                p.uniform_(-scale, scale)
            elif leaf.startswith("weight_ih") or leaf.startswith("weight_hh"):
                recurrent = leaf.startswith("weight_hh")
                for block in p.split(H, dim=0):  # one gate at a time
                    _init_block(block, scheme, recurrent)
            else:  # biases and peepholes
                p.zero_()
        if forget_bias is not None:
            _set_forget_bias(rnn, forget_bias)
    return module


def _init_block(w: Tensor, scheme: str, recurrent: bool) -> None:
    rows, cols = w.shape
    if scheme == "xavier":
        a = xavier_bound(cols, rows)
        w.uniform_(-a, a)
    elif scheme == "orthogonal":
        w.copy_(orthogonal_matrix(rows, cols))
    elif scheme == "identity":
        if recurrent:
            w.copy_(torch.eye(rows, cols))
        else:
            w.normal_(0.0, 0.001)


def _set_forget_bias(rnn: nn.Module, value: float) -> None:
    """Split ``value`` between b_ih and b_hh of the forget gate (gate 1 of i,f,g,o; gate 0 of coupled f,g,o)."""
    H: int = cast(Any, rnn).hidden_size
    cell = rnn.cells[0] if isinstance(rnn, StackedRecurrent) else rnn
    if isinstance(cell, (nn.LSTM, LSTMCell, PeepholeLSTMCell)):
        gate = 1
    elif isinstance(cell, CoupledLSTMCell):
        gate = 0
    else:
        raise WordseqError("a forget-gate bias needs an LSTM")
    for name, p in rnn.named_parameters():
        if name.rsplit(".", 1)[-1].startswith(("bias_ih", "bias_hh")):
            p[gate * H : (gate + 1) * H] = value / 2
