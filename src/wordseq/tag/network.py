"""The tagging networks: word features (word table, case class, characters), an encoder (a ±k window
or a bidirectional recurrent network), one output layer per tag column, and optionally a CRF per column.

* Window encoder (Collobert et al. 2011): the features of the words in a ±k window, concatenated, through a
  hidden layer; positions past either end of the sentence see a learned boundary vector.
* Bidirectional encoder (Huang et al. 2015; Lample et al. 2016): torch's fused ``nn.LSTM``/``nn.GRU``/
  ``nn.RNN`` with ``bidirectional=True`` over packed sequences for the cells torch has; the other
  ``wordseq.nn`` cells (``lstm-peephole``, ``lstm-coupled``, ``rnn-sigmoid``) run through
  :func:`wordseq.nn.make_recurrent`, one network per direction and layer, each sentence reversed in place
  for the backward direction.
* Characters: a char-CNN (Ma & Hovy 2016: convolution, then max over the word) or a char-BiLSTM (Lample et
  al. 2016: the final states of both directions), so an unknown word still gets a vector.

Everything a word's output depends on lies inside its sentence: padding never changes a prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wordseq.nn import make_recurrent
from wordseq.tag.crf import CRF
from wordseq.tag.data import CASES, Batch

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "rnn-relu": nn.RNN}


class CharCNN(nn.Module):
    """Character embeddings, one convolution of width ``window``, max over each word's positions."""

    def __init__(self, num_chars: int, embed: int, filters: int, window: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_chars, embed, padding_idx=0)
        self.conv = nn.Conv1d(embed, filters, window, padding=window // 2)
        self.out_dim = filters

    def forward(self, chars: Tensor, lengths: Tensor) -> Tensor:
        h = self.conv(self.embed(chars).transpose(1, 2))  # (N, F, L)
        pos = torch.arange(h.shape[2], device=h.device)
        h = h.masked_fill((pos[None, :] >= lengths[:, None]).unsqueeze(1), float("-inf"))
        return h.max(dim=2).values


class CharLSTM(nn.Module):
    """Character embeddings through a BiLSTM; the word's vector is both directions' final states."""

    def __init__(self, num_chars: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_chars, embed, padding_idx=0)
        self.rnn = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def forward(self, chars: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(self.embed(chars), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)
        return torch.cat([h[0], h[1]], dim=1)


class WordFeatures(nn.Module):
    """Per word: its row of the word table, a case-class vector, its character features and a vector per
    input column (``feats``: column -> number of values), concatenated."""

    def __init__(
        self,
        num_words: int,
        embed: int,
        num_chars: int,
        chars: str,
        char_embed: int,
        char_hidden: int,
        char_window: int,
        case_embed: int,
        word_dropout: float,
        unk_id: int,
        feats: Mapping[str, int] | None = None,
        feat_embed: int = 0,
        trained_words: int = 0,
    ) -> None:
        super().__init__()
        # trained_words > 0: the whole table (``fixed``: pretrained vectors) stays as it is and only the first
        # trained_words rows (padding, unknown, the training words) learn a correction, started at zero; far
        # fewer weights for the optimizer to move when the vector file brings 100,000 more words
        self.trained_words = trained_words
        self.fixed: nn.Embedding | None = None
        if trained_words:
            self.fixed = nn.Embedding(num_words, embed, padding_idx=0)
            self.fixed.weight.requires_grad_(False)
            self.words = nn.Embedding(trained_words, embed, padding_idx=0)
            nn.init.zeros_(self.words.weight)
        else:
            self.words = nn.Embedding(num_words, embed, padding_idx=0)
            nn.init.uniform_(self.words.weight, -((3.0 / embed) ** 0.5), (3.0 / embed) ** 0.5)
            with torch.no_grad():
                self.words.weight[0].zero_()
        self.cases = nn.Embedding(len(CASES), case_embed, padding_idx=0) if case_embed else None
        self.chars: nn.Module | None = None
        char_dim = 0
        if chars == "cnn":
            self.chars = CharCNN(num_chars, char_embed, char_hidden, char_window)
            char_dim = char_hidden
        elif chars == "lstm":
            self.chars = CharLSTM(num_chars, char_embed, char_hidden)
            char_dim = 2 * char_hidden
        self.word_dropout = word_dropout
        self.unk_id = unk_id
        # one small table per input column (a POS column for chunking, say); row 0 is padding, row 1 unknown
        self.feats = nn.ModuleDict({c: nn.Embedding(n, feat_embed, padding_idx=0) for c, n in (feats or {}).items()})
        self.out_dim = embed + case_embed + char_dim + feat_embed * len(self.feats)

    def forward(self, batch: Batch) -> Tensor:
        ids = batch.words
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(ids.shape, device=ids.device) < self.word_dropout) & batch.mask
            ids = ids.masked_fill(drop, self.unk_id)
        if self.fixed is not None:
            parts = [self.fixed(ids) + self.words(ids.masked_fill(ids >= self.trained_words, 0))]
        else:
            parts = [self.words(ids)]
        if self.cases is not None:
            parts.append(self.cases(batch.cases))
        if self.chars is not None:
            per_word = self.chars(batch.chars, batch.char_lengths)  # one row per distinct spelling
            if batch.char_index is not None:
                per_word = per_word[batch.char_index]
            full = per_word.new_zeros(*ids.shape, per_word.shape[1])
            full[batch.mask] = per_word
            parts.append(full)
        for c, table in self.feats.items():
            parts.append(table(batch.feats[c]))
        return torch.cat(parts, dim=2)


class WindowEncoder(nn.Module):
    """Collobert & Weston's window approach: ``[x_{t-k}; ...; x_{t+k}] → hidden → tanh``."""

    def __init__(self, in_dim: int, window: int, hidden: int) -> None:
        super().__init__()
        self.window = window
        self.boundary = nn.Parameter(torch.zeros(in_dim))
        self.hidden = nn.Linear((2 * window + 1) * in_dim, hidden)
        self.out_dim = hidden

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        B, T, D = x.shape
        k = self.window
        x = torch.where(mask.unsqueeze(2), x, self.boundary)
        edge = self.boundary.expand(B, k, D)
        padded = torch.cat([edge, x, edge], dim=1)  # (B, T + 2k, D)
        windows = padded.unfold(1, 2 * k + 1, 1)  # (B, T, D, 2k+1)
        flat = windows.permute(0, 1, 3, 2).reshape(B, T, (2 * k + 1) * D)
        return torch.tanh(self.hidden(flat))


class BiRecurrent(nn.Module):
    """A stacked bidirectional recurrent network over padded, batch-first sentences; see the module notes."""

    def __init__(self, cell: str, in_dim: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.cell = cell
        self.out_dim = 2 * hidden
        if cell in FUSED:
            kwargs: dict[str, Any] = {"nonlinearity": "relu"} if cell == "rnn-relu" else {}
            self.rnn: nn.Module = FUSED[cell](
                in_dim,
                hidden,
                layers,
                batch_first=True,
                bidirectional=True,
                dropout=dropout if layers > 1 else 0.0,
                **kwargs,
            )
            self.layers = None
        else:
            self.layers = nn.ModuleList(
                nn.ModuleList([make_recurrent(cell, in_dim if l == 0 else 2 * hidden, hidden) for _ in range(2)])
                for l in range(layers)
            )
            self.drop = nn.Dropout(dropout)

    @staticmethod
    def _reverse(x: Tensor, lengths: Tensor) -> Tensor:
        """Reverse each sentence within its length (padding stays at the end)."""
        T = x.shape[1]
        pos = torch.arange(T, device=x.device).unsqueeze(0)
        idx = torch.where(pos < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - pos, pos)
        return x.gather(1, idx.unsqueeze(2).expand_as(x))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        lengths = mask.long().sum(1)
        if self.layers is None:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed)
            return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]
        h = x
        for l, pair in enumerate(self.layers):
            fwd: nn.Module = pair[0]  # type: ignore[index]
            bwd: nn.Module = pair[1]  # type: ignore[index]
            if l > 0:
                h = self.drop(h)
            f, _ = fwd(h.transpose(0, 1))
            b, _ = bwd(self._reverse(h, lengths).transpose(0, 1))
            h = torch.cat([f.transpose(0, 1), self._reverse(b.transpose(0, 1), lengths)], dim=2)
        return h * mask.unsqueeze(2)


