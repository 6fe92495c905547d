"""What every word-vector estimator shares: ``fit`` input (a corpus path or an encoded corpus), ``.vectors``,
``evaluate`` on analogy and similarity files, and the vectors model file that GloVe, PPMI+SVD and count+SVD
save (kind ``vectors-<method>``: the word vectors, their counts and the model's config).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self, TypeVar, cast

from wordseq.config import Config
from wordseq.embed.evaluate import EmbeddingEvaluation
from wordseq.embed.formats import read_vectors, write_vectors
from wordseq.embed.vectors import Vectors
from wordseq.errors import InputError, WordseqError
from wordseq.estimator import Estimator, LayerInfo, ModelSummary
from wordseq.text.encode import Encoded
from wordseq.text.tokenize import Tokenizer

C = TypeVar("C", bound=Config)
Corpus = str | os.PathLike | Sequence[str | os.PathLike] | Encoded


class VectorModel(Estimator[C]):
    """Base of the word-vector estimators; subclasses implement ``fit`` and ``_layers``."""

    def __init__(self, config: C | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.vectors: Vectors | None = None  # the word vectors, once fitted or loaded
        self.provenance: dict[str, Any] = {}  # where the model came from (corpus, tokenizer), saved with it

    # -- training input --------------------------------------------------------------------------
    def _encode(self, data: Corpus, valid: Any, tokenizer: Tokenizer | None, kwargs: dict[str, Any]) -> Encoded:
        """``data`` as an encoded corpus: an :class:`Encoded` as it is, a path (paths, directory, glob, ``-``)
        encoded with ``tokenizer`` (whitespace by default) and the config's ``min_count`` and ``max_vocab``."""
        if kwargs:
            raise TypeError(f"{type(self).__name__}.fit got an unexpected argument {next(iter(kwargs))!r}")
        if valid is not None:
            raise WordseqError(f"{type(self).__name__}.fit takes no validation data; evaluate() scores vectors")
        if isinstance(data, Encoded):
            return data
        from wordseq.text.encode import encode_corpus

        cfg = cast(Any, self.config)
        tok = tokenizer or Tokenizer()
        paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
        self.provenance = {"corpus": [os.fspath(p) for p in paths], "tokenizer": tok.config()}
        return encode_corpus(data, tok, min_count=cfg.min_count, max_size=cfg.max_vocab)

    def _fitted(self) -> Vectors:
        if self.vectors is None:
            raise WordseqError(f"this {type(self).__name__} model has not been trained (call fit first)")
        return self.vectors

    # -- evaluation ------------------------------------------------------------------------------
    def evaluate(
        self,
        analogies: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        similarity: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        *,
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        method: str = "3cosadd",
    ) -> EmbeddingEvaluation:
        """Analogy accuracy and similarity correlations on the given files, by gensim's rules."""
        vectors = self._fitted()
        result = EmbeddingEvaluation()
        for path in _paths(analogies):
            result.analogies[os.fspath(path)] = vectors.evaluate_analogies(
                path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive, method=method
            )
        for path in _paths(similarity):
            result.similarity[os.fspath(path)] = vectors.evaluate_similarity(
                path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
            )
        return result

    # -- model files -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the vectors model file (kind ``self.kind``: vectors, counts, config, history); returns the path."""
        v = self._fitted()
        return write_vectors(
            path,
            v.words,
            v.vectors,
            v.counts,
            "wsq",
            kind=self.kind,
            config=self.config.to_dict(),
            provenance={**self.provenance, "history": self.history},
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Read a model file written by :meth:`save` (never executes code from it)."""
        data = read_vectors(path, "wsq")
        if data.kind != cls.kind:
            raise InputError(path, f"a {data.kind!r} model file, not {cls.kind!r}")
        model = cls(cast(C, cls.config_class.from_dict(data.config)))
        model.vectors = Vectors.from_data(data)
        model.history = list(data.provenance.get("history", []))
        model.provenance = {k: v for k, v in data.provenance.items() if k != "history"}
        return model

    # -- summary ---------------------------------------------------------------------------------
    def _layers(self) -> list[LayerInfo]:
        v = self._fitted()
        return [LayerInfo("word vectors", "Embedding", f"{len(v)} x {v.dim}", len(v) * v.dim)]

    def summary(self) -> ModelSummary:
        """Kind, configuration, vocabulary size, the layer table and the last epoch's figures."""
        v = self._fitted()
        metrics = dict(self.history[-1]) if self.history else {}
        return ModelSummary(
            self.kind,
            self.config.to_dict(),
            vocab_size=len(v),
            layers=self._layers(),
            provenance=dict(self.provenance),
            metrics=metrics,
        )


def _paths(x: str | os.PathLike | Sequence[str | os.PathLike] | None) -> list[str | os.PathLike]:
    if x is None:
        return []
    if isinstance(x, (str, os.PathLike)):
        return [x]
    return list(x)
