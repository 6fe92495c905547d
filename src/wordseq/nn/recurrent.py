"""Build a multi-layer recurrent network by name, using torch's fused kernels where they exist."""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.nn.cells import CoupledLSTMCell, ElmanCell, PeepholeLSTMCell, StackedRecurrent, State

CELLS = ("rnn", "rnn-relu", "rnn-sigmoid", "lstm", "gru", "lstm-peephole", "lstm-coupled")
LSTM_CELLS = ("lstm", "lstm-peephole", "lstm-coupled")


def make_recurrent(
    cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0, nonlinearity: str = "tanh"
) -> nn.Module:
    """A recurrent network of ``num_layers`` layers of ``cell``: input ``(T, B, input_size)`` -> ``(output, state)``.

    ``rnn``, ``rnn-relu``, ``lstm`` and ``gru`` return torch's fused ``nn.RNN``/``nn.LSTM``/``nn.GRU``; the
    variants torch lacks (``rnn-sigmoid``, ``lstm-peephole``, ``lstm-coupled``) return a
    :class:`StackedRecurrent` of written-out cells with the same interface. ``nonlinearity`` (tanh, relu,
    sigmoid) applies to ``rnn`` only; ``rnn-relu`` and ``rnn-sigmoid`` are shorthands. The state is ``h`` of
    shape ``(L, B, H)``, or ``(h, c)`` for the LSTMs. ``dropout`` acts between layers, as in torch.
    """
    if cell not in CELLS:
        raise WordseqError(f"unknown recurrent cell {cell!r}; choose from {', '.join(CELLS)}")
    if input_size < 1 or hidden_size < 1:
        raise WordseqError(f"sizes must be positive, got input {input_size}, hidden {hidden_size}")
    if num_layers < 1:
        raise WordseqError(f"number of layers must be at least 1, got {num_layers}")
    if not 0.0 <= dropout < 1.0:
        raise WordseqError(f"dropout must be in [0, 1), got {dropout}")
    if cell == "rnn-relu":
        cell, nonlinearity = "rnn", "relu"
    elif cell == "rnn-sigmoid":
        cell, nonlinearity = "rnn", "sigmoid"
    if cell == "rnn" and nonlinearity not in ("tanh", "relu", "sigmoid"):
        raise WordseqError(f"unknown nonlinearity {nonlinearity!r}; choose from tanh, relu, sigmoid")

    I, H = input_size, hidden_size
    fused_dropout = dropout if num_layers > 1 else 0.0  # torch warns about dropout on a single layer
    if cell == "rnn" and nonlinearity in ("tanh", "relu"):
        return nn.RNN(I, H, num_layers, nonlinearity=nonlinearity, dropout=fused_dropout)
    if cell == "lstm":
        return nn.LSTM(I, H, num_layers, dropout=fused_dropout)
    if cell == "gru":
        return nn.GRU(I, H, num_layers, dropout=fused_dropout)
    factory = {
        "rnn": lambda i: ElmanCell(i, H, nonlinearity),
        "lstm-peephole": lambda i: PeepholeLSTMCell(i, H),
        "lstm-coupled": lambda i: CoupledLSTMCell(i, H),
    }[cell]
    return StackedRecurrent(lambda layer: factory(I if layer == 0 else H), num_layers, dropout)


def has_cell_state(module: nn.Module) -> bool:
    """Whether the module's state is a pair ``(h, c)`` (LSTMs) rather than ``h`` alone."""
    if isinstance(module, nn.RNNBase):
        return module.mode == "LSTM"
    if isinstance(module, StackedRecurrent):
        return bool(module.has_cell_state)
    raise WordseqError(f"{type(module).__name__} is not a recurrent module")


def zero_state(module: nn.Module, batch_size: int, device=None, dtype=None) -> State:
    """The all-zero initial state of ``module`` for ``batch_size`` streams, in torch's structure."""
    p = next(module.parameters())
    layers: int = cast(Any, module).num_layers
    hidden: int = cast(Any, module).hidden_size
    h = torch.zeros(layers, batch_size, hidden, device=device or p.device, dtype=dtype or p.dtype)
    return (h, torch.zeros_like(h)) if has_cell_state(module) else h


def detach_state(state):
    """Cut the graph behind a state (truncated BPTT: carry the values, not the history).

    ``state``: a tensor, or (nested) tuples/lists of tensors; ``None`` passes through.
    """
    if state is None or isinstance(state, Tensor):
        return None if state is None else state.detach()
    return type(state)(detach_state(s) for s in state)
