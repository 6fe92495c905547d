"""Attachment scores as the CoNLL 2018 shared task computes them (``conll18_ud_eval.py``, gold tokenization).

UAS is the share of words whose head is right; LAS the share whose head and universal relation are right: the
relation's language-specific subtype after ``:`` is ignored (``nmod:poss`` counts as ``nmod``). Every
syntactic word counts, punctuation included; multiword-token and empty-node lines are not words. Also per
gold relation (recall of the labelled arc) and by sentence length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

LENGTH_BINS = ((1, 10), (11, 20), (21, 30), (31, 40), (41, 10**9))


def universal(deprel: str) -> str:
    """The universal part of a UD relation: ``nmod:poss`` -> ``nmod``."""
    return deprel.split(":", 1)[0]


@dataclass
class ParseScore:
    """Attachment scores (fractions in [0, 1]) over ``words`` words of ``sentences`` sentences."""

    uas: float
    las: float
    words: int
    sentences: int
    per_relation: dict[str, dict[str, float]] = field(default_factory=dict)  # gold relation -> words, uas, las
    by_length: dict[str, dict[str, float]] = field(default_factory=dict)  # "1-10" -> sentences, words, uas, las

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """A plain-text report: the totals, then per relation and by sentence length."""
        lines = [
            f"UAS {100 * self.uas:.2f}  LAS {100 * self.las:.2f}  ({self.words:,} words, {self.sentences:,} sentences)"
        ]
        lines += ["", f"{'relation':<12} {'words':>7} {'UAS':>7} {'LAS':>7}"]
        for rel, r in sorted(self.per_relation.items(), key=lambda kv: -kv[1]["words"]):
            lines.append(f"{rel:<12} {int(r['words']):>7} {100 * r['uas']:>7.2f} {100 * r['las']:>7.2f}")
        lines += ["", f"{'length':<12} {'sents':>7} {'UAS':>7} {'LAS':>7}"]
        for span, r in self.by_length.items():
            lines.append(f"{span:<12} {int(r['sentences']):>7} {100 * r['uas']:>7.2f} {100 * r['las']:>7.2f}")
        return "\n".join(lines)


def _bin(n: int) -> str:
    for lo, hi in LENGTH_BINS:
        if lo <= n <= hi:
            return f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
    return "0"


def attachment_scores(
    gold: Iterable[tuple[Sequence[int], Sequence[str]]], predicted: Iterable[tuple[Sequence[int], Sequence[str]]]
) -> ParseScore:
    """Score predicted trees against gold ones; each tree is (heads, relations) over words 1..n (``heads[k]`` is
    the head of word k+1, 0 for ROOT)."""
    words = sentences = uas = las = 0
    rel: dict[str, list[int]] = {}
    length: dict[str, list[int]] = {}
    for (gh, gr), (ph, pr) in zip(gold, predicted, strict=True):
        if len(gh) != len(ph):
            raise ValueError(f"sentence {sentences + 1}: {len(gh)} gold words but {len(ph)} predicted")
        sentences += 1
        b = length.setdefault(_bin(len(gh)), [0, 0, 0, 0])
        b[0] += 1
        for h, r, h2, r2 in zip(gh, gr, ph, pr):
            u = int(h == h2)
            lab = int(u and universal(r) == universal(r2))
            words += 1
            uas += u
            las += lab
            c = rel.setdefault(universal(r), [0, 0, 0])
            c[0] += 1
            c[1] += u
            c[2] += lab
            b[1] += 1
            b[2] += u
            b[3] += lab
    per_relation = {k: {"words": v[0], "uas": v[1] / v[0], "las": v[2] / v[0]} for k, v in rel.items()}
    order = [_bin(lo) for lo, _ in LENGTH_BINS]
    by_length = {
        k: {
            "sentences": length[k][0],
            "words": length[k][1],
            "uas": length[k][2] / length[k][1],
            "las": length[k][3] / length[k][1],
        }
        for k in order
        if k in length
    }
    return ParseScore(uas / max(words, 1), las / max(words, 1), words, sentences, per_relation, by_length)
