"""Recurrent networks: written-out cells, initializations, and a numpy reference with hand-written BPTT.

``make_recurrent(cell, ...)`` is what models use: torch's fused kernels for rnn/rnn-relu/lstm/gru and stacked
written-out cells for the variants torch lacks. ``wordseq.nn.cells`` holds the cells as in the lectures'
equations, ``wordseq.nn.init`` the initializations, ``wordseq.nn.reference`` the from-scratch numpy oracle.
"""

from wordseq.nn.cells import (
    CoupledLSTMCell,
    ElmanCell,
    GRUCell,
    LSTMCell,
    PeepholeLSTMCell,
    StackedRecurrent,
)
from wordseq.nn.init import SCHEMES, init_recurrent, orthogonal_matrix
from wordseq.nn.recurrent import CELLS, LSTM_CELLS, detach_state, has_cell_state, make_recurrent, zero_state

__all__ = [
    "CELLS",
    "LSTM_CELLS",
    "SCHEMES",
    "CoupledLSTMCell",
    "ElmanCell",
    "GRUCell",
    "LSTMCell",
    "PeepholeLSTMCell",
    "StackedRecurrent",
    "detach_state",
    "has_cell_state",
    "init_recurrent",
    "make_recurrent",
    "orthogonal_matrix",
    "zero_state",
]
