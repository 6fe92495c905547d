"""``Vectors``: words and their vectors, queried the way gensim's ``KeyedVectors`` users expect.

Cosine similarity throughout, computed against a cached unit-normalized copy of the matrix. The names follow
gensim (``most_similar``, ``similarity``, ``doesnt_match``, ``similar_by_vector``, ``most_similar_cosmul``) so
that code written for gensim reads the same; ``analogy(a, b, c)`` answers "a is to b as c is to ?" with
3CosAdd or 3CosMul (Levy & Goldberg 2014). Evaluation on analogy and similarity test sets lives in
:mod:`wordseq.embed.evaluate`; reading and writing files in :mod:`wordseq.embed.formats`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.embed.evaluate import AnalogyResult, SimilarityResult, evaluate_analogies, evaluate_similarity
from wordseq.embed.formats import VectorData, read_vectors, write_vectors
from wordseq.errors import WordseqError

Query = str | np.ndarray


class UnknownWordError(WordseqError, KeyError):
    """A query word that is not in the vocabulary (a ``KeyError`` too, as in gensim)."""

    def __init__(self, word: str) -> None:
        super().__init__(f"word {word!r} is not in the vocabulary")
        self.word = word

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _as_list(x: Query | Iterable[Query] | None) -> list[Query]:
    if x is None:
        return []
    if isinstance(x, (str, np.ndarray)):
        return [x]
    return list(x)


class Vectors:
    """A word list and a float32 matrix with one row per word (``counts`` optional, in the same order).

    Rows are expected in falling frequency order (as every wordseq trainer writes them), which is what
    ``restrict_vocab`` relies on: it keeps the first rows.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but a matrix of shape {vectors.shape}")
        self.words = list(words)
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        if self.counts is not None and self.counts.shape != (len(self.words),):
            raise ValueError(f"{len(words)} words but {self.counts.shape} counts")
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            seen: set[str] = set()
            dup = next(w for w in self.words if w in seen or seen.add(w))  # type: ignore[func-returns-value]
            raise WordseqError(f"the word {dup!r} appears twice")
        self._norms: np.ndarray | None = None
        self._unit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.id(word)]

    def __repr__(self) -> str:
        return f"Vectors({len(self)} words, dim {self.dim})"

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    # -- lookups --------------------------------------------------------------------------------
    def id(self, word: str) -> int:
        """Row of ``word``; an :class:`UnknownWordError` naming it if it is not in the vocabulary."""
        i = self.index.get(word)
        if i is None:
            raise UnknownWordError(word)
        return i

    @property
    def norms(self) -> np.ndarray:
        """L2 norm of every row (cached)."""
        if self._norms is None:
            self._norms = np.linalg.norm(self.vectors, axis=1).astype(np.float32)
        return self._norms

    @property
    def unit(self) -> np.ndarray:
        """The unit-normalized matrix (cached; zero rows stay zero)."""
        if self._unit is None:
            n = self.norms.copy()
            n[n == 0] = 1.0
            self._unit = self.vectors / n[:, None]
        return self._unit

    def fill_norms(self, force: bool = False) -> None:
        """Recompute the cached norms and unit vectors (after changing ``vectors`` in place)."""
        if force or self._norms is None:
            self._norms = None
            self._unit = None
            _ = self.unit

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        i = self.id(word)
        return self.unit[i] if norm else self.vectors[i]

    def _query_vector(self, q: Query, norm: bool = True) -> np.ndarray:
        if isinstance(q, str):
            return self.get_vector(q, norm=norm)
        q = np.asarray(q, dtype=np.float32)
        if q.shape != (self.dim,):
            raise WordseqError(f"a query vector must have shape ({self.dim},), got {q.shape}")
        return q

    # -- similarity -----------------------------------------------------------------------------
    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        return float(np.dot(self.unit[self.id(w1)], self.unit[self.id(w2)]))

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine similarity of the means of two word lists."""
        a = self.unit[[self.id(w) for w in ws1]].mean(axis=0)
        b = self.unit[[self.id(w) for w in ws2]].mean(axis=0)
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) or 1.0))

    def _top(self, scores: np.ndarray, topn: int, exclude: Iterable[int]) -> list[tuple[str, float]]:
        exclude = set(exclude)
        k = min(len(scores), topn + len(exclude))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best.tolist() if i not in exclude][:topn]

    def most_similar(
        self,
        positive: Query | Iterable[Query] | None = None,
        negative: Query | Iterable[Query] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words nearest (cosine) to the mean of the unit ``positive`` vectors minus the
        ``negative`` ones, as ``(word, similarity)``; the query words themselves are left out.
        Queries are words or vectors; ``restrict_vocab`` searches only the first rows."""
        pos, neg = _as_list(positive), _as_list(negative)
        if not pos and not neg:
            raise WordseqError("most_similar needs at least one positive or negative word")
        if topn < 1:
            return []
        mean = np.zeros(self.dim, dtype=np.float32)
        for q in pos:
            mean += self._query_vector(q)
        for q in neg:
            mean -= self._query_vector(q)
        mean /= len(pos) + len(neg)
        exclude = [self.index[q] for q in pos + neg if isinstance(q, str)]
        return self.similar_by_vector(mean, topn, restrict_vocab, exclude=exclude)

    def similar_by_vector(
        self, vector: np.ndarray, topn: int = 10, restrict_vocab: int | None = None, exclude: Iterable[int] = ()
    ) -> list[tuple[str, float]]:
        """The ``topn`` words nearest (cosine) to any vector."""
        v = self._query_vector(vector)
        n = float(np.linalg.norm(v))
        unit = self.unit[:restrict_vocab] if restrict_vocab else self.unit
        scores = unit @ (v / n if n > 0 else v)
        return self._top(scores, topn, exclude)

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """The ``topn`` nearest neighbours of a word."""
        return self.most_similar([word], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(
        self,
        positive: Query | Iterable[Query] | None = None,
        negative: Query | Iterable[Query] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """3CosMul (Levy & Goldberg 2014, eq. 4; cosines shifted to [0, 1]): the product of the similarities
        to the positive words over the product of those to the negative ones (+1e-6)."""
        pos, neg = _as_list(positive), _as_list(negative)
        if not pos:
            raise WordseqError("most_similar_cosmul needs at least one positive word")
        if topn < 1:
            return []
        unit = self.unit[:restrict_vocab] if restrict_vocab else self.unit
        scores = np.ones(len(unit), dtype=np.float32)
        for q in pos:
            v = self._query_vector(q)
            scores *= (1 + unit @ (v / (np.linalg.norm(v) or 1.0))) / 2
        denom = np.ones(len(unit), dtype=np.float32)
        for q in neg:
            v = self._query_vector(q)
            denom *= (1 + unit @ (v / (np.linalg.norm(v) or 1.0))) / 2
        scores = scores / (denom + 1e-6) if neg else scores
        exclude = [self.index[q] for q in pos + neg if isinstance(q, str)]
        return self._top(scores, topn, exclude)

    def analogy(
        self, a: str, b: str, c: str, method: str = "3cosadd", topn: int = 1, restrict_vocab: int | None = None
    ) -> list[tuple[str, float]]:
        """ "``a`` is to ``b`` as ``c`` is to ?": the ``topn`` answers, ``a``, ``b`` and ``c`` excluded.
        ``method`` is ``3cosadd`` (b - a + c, the vector offset) or ``3cosmul``."""
        method = method.lower()
        if method == "3cosadd":
            return self.most_similar([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        if method == "3cosmul":
            return self.most_similar_cosmul([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        raise WordseqError(f"unknown analogy method {method!r} (choose 3cosadd or 3cosmul)")

    def rank_by_centrality(self, words: Sequence[str]) -> list[tuple[float, str]]:
        """``(cosine to the mean, word)`` for each word, most central first."""
        if not words:
            raise WordseqError("rank_by_centrality needs at least one word")
        unit = self.unit[[self.id(w) for w in words]]
        mean = unit.mean(axis=0)
        mean /= np.linalg.norm(mean) or 1.0
        dists = unit @ mean
        order = np.argsort(-dists, kind="stable")
        return [(float(dists[i]), words[i]) for i in order]

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest (cosine) from the mean of all of them."""
        return self.rank_by_centrality(list(words))[-1][1]

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate_analogies(
        self,
        path: str | os.PathLike,
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        method: str = "3cosadd",
    ) -> AnalogyResult:
        """Accuracy on a Google-format analogy file, by gensim's rules; see
        :func:`wordseq.embed.evaluate.evaluate_analogies`."""
        return evaluate_analogies(
            self, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive, method=method
        )

    def evaluate_similarity(
        self, path: str | os.PathLike, restrict_vocab: int = 300000, case_insensitive: bool = True
    ) -> SimilarityResult:
        """Spearman and Pearson correlation with human similarity scores; see
        :func:`wordseq.embed.evaluate.evaluate_similarity`."""
        return evaluate_similarity(self, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)

    # -- files ----------------------------------------------------------------------------------
    @classmethod
    def from_data(cls, data: VectorData) -> Vectors:
        """Vectors from what a reader of :mod:`wordseq.embed.formats` returns."""
        return cls(data.words, data.matrix, data.counts)

    def save(self, path: str | os.PathLike, format: str | None = None, **kwargs: Any) -> Path:
        """Write the vectors (format from the suffix unless given) and return the path; ``kwargs`` go to
        :func:`wordseq.embed.formats.write_vectors` (``config``, ``provenance`` for ``.wsq``)."""
        return write_vectors(path, self.words, self.vectors, self.counts, format, **kwargs)

    @classmethod
    def load(cls, path: str | os.PathLike, format: str | None = None, **kwargs: Any) -> Vectors:
        """Read vectors from any supported file (a classmethod, not training); see
        :mod:`wordseq.embed.formats`."""
        return cls.from_data(read_vectors(path, format, **kwargs))


def load_vectors(
    path: str | os.PathLike, format: str | None = None, metadata: str | os.PathLike | None = None
) -> Vectors:
    """Read vectors in any supported format (guessed from the suffix and the first line unless given)."""
    return Vectors.load(path, format, metadata=metadata)


def save_vectors(vectors: Vectors, path: str | os.PathLike, format: str | None = None, **kwargs: Any) -> Path:
    """Write ``vectors`` to ``path`` (as :meth:`Vectors.save`); returns the path."""
    return vectors.save(path, format, **kwargs)
