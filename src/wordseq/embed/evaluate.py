"""Evaluating word vectors the way the field does: Google analogies and word-similarity correlations.

The rules are gensim's (``KeyedVectors.evaluate_word_analogies`` / ``evaluate_word_pairs``), so the same
vectors get exactly the same score:

- only the first ``restrict_vocab`` words (300,000 by default) count; with ``case_insensitive`` every word is
  compared upper-cased and a word stands for the first (most frequent) of its case variants;
- a question with a word outside those is skipped and counted as out-of-vocabulary;
- analogies use 3CosAdd over unit vectors; the answer is the best of the top 5 that is none of a, b, c.

Malformed lines follow gensim's convention too: they are **skipped and counted** (``invalid``, with the
first such line number in ``first_invalid``), except an analogy question before any ``: section`` line,
which is an error naming the file and line. Blank lines and, in similarity files, ``#`` comments are skipped
without being counted.

Analogies are scored in batches: one matrix product per batch of questions instead of one matrix-vector
product per question, which is where the speed over gensim comes from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.io.inputs import read_lines


class VectorsLike(Protocol):
    """What evaluation needs of word vectors (:class:`wordseq.embed.Vectors` has it): words in row order,
    the matrix, its row norms and its unit-normalized copy."""

    words: list[str]
    vectors: np.ndarray

    @property
    def norms(self) -> np.ndarray: ...

    @property
    def unit(self) -> np.ndarray: ...


@dataclass
class AnalogySection:
    name: str
    correct: int = 0
    total: int = 0  # questions evaluated (out-of-vocabulary ones are not)
    oov: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class AnalogyResult:
    """Per-section and total accuracy; ``oov`` questions were skipped, ``invalid`` lines too."""

    sections: list[AnalogySection]
    method: str = "3cosadd"
    invalid: int = 0
    first_invalid: int | None = None
    predictions: list[tuple[str, str, str, str, str]] = field(default_factory=list, repr=False)

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def oov(self) -> int:
        return sum(s.oov for s in self.sections)

    @property
    def questions(self) -> int:
        return self.total + self.oov

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def oov_ratio(self) -> float:
        return self.oov / self.questions if self.questions else 0.0

    def semantic_syntactic(self) -> tuple[float, float]:
        """Accuracy over the semantic sections and over the ``gram*`` (syntactic) ones."""
        sem = [s for s in self.sections if not s.name.startswith("gram")]
        syn = [s for s in self.sections if s.name.startswith("gram")]
        acc = lambda ss: sum(s.correct for s in ss) / max(1, sum(s.total for s in ss))
        return acc(sem), acc(syn)

    def report(self) -> list[str]:
        lines = [f"{s.name:<30} {100 * s.accuracy:6.2f}%  ({s.correct}/{s.total})" for s in self.sections]
        sem, syn = self.semantic_syntactic()
        lines.append(f"{'semantic':<30} {100 * sem:6.2f}%")
        lines.append(f"{'syntactic':<30} {100 * syn:6.2f}%")
        lines.append(
            f"{'total (' + self.method + ')':<30} {100 * self.accuracy:6.2f}%  ({self.correct}/{self.total}), "
            f"{self.oov} of {self.questions} questions skipped as out-of-vocabulary"
        )
        if self.invalid:
            lines.append(f"{self.invalid} malformed lines skipped (the first at line {self.first_invalid})")
        return lines


@dataclass
class SimilarityResult:
    """Spearman and Pearson correlation with the human scores over the ``pairs`` with both words known."""

    spearman: float
    pearson: float
    pairs: int
    oov: int
    invalid: int = 0
    first_invalid: int | None = None

    @property
    def oov_ratio(self) -> float:
        """Fraction of the pairs skipped for an unknown word (gensim reports this times 100)."""
        return self.oov / (self.pairs + self.oov) if self.pairs + self.oov else 0.0

    def report(self, name: str = "") -> str:
        extra = f", {self.invalid} malformed lines skipped" if self.invalid else ""
        return (
            f"{name + ': ' if name else ''}Spearman {self.spearman:.4f}  Pearson {self.pearson:.4f}  "
            f"({self.pairs} pairs, {self.oov} out-of-vocabulary = {100 * self.oov_ratio:.1f}%{extra})"
        )


def _ok_vocab(vectors: VectorsLike, restrict_vocab: int, case_insensitive: bool) -> tuple[dict[str, int], np.ndarray]:
    """gensim's ``ok_vocab`` (key -> row of its first variant) and, per row, the row its key maps to."""
    words = vectors.words[:restrict_vocab]
    keys = [w.upper() for w in words] if case_insensitive else words
    ok: dict[str, int] = {}
    for i, k in enumerate(keys):
        ok.setdefault(k, i)
    canon = np.fromiter((ok[k] for k in keys), dtype=np.int64, count=len(keys))
    return ok, canon


