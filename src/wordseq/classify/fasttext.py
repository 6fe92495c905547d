"""A fastText-style supervised classifier (Joulin et al. 2016): the mean of word and hashed word-n-gram
embeddings into a linear softmax (or a hierarchical softmax over a Huffman tree of the labels, for many
labels), trained by the compiled kernels in :mod:`wordseq.classify._ft_kernel`.

As in fastText, every text ends with ``</s>``, words below ``min_count`` are dropped (their n-grams are
still hashed), and an n-gram's bucket is fastText's: the FNV-1a hashes of its words, sign-extended from 32
bits, combined as fastText's ``addWordNgrams`` combines them (checked against the ``fasttext`` package), so
the bucket of an n-gram does not depend on the vocabulary. The texts are encoded once, into flat arrays of
input rows, before training.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np

from wordseq.classify.base import KIND_PREFIX, Classifier, softmax
from wordseq.classify.data import LabelledData
from wordseq.config import Config
from wordseq.estimator import LayerInfo, ModelSummary

EOS = "</s>"
_MASK64 = (1 << 64) - 1
LOSSES = ("softmax", "hs", "ns")


def fnv1a(word: str) -> int:
    """fastText's 32-bit FNV-1a hash of a word's UTF-8 bytes (bytes taken as signed, as fastText does)."""
    h = 2166136261
    for b in word.encode("utf-8"):
        h ^= (b - 256 if b > 127 else b) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def ngram_bucket(words: list[str], buckets: int) -> int:
    """The bucket (0 .. buckets-1) of the word n-gram ``words`` as fastText computes it: each word's hash
    sign-extended from 32 to 64 bits (fastText keeps them as ``int32_t``), combined by
    ``h = h * 116049371 + hash`` modulo 2^64. A plain-Python reference for the compiled encoder."""

    def wide(h: int) -> int:
        return h | 0xFFFFFFFF00000000 if h & 0x80000000 else h

    h = wide(fnv1a(words[0]))
    for w in words[1:]:
        h = (h * 116049371 + wide(fnv1a(w))) & _MASK64
    return h % buckets


def split_types(texts: Sequence[str], lower: bool) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """The token types of ``texts`` in first-seen order (``</s>`` is type 0), each token's type id (texts
    back to back, ``</s>`` not included) and the number of tokens of each text: the one pass over the
    tokens made in Python, the rest of the encoding is compiled."""
    split = [(t.lower() if lower else t).split() for t in texts]
    types = {EOS: 0}
    ids = [types.setdefault(t, len(types)) for s in split for t in s]
    lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    return types, np.asarray(ids, dtype=np.int64), lengths


@dataclass
class FastTextConfig(Config):
    """fastText's supervised settings: ``dim``, ``lr``, ``epochs``, word n-grams up to ``word_ngrams``
    hashed into ``buckets`` rows, words kept at ``min_count``, the output ``loss`` (``softmax``, or ``hs``:
    hierarchical softmax over a Huffman tree of the label counts, for many labels; ``ns``: negative sampling
    of ``negative`` labels by count^0.5, whose scores are independent sigmoids, normalised to sum to 1 for
    ``predict_proba``), ``threads`` (Hogwild; 1 is deterministic)."""

    dim: int = 100
    lr: float = 0.1
    epochs: int = 5
    word_ngrams: int = 2
    buckets: int = 2_000_000
    min_count: int = 1
    loss: str = "softmax"
    negative: int = 5
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
        self.check_choice("loss", LOSSES)
        self.check_range("negative", lo=1, integer=True)
        self.check_range("threads", lo=1, integer=True)


class LabelTree(NamedTuple):
    """The labels' Huffman codes for the hierarchical softmax, flat (``wordseq.embed.huffman``'s layout):
    label ``c``'s inner nodes (output rows) are ``points[offsets[c]:offsets[c + 1]]``, its branches
    ``codes[...]``."""

    offsets: np.ndarray
    codes: np.ndarray
    points: np.ndarray

    @classmethod
    def build(cls, counts: np.ndarray) -> LabelTree:
        """Huffman's tree over the label counts, frequent labels near the root (as fastText builds it)."""
        from wordseq.embed.huffman import huffman_codes

        h = huffman_codes(np.maximum(counts, 1))
        return cls(h.offsets, h.codes, h.points.astype(np.int64))


