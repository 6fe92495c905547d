"""Decoding: greedy and batched beam search with GNMT's length penalty, n-best lists, and the attention
of every output word (for pictures and unknown-word replacement).

Beam search keeps ``beam`` hypotheses per sentence; a hypothesis that ends (``</s>`` among the step's
top ``beam`` candidates) is set aside, and a sentence is done once it has ``beam`` finished hypotheses and
none of its live ones can still beat the best of them. Finished hypotheses are ranked by
``log P(y|x) / lp(y)`` with ``lp(y) = ((5 + |y|) / 6) ** alpha`` (Wu et al. 2016; ``alpha = 0``: raw
log-probability). With ``beam = 1`` and ``alpha = 0`` this is exactly greedy decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from wordseq.seq2seq.data import BOS_ID, EOS_ID
from wordseq.seq2seq.net import Seq2SeqNet


@dataclass
class Hypothesis:
    """One translation: target ids (without ``</s>``), its log-probability under the model, the score it was
    ranked by, and the attention of each output word (and of ``</s>``) over the source, ``(len+1, S)``."""

    ids: list[int]
    log_prob: float
    score: float
    attention: Tensor | None = None


def length_penalty(length: int, alpha: float) -> float:
    """GNMT's ``((5 + length) / 6) ** alpha`` (``length`` counts ``</s>``)."""
    return ((5.0 + length) / 6.0) ** alpha


def _max_lengths(lengths: Tensor, max_len_ratio: float, max_len: int) -> Tensor:
    return torch.clamp((lengths.float() * max_len_ratio).ceil().long() + 5, max=max_len)


@torch.no_grad()
def greedy(
    net: Seq2SeqNet, src: Tensor, lengths: Tensor, max_len_ratio: float = 2.0, max_len: int = 200
) -> list[Hypothesis]:
    """The most probable word at each step, for a padded batch ``src (B, S)``. The bookkeeping is in Python
    lists, read from the device once per step (not once per sentence: on a GPU every read waits for it)."""
    memory, mask, init = net.encode(src, lengths)
    dec = net.start(memory, mask, init)
    B = src.size(0)
    limits = _max_lengths(lengths, max_len_ratio, max_len).tolist()
    prev = torch.full((B,), BOS_ID, dtype=torch.long, device=src.device)
    done = [False] * B
    out: list[list[int]] = [[] for _ in range(B)]
    logp = [0.0] * B
    attn: list[list[Tensor]] = [[] for _ in range(B)]
    for t in range(max(limits) + 1):
        logits, weights, dec = net.step(prev, dec)
        lp = torch.log_softmax(logits.float(), 1)
        best = lp.argmax(1)
        if t + 1 > max(limits):  # out of room: end every sentence here
            best = torch.full_like(best, EOS_ID)
        words = best.tolist()
        chosen = [w if t < limits[b] else EOS_ID for b, w in enumerate(words)]
        word_lp = lp.gather(1, torch.tensor(chosen, device=lp.device).unsqueeze(1)).squeeze(1).tolist()
        step_attn = weights.float().cpu() if weights is not None else None
        for b in range(B):
            if done[b]:
                continue
            w = chosen[b]
            logp[b] += word_lp[b]
            if step_attn is not None:
                attn[b].append(step_attn[b])
            if w == EOS_ID:
                done[b] = True
            else:
                out[b].append(w)
        if all(done):
            break
        prev = best
    return [Hypothesis(out[b], logp[b], logp[b], torch.stack(attn[b]) if attn[b] else None) for b in range(B)]


def _select(dec: dict, index: Tensor) -> dict:
    """The decoder state of the rows ``index`` (reordering and copying hypotheses)."""
    out = dict(dec)
    state = dec["state"]
    out["state"] = (
        tuple(s.index_select(1, index) for s in state) if isinstance(state, tuple) else state.index_select(1, index)
    )
    for k in ("keys", "memory", "mask", "feed"):
        out[k] = None if dec[k] is None else dec[k].index_select(0, index)
    return out


