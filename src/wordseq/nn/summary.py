"""The layer table of a model summary (Keras's ``model.summary()``) for any torch module.

:func:`module_layers` runs the module once on example inputs with forward hooks on its parts and returns one
:class:`~wordseq.estimator.LayerInfo` per part: the top-level submodules in the order they were registered,
containers (``ModuleList``, ``Sequential``, ``ModuleDict``) opened into their members. Each row has the shape
the part returned (its first tensor output, from the last time it ran in the pass) and the parameters it owns.
A parameter shared by several parts (tied input and output embeddings) is counted once, at the first part that
holds it, so the rows add up to the model's true parameter count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from wordseq.estimator import LayerInfo

CONTAINERS = (nn.ModuleList, nn.Sequential, nn.ModuleDict)


def _parts(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    for name, child in module.named_children():
        full = f"{prefix}{name}"
        if isinstance(child, CONTAINERS):
            yield from _parts(child, full + ".")
        else:
            yield full, child


def _first_tensor(value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            t = _first_tensor(v)
            if t is not None:
                return t
    if isinstance(value, dict):
        return _first_tensor(list(value.values()))
    return None


def _shape(value: Any) -> str:
    t = _first_tensor(value)
    return "-" if t is None else "(" + ", ".join(str(d) for d in t.shape) + ")"


@torch.no_grad()
def module_layers(module: nn.Module, example_inputs: Sequence[Any] = ()) -> list[LayerInfo]:
    """One row per part of ``module`` (name, type, output shape on ``example_inputs``, parameters owned).

    With no ``example_inputs`` the module is not run and every output shape is ``"-"``. The module runs in
    eval mode (then goes back to the mode it was in); its outputs are discarded.
    """
    parts = list(_parts(module))
    shapes: dict[str, str] = {}
    hooks = []
    for name, part in parts:

        def hook(_m: nn.Module, _inputs: Any, output: Any, name: str = name) -> None:
            shapes[name] = _shape(output)

        hooks.append(part.register_forward_hook(hook))
    if example_inputs:
        was_training = module.training
        module.eval()
        try:
            module(*example_inputs)
        finally:
            module.train(was_training)
            for h in hooks:
                h.remove()
    else:
        for h in hooks:
            h.remove()
    seen: set[int] = set()
    rows = []
    for name, part in parts:
        params = [p for p in part.parameters() if id(p) not in seen]
        seen.update(id(p) for p in params)
        count = sum(p.numel() for p in params)
        trainable = all(p.requires_grad for p in params) if params else True
        rows.append(LayerInfo(name, type(part).__name__, shapes.get(name, "-"), count, trainable))
    own = [p for p in module.parameters() if id(p) not in seen]
    if own:
        rows.append(LayerInfo("(own parameters)", type(module).__name__, "-", sum(p.numel() for p in own)))
    return rows
