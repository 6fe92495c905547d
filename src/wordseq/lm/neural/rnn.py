"""Recurrent language models over words or characters: embedding -> recurrent layers -> softmax.

One module, :class:`RNNLM`, covers the lectures' variants: any cell from :mod:`wordseq.nn` (Elman RNN, LSTM,
GRU, peephole and coupled LSTMs), several layers, dropout between layers (Zaremba et al. 2014), variational
("locked") dropout that reuses one mask across time steps (Gal & Ghahramani 2016), embedding dropout that
drops whole words (ibid.), and weight tying of the input and output embeddings (Press & Wolf 2017; Inan et
al. 2017).

Every neural LM in wordseq (this one and :class:`~wordseq.lm.neural.window.WindowLM`) has the same
interface, which the trainer and the generator rely on::

    state = model.init_state(batch_size, device)
    logits, state = model(ids, state)        # ids (B, T) -> logits (B, T, V)
    loss, state = model(ids, state, targets) # mean cross-entropy against targets (B, T), logits never kept
    state = detach_state(state)              # truncated BPTT: keep the values, cut the graph

Both are built from a :class:`~wordseq.lm.neural.config.NeuralLMConfig` (its architecture fields) and a
vocabulary size.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.lm.neural.config import MODELS, NeuralLMConfig
from wordseq.nn import init_recurrent, make_recurrent, zero_state
from wordseq.train.losses import output_loss

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
    Zaremba), or any :data:`wordseq.nn.SCHEMES` name for the recurrent layers. All of these are fields of
    ``config`` (a :class:`NeuralLMConfig`; keyword arguments override the default one).
    """

    def __init__(self, vocab_size: int, config: NeuralLMConfig | None = None, **overrides: Any) -> None:
        super().__init__()
        c = config if config is not None else NeuralLMConfig()
        c = c.replace(**overrides) if overrides else c
        cell = MODELS[c.model]
        if cell is None:
            raise WordseqError(f"{c.model!r} is not a recurrent model")
        if vocab_size < 1:
            raise WordseqError(f"the vocabulary size must be positive, got {vocab_size}")
        self.config = c
        embed, hidden, layers, dropout, dropouti = c.embed, c.hidden, c.layers, c.dropout, c.dropouti
        dropoute, locked, tied, init, init_scale = c.dropoute, c.locked, c.tied, c.init, c.init_scale
        self.vocab_size, self.cell, self.layers = vocab_size, cell, layers
        self.embed_size, self.hidden_size, self.tied, self.locked = embed, hidden, tied, locked
        self.dropoute = dropoute
        self.encoder = nn.Embedding(vocab_size, embed)
        if locked:  # one module per layer, so that a locked mask can go between them
            self.rnns = nn.ModuleList(
                make_recurrent(self.cell, embed if i == 0 else hidden, hidden, 1) for i in range(layers)
            )
            self.drop_in: nn.Module = LockedDropout(dropout if dropouti is None else dropouti)
            self.drop: nn.Module = LockedDropout(dropout)
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
    if isinstance(model, RNNLM):
        model.bf16_output = on
