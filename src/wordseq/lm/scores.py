"""What scoring a language model returns, the same for every kind (n-gram or neural, word or character)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

LN10 = math.log(10.0)


@dataclass(frozen=True)
class LMScore:
    """A language model's score on held-out text. Every field states its unit.

    ``tokens`` counts the predicted tokens (``</s>`` included where the model predicts it); ``oov`` those
    scored as ``<unk>``; ``zero_prob`` those given probability 0 (MLE n-gram models only). ``log10_prob`` is
    the total in log10, the figure KenLM and the ARPA world report.
    """

    loss_nats: float  # mean negative log-likelihood per predicted token, natural log
    tokens: int
    sentences: int = 0
    oov: int = 0
    zero_prob: int = 0
    perplexity_without_oov: float = math.nan
    level: str = "word"  # "word" or "char": which of bits per token / per character to report

    @classmethod
    def from_log10(cls, log10_prob: float, tokens: int, **kwargs: Any) -> LMScore:
        """From a total log10 probability (how n-gram models add up their scores)."""
        loss = -log10_prob * LN10 / tokens if tokens else math.nan
        return cls(loss, tokens, **kwargs)

    @property
    def perplexity(self) -> float:
        return math.exp(self.loss_nats) if math.isfinite(self.loss_nats) else math.inf

    @property
    def bits_per_token(self) -> float:
        return self.loss_nats / math.log(2.0)

    @property
    def bits_per_character(self) -> float:
        """Bits per token of a character model (the figure character LMs are compared by)."""
        return self.bits_per_token

    @property
    def log10_prob(self) -> float:
        return -self.loss_nats * self.tokens / LN10

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(perplexity=self.perplexity, bits_per_token=self.bits_per_token, log10_prob=self.log10_prob)
        return d

    def __str__(self) -> str:
        unit = "bits per character" if self.level == "char" else "bits per token"
        s = (
            f"perplexity {self.perplexity:.2f} ({self.bits_per_token:.4f} {unit}, {self.loss_nats:.4f} nats) "
            f"over {self.tokens:,} tokens"
        )
        if self.sentences:
            s += f" in {self.sentences:,} sentences"
        s += f"; {self.oov:,} scored as <unk>"
        if self.oov and math.isfinite(self.perplexity_without_oov):
            s += f"; without them: perplexity {self.perplexity_without_oov:.2f}"
        if self.zero_prob:
            s += f"; {self.zero_prob:,} tokens have probability 0"
        return s
