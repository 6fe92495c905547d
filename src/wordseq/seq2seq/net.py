"""The encoder-decoder network: a (bi)directional recurrent encoder over packed sequences, a decoder of
any recurrent cell, and attention that is none (Sutskever et al. 2014: the final state only), additive
(Bahdanau et al. 2015) or multiplicative dot/general (Luong et al. 2015) with input feeding.

The encoder uses torch's ``nn.RNN``/``nn.GRU``/``nn.LSTM`` directly, because packing and bidirectionality
need them; the decoder is built with :func:`wordseq.nn.make_recurrent`, so any cell of ``wordseq.nn``
works there (it runs one step at a time, which attention needs anyway). Padding never reaches a result:
the encoder reads packed sequences, attention gives padded source positions exactly zero weight, and the
loss ignores padded target positions.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wordseq.nn.recurrent import has_cell_state, make_recurrent

ENCODER_CELLS = ("rnn", "gru", "lstm")
ATTENTIONS = ("none", "bahdanau", "luong")
LUONG_SCORES = ("dot", "general")

State = Any  # h, or (h, c) for LSTMs: each (layers, batch, hidden)


class Attention(nn.Module):
    """Scores of a query against every encoder output, softmax over the real source positions only."""

    def __init__(self, kind: str, query_size: int, key_size: int, attn_size: int, score: str = "general") -> None:
        super().__init__()
        self.kind = kind
        self.score = score
        if kind == "bahdanau":
            self.w_query = nn.Linear(query_size, attn_size, bias=False)
            self.w_key = nn.Linear(key_size, attn_size, bias=True)
            self.v = nn.Linear(attn_size, 1, bias=False)
        elif score == "general":
            self.w_key = nn.Linear(key_size, query_size, bias=False)
        elif key_size != query_size:
            raise ValueError(f"dot attention needs equal sizes, got query {query_size} and key {key_size}")

    def keys(self, memory: Tensor) -> Tensor:
        """What the scores use of the encoder outputs ``(B, S, K)``, computed once per sentence."""
        if self.kind == "bahdanau" or self.score == "general":
            return self.w_key(memory)
        return memory

    def forward(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``query (B, Q)``, ``mask (B, S)`` True on real positions -> context ``(B, K)``, weights ``(B, S)``."""
        if self.kind == "bahdanau":
            scores = self.v(torch.tanh(keys + self.w_query(query).unsqueeze(1))).squeeze(2)
        else:
            scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores.float(), dim=1).to(memory.dtype)
        context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)
        return context, weights