def negative_table(counts: np.ndarray, rng: np.random.Generator, size: int = 100_000) -> np.ndarray:
    """Labels repeated in proportion to count^0.5 and shuffled, to draw negatives from (fastText's table)."""
    w = np.sqrt(np.maximum(counts, 0).astype(np.float64))
    reps = np.ceil(w / max(w.sum(), 1e-12) * size).astype(np.int64)
    table = np.repeat(np.arange(len(counts), dtype=np.int64), reps)
    rng.shuffle(table)
    return table


_NO_TREE = LabelTree(np.zeros(1, np.int64), np.zeros(0, np.uint8), np.zeros(0, np.int64))


class _Words:
    def __init__(self, itos: list[str], counts: np.ndarray) -> None:
        self.itos, self.counts, self.specials = itos, counts, ()


class FastTextClassifier(Classifier):
    """Averaged word and word-n-gram embeddings into a softmax (or hierarchical softmax) over the labels."""

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
        self.tree: LabelTree | None = None  # the labels' Huffman codes when loss == "hs"
        self.timings: dict[str, float] = {}  # seconds of the last fit's phases

    @property
    def buckets(self) -> int:
        """Rows for n-grams: none when there are no n-grams (as fastText sets ``-bucket 0`` then)."""
        return self.config.buckets if self.config.word_ngrams > 1 else 0

    def _encode(self, types: dict[str, int], ids: np.ndarray, lengths: np.ndarray, type_word: np.ndarray) -> Any:
        from wordseq.classify import _ft_kernel

        data = np.frombuffer(" ".join(types).encode("utf-8"), dtype=np.uint8)
        hashes = _ft_kernel.type_hashes(data, len(types))
        cfg = self.config
        return _ft_kernel.encode(ids, lengths, 0, type_word, hashes, len(self.words), self.buckets, cfg.word_ngrams)

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Input rows of each text, flattened, and the offsets into them: word ids, then n-gram buckets."""
        types, ids, lengths = split_types(list(texts), self.config.lower)
        index = self.index
        type_word = np.fromiter((index.get(t, -1) for t in types), dtype=np.int64, count=len(types))
        return self._encode(types, ids, lengths, type_word)

    def _fit(self, train: LabelledData, dev: LabelledData | None, **kwargs: Any) -> None:
        from wordseq.classify import _ft_kernel

        cfg = self.config
        t0 = time.perf_counter()
        types, ids, lengths = split_types(train.texts, cfg.lower)
        counts = np.bincount(ids, minlength=len(types))
        counts[0] = len(train)  # </s> closes every text
        kept = np.flatnonzero(counts >= cfg.min_count)
        kept = kept[np.argsort(-counts[kept], kind="stable")]  # by falling count, ties in first-seen order
        names = list(types)
        self.words = [names[i] for i in kept.tolist()]
        self.word_counts = counts[kept].astype(np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}
        type_word = np.full(len(types), -1, dtype=np.int64)
        type_word[kept] = np.arange(len(kept))
        flat, offsets = self._encode(types, ids, lengths, type_word)
        ntokens = (lengths + 2).astype(np.float64)  # fastText counts the label and </s> too
        y = self._label_ids(train.labels)
        rng = np.random.default_rng(cfg.seed)
        rows = len(self.words) + self.buckets
        self.input = rng.random((rows, cfg.dim), dtype=np.float32)  # uniform in [-1/dim, 1/dim), in place
        self.input *= 2.0 / cfg.dim
        self.input -= 1.0 / cfg.dim
        if cfg.loss == "hs":
            self.tree = tree = LabelTree.build(np.bincount(y, minlength=len(self.labels)))
            self.output = np.zeros((len(self.labels) - 1, cfg.dim), dtype=np.float32)
        else:
            self.tree = None
            tree = _NO_TREE
            self.output = np.zeros((len(self.labels), cfg.dim), dtype=np.float32)
        orders = np.stack([rng.permutation(len(train)) for _ in range(cfg.epochs)]).astype(np.int64)
        neg_table = negative_table(np.bincount(y, minlength=len(self.labels)), rng)
        t1 = time.perf_counter()
        kind = {"softmax": _ft_kernel.SOFTMAX, "hs": _ft_kernel.HS, "ns": _ft_kernel.NS}[cfg.loss]
        args: tuple[Any, ...] = (flat, offsets, y, ntokens, orders, cfg.lr, kind)
        args += (tree.offsets, tree.codes, tree.points, neg_table, cfg.negative, cfg.seed)
        if cfg.threads == 1:
            losses = _ft_kernel.train_serial(self.input, self.output, *args)
        else:
            import numba

            old = numba.get_num_threads()
            numba.set_num_threads(min(cfg.threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
            try:
                losses = _ft_kernel.train_parallel(self.input, self.output, *args, cfg.threads)  # type: ignore[call-arg]
            finally:
                numba.set_num_threads(old)
        t2 = time.perf_counter()
        self.timings = {"encode_seconds": t1 - t0, "train_seconds": t2 - t1}
        for e, loss in enumerate(losses.tolist(), 1):
            self.history.append({"epoch": e, "train_loss_nats": loss, "seconds": (t2 - t1) / cfg.epochs})
        if dev is not None:
            self.history[-1]["valid_accuracy"] = self.evaluate(dev).accuracy

    def hidden(self, texts: Sequence[str]) -> np.ndarray:
        """The averaged input vector of each text (the text's representation)."""
        from wordseq.classify import _ft_kernel

        flat, offsets = self.encode(list(texts))
        return _ft_kernel.hidden_vectors(self.input, flat, offsets)

    def predict_proba(self, texts: Any) -> np.ndarray:
        h = self.hidden(texts)
        if self.tree is not None:
            from wordseq.classify import _ft_kernel

            t = self.tree
            return np.exp(_ft_kernel.hs_log_probs(h, self.output, t.offsets, t.codes, t.points))
        scores = h.astype(np.float64) @ self.output.T.astype(np.float64)
        if self.config.loss == "ns":  # fastText's independent sigmoids, normalised
            sig = 1.0 / (1.0 + np.exp(-scores))
            return sig / sig.sum(axis=1, keepdims=True)
        return softmax(scores)

    def save(self, path: str | os.PathLike) -> Any:
        tensors = {"input": self.input, "output": self.output}
        if self.tree is not None:
            tensors.update(hs_offsets=self.tree.offsets, hs_codes=self.tree.codes, hs_points=self.tree.points)
        return self._save(path, tensors, {"words": _Words(self.words, self.word_counts)})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        model, mf = cls._open(path)
        model.words = list(mf.vocabs["words"].itos)
        model.word_counts = np.asarray(mf.vocabs["words"].counts)
        model.index = {w: i for i, w in enumerate(model.words)}
        model.input = mf.tensors["input"]
        model.output = mf.tensors["output"]
        if model.config.loss == "hs":
            t = mf.tensors
            model.tree = LabelTree(t["hs_offsets"], t["hs_codes"], t["hs_points"])
        return model

    def summary(self) -> ModelSummary:
        s = super().summary()
        s.vocab_size = len(self.words)
        d = self.config.dim
        out = {"hs": "hierarchical softmax", "ns": "Linear(no bias)+sigmoids"}.get(
            self.config.loss, "Linear(no bias)+softmax"
        )
        s.layers = [
            LayerInfo("input", "EmbeddingBag(mean)", f"(batch, {d})", int(self.input.size)),
            LayerInfo("output", out, f"(batch, {len(self.labels)})", int(self.output.size)),
        ]
        return s