def read_analogies(path: str | os.PathLike, case_insensitive: bool = True):
    """``(sections, invalid_lines)``: sections as ``(name, [(a, b, c, expected, line_no)])``."""
    sections: list[tuple[str, list[tuple[str, str, str, str, int]]]] = []
    invalid: list[int] = []
    for n, line in read_lines(path):
        if line.startswith(": "):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        parts = line.split()
        if not parts:
            continue
        if not sections:
            raise InputError(path, "an analogy question before any ': section' line", n)
        if len(parts) != 4:
            invalid.append(n)
            continue
        if case_insensitive:
            parts = [p.upper() for p in parts]
        sections[-1][1].append((parts[0], parts[1], parts[2], parts[3], n))
    if not sections:
        raise InputError(path, "no ': section' lines: not a Google-format analogy file")
    return sections, invalid


def evaluate_analogies(
    vectors: VectorsLike,
    path: str | os.PathLike,
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
    method: str = "3cosadd",
    batch_size: int | None = None,
    keep_predictions: bool = False,
) -> AnalogyResult:
    """Accuracy on a Google-format analogy file ("a b c d" lines under ": section" lines).

    With ``method="3cosadd"`` the result equals gensim's ``evaluate_word_analogies`` on the same vectors.
    ``3cosmul`` scores the same candidates by Levy & Goldberg's multiplicative objective. Malformed lines
    (not four words) are skipped and counted, as in gensim.
    """
    method = method.lower()
    if method not in ("3cosadd", "3cosmul"):
        raise WordseqError(f"unknown analogy method {method!r} (choose 3cosadd or 3cosmul)")
    from wordseq.embed._topk_kernel import top_k  # numba: loaded on first use

    sections, invalid = read_analogies(path, case_insensitive)
    ok, canon = _ok_vocab(vectors, restrict_vocab, case_insensitive)
    R = len(canon)
    result = AnalogyResult([], method, len(invalid), invalid[0] if invalid else None)
    questions = []  # (section index, a, b, c, expected) rows of ok indices
    for si, (name, qs) in enumerate(sections):
        sec = AnalogySection(name)
        result.sections.append(sec)
        for a, b, c, d, _ in qs:
            if a in ok and b in ok and c in ok and d in ok:
                questions.append((si, ok[a], ok[b], ok[c], ok[d]))
                sec.total += 1
            else:
                sec.oov += 1
    if not questions or R == 0:
        return result
    q = np.array(questions, dtype=np.int64)
    vec = vectors.vectors[:R]
    norms = vectors.norms[:R]
    safe = np.where(norms > 0, norms, 1).astype(np.float32)
    unit = vec / safe[:, None]
    if batch_size is None:  # keep a batch's score matrix near 128 MB
        batch_size = max(1, min(len(q), (1 << 25) // max(R, 1)))
    correct = np.zeros(len(q), dtype=bool)
    chosen_all = np.zeros(len(q), dtype=np.int64)
    for start in range(0, len(q), batch_size):
        qa, qb, qc, qd = (q[start : start + batch_size, k] for k in range(1, 5))
        if method == "3cosadd":
            # gensim: mean of the unit vectors (+b +c -a) in float32, divided by 3, unit-normalized
            mean = (unit[qb] + unit[qc]) - unit[qa]
            mean = mean.astype(np.float64) / 3.0
            nrm = np.linalg.norm(mean, axis=1, keepdims=True)
            mean = (mean * (1.0 / np.where(nrm > 0, nrm, 1.0))).astype(np.float32)
            scores = mean @ vec.T  # (batch, R), C order: rows are contiguous for the top-k scan
            scores /= safe
        else:

            def sims(idx):  # cosines shifted to [0, 1], in place
                s = unit[idx] @ vec.T
                s /= safe
                s += 1
                s *= 0.5
                return s

            scores = sims(qb)
            scores *= sims(qc)
            denom = sims(qa)
            denom += 1e-6
            scores /= denom
            del denom
        rows = np.arange(len(qa))
        for idx in (qa, qb, qc):  # the question words are never answers
            scores[rows, idx] = -np.inf
        top = np.empty((len(qa), 5), dtype=np.int64)
        top_k(scores, 5, top)
        missing = top < 0  # fewer than 5 candidates: a tiny vocabulary
        top[missing] = 0
        keys = canon[top]  # a case variant of a question word is skipped too
        ignored = (keys == qa[:, None]) | (keys == qb[:, None]) | (keys == qc[:, None]) | missing
        first = np.where(ignored.all(axis=1), top.shape[1] - 1, np.argmax(~ignored, axis=1))
        pick = keys[rows, first]
        correct[start : start + len(qa)] = pick == qd
        chosen_all[start : start + len(qa)] = top[rows, first]
    counts = np.bincount(q[:, 0], weights=correct, minlength=len(sections))
    for sec, c in zip(result.sections, counts):
        sec.correct = int(c)
    if keep_predictions:
        w = vectors.words
        result.predictions = [
            (w[a], w[b], w[c], w[d], w[p]) for (_, a, b, c, d), p in zip(q.tolist(), chosen_all.tolist())
        ]
    return result


def read_similarity(path: str | os.PathLike, case_insensitive: bool = True, delimiter: str = "\t"):
    """``(pairs, invalid_lines)``: pairs as ``(word1, word2, score, line_no)``."""
    pairs: list[tuple[str, str, float, int]] = []
    invalid: list[int] = []
    for n, line in read_lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        try:
            if len(parts) != 3:
                raise ValueError
            a, b, s = parts
            score = float(s)
        except ValueError:
            invalid.append(n)
            continue
        if case_insensitive:
            a, b = a.upper(), b.upper()
        pairs.append((a, b, score, n))
    return pairs, invalid


def evaluate_similarity(
    vectors: VectorsLike,
    path: str | os.PathLike,
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
    delimiter: str = "\t",
) -> SimilarityResult:
    """Spearman and Pearson correlation between cosine similarity and the human scores of a
    ``word1<TAB>word2<TAB>score`` file; pairs with an unknown word are skipped and counted, malformed lines
    too. Equals gensim's ``evaluate_word_pairs`` on the same vectors."""
    from scipy import stats

    pairs, invalid = read_similarity(path, case_insensitive, delimiter)
    ok, _ = _ok_vocab(vectors, restrict_vocab, case_insensitive)
    gold, model = [], []
    oov = 0
    unit = vectors.unit
    for a, b, score, _ in pairs:
        if a not in ok or b not in ok:
            oov += 1
            continue
        gold.append(score)
        model.append(float(np.dot(unit[ok[a]], unit[ok[b]])))
    if len(gold) < 2:
        raise InputError(
            path,
            f"only {len(gold)} pairs with both words known ({oov} out of vocabulary, "
            f"{len(invalid)} malformed lines): nothing to correlate",
        )
    spearman = float(stats.spearmanr(gold, model)[0])
    pearson = float(stats.pearsonr(gold, model)[0])
    return SimilarityResult(spearman, pearson, len(gold), oov, len(invalid), invalid[0] if invalid else None)


@dataclass
class EmbeddingEvaluation:
    """What a word-vector model's ``evaluate`` returns: one analogy result per analogy file and one
    similarity result per similarity file, keyed by the file name as given."""

    analogies: dict[str, AnalogyResult] = field(default_factory=dict)
    similarity: dict[str, SimilarityResult] = field(default_factory=dict)

    def report(self) -> list[str]:
        lines: list[str] = []
        for name, a in self.analogies.items():
            lines.append(name)
            lines += ["  " + line for line in a.report()[len(a.sections) :]]
        lines += [s.report(name) for name, s in self.similarity.items()]
        return lines
