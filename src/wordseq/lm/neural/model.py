"""Recurrent language models over words or characters: embedding -> recurrent layers -> softmax.

One module, :class:`RNNLM`, covers the lectures' variants: any cell from :mod:`wordseq.nn` (Elman RNN, LSTM,
GRU, peephole and coupled LSTMs), several layers, dropout between layers (Zaremba et al. 2014), variational
("locked") dropout that reuses one mask across time steps (Gal & Ghahramani 2016), embedding dropout that
drops whole words (ibid.), and weight tying of the input and output embeddings (Press & Wolf 2017; Inan et
al. 2017).

Every neural LM in wordseq has the same interface, which the trainer and the generator rely on::

    state = model.init_state(batch_size, device)
    logits, state = model(ids, state)        # ids (B, T) -> logits (B, T, V)
    loss, state = model(ids, state, targets) # mean cross-entropy against targets (B, T), logits never kept
    state = detach_state(state)              # truncated BPTT: keep the values, cut the graph

:func:`build_model` makes any of them from a plain config dict (the dict stored in model files).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.nn import (
    detach_state,  # noqa: F401  (part of this module's interface, see above)
    init_recurrent,
    make_recurrent,
    zero_state,
)
from wordseq.train.losses import output_loss

# --model name -> wordseq.nn cell name
MODELS = {
    "lstm": "lstm",
    "gru": "gru",
    "rnn": "rnn",
    "rnn-relu": "rnn-relu",
    "peephole": "lstm-peephole",
    "coupled": "lstm-coupled",
    "window": None,
}

State = Any


class LockedDropout(nn.Module):
    """Variational dropout: one Bernoulli mask per sequence, shared by all time steps. Input ``(T, B, D)``."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


def embedding_dropout(embed: nn.Embedding, ids: Tensor, p: float, training: bool) -> Tensor:
    """Look up ``ids``, dropping whole word types with probability ``p`` (the same words in the whole batch)."""
    if not training or p == 0.0:
        return embed(ids)
    w = embed.weight
    mask = w.new_empty(w.size(0), 1).bernoulli_(1 - p) / (1 - p)
    return nn.functional.embedding(ids, w * mask, embed.padding_idx)


