"""Translation scores: corpus BLEU as sacreBLEU computes it (detokenized text, its signature), BLEU on
lowercased tokenized text the way the attention tutorials report it, and chrF.

:func:`corpus_bleu` is written out (clipped n-gram precisions, geometric mean, brevity penalty; Papineni
et al. 2002) for token lists; the tests check it against ``sacrebleu`` with its own tokenization off.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


def corpus_bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]], order: int = 4) -> float:
    """Corpus BLEU in points (0-100) of token lists against one reference each, without smoothing (the
    figure ``torchtext.data.metrics.bleu_score`` gives, as the seq2seq tutorials use)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    matches = [0] * order
    totals = [0] * order
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references):
        hyp_len += len(hyp)
        ref_len += len(ref)
        for n in range(1, order + 1):
            h = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            r = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum(min(c, r[g]) for g, c in h.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if min(matches) == 0 or hyp_len == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / order
    brevity = 1.0 if hyp_len > ref_len else math.exp(1.0 - ref_len / hyp_len)
    return 100.0 * brevity * math.exp(log_precision)


_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:%)\]}]|'s\b|n't\b|'re\b|'ve\b|'ll\b|'m\b|'d\b)")
_NO_SPACE_AFTER = re.compile(r"([(\[{]) ")


def detokenize(tokens: Sequence[str]) -> str:
    """Tokens back into running text for sacreBLEU: no space before closing punctuation and English
    clitics, none after opening brackets. (French spacing before ``?`` and ``!`` is left to sacreBLEU's
    own tokenization, which splits both again.)"""
    text = " ".join(tokens)
    text = _NO_SPACE_BEFORE.sub(r"\1", text)
    return _NO_SPACE_AFTER.sub(r"\1", text)


@dataclass
class TranslationScore:
    """Scores of a system's translations against references; BLEU and chrF in points (0-100)."""

    sacrebleu_pct: float  # sacreBLEU on detokenized output against the raw references
    sacrebleu_signature: str
    tokenized_bleu_pct: float  # BLEU on lowercased tokenized text (the tutorials' figure)
    chrf_pct: float
    sentences: int
    seconds: float
    sentences_per_second: float

    def text(self) -> str:
        return (
            f"BLEU (lowercased, tokenized) {self.tokenized_bleu_pct:.2f}\n"
            f"sacreBLEU {self.sacrebleu_pct:.2f}  {self.sacrebleu_signature}\n"
            f"chrF {self.chrf_pct:.2f}\n"
            f"{self.sentences:,} sentences in {self.seconds:.1f} s ({self.sentences_per_second:.1f} sentences/s)"
        )


def sacre_scores(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool) -> tuple[float, str, float]:
    """sacreBLEU's BLEU, its signature and chrF for detokenized ``hypotheses`` against raw ``references``."""
    from sacrebleu.metrics import BLEU, CHRF

    bleu = BLEU(lowercase=lowercase)
    score = bleu.corpus_score(list(hypotheses), [list(references)])
    chrf = CHRF(lowercase=lowercase).corpus_score(list(hypotheses), [list(references)])
    return float(score.score), str(bleu.get_signature()), float(chrf.score)
