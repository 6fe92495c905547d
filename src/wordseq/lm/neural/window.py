"""The fixed-window neural language model of Bengio, Ducharme, Vincent and Jauvin (2003).

The next token is predicted from the ``n - 1 = context`` tokens before it alone::

    x = [e(w[t-context+1]); ...; e(w[t])]          concatenated embeddings, oldest first  (context * embed)
    h = tanh(d + H x)                               hidden layer                           (hidden)
    y = b + U h  (+ W x with direct connections)    logits of w[t+1]                       (vocab)

It follows the interface every neural LM in wordseq has, so the same truncated-BPTT trainer and the same
generator drive it: ``init_state(batch_size)`` and ``forward(ids (B, T), state) -> (logits (B, T, V), state)``
(with ``targets``, the mean cross-entropy in place of the logits).
Its state is simply the last ``context`` token ids of each stream; a fresh state holds ``pad_id`` (by default
the id of ``</s>``, so the first token of a corpus is predicted as if it began a line, as every later line
does). Carrying the state across calls therefore gives exactly the logits of one long call: nothing about
earlier windows is forgotten that the model could have used.

Weight tying (Press & Wolf 2017; Inan et al. 2017) shares the embedding matrix with the output layer. The
output layer reads a vector of size ``hidden``, the embeddings have size ``embed``: when the two differ, a
linear projection ``hidden -> embed`` comes before the tied output layer.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.lm.neural.config import NeuralLMConfig
from wordseq.train.losses import cross_entropy, output_loss

EOS_ID = 3  # the id of </s> in every wordseq vocabulary (specials <unk> <pad> <s> </s> take ids 0..3)


class WindowLM(nn.Module):
    """Bengio et al.'s fixed-window LM: ``context`` previous tokens -> embeddings -> tanh -> softmax.

    ``dropout`` applies to the concatenated embeddings and to the hidden layer (training only). ``tied``
    shares the embedding matrix with the output layer (through a ``hidden -> embed`` projection when the sizes
    differ). ``direct`` adds Bengio's direct connections from the embeddings to the output (``W x``).
    ``bounded_by`` (an id, usually that of ``</s>``) keeps each window within its line, as an n-gram model
    does: tokens before the latest such id in the window read as ``pad_id``. By default a window reads
    across line ends, as the RNNs do.
    """

    def __init__(self, vocab_size: int, config: NeuralLMConfig | None = None, **overrides: Any) -> None:
        super().__init__()
        c = config if config is not None else NeuralLMConfig(model="window")
        c = c.replace(**overrides) if overrides else c
        if c.model != "window":
            raise WordseqError(f"a window model's config has model='window', not {c.model!r}")
        context, embed, hidden, dropout, tied, direct = c.context, c.embed, c.hidden, c.dropout, c.tied, c.direct
        pad_id = EOS_ID if c.pad_id is None else c.pad_id
        bounded_by = c.bounded_by
        if vocab_size < 1:
            raise WordseqError(f"vocabulary size must be positive, got {vocab_size}")
        if not 0 <= pad_id < vocab_size:
            raise WordseqError(f"padding id {pad_id} is outside the vocabulary of {vocab_size} tokens")
        if bounded_by is not None and not 0 <= bounded_by < vocab_size:
            raise WordseqError(f"boundary id {bounded_by} is outside the vocabulary of {vocab_size} tokens")
        self.config = c
        self.vocab_size, self.context, self.pad_id, self.bounded_by = vocab_size, context, pad_id, bounded_by
        self.embed_size, self.hidden_size = embed, hidden

        self.embedding = nn.Embedding(vocab_size, embed)
        self.drop = nn.Dropout(dropout)
        self.hidden = nn.Linear(context * embed, hidden)  # d + H x
        # The output layer reads size `out_in`; with tying it must equal the embedding size.
        self.projection = nn.Linear(hidden, embed, bias=False) if tied and embed != hidden else None
        out_in = embed if tied else hidden
        self.decoder = nn.Linear(out_in, vocab_size)  # b + U h
        self.direct = nn.Linear(context * embed, vocab_size, bias=False) if direct else None  # W x
        self.reset_parameters()
        if tied:
            self.decoder.weight = self.embedding.weight

    def reset_parameters(self, init_range: float = 0.1) -> None:
        """Embeddings and output weights uniform in ±``init_range``, output biases zero (as the RNN LMs)."""
        nn.init.uniform_(self.embedding.weight, -init_range, init_range)
        nn.init.uniform_(self.decoder.weight, -init_range, init_range)
        nn.init.zeros_(self.decoder.bias)
        if self.direct is not None:
            nn.init.zeros_(self.direct.weight)  # start as the plain model; the data decide how much to use

    # -- the common LM interface ------------------------------------------------------------------
    def init_state(self, batch_size: int, device=None) -> Tensor:
        """A fresh state: ``(batch_size, context)`` ids, all ``pad_id``."""
        device = device if device is not None else self.embedding.weight.device
        return torch.full((batch_size, self.context), self.pad_id, dtype=torch.long, device=device)

    def forward(self, ids: Tensor, state: Tensor | None = None, targets: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Logits ``(B, T, V)`` for the token after each position of ``ids`` ``(B, T)``, and the new state;
        with ``targets`` ``(B, T)``, the mean cross-entropy instead of the logits.

        Position ``t`` sees ``ids[:, t]`` and the ``context - 1`` tokens before it, reaching back into
        ``state`` (the previous call's last ids) at the start of the window.
        """
        if ids.dim() != 2:
            raise WordseqError(f"expected token ids of shape (batch, time), got {tuple(ids.shape)}")
        B, T = ids.shape
        if state is None:
            state = self.init_state(B, ids.device)
        if state.shape != (B, self.context):
            raise WordseqError(
                f"state of shape {tuple(state.shape)} does not fit a batch of {B} streams "
                f"and a window of {self.context} tokens"
            )
        full = torch.cat([state, ids], dim=1)  # (B, context + T)
        if self.bounded_by is None:
            emb = self.embedding(full)  # (B, context + T, E): each token is looked up once
            # Window j covers full[:, j : j + context]; the window ending at ids[:, t] is j = t + 1.
            windows = emb.unfold(1, self.context, 1)[:, 1:].transpose(2, 3)  # (B, T, context, E)
        else:
            windows = self.embedding(self._bounded_windows(full))  # (B, T, context, E)
        x = windows.reshape(B, T, self.context * self.embed_size)  # oldest token first
        x = self.drop(x)
        h = self.drop(torch.tanh(self.hidden(x)))
        if self.projection is not None:
            h = self.projection(h)
        if targets is not None and self.direct is None:
            return output_loss(self.decoder, h, targets), full[:, -self.context :]
        logits = self.decoder(h)
        if self.direct is not None:
            logits = logits + self.direct(x)
        if targets is not None:
            return cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1)), full[:, -self.context :]
        return logits, full[:, -self.context :]

    def _bounded_windows(self, full: Tensor) -> Tensor:
        """The windows' ids ``(B, T, context)`` with every token before the latest boundary token in the
        window replaced by ``pad_id``, so no window reaches back across a line end."""
        C = self.context
        windows = full.unfold(1, C, 1)[:, 1:]  # (B, T, C)
        position = torch.arange(C, device=full.device)
        boundary = cast(int, self.bounded_by)  # set: this method runs only then
        last = torch.where(windows.eq(boundary), position, -1).amax(dim=-1, keepdim=True)  # (B, T, 1)
        return windows.masked_fill(position < last, self.pad_id)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"context={c.context}, embed={c.embed}, hidden={c.hidden}, dropout={c.dropout}, "
            f"tied={c.tied}, direct={c.direct}, pad_id={self.pad_id}, bounded_by={c.bounded_by}"
        )