class TaggerNet(nn.Module):
    """Word features → encoder → one linear layer per tag column (→ a CRF per column)."""

    def __init__(self, features: WordFeatures, encoder: nn.Module, num_tags: dict[str, int], crf: bool, dropout: float):
        super().__init__()
        self.features = features
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        enc_dim = cast(int, encoder.out_dim)
        self.heads = nn.ModuleDict({c: nn.Linear(enc_dim, k) for c, k in num_tags.items()})
        self.crfs = nn.ModuleDict({c: CRF(k) for c, k in num_tags.items()}) if crf else None

    def emissions(self, batch: Batch) -> dict[str, Tensor]:
        x = self.dropout(self.features(batch))
        h = self.dropout(self.encoder(x, batch.mask))
        return {c: head(h) for c, head in self.heads.items()}

    def forward(self, batch: Batch) -> Tensor:
        """Training loss: the summed negative log-likelihood of every column's tags, per word."""
        scores = self.emissions(batch)
        total = scores[next(iter(scores))].new_zeros(())
        for c, em in scores.items():
            gold = batch.tags[c]
            if self.crfs is not None:
                total = total + self.crfs[c](em, gold, batch.mask).sum()
            else:
                total = total + nn.functional.cross_entropy(em[batch.mask], gold[batch.mask], reduction="sum")
        return total / batch.tokens

    @torch.no_grad()
    def decode(self, batch: Batch) -> dict[str, list[list[int]]]:
        """The best tag ids of each sentence, per column (Viterbi with a CRF, else the most likely tag)."""
        scores = self.emissions(batch)
        out = {}
        for c, em in scores.items():
            if self.crfs is not None:
                out[c] = self.crfs[c].decode(em, batch.mask)  # type: ignore[operator]
            else:
                best = em.argmax(2).tolist()
                out[c] = [row[:n] for row, n in zip(best, batch.lengths)]
        return out
