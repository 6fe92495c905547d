"""A linear-chain conditional random field over per-word tag scores (Lafferty et al. 2001; as the output
layer of Collobert et al. 2011 and Huang et al. 2015).

The score of tags ``y_1..y_n`` for emissions ``e`` (``n × K``) is

    s(y) = start[y_1] + Σ_t e[t, y_t] + Σ_{t>1} trans[y_{t-1}, y_t] + end[y_n]

and ``p(y) = exp s(y) / Z`` with ``log Z`` computed by the forward algorithm. Training minimises the
negative log-likelihood ``log Z − s(gold)``; decoding is Viterbi. Transitions a tagging scheme forbids
(``O → I-PER`` in BIO) get a fixed score of ``−10000``, so they are never decoded and carry no gradient.

Tensors are batch-first, ``(B, T, K)``, with a boolean ``mask`` ``(B, T)`` true on each sentence's words
(a prefix of every row). Every sentence has at least one word.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from wordseq.tag.schemes import allowed

FORBIDDEN = -10000.0


class CRF(nn.Module):
    """Transition scores between ``num_tags`` tags, plus start and end scores, with optional constraints."""

    trans_penalty: Tensor
    start_penalty: Tensor
    end_penalty: Tensor

    def __init__(self, num_tags: int) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # [from, to]
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        # 0 where allowed, FORBIDDEN where the scheme forbids; saved with the weights
        self.register_buffer("trans_penalty", torch.zeros(num_tags, num_tags))
        self.register_buffer("start_penalty", torch.zeros(num_tags))
        self.register_buffer("end_penalty", torch.zeros(num_tags))

    def constrain(self, tags: Sequence[str], scheme: str) -> None:
        """Forbid the transitions ``scheme`` (iob2, iobes) does not allow between the named ``tags``."""
        k = self.num_tags
        with torch.no_grad():
            for i in range(k):
                self.start_penalty[i] = 0.0 if allowed(None, tags[i], scheme) else FORBIDDEN
                self.end_penalty[i] = 0.0 if allowed(tags[i], "</s>", scheme) else FORBIDDEN
                for j in range(k):
                    self.trans_penalty[i, j] = 0.0 if allowed(tags[i], tags[j], scheme) else FORBIDDEN

    def _params(self) -> tuple[Tensor, Tensor, Tensor]:
        return (
            self.transitions + self.trans_penalty,
            self.start + self.start_penalty,
            self.end + self.end_penalty,
        )

    def score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """``s(tags)`` per sentence, ``(B,)``."""
        trans, start, end = self._params()
        T = emissions.shape[1]
        maskf = mask.to(emissions.dtype)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        total = start[tags[:, 0]] + (emit * maskf).sum(1)
        if T > 1:
            pair = trans[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
            total = total + (pair * maskf[:, 1:]).sum(1)
        last = mask.long().sum(1) - 1
        return total + end[tags.gather(1, last.unsqueeze(1)).squeeze(1)]

    def log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """``log Z`` per sentence by the forward algorithm, ``(B,)``."""
        trans, start, end = self._params()
        alpha = start + emissions[:, 0]  # (B, K): log-sum of all paths ending in each tag
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def forward(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Negative log-likelihood of ``tags`` per sentence, ``(B,)``."""
        return self.log_partition(emissions, mask) - self.score(emissions, tags, mask)

    @torch.no_grad()
    def decode(self, emissions: Tensor, mask: Tensor) -> list[list[int]]:
        """The best tag sequence of each sentence (Viterbi), as lists of tag ids of the sentence's length."""
        trans, start, end = self._params()
        B, T = emissions.shape[:2]
        lengths = mask.long().sum(1).tolist()
        delta = start + emissions[:, 0]
        backs = []
        for t in range(1, T):
            cand = delta.unsqueeze(2) + trans.unsqueeze(0)  # (B, from, to)
            best, arg = cand.max(dim=1)
            backs.append(arg)
            delta = torch.where(mask[:, t : t + 1], best + emissions[:, t], delta)
        final = delta + end
        pointers = torch.stack(backs).cpu().numpy() if backs else None
        last = final.argmax(1).tolist()
        out = []
        for b in range(B):
            n = lengths[b]
            path = [last[b]]
            for t in range(n - 1, 0, -1):
                path.append(int(pointers[t - 1, b, path[-1]]))  # type: ignore[index]
            out.append(path[::-1])
        return out
