"""Sentence vectors from word vectors: the plain mean of a sentence's known word vectors, and SIF (Arora,
Liang & Ma 2017, "A simple but tough-to-beat baseline for sentence embeddings"): each word weighted by
a / (a + p(w)), then every sentence's projection on the first principal component of the sentences removed.

SIF needs word frequencies p(w): the vector file's counts when it stores them (``.wsq``), else counts given
by the caller (a ``token<TAB>count`` vocabulary file, as ``wordseq vocab -o`` writes), else the counts of the
sentences themselves.

    from wordseq.embed import load_vectors
    from wordseq.embed.sentences import embed_sentences
    x = embed_sentences(load_vectors("vec.wsq"), ["a first sentence", "another one"], method="sif")
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wordseq.errors import WordseqError

if TYPE_CHECKING:
    from wordseq.embed.vectors import Vectors

METHODS = ("mean", "sif")


def tokens(text: str, lower: bool = False) -> list[str]:
    """The tokens of an (already tokenized) sentence: split on whitespace, lowercased if asked."""
    return (text.lower() if lower else text).split()


def sif_weights(counts: np.ndarray, a: float = 1e-3) -> np.ndarray:
    """a / (a + p(w)) for word counts (p: the count over the sum of counts)."""
    p = counts.astype(np.float64) / max(float(counts.sum()), 1.0)
    return (a / (a + p)).astype(np.float32)


def sentence_vectors(
    texts: Sequence[str],
    index: Mapping[str, int],
    matrix: np.ndarray,
    weights: np.ndarray | None = None,
    component: np.ndarray | None = None,
    lower: bool = False,
) -> np.ndarray:
    """The (weighted) mean of each text's known word vectors (zeros when none is known), minus its
    projection on ``component`` if one is given."""
    out = np.zeros((len(texts), matrix.shape[1]), dtype=np.float32)
    for i, text in enumerate(texts):
        ids = [index[t] for t in tokens(text, lower) if t in index]
        if not ids:
            continue
        rows = matrix[ids]
        if weights is None:
            out[i] = rows.mean(axis=0)
        else:
            w = weights[ids]
            out[i] = (w[:, None] * rows).sum(axis=0) / len(ids)
    if component is not None:
        out -= np.outer(out @ component, component).astype(np.float32)
    return out


def first_component(x: np.ndarray) -> np.ndarray:
    """The first right singular vector of ``x`` (SIF removes each sentence's projection on it)."""
    _, _, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    return vt[0].astype(np.float32)


def word_counts(
    vectors: Vectors, texts: Sequence[str], counts: Mapping[str, int] | None = None, lower: bool = False
) -> tuple[np.ndarray, str]:
    """Counts for the vectors' words, and where they came from: ``counts`` if given, else the vector file's,
    else the counts of ``texts``."""
    if counts is not None:
        return np.asarray([counts.get(w, 0) for w in vectors.words], dtype=np.int64), "the counts given"
    if vectors.counts is not None:
        return vectors.counts, "the vector file's counts"
    seen = Counter(t for text in texts for t in tokens(text, lower))
    return np.asarray([seen.get(w, 0) for w in vectors.words], dtype=np.int64), "the counts of the sentences"


def embed_sentences(
    vectors: Vectors,
    texts: Sequence[str],
    method: str = "mean",
    counts: Mapping[str, int] | None = None,
    sif_a: float = 1e-3,
    lower: bool = False,
) -> np.ndarray:
    """One vector per text, ``(len(texts), dim)`` float32: the mean of its known word vectors, or SIF's
    weighted mean with the first principal component of these texts removed (see the module docstring)."""
    if method not in METHODS:
        raise WordseqError(f"unknown sentence-vector method {method!r}; choose mean or sif")
    if method == "mean":
        return sentence_vectors(texts, vectors.index, vectors.vectors, lower=lower)
    c, _ = word_counts(vectors, texts, counts, lower)
    x = sentence_vectors(texts, vectors.index, vectors.vectors, sif_weights(c, sif_a), lower=lower)
    if len(texts) > 1:
        pc = first_component(x)
        x -= np.outer(x @ pc, pc).astype(np.float32)
    return x


def read_counts(path: str | os.PathLike) -> dict[str, int]:
    """Word counts from a ``token<TAB>count`` vocabulary file (``wordseq vocab -o``)."""
    from wordseq.text.vocab import Vocab

    v = Vocab.load(path, specials=())
    return dict(zip(v.itos, v.counts.tolist(), strict=True))


def write_sentence_vectors(x: np.ndarray, output: str | os.PathLike) -> Path:
    """Write sentence vectors: ``.npy`` for a numpy array, else word2vec text with the line numbers (from
    1) as keys, so that any word2vec reader (``wordseq.embed.load_vectors``, gensim) opens it."""
    from wordseq.io.atomic import atomic_write

    if os.fspath(output).endswith(".npy"):
        with atomic_write(output, "wb") as f:
            np.save(f, x)
    else:
        with atomic_write(output, "w", encoding="utf-8") as f:
            f.writelines(sentence_lines(x))
    return Path(output)


def sentence_lines(x: np.ndarray) -> Iterator[str]:
    """Sentence vectors as word2vec text lines: ``count dim``, then ``<line number> <values>``."""
    yield f"{x.shape[0]} {x.shape[1]}\n"
    for i, row in enumerate(x.tolist(), 1):
        yield f"{i} " + " ".join(f"{v:.7g}" for v in row) + "\n"
