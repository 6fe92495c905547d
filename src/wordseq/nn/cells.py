"""Recurrent cells written out as in the lectures, and a module that stacks them over layers and time.

Each cell computes one time step for a batch: ``cell(x_t, state_{t-1}) -> state_t`` with ``x_t`` of shape
``(B, input_size)``. The state is ``h`` (``(B, H)``) for the Elman RNN and the GRU and the pair ``(h, c)`` for
the LSTMs. Parameter names and gate order are those of torch's fused modules (``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``; LSTM gates i, f, g, o; GRU gates r, z, n), so that weights load from ``nn.RNN``,
``nn.LSTM`` and ``nn.GRU`` unchanged (see :meth:`StackedRecurrent.from_fused`).

These modules are for reading, testing and the variants torch lacks (sigmoid Elman, peephole and coupled
LSTMs); models use the fused kernels where those exist, see :func:`wordseq.nn.make_recurrent`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wordseq.errors import WordseqError

State = Tensor | tuple[Tensor, Tensor]

NONLINEARITIES: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}


class _Cell(nn.Module):
    """Shared parts: the affine maps ``W_ih x + b_ih`` and ``W_hh h + b_hh`` for ``gates`` stacked gates."""

    gates = 1  # number of stacked gate blocks in the weight matrices
    has_cell_state = False  # True for the LSTMs: the state is (h, c)

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise WordseqError(f"cell sizes must be positive, got input {input_size}, hidden {hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        G, H = self.gates, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))
        self.bias_ih = nn.Parameter(torch.empty(G * H)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(G * H)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's default for its recurrent modules: uniform(-1/sqrt(H), 1/sqrt(H)) for every parameter
        r = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -r, r)

    def zero_state(self, batch_size: int, device=None, dtype=None) -> State:
        h = torch.zeros(batch_size, self.hidden_size, device=device, dtype=dtype)
        return (h, torch.zeros_like(h)) if self.has_cell_state else h

    def project(self, x: Tensor) -> Tensor:
        """The input's part of the pre-activations, ``W_ih x + b_ih``: it does not depend on the state, so
        :class:`StackedRecurrent` computes it for all time steps in one matrix product."""
        return F.linear(x, self.weight_ih, self.bias_ih)

    def forward(self, x: Tensor, state: State | None = None) -> State:
        """One time step: ``x`` (B, input_size) and the previous state (zeros if None) -> the new state."""
        if state is None:
            state = self.zero_state(x.shape[0], device=x.device, dtype=x.dtype)
        return self.step(self.project(x), state)

    def step(self, xp: Tensor, state: Any) -> Any:
        """One time step from the projected input ``xp = W_ih x + b_ih``; the cell's equations."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class ElmanCell(_Cell):
    """Elman RNN: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` with act = tanh, sigmoid or relu."""

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", bias: bool = True) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise WordseqError(f"unknown nonlinearity {nonlinearity!r}; choose from {', '.join(NONLINEARITIES)}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias)

    def step(self, xp: Tensor, h: Tensor) -> Tensor:
        act = NONLINEARITIES[self.nonlinearity]
        return act(xp + F.linear(h, self.weight_hh, self.bias_hh))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000)::

    i = sigmoid(W_ii x + U_hi h + b_i)      input gate
    f = sigmoid(W_if x + U_hf h + b_f)      forget gate
    g = tanh(W_ig x + U_hg h + b_g)         candidate cell
    o = sigmoid(W_io x + U_ho h + b_o)      output gate
    c' = f * c + i * g
    h' = o * tanh(c')
    """

    gates = 4
    has_cell_state = True

    def step(self, xp: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        a = xp + F.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = a.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class GRUCell(_Cell):
    """GRU (Cho et al. 2014), in torch's exact form (the reset gate multiplies ``U_hn h + b_hn``)::

    r = sigmoid(W_ir x + b_ir + U_hr h + b_hr)          reset gate
    z = sigmoid(W_iz x + b_iz + U_hz h + b_hz)          update gate
    n = tanh(W_in x + b_in + r * (U_hn h + b_hn))       candidate
    h' = (1 - z) * n + z * h
    """

    gates = 3

    def step(self, xp: Tensor, h: Tensor) -> Tensor:
        xr, xz, xn = xp.chunk(3, dim=1)
        hr, hz, hn = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


class PeepholeLSTMCell(_Cell):
    """LSTM with peephole connections (Gers & Schmidhuber 2000): the gates also see the cell state.

    The peepholes are diagonal (one weight per unit): the input and forget gates look at ``c_{t-1}``,
    the output gate at the new ``c_t``::

        i = sigmoid(W_ii x + U_hi h + p_i * c + b_i)
        f = sigmoid(W_if x + U_hf h + p_f * c + b_f)
        g = tanh(W_ig x + U_hg h + b_g)
        c' = f * c + i * g
        o = sigmoid(W_io x + U_ho h + p_o * c' + b_o)
        h' = o * tanh(c')
    """

    gates = 4
    has_cell_state = True

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.peephole_i = nn.Parameter(torch.empty(hidden_size))
        self.peephole_f = nn.Parameter(torch.empty(hidden_size))
        self.peephole_o = nn.Parameter(torch.empty(hidden_size))
        self.reset_parameters()

    def step(self, xp: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        a = xp + F.linear(h, self.weight_hh, self.bias_hh)
        ai, af, ag, ao = a.chunk(4, dim=1)
        i = torch.sigmoid(ai + self.peephole_i * c)
        f = torch.sigmoid(af + self.peephole_f * c)
        c = f * c + i * torch.tanh(ag)
        o = torch.sigmoid(ao + self.peephole_o * c)
        h = o * torch.tanh(c)
        return h, c


class CoupledLSTMCell(_Cell):
    """LSTM with coupled input and forget gates (Greff et al. 2017, "CIFG"): the input gate is ``1 - f``,
    so the cell forgets exactly as much as it writes. Three gate blocks, in the order f, g, o::

        f = sigmoid(W_if x + U_hf h + b_f)
        g = tanh(W_ig x + U_hg h + b_g)
        o = sigmoid(W_io x + U_ho h + b_o)
        c' = f * c + (1 - f) * g
        h' = o * tanh(c')
    """

    gates = 3
    has_cell_state = True

    def step(self, xp: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        a = xp + F.linear(h, self.weight_hh, self.bias_hh)
        af, ag, ao = a.chunk(3, dim=1)
        f, g, o = torch.sigmoid(af), torch.tanh(ag), torch.sigmoid(ao)
        c = f * c + (1 - f) * g
        h = o * torch.tanh(c)
        return h, c


class StackedRecurrent(nn.Module):
    """Cells stacked into layers and run over time, with the interface of torch's ``nn.RNN``/``nn.LSTM``.

    ``cell_factory(layer)`` builds the cell of layer ``layer`` (0-based; layer 0 reads the input, the others
    read the hidden state below). Input ``(T, B, input_size)``; returns ``(output, state)`` with output
    ``(T, B, H)`` (the top layer's h at every step) and state ``h`` of shape ``(L, B, H)``, or ``(h, c)``
    for LSTM cells, as torch does. Dropout is applied to the outputs of every layer but the last.
    """

    batch_first = False

    def __init__(self, cell_factory: Callable[[int], nn.Module], num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if num_layers < 1:
            raise WordseqError(f"number of layers must be at least 1, got {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise WordseqError(f"dropout must be in [0, 1), got {dropout}")
        self.cells = nn.ModuleList(cell_factory(layer) for layer in range(num_layers))
        self.num_layers, self.dropout = num_layers, dropout
        first: Any = self.cells[0]
        self.input_size: int = first.input_size
        self.hidden_size: int = first.hidden_size
        self.has_cell_state: bool = first.has_cell_state

    def zero_state(self, batch_size: int, device=None, dtype=None) -> State:
        h = torch.zeros(self.num_layers, batch_size, self.hidden_size, device=device, dtype=dtype)
        return (h, torch.zeros_like(h)) if self.has_cell_state else h

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        if x.dim() != 3:
            raise ValueError(f"expected input of shape (T, B, {self.input_size}), got {tuple(x.shape)}")
        if state is None:
            state = self.zero_state(x.shape[1], device=x.device, dtype=x.dtype)
        finals = []
        cells: list[Any] = list(self.cells)
        for layer, cell in enumerate(cells):
            s: Any = (state[0][layer], state[1][layer]) if self.has_cell_state else state[layer]
            xp = cell.project(x)  # W_ih x_t + b_ih for every t at once
            outputs: list[Tensor] = []
            for t in range(x.shape[0]):
                s = cell.step(xp[t], s)
                outputs.append(s[0] if self.has_cell_state else s)
            x = torch.stack(outputs)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
            finals.append(s)
        if self.has_cell_state:
            return x, (torch.stack([h for h, _ in finals]), torch.stack([c for _, c in finals]))
        return x, torch.stack(finals)

    def flatten_parameters(self) -> None:
        """No-op, for code written against torch's fused modules."""

    @classmethod
    def from_fused(cls, fused: nn.RNNBase) -> StackedRecurrent:
        """Written-out cells holding a copy of the weights of a fused ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``."""
        proj_size: int = getattr(fused, "proj_size", 0)
        if fused.batch_first or fused.bidirectional or proj_size:
            raise WordseqError("only unidirectional, sequence-first modules without projections can be converted")
        factory: Callable[..., nn.Module]
        if isinstance(fused, nn.LSTM):
            factory = LSTMCell
        elif isinstance(fused, nn.GRU):
            factory = GRUCell
        elif isinstance(fused, nn.RNN):
            factory = lambda i, h, bias: ElmanCell(i, h, fused.nonlinearity, bias)
        else:
            raise WordseqError(f"cannot convert {type(fused).__name__} to written-out cells")
        I, H, bias = fused.input_size, fused.hidden_size, fused.bias
        stacked = cls(lambda layer: factory(I if layer == 0 else H, H, bias=bias), fused.num_layers, fused.dropout)
        p = next(fused.parameters())
        stacked.to(device=p.device, dtype=p.dtype)
        stacked.load_fused_state(fused)
        return stacked

    def load_fused_state(self, fused: nn.RNNBase) -> None:
        """Copy the weights of a fused torch module with the same shapes (names ``weight_ih_l{k}`` etc.)."""
        with torch.no_grad():
            for layer, cell in enumerate(self.cells):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    mine = getattr(cell, name)
                    if mine is not None:
                        mine.copy_(getattr(fused, f"{name}_l{layer}"))
