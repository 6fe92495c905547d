"""Model-file weights: tied tensors stored once, files with both names still read, bad weights refused."""

import numpy as np
import pytest
import torch
from torch import nn

from wordseq.errors import InputError
from wordseq.nn.weights import load_weights, tied_aliases, weights_for_file


class Tied(nn.Module):
    def __init__(self, vocab: int = 7, dim: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.hidden = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, vocab)
        self.out.weight = self.embed.weight
        self.register_buffer("steps", torch.tensor([3], dtype=torch.int64))


def test_tied_matrix_is_stored_once_and_read_back():
    torch.manual_seed(0)
    net = Tied()
    assert tied_aliases(net) == {"out.weight": "embed.weight"}
    arrays = weights_for_file(net)
    assert "out.weight" not in arrays and set(arrays) == set(net.state_dict()) - {"out.weight"}
    assert arrays["embed.weight"].dtype == np.float32 and arrays["steps"].dtype == np.int64
    again = Tied()
    load_weights(again, arrays, "m.wsq")
    assert again.out.weight is again.embed.weight
    for name, tensor in net.state_dict().items():
        torch.testing.assert_close(again.state_dict()[name], tensor, rtol=0, atol=0)


def test_files_that_hold_both_names_still_load():
    net = Tied()
    both = {k: v.numpy() for k, v in net.state_dict().items()}
    assert "out.weight" in both
    again = Tied()
    load_weights(again, both, "old.wsq")
    torch.testing.assert_close(again.out.weight, net.embed.weight, rtol=0, atol=0)


def test_missing_unexpected_and_misshapen_weights_are_refused_naming_the_file():
    arrays = weights_for_file(Tied())
    with pytest.raises(
        InputError, match=r"m\.wsq: weights do not fit the model configuration \(missing \['hidden.bias'\]"
    ):
        load_weights(Tied(), {k: v for k, v in arrays.items() if k != "hidden.bias"}, "m.wsq")
    with pytest.raises(InputError, match=r"unexpected \['extra'\]"):
        load_weights(Tied(), arrays | {"extra": np.zeros(2, np.float32)}, "m.wsq")
    with pytest.raises(InputError, match=r"m\.wsq: weights do not fit the model configuration \(.*size mismatch"):
        load_weights(Tied(vocab=9), arrays, "m.wsq")
