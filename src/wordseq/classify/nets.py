"""The neural classifiers' networks: Kim's (2014) CNN and a recurrent encoder with pooling over time.

Both take a padded batch of word ids (``0`` is padding, whose embedding row stays zero) and each text's
length, and give class scores (logits). Padding never changes a text's scores: the CNN's wide convolution
pads with zeros as the padding rows are, and positions past a text's end are masked before pooling.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class KimCNN(nn.Module):
    """Embeddings (one channel, or two for ``multichannel``: a frozen and a trained copy) -> wide 1-D
    convolutions of each width with ``maps`` feature maps -> ReLU -> max over time -> dropout -> linear."""

    def __init__(
        self,
        vocab_size: int,
        embed: int,
        classes: int,
        widths: tuple[int, ...] | list[int] = (3, 4, 5),
        maps: int = 100,
        dropout: float = 0.5,
        channels: int = 1,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        self.static = nn.Embedding(vocab_size, embed, padding_idx=0) if channels == 2 else None
        self.widths = list(widths)
        self.convs = nn.ModuleList(nn.Conv1d(embed * channels, maps, w, padding=w - 1) for w in self.widths)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(maps * len(self.widths), classes)

    def features(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """The pooled feature vector of each text, ``(batch, maps * len(widths))``, before dropout."""
        x = self.embedding(ids)
        if self.static is not None:
            x = torch.cat([x, self.static(ids)], dim=2)
        x = x.transpose(1, 2)  # (batch, channels * embed, time)
        pooled = []
        for conv, w in zip(self.convs, self.widths):
            c = torch.relu(conv(x))  # (batch, maps, time + w - 1)
            valid = torch.arange(c.size(2), device=c.device)[None, :] < (lengths[:, None] + w - 1)
            # ReLU outputs are >= 0 and every text has a valid window, so 0 at masked places leaves the max alone
            pooled.append(c.masked_fill(~valid[:, None, :], 0.0).amax(dim=2))
        return torch.cat(pooled, dim=1)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        return self.output(self.dropout(self.features(ids, lengths)))


class RecurrentClassifier(nn.Module):
    """Embeddings -> (Bi)LSTM or (Bi)GRU over packed sequences -> max, mean or last state -> dropout -> linear."""

    def __init__(
        self,
        vocab_size: int,
        embed: int,
        classes: int,
        hidden: int = 150,
        cell: str = "lstm",
        layers: int = 1,
        bidirectional: bool = True,
        pooling: str = "max",
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(
            embed,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def features(self, ids: Tensor, lengths: Tensor) -> Tensor:
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.pooling == "last":
            h = state[0] if isinstance(state, tuple) else state  # (layers * directions, batch, hidden)
            if self.rnn.bidirectional:
                return torch.cat([h[-2], h[-1]], dim=1)
            return h[-1]
        y, _ = pad_packed_sequence(out, batch_first=True)  # (batch, longest, hidden * directions)
        mask = torch.arange(y.size(1), device=y.device)[None, :] < lengths.to(y.device)[:, None]
        if self.pooling == "max":
            return y.masked_fill(~mask[:, :, None], float("-inf")).amax(dim=1)
        return (y * mask[:, :, None]).sum(dim=1) / lengths.to(y.device)[:, None].to(y.dtype)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        return self.output(self.dropout(self.features(ids, lengths)))