class RNNLM(nn.Module):
    """A recurrent language model.

    ``dropout``: between layers and before the output layer (Zaremba et al.); with ``locked`` the masks are
    shared across time (variational dropout, then also applied to the embeddings as ``dropouti``).
    ``dropoute``: embedding dropout on whole words. ``tied``: the output layer reuses the embedding matrix
    (needs ``embed == hidden``). ``init``: ``uniform`` (every weight from U(-init_scale, init_scale), as
    Zaremba), or any :data:`wordseq.nn.SCHEMES` name for the recurrent layers.
    """

    def __init__(
        self,
        vocab_size: int,
        model: str = "lstm",
        embed: int = 200,
        hidden: int = 200,
        layers: int = 2,
        dropout: float = 0.0,
        dropouti: float | None = None,
        dropoute: float = 0.0,
        locked: bool = False,
        tied: bool = False,
        init: str = "uniform",
        init_scale: float = 0.1,
    ) -> None:
        super().__init__()
        if model not in MODELS or model == "window":
            raise WordseqError(
                f"unknown recurrent model {model!r}; choose from {', '.join(m for m in MODELS if m != 'window')}"
            )
        if vocab_size < 1 or embed < 1 or hidden < 1:
            raise WordseqError(f"sizes must be positive (vocabulary {vocab_size}, embed {embed}, hidden {hidden})")
        for name, p in (("dropout", dropout), ("dropouti", dropouti or 0.0), ("dropoute", dropoute)):
            if not 0.0 <= p < 1.0:
                raise WordseqError(f"{name} must be in [0, 1), got {p}")
        if tied and embed != hidden:
            raise WordseqError(f"--tied needs the embedding size to equal the hidden size (got {embed} and {hidden})")
        self.vocab_size, self.cell, self.layers = vocab_size, MODELS[model], layers
        self.embed_size, self.hidden_size, self.tied, self.locked = embed, hidden, tied, locked
        self.dropoute = dropoute
        self.encoder = nn.Embedding(vocab_size, embed)
        if locked:  # one module per layer, so that a locked mask can go between them
            self.rnns = nn.ModuleList(
                make_recurrent(self.cell, embed if i == 0 else hidden, hidden, 1) for i in range(layers)
            )
            self.drop_in = LockedDropout(dropout if dropouti is None else dropouti)
            self.drop = LockedDropout(dropout)
        else:
            self.rnns = nn.ModuleList([make_recurrent(self.cell, embed, hidden, layers, dropout)])
            self.drop_in = nn.Dropout(dropout if dropouti is None else dropouti)
            self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab_size)
        if tied:
            self.decoder.weight = self.encoder.weight
        self.bf16_output = False  # compute the output layer in bfloat16 (see set_bf16_output)
        self.reset_parameters(init, init_scale)

    @torch.no_grad()
    def reset_parameters(self, init: str = "uniform", scale: float = 0.1) -> None:
        self.encoder.weight.uniform_(-scale, scale)
        if not self.tied:
            self.decoder.weight.uniform_(-scale, scale)
        self.decoder.bias.zero_()
        init_recurrent(self.rnns, init, scale)

    def init_state(self, batch_size: int, device=None) -> State:
        """The all-zero state: one entry per recurrent module (``h`` or ``(h, c)`` of shape (L, B, H))."""
        device = device or self.encoder.weight.device
        return [zero_state(rnn, batch_size, device=device, dtype=torch.float32) for rnn in self.rnns]

    def features(self, ids: Tensor, state: State) -> tuple[Tensor, State]:
        """The top layer's outputs ``(B, T, H)`` and the new state."""
        x = embedding_dropout(self.encoder, ids.t(), self.dropoute, self.training)  # (T, B, E)
        x = self.drop_in(x)
        new_state = []
        for i, rnn in enumerate(self.rnns):
            x, s = rnn(x, state[i])
            new_state.append(s)
            if self.locked and i < len(self.rnns) - 1:
                x = self.drop(x)
        x = self.drop(x)
        return x.transpose(0, 1), new_state

    def output(self, h: Tensor) -> Tensor:
        """Logits from top-layer features; in bfloat16 when ``bf16_output`` is set (weights stay float32)."""
        if self.bf16_output:
            with torch.autocast(h.device.type, dtype=torch.bfloat16):
                return self.decoder(h)
        return self.decoder(h)

    def forward(self, ids: Tensor, state: State = None, targets: Tensor | None = None) -> tuple[Tensor, State]:
        """Logits ``(B, T, V)`` and the new state; with ``targets`` ``(B, T)``, the mean cross-entropy
        instead of the logits (the output product and the softmax fused, see :func:`output_loss`)."""
        if state is None:
            state = self.init_state(ids.size(0), ids.device)
        h, state = self.features(ids, state)
        if targets is not None:
            return output_loss(self.decoder, h, targets, self.bf16_output), state
        return self.output(h), state


def set_bf16_output(model: nn.Module, on: bool) -> None:
    """Run the output layer (the vocabulary-sized matrix product, most of the work) in bfloat16."""
    if hasattr(model, "bf16_output"):
        model.bf16_output = on


DEFAULTS: dict[str, Any] = {
    "model": "lstm",
    "embed": 200,
    "hidden": 200,
    "layers": 2,
    "dropout": 0.0,
    "dropouti": None,
    "dropoute": 0.0,
    "locked": False,
    "tied": False,
    "init": "uniform",
    "init_scale": 0.1,
    "context": 4,
}


def model_config(**kwargs: Any) -> dict[str, Any]:
    """A complete model config: the defaults updated with ``kwargs`` (``vocab_size`` is required)."""
    config = {**DEFAULTS, **{k: v for k, v in kwargs.items() if v is not None or k == "dropouti"}}
    if "vocab_size" not in config:
        raise WordseqError("a model config needs vocab_size")
    return config


def build_model(config: dict[str, Any]) -> nn.Module:
    """A language model from its config dict (the dict that model files store)."""
    c = {**DEFAULTS, **config}
    if c["model"] not in MODELS:
        raise WordseqError(f"unknown model {c['model']!r}; choose from {', '.join(MODELS)}")
    if c["model"] == "window":
        from wordseq.lm.neural.window import WindowLM

        return WindowLM(
            c["vocab_size"],
            context=c["context"],
            embed=c["embed"],
            hidden=c["hidden"],
            dropout=c["dropout"],
            tied=c["tied"],
        )
    return RNNLM(
        c["vocab_size"],
        c["model"],
        c["embed"],
        c["hidden"],
        c["layers"],
        c["dropout"],
        c["dropouti"],
        c["dropoute"],
        c["locked"],
        c["tied"],
        c["init"],
        c["init_scale"],
    )
