"""Neural language models: the estimator :class:`NeuralLM` and its :class:`NeuralLMConfig`; the networks,
recurrent (``rnn``) and fixed-window (``window``); their data (``data``), the training task (``task``) and text
generation (``generate``). Training uses the shared loop in :mod:`wordseq.train`.

The config imports no torch; the rest is loaded (with torch) when first asked for, so that ``wordseq --help``,
which shows the config's defaults, stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wordseq.lm.neural.config import MODELS, NeuralLMConfig

if TYPE_CHECKING:
    from wordseq.lm.neural.generate import Hypothesis, beam_search, greedy_ids, sample_ids
    from wordseq.lm.neural.model import NeuralLM, build_network
    from wordseq.lm.neural.rnn import RNNLM
    from wordseq.lm.neural.window import WindowLM
    from wordseq.nn import detach_state

__all__ = [
    "MODELS",
    "RNNLM",
    "Hypothesis",
    "NeuralLM",
    "NeuralLMConfig",
    "WindowLM",
    "beam_search",
    "build_network",
    "detach_state",
    "greedy_ids",
    "sample_ids",
]


def __getattr__(name: str) -> Any:
    """The torch-backed names, imported when first asked for."""
    if name in ("NeuralLM", "build_network"):
        from wordseq.lm.neural import model

        return getattr(model, name)
    if name in ("Hypothesis", "beam_search", "greedy_ids", "sample_ids"):
        from wordseq.lm.neural import generate

        return getattr(generate, name)
    if name == "RNNLM":
        from wordseq.lm.neural.rnn import RNNLM

        return RNNLM
    if name == "WindowLM":
        from wordseq.lm.neural.window import WindowLM

        return WindowLM
    if name == "detach_state":
        from wordseq.nn import detach_state

        return detach_state
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