@torch.no_grad()
def beam_search(
    net: Seq2SeqNet,
    src: Tensor,
    lengths: Tensor,
    beam: int = 5,
    alpha: float = 0.6,
    max_len_ratio: float = 2.0,
    max_len: int = 200,
    nbest: int = 1,
) -> list[list[Hypothesis]]:
    """The ``nbest`` best hypotheses of each sentence of a padded batch, best first (see the module notes)."""
    if beam < 1:
        raise ValueError(f"beam must be at least 1, got {beam}")
    nbest = min(nbest, beam)
    B, K = src.size(0), beam
    device = src.device
    memory, mask, init = net.encode(src, lengths)
    dec = net.start(memory, mask, init)
    # every sentence starts with one live hypothesis (the other K-1 copies start at -inf)
    dec = _select(dec, torch.arange(B, device=device).repeat_interleave(K))
    # The search itself runs in Python lists, read from the device once per step: on a GPU each read of a
    # single element waits for the device, and a write of one is a launch (that made beam 5 some 140 times
    # slower than greedy decoding there).
    ninf = float("-inf")
    row_scores = [0.0 if k == 0 else ninf for _ in range(B) for k in range(K)]  # (B*K,) score of each hypothesis
    scores = torch.tensor(row_scores, device=device).view(B, K)
    prev = torch.full((B * K,), BOS_ID, dtype=torch.long, device=device)
    history: list[list[int]] = [[] for _ in range(B * K)]
    attn_hist: Tensor | None = None
    limits = _max_lengths(lengths, max_len_ratio, max_len).tolist()
    src_lengths = lengths.tolist()
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    done = [False] * B
    for t in range(max(limits) + 1):
        logits, weights, dec = net.step(prev, dec)
        lp = torch.log_softmax(logits.float(), 1)  # (B*K, V)
        V = lp.size(1)
        if weights is not None:
            step_attn = weights.float().unsqueeze(1)
            attn_hist = step_attn if attn_hist is None else torch.cat([attn_hist, step_attn], 1)
        cand = (scores.view(B * K, 1) + lp).view(B, K * V)
        top_scores, top_idx = cand.topk(min(2 * K, K * V), dim=1)  # (B, 2K): enough to keep K live ones
        ts, ti = top_scores.tolist(), top_idx.tolist()
        at_limit = [t >= limits[b] for b in range(B)]
        # the score of ending a hypothesis here instead of extending it (only needed at the length limit)
        end_lp: list[float] = lp[:, EOS_ID].tolist() if any(at_limit[b] and not done[b] for b in range(B)) else []
        new_scores = [[ninf] * K for _ in range(B)]
        new_origin = [[0] * K for _ in range(B)]
        new_word = [[EOS_ID] * K for _ in range(B)]
        ended: list[tuple[Hypothesis, int, int]] = []  # (hypothesis, row, source length): attention to fetch
        for b in range(B):
            if done[b]:
                continue
            live = 0
            for r in range(len(ts[b])):
                s, k, w = ts[b][r], ti[b][r] // V, ti[b][r] % V
                if s == ninf:
                    break
                if w == EOS_ID or at_limit[b]:
                    if r < K:  # an ending counts only among the step's K best candidates
                        row = b * K + k
                        ids = history[row]
                        total = s if w == EOS_ID else row_scores[row] + end_lp[row]
                        if w != EOS_ID and any(h.ids == ids for h in finished[b]):
                            continue
                        hyp = Hypothesis(list(ids), total, total / length_penalty(len(ids) + 1, alpha))
                        finished[b].append(hyp)
                        ended.append((hyp, row, src_lengths[b]))
                    continue
                if live < K:
                    new_scores[b][live] = s
                    new_origin[b][live] = k
                    new_word[b][live] = w
                    live += 1
                if live == K and r >= K - 1:
                    break
            # done when K hypotheses have ended and no live one can still beat the best of them
            if finished[b] and (len(finished[b]) >= K or at_limit[b]):
                best = max(h.score for h in finished[b])
                top = max(new_scores[b])
                bound = top / length_penalty(limits[b] + 1, alpha) if alpha > 0 else top
                if at_limit[b] or bound <= best or live == 0:
                    done[b] = True
            elif live == 0:
                done[b] = True
        if ended and attn_hist is not None:
            picked = attn_hist.index_select(0, torch.tensor([row for _, row, _ in ended], device=device)).cpu()
            for i, (hyp, _, n) in enumerate(ended):
                hyp.attention = picked[i, :, :n]
        if all(done):
            break
        rows_list = [b * K + new_origin[b][k] for b in range(B) for k in range(K)]
        words = [w for b in range(B) for w in new_word[b]]
        history = [history[r] + [w] for r, w in zip(rows_list, words, strict=True)]
        row_scores = [ninf if done[b] else new_scores[b][k] for b in range(B) for k in range(K)]
        rows = torch.tensor(rows_list, device=device)
        dec = _select(dec, rows)
        if attn_hist is not None:
            attn_hist = attn_hist.index_select(0, rows)
        scores = torch.tensor(row_scores, device=device).view(B, K)
        prev = torch.tensor(words, device=device)
    return [sorted(f, key=lambda h: -h.score)[:nbest] for f in finished]
