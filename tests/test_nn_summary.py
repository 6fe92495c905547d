"""The layer table of model summaries (wordseq.nn.summary): parameter counts add up to the model's (shared
weights once), output shapes are those the parts really return."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wordseq.lm.neural import NeuralLMConfig, build_network
from wordseq.nn.summary import module_layers

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("locked", [False, True])
def test_lstm_lm_rows_add_up_and_have_the_shapes_of_its_outputs(tied, locked):
    V, E, H, L, B, T = 50, 16, 16, 2, 3, 7
    net = build_network(NeuralLMConfig(model="lstm", embed=E, hidden=H, layers=L, tied=tied, locked=locked), V)
    rows = module_layers(net, (torch.zeros(B, T, dtype=torch.long),))
    assert sum(r.params for r in rows) == sum(p.numel() for p in net.parameters())  # tied counted once
    by_name = {r.name: r for r in rows}
    rnns = [f"rnns.{i}" for i in range(L if locked else 1)]
    assert list(by_name) == ["encoder", *rnns, "drop_in", "drop", "decoder"]
    assert by_name["encoder"].output_shape == f"({T}, {B}, {E})"  # the network runs time-major inside
    assert all(by_name[r].output_shape == f"({T}, {B}, {H})" for r in rnns)
    assert by_name["decoder"].output_shape == f"({B}, {T}, {V})"
    assert by_name["encoder"].params == V * E and by_name["encoder"].type == "Embedding"
    assert by_name["decoder"].params == (V if tied else V * H + V)  # only the bias when tied
    lstm_params = sum(4 * H * (i + H) + 8 * H for i in [E] + [H] * (L - 1))
    assert sum(by_name[r].params for r in rnns) == lstm_params
    assert net.training  # the mode is given back


def test_window_lm_with_direct_connections_and_tied_projection():
    net = build_network(NeuralLMConfig(model="window", context=3, embed=4, hidden=6, tied=True, direct=True), 20)
    rows = module_layers(net, (torch.zeros(2, 5, dtype=torch.long),))
    by_name = {r.name: r for r in rows}
    assert sum(r.params for r in rows) == sum(p.numel() for p in net.parameters())
    assert by_name["hidden"].output_shape == "(2, 5, 6)" and by_name["projection"].output_shape == "(2, 5, 4)"
    assert by_name["direct"].params == 3 * 4 * 20 and by_name["decoder"].params == 20


def test_unrun_parts_have_no_shape_and_own_parameters_are_counted():
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used = nn.Linear(3, 2)
            self.unused = nn.Linear(2, 2)
            self.scale = nn.Parameter(torch.ones(5))
            self.unused.weight.requires_grad_(False)
            self.unused.bias.requires_grad_(False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.used(x)

    rows = module_layers(Odd(), (torch.zeros(4, 3),))
    assert [(r.name, r.output_shape, r.params, r.trainable) for r in rows] == [
        ("used", "(4, 2)", 8, True),
        ("unused", "-", 6, False),
        ("(own parameters)", "-", 5, True),
    ]
    assert all(r.output_shape == "-" for r in module_layers(Odd()))