class Seq2SeqNet(nn.Module):
    """Encoder -> (attention) -> decoder; :meth:`forward` gives the logits of every target position."""

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        embed: int = 256,
        hidden: int = 512,
        layers: int = 1,
        encoder_cell: str = "gru",
        decoder_cell: str = "gru",
        bidirectional: bool = True,
        attention: str = "bahdanau",
        luong_score: str = "general",
        input_feeding: bool = True,
        dropout: float = 0.3,
        tie_embeddings: bool = False,
        pad_id: int = 1,
    ) -> None:
        super().__init__()
        self.attention_kind = attention
        self.input_feeding = input_feeding and attention == "luong"
        self.hidden = hidden
        self.layers = layers
        self.pad_id = pad_id
        dirs = 2 if bidirectional else 1
        self.dirs = dirs
        self.src_embed = nn.Embedding(src_vocab, embed, padding_idx=pad_id)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=pad_id)
        rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[encoder_cell]
        self.encoder = rnn(
            embed, hidden, layers, dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional, batch_first=True
        )
        self.enc_lstm = encoder_cell == "lstm"
        mem = dirs * hidden
        # the decoder's first state from the encoder's final states (both directions)
        self.bridge = nn.Linear(mem, hidden)
        self.bridge_c = nn.Linear(mem, hidden) if decoder_cell in ("lstm", "lstm-peephole", "lstm-coupled") else None
        if attention == "bahdanau":
            dec_in = embed + mem
            self.attn: Attention | None = Attention("bahdanau", hidden, mem, hidden)
            feat = hidden + mem + embed  # Bahdanau's readout from state, context and previous word
        elif attention == "luong":
            dec_in = embed + (hidden if self.input_feeding else 0)
            self.attn = Attention("luong", hidden, mem, hidden, luong_score)
            self.combine = nn.Linear(hidden + mem, hidden, bias=False)  # h~ = tanh(W_c [c; h])
            feat = hidden
        else:
            dec_in = embed
            self.attn = None
            feat = hidden
        self.decoder = make_recurrent(decoder_cell, dec_in, hidden, layers, dropout)
        self.dec_lstm = has_cell_state(self.decoder)
        self.drop = nn.Dropout(dropout)
        self.tie = tie_embeddings
        if tie_embeddings:
            self.readout = nn.Linear(feat, embed)
            self.out = nn.Linear(embed, tgt_vocab)
            self.out.weight = self.tgt_embed.weight
        else:
            self.out = nn.Linear(feat, tgt_vocab)

    # ------------------------------------------------------------------ encoder

    def encode(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, State]:
        """``src (B, S)``, ``lengths (B,)`` -> memory ``(B, S, dirs*H)`` (zeros on padding), mask ``(B, S)``,
        the decoder's initial state."""
        emb = self.drop(self.src_embed(src))
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        mask = torch.arange(src.size(1), device=src.device).unsqueeze(0) < lengths.to(src.device).unsqueeze(1)
        h = state[0] if self.enc_lstm else state
        c = state[1] if self.enc_lstm else None
        init: State = self._bridge(h, self.bridge)
        if self.dec_lstm:
            init = (init, self._bridge(c, self.bridge_c) if c is not None and self.bridge_c is not None else init * 0)
        return memory, mask, init

    def _bridge(self, h: Tensor, linear: nn.Module) -> Tensor:
        L, B, H = self.encoder.num_layers, h.size(1), h.size(2)
        h = h.view(L, self.dirs, B, H).transpose(1, 2).reshape(L, B, self.dirs * H)  # both directions side by side
        if self.layers <= L:
            h = h[L - self.layers :]
        else:
            h = torch.cat([h, h[-1:].expand(self.layers - L, B, h.size(2))], 0)
        return torch.tanh(linear(h)).contiguous()

    # ------------------------------------------------------------------ decoder

    def start(self, memory: Tensor, mask: Tensor, init: State) -> dict[str, Any]:
        """The decoder's state before the first word: recurrent state, attention keys, fed-back vector."""
        B = memory.size(0)
        keys = self.attn.keys(memory) if self.attn is not None else None
        feed = memory.new_zeros(B, self.hidden) if self.input_feeding else None
        return {"state": init, "keys": keys, "memory": memory, "mask": mask, "feed": feed}

    def step(self, prev: Tensor, dec: dict[str, Any]) -> tuple[Tensor, Tensor | None, dict[str, Any]]:
        """One decoder step from the previous words ``prev (B,)``: logits ``(B, V)``, attention ``(B, S)``
        (None without attention), next decoder state."""
        emb = self.drop(self.tgt_embed(prev))
        state = dec["state"]
        weights = None
        if self.attention_kind == "bahdanau":
            top = (state[0] if self.dec_lstm else state)[-1]
            context, weights = self.attn(top, dec["keys"], dec["memory"], dec["mask"])  # type: ignore[misc]
            out, state = self.decoder(torch.cat([emb, context], 1).unsqueeze(0), state)
            feat = torch.cat([out[0], context, emb], 1)
            new = dict(dec, state=state)
        elif self.attention_kind == "luong":
            x = torch.cat([emb, dec["feed"]], 1) if self.input_feeding else emb
            out, state = self.decoder(x.unsqueeze(0), state)
            context, weights = self.attn(out[0], dec["keys"], dec["memory"], dec["mask"])  # type: ignore[misc]
            feat = torch.tanh(self.combine(torch.cat([context, out[0]], 1)))
            new = dict(dec, state=state, feed=feat)
        else:
            out, state = self.decoder(emb.unsqueeze(0), state)
            feat = out[0]
            new = dict(dec, state=state)
        feat = self.drop(feat)
        if self.tie:
            feat = self.readout(feat)
        return self.out(feat), weights, new

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0) -> Tensor:
        """Logits ``(B, T, V)`` for every target position, given ``tgt_in`` (``<s>`` + target words).
        With ``teacher_forcing < 1`` each step feeds the model's own previous prediction with that
        probability's complement (scheduled sampling, per sentence and step)."""
        memory, mask, init = self.encode(src, src_lengths)
        if self.attention_kind == "none" and teacher_forcing >= 1.0:  # no step-wise dependence: one fused call
            out, _ = self.decoder(self.drop(self.tgt_embed(tgt_in)).transpose(0, 1), init)
            feat = self.drop(out.transpose(0, 1))
            return self.out(self.readout(feat) if self.tie else feat)
        dec = self.start(memory, mask, init)
        logits = []
        prev = tgt_in[:, 0]
        for t in range(tgt_in.size(1)):
            step_logits, _, dec = self.step(prev, dec)
            logits.append(step_logits)
            if t + 1 < tgt_in.size(1):
                prev = tgt_in[:, t + 1]
                if teacher_forcing < 1.0:
                    own = step_logits.argmax(1)
                    use_own = torch.rand(prev.shape, device=prev.device) >= teacher_forcing
                    prev = torch.where(use_own & (prev != self.pad_id), own, prev)
        return torch.stack(logits, 1)

    def loss(
        self, src: Tensor, src_lengths: Tensor, tgt: Tensor, teacher_forcing: float = 1.0, label_smoothing: float = 0.0
    ) -> tuple[Tensor, int]:
        """Mean cross-entropy per real target token (``<pad>`` ignored) and that number of tokens.
        ``tgt (B, T+2)`` holds ``<s>`` words ``</s>`` then padding."""
        logits = self(src, src_lengths, tgt[:, :-1], teacher_forcing)
        gold = tgt[:, 1:]
        n = int((gold != self.pad_id).sum())
        loss = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)).float(),
            gold.reshape(-1),
            ignore_index=self.pad_id,
            label_smoothing=label_smoothing,
        )
        return loss, n
