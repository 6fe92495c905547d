"""Jackknifed tags: each fold of a CoNLL-U training set tagged by a tagger trained on the other folds.

A parser trained on gold tags learns to trust them and loses several points on a tagger's tags; trained on
jackknifed tags it sees training tags exactly as noisy as the ones it will get on new text (Collins & Koo
2005; the usual recipe for the Penn Treebank and UD parsers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wordseq.errors import WordseqError
from wordseq.tag.formats import CONLLU_TAG_COLUMNS, TaggedSentence, conllu_inputs, from_conllu, with_tags
from wordseq.tag.model import Tagger
from wordseq.text.conllu import Sentence


def fold_bounds(n: int, folds: int) -> list[tuple[int, int]]:
    """``folds`` contiguous ``[start, end)`` ranges covering ``range(n)``, sizes differing by at most one."""
    if folds < 2:
        raise WordseqError(f"jackknifing needs at least 2 folds, not {folds}")
    if n < folds:
        raise WordseqError(f"{n} sentences cannot be split into {folds} folds")
    q, r = divmod(n, folds)
    bounds, start = [], 0
    for k in range(folds):
        end = start + q + (1 if k < r else 0)
        bounds.append((start, end))
        start = end
    return bounds


def tag_fold(
    sentences: Sequence[Sentence],
    fold: int,
    folds: int,
    make_tagger: Callable[[], Tagger],
    valid: Sequence[TaggedSentence] | None = None,
    log: Any = None,
) -> tuple[list[Sentence], dict[str, float]]:
    """Fold ``fold``'s sentences, copied, with the tag columns of a tagger trained on the other folds, and
    that tagger's accuracy per column on the fold (against the gold tags it replaced)."""
    tagger = make_tagger()
    columns = list(tagger.config.columns)
    bad = [c for c in columns if c not in CONLLU_TAG_COLUMNS]
    if bad:
        raise WordseqError(f"jackknifing fills CoNLL-U columns; the tagger predicts {', '.join(bad)}")
    start, end = fold_bounds(len(sentences), folds)[fold]
    rest = list(sentences[:start]) + list(sentences[end:])
    inputs = list(tagger.config.features)
    tagger.fit(from_conllu(rest, [*columns, *inputs]), valid=valid, log=log)
    held = sentences[start:end]
    predicted = tagger.predict([s.forms for s in held], features=conllu_inputs(held, inputs))
    tagged = with_tags(held, predicted, columns)
    return tagged, accuracy(held, tagged, columns)


def accuracy(gold: Sequence[Sentence], tagged: Sequence[Sentence], columns: Sequence[str]) -> dict[str, float]:
    """Per column, the share of words whose tag in ``tagged`` equals the one in ``gold`` (same sentences)."""
    total = max(sum(len(s) for s in gold), 1)
    return {
        c: sum(g == p for s, t in zip(gold, tagged, strict=True) for g, p in zip(s.column(c), t.column(c))) / total
        for c in columns
    }


def jackknife(
    sentences: Sequence[Sentence],
    make_tagger: Callable[[], Tagger],
    folds: int = 10,
    valid: Sequence[TaggedSentence] | None = None,
    log: Any = None,
) -> tuple[list[Sentence], list[dict[str, float]]]:
    """All the sentences with jackknifed tags (in their order), and each fold's tagger accuracy."""
    tagged: list[Sentence] = []
    scores = []
    for k in range(folds):
        part, score = tag_fold(sentences, k, folds, make_tagger, valid=valid, log=log)
        tagged += part
        scores.append(score)
    return tagged, scores
