"""A network's weights as a model file holds them: one array per tensor, tied tensors stored once.

``state_dict()`` lists a tied matrix (an output layer sharing the input embedding) under both of its names;
written out as is, the file would hold the largest matrix of the model twice. :func:`weights_for_file` keeps
the first name only, and :func:`load_weights` accepts files with or without the second name.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn

from wordseq.errors import InputError


def tied_aliases(net: nn.Module) -> dict[str, str]:
    """Each second (third, ...) name of a shared parameter or buffer -> the first name under which
    ``state_dict()`` lists it."""
    first: dict[int, str] = {}
    aliases: dict[str, str] = {}
    for name, tensor in net.state_dict(keep_vars=True).items():
        key = id(tensor)
        if key in first:
            aliases[name] = first[key]
        else:
            first[key] = name
    return aliases


def weights_for_file(net: nn.Module, float_dtype: np.dtype | type = np.float32) -> dict[str, np.ndarray]:
    """The network's state as numpy arrays on the CPU (floating tensors as ``float_dtype``), without the
    aliases of tied tensors."""
    aliases = tied_aliases(net)
    out: dict[str, np.ndarray] = {}
    for name, tensor in net.state_dict().items():
        if name in aliases:
            continue
        t = tensor.detach().cpu()
        out[name] = t.float().numpy().astype(float_dtype, copy=False) if t.is_floating_point() else t.numpy()
    return out


def load_weights(net: nn.Module, tensors: dict[str, np.ndarray], path: str | os.PathLike) -> None:
    """Copy a model file's arrays into ``net``; a missing alias of a tied tensor is fine, anything else
    missing, unexpected or of the wrong shape is an :class:`InputError` naming the file."""
    state = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as e:  # shapes that do not fit the configuration
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0] if lines else "shape mismatch"
        raise InputError(path, f"weights do not fit the model configuration ({detail})") from None
    aliases = tied_aliases(net)
    missing = [k for k in missing if k not in aliases]
    if missing or unexpected:
        raise InputError(
            path, f"weights do not fit the model configuration (missing {missing}, unexpected {list(unexpected)})"
        )
