"""A fastText-style supervised classifier (Joulin et al. 2016): the mean of word and hashed word-n-gram
embeddings into a linear softmax, trained by the compiled kernel in :mod:`wordseq.classify._ft_kernel`.

As in fastText, every text ends with ``</s>``, words below ``min_count`` are dropped (their n-grams are
still hashed), and an n-gram's bucket comes from the FNV-1a hashes of its words combined the way fastText
combines them, so the bucket of an n-gram does not depend on the vocabulary.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from wordseq.classify.base import KIND_PREFIX, Classifier, softmax
from wordseq.classify.data import LabelledData, tokens
from wordseq.config import Config
from wordseq.estimator import LayerInfo, ModelSummary

EOS = "</s>"
_MASK64 = (1 << 64) - 1


def fnv1a(word: str) -> int:
    """fastText's 32-bit FNV-1a hash of a word's UTF-8 bytes (bytes taken as signed, as fastText does)."""
    h = 2166136261
    for b in word.encode("utf-8"):
        h ^= (b - 256 if b > 127 else b) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


@dataclass
class FastTextConfig(Config):
    """fastText's supervised settings: ``dim``, ``lr``, ``epochs``, word n-grams up to ``word_ngrams``
    hashed into ``buckets`` rows, words kept at ``min_count``, ``threads`` (Hogwild; 1 is deterministic)."""

    dim: int = 100
    lr: float = 0.1
    epochs: int = 5
    word_ngrams: int = 2
    buckets: int = 2_000_000
    min_count: int = 1
    lower: bool = False
    threads: int = 1
    seed: int = 0

    def validate(self) -> None:
        self.check_range("dim", lo=1, integer=True)
        self.check_range("lr", lo=0.0, lo_open=True)
        self.check_range("epochs", lo=1, integer=True)
        self.check_range("word_ngrams", lo=1, hi=5, integer=True)
        self.check_range("buckets", lo=0, integer=True)
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("threads", lo=1, integer=True)


class _Words:
    def __init__(self, itos: list[str], counts: np.ndarray) -> None:
        self.itos, self.counts, self.specials = itos, counts, ()


class FastTextClassifier(Classifier):
    """Averaged word and word-n-gram embeddings into a softmax over the labels."""

    kind: ClassVar[str] = f"{KIND_PREFIX}-fasttext"
    config_class: ClassVar[type[Config]] = FastTextConfig
    config: FastTextConfig

    def __init__(self, config: FastTextConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.words: list[str] = []
        self.word_counts = np.zeros(0, dtype=np.int64)
        self.index: dict[str, int] = {}
        self.input = np.zeros((0, self.config.dim), dtype=np.float32)
        self.output = np.zeros((0, self.config.dim), dtype=np.float32)

    def encode(self, texts: list[str] | Any) -> tuple[np.ndarray, np.ndarray]:
        """Input rows of each text, flattened, and the offsets into them: word ids, then n-gram buckets."""
        cfg = self.config
        nwords = len(self.words)
        hashes: dict[str, int] = {}
        flat: list[int] = []
        offsets = [0]
        for text in texts:
            toks = tokens(text, cfg.lower) + [EOS]
            hs = []
            for t in toks:
                h = hashes.get(t)
                if h is None:
                    h = hashes[t] = fnv1a(t)
                hs.append(h)
                i = self.index.get(t)
                if i is not None:
                    flat.append(i)
            if cfg.buckets:
                for a in range(len(hs)):
                    h = hs[a]
                    for b in range(a + 1, min(a + cfg.word_ngrams, len(hs))):
                        h = (h * 116049371 + hs[b]) & _MASK64
                        flat.append(nwords + h % cfg.buckets)
            offsets.append(len(flat))
        return np.asarray(flat, dtype=np.int64), np.asarray(offsets, dtype=np.int64)

    def _fit(self, train: LabelledData, dev: LabelledData | None, **kwargs: Any) -> None:
        import numba

        from wordseq.classify import _ft_kernel

        cfg = self.config
        counts: Counter[str] = Counter()
        for text in train.texts:
            counts.update(tokens(text, cfg.lower))
            counts[EOS] += 1
        kept = [(w, c) for w, c in counts.items() if c >= cfg.min_count]
        kept.sort(key=lambda wc: -wc[1])
        self.words = [w for w, _ in kept]
        self.word_counts = np.asarray([c for _, c in kept], dtype=np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}
        rng = np.random.default_rng(cfg.seed)
        rows = len(self.words) + cfg.buckets
        self.input = rng.uniform(-1.0 / cfg.dim, 1.0 / cfg.dim, size=(rows, cfg.dim)).astype(np.float32)
        self.output = np.zeros((len(self.labels), cfg.dim), dtype=np.float32)
        flat, offsets = self.encode(train.texts)
        y = self._label_ids(train.labels)
        orders = np.stack([rng.permutation(len(train)) for _ in range(cfg.epochs)]).astype(np.int64)
        old = numba.get_num_threads()
        numba.set_num_threads(min(cfg.threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        try:
            t0 = time.perf_counter()
            losses = _ft_kernel.train_epochs(self.input, self.output, flat, offsets, y, orders, cfg.lr, cfg.threads)
            seconds = time.perf_counter() - t0
        finally:
            numba.set_num_threads(old)
        for e, loss in enumerate(losses.tolist(), 1):
            self.history.append({"epoch": e, "train_loss_nats": loss, "seconds": seconds / cfg.epochs})
        if dev is not None:
            self.history[-1]["valid_accuracy"] = self.evaluate(dev).accuracy

    def hidden(self, texts: list[str] | Any) -> np.ndarray:
        """The averaged input vector of each text (the text's representation)."""
        from wordseq.classify import _ft_kernel

        flat, offsets = self.encode(list(texts))
        return _ft_kernel.hidden_vectors(self.input, flat, offsets)

    def predict_proba(self, texts: Any) -> np.ndarray:
        return softmax(self.hidden(texts).astype(np.float64) @ self.output.T.astype(np.float64))

    def save(self, path: str | os.PathLike) -> Any:
        return self._save(
            path, {"input": self.input, "output": self.output}, {"words": _Words(self.words, self.word_counts)}
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        model, mf = cls._open(path)
        model.words = list(mf.vocabs["words"].itos)
        model.word_counts = np.asarray(mf.vocabs["words"].counts)
        model.index = {w: i for i, w in enumerate(model.words)}
        model.input = mf.tensors["input"]
        model.output = mf.tensors["output"]
        return model

    def summary(self) -> ModelSummary:
        s = super().summary()
        s.vocab_size = len(self.words)
        d = self.config.dim
        s.layers = [
            LayerInfo("input", "EmbeddingBag(mean)", f"(batch, {d})", int(self.input.size)),
            LayerInfo("output", "Linear(no bias)+softmax", f"(batch, {len(self.labels)})", int(self.output.size)),
        ]
        return s
