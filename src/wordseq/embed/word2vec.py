"""word2vec: skip-gram and CBOW with negative sampling, hierarchical softmax or full softmax.

``Word2Vec(Word2VecConfig(...)).fit(corpus)`` trains on a corpus path or an encoded corpus
(:func:`wordseq.text.encode.encode_corpus`) with the compiled multithreaded kernel in :mod:`wordseq.embed._w2v_kernel`. Like gensim on a
``LineSentence``: tokens below ``min_count`` (``<unk>`` here) and the other special tokens are dropped before
windows are formed, windows never cross a ``</s>`` (a line end), frequent words are subsampled with
word2vec's formula, the window is shrunk at random per centre word, and the learning rate falls linearly
from ``lr`` to ``min_lr`` over all epochs.

``history`` holds one entry per epoch; its ``train_loss_nats`` is the mean loss per prediction (skip-gram: per context-centre pair,
CBOW: per centre word), summed in float64 per lane and reset every epoch, so it does not depend on the
number of threads beyond Hogwild's noise.
"""

from __future__ import annotations

import mmap
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from wordseq.config import Config
from wordseq.embed.base import Corpus, VectorModel
from wordseq.embed.checkpoint import TrainingState, corpus_fingerprint, load_training_state, save_training_state
from wordseq.embed.vectors import Vectors
from wordseq.errors import WordseqError
from wordseq.estimator import LayerInfo
from wordseq.io.memory import release_llvm_code as _release_llvm_code
from wordseq.io.modelfile import ModelFile, load_model, save_model
from wordseq.progress import progress
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import EOS, Vocab

KIND = "word2vec"
_CHUNK_TOKENS = 1 << 20  # tokens per lane between progress-bar updates
_LANES_PER_THREAD = 1  # 4 measured no faster on a busy machine, cost 20 MB and skip-gram HS some accuracy


# config fields renamed since files were first written: old name -> new name
_RENAMED = {"alpha": "lr", "min_alpha": "min_lr", "sample": "sample_threshold"}


@dataclass
class Word2VecConfig(Config):
    """word2vec hyperparameters; defaults follow gensim's ``Word2Vec``.

    ``lr`` None means 0.025 for skip-gram and 0.05 for CBOW; ``threads`` None means all cores;
    ``min_count`` and ``max_vocab`` build the vocabulary when ``fit`` is given a corpus path.
    """

    arch: Literal["sg", "cbow"] = "sg"
    loss: Literal["ns", "hs", "softmax"] = "ns"
    dim: int = 100
    window: int = 5
    negative: int = 5
    sample_threshold: float = 1e-3
    epochs: int = 5
    lr: float | None = None
    min_lr: float = 1e-4
    cbow_mean: bool = True
    ns_exponent: float = 0.75
    min_count: int = 5
    max_vocab: int | None = None
    seed: int = 0
    threads: int | None = None

    def validate(self) -> None:
        self.check_choice("arch", ("sg", "cbow"))
        self.check_choice("loss", ("ns", "hs", "softmax"))
        self.check_range("dim", lo=1, integer=True)
        self.check_range("window", lo=1, integer=True)
        self.check_range("epochs", lo=1, integer=True)
        if self.loss == "ns":
            self.check_range("negative", lo=1, integer=True)
        else:
            self.check_range("negative", lo=0, integer=True)
        self.check_range("sample_threshold", lo=0.0)
        self.check_range("lr", lo=0.0, lo_open=True, optional=True)
        self.check_range("min_lr", lo=0.0)
        self.check_choice("cbow_mean", (True, False))
        self.check_range("ns_exponent")
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vocab", lo=1, integer=True, optional=True)
        self.check_range("seed", lo=0, integer=True)
        self.check_range("threads", lo=1, integer=True, optional=True)

    @property
    def start_lr(self) -> float:
        """The initial learning rate: ``lr``, or gensim's default for the architecture."""
        if self.lr is not None:
            return float(self.lr)
        return 0.025 if self.arch == "sg" else 0.05

    @property
    def n_threads(self) -> int:
        return int(self.threads) if self.threads is not None else (os.cpu_count() or 1)


class Word2Vec(VectorModel[Word2VecConfig]):
    """A word2vec model. ``fit`` trains it; ``vectors`` are the input vectors of the real words, ``syn1``
    the output weights (one row per word for ns and softmax, per inner Huffman node for hs)."""

    kind = KIND
    config_class = Word2VecConfig

    def __init__(self, config: Word2VecConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.vocab: Vocab | None = None
        self.syn1: np.ndarray | None = None
        self.words_per_second: float = 0.0
        self.train_seconds: float = 0.0

    @property
    def losses(self) -> list[float]:
        """The per-epoch loss column of :attr:`history` (nats per prediction)."""
        return [h["train_loss_nats"] for h in self.history]

    # -- training -----------------------------------------------------------------------------
    def fit(
        self,
        data: Corpus,
        valid: Any = None,
        *,
        tokenizer: Tokenizer | None = None,
        progress: bool = True,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        **kwargs: Any,
    ) -> Word2Vec:
        """Train on ``data`` (a corpus path, or an encoded corpus: ids with ``</s>`` line ends); returns the
        model. A path is encoded with ``tokenizer`` (whitespace by default) and the config's ``min_count``.

        ``checkpoint``: a file written after every epoch (vectors, output weights, RNG state, history);
        ``resume=True`` continues from it (same config and corpus), bit-identical with one thread."""
        encoded = self._encode(data, valid, tokenizer, kwargs)
        from wordseq.embed import _w2v_kernel as K  # numba loads on first use only

        _release_llvm_code()  # what LLVM's start-up touched; loading the kernel maps back what it needs

        cfg = self.config
        vocab = encoded.vocab
        ids = np.asarray(encoded.ids)  # a memory map stays a memory map: no copy
        if ids.dtype != np.int32:
            ids = ids.astype(np.int32)
        first_word = len(vocab.specials)
        if EOS not in vocab.stoi or vocab.stoi[EOS] >= first_word:
            raise WordseqError(f"word2vec needs a vocabulary with {EOS} among its special tokens")
        eos = vocab.stoi[EOS]
        words = vocab.itos[first_word:]
        n_words = len(words)
        counts = _count_ids(encoded.ids, len(vocab))[first_word:]
        n_train = int(counts.sum())
        distinct = int((counts > 0).sum())
        if n_train == 0:
            raise WordseqError("the corpus has no words to train on (all are below min_count or special)")
        if n_train <= cfg.window:
            raise WordseqError(
                f"the corpus has {n_train} words to train on, not more than the window "
                f"({cfg.window}); use a smaller window or a larger corpus"
            )
        if cfg.loss == "ns" and cfg.negative >= distinct:
            raise WordseqError(
                f"negative ({cfg.negative}) must be smaller than the number of distinct "
                f"words in the corpus ({distinct})"
            )
        if cfg.loss != "ns" and distinct < 2:
            raise WordseqError(f"{cfg.loss} needs at least 2 distinct words in the corpus, got {distinct}")

        keep = _keep_thresholds(counts, cfg.sample_threshold)
        ns_thresh, ns_alias = np.ones(1, np.uint32), np.zeros(1, np.int32)
        hs_off, hs_codes, hs_points = np.zeros(2, np.int64), np.zeros(1, np.uint8), np.zeros(1, np.int32)
        n_out = 1
        if cfg.loss == "ns":
            ns_thresh, ns_alias = K.alias_table(counts.astype(np.float64) ** cfg.ns_exponent * (counts > 0))
            n_out = cfg.negative + 1
        elif cfg.loss == "hs":
            from wordseq.embed.huffman import huffman_codes

            huff = huffman_codes(np.maximum(counts, 1))
            hs_off, hs_codes, hs_points = huff.offsets, huff.codes, huff.points
            n_out = int(huff.lengths.max())
        else:
            n_out = n_words
        sig, nlogsig = K.sigmoid_tables()

        # The corpus is cut into ranges ("lanes"), each with its own RNG and learning-rate schedule, handed
        # to the threads dynamically (_LANES_PER_THREAD per thread; one is a thread's own range).
        T = cfg.n_threads
        L = 1 if T == 1 else T * _LANES_PER_THREAD
        ranges = _split(ids, eos, L)
        n_chunks = max(1, int(np.ceil((len(ids) / L) / _CHUNK_TOKENS)))
        chunks = [_split(ids, eos, n_chunks, lo, hi) for lo, hi in zip(ranges[:-1], ranges[1:])]
        range_start = np.array(ranges[:-1], dtype=np.int64)
        range_len = np.diff(np.array(ranges, dtype=np.int64))

        # Per-lane scratch, each lane's part followed by at least 128 unused bytes, so two threads never
        # write to the same cache line (false sharing made a second thread almost worthless).
        max_ctx = 2 * cfg.window
        sent_buf = np.zeros((L, K.MAX_SENTENCE + 32), dtype=np.int32)
        ctx_buf = np.zeros((L, max_ctx + 32), dtype=np.int32)
        out_buf = np.zeros((L, 2 * n_out + 32), dtype=np.int32)  # two sets: this centre word's and the next's
        label_buf = np.zeros((L, 2 * n_out + 32), dtype=np.float32)
        dots_buf = np.zeros((L, max_ctx + 1 + 32 // n_out + 1, n_out), dtype=np.float32)
        vec_buf = np.zeros((L, max(max_ctx, 2) + 1 + 32 // cfg.dim + 1, cfg.dim), dtype=np.float32)
        seeds = np.random.SeedSequence(cfg.seed).generate_state(L, dtype=np.uint64)
        rng_state = (seeds | np.uint64(1)).astype(np.uint64)  # xorshift needs a nonzero state

        import numba

        numba.set_num_threads(max(1, min(T, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
        arch = K.SG if cfg.arch == "sg" else K.CBOW
        loss_kind = {"ns": K.NS, "hs": K.HS, "softmax": K.SOFTMAX}[cfg.loss]
        words_done = np.zeros(L, dtype=np.int64)
        loss_sum = np.zeros(L, dtype=np.float64)
        loss_n = np.zeros(L, dtype=np.int64)

        def train(seg_start, seg_end, epoch, syn0, syn1):
            K.train_chunk(
                ids,
                first_word,
                eos,
                seg_start,
                seg_end,
                range_start,
                range_len,
                epoch,
                cfg.epochs,
                syn0,
                syn1,
                sig,
                nlogsig,
                keep,
                ns_thresh,
                ns_alias,
                hs_off,
                hs_codes,
                hs_points,
                arch,
                loss_kind,
                cfg.window,
                cfg.negative,
                cfg.cbow_mean,
                cfg.start_lr,
                cfg.min_lr,
                rng_state,
                loss_sum,
                loss_n,
                words_done,
                sent_buf,
                ctx_buf,
                out_buf,
                label_buf,
                dots_buf,
                vec_buf,
            )

        # Load the compiled kernel (numba's on-disk cache) with a call that has no lanes and stand-in
        # matrices of the same types, before the real matrices exist; then LLVM's code, needed only to
        # load it, leaves the resident set (see _release_llvm_code).
        nothing = np.zeros(0, dtype=np.int64)
        stand_in = np.zeros((1, cfg.dim), dtype=np.float32)
        train(nothing, nothing, 0, stand_in, stand_in)
        _release_llvm_code()

        rng = np.random.default_rng(cfg.seed)
        syn0 = np.empty((n_words, cfg.dim), dtype=np.float32)
        for lo in range(0, n_words, 8192):  # in blocks: no full-size temporaries
            block = rng.random((min(8192, n_words - lo), cfg.dim), dtype=np.float32)
            block -= 0.5
            block /= cfg.dim
            syn0[lo : lo + len(block)] = block
        out_rows = n_words - 1 if cfg.loss == "hs" else n_words
        syn1 = np.zeros((max(out_rows, 1), cfg.dim), dtype=np.float32)

        self.history = []
        fingerprint = corpus_fingerprint(len(ids), words, counts)
        start_epoch = 0
        if resume:
            if checkpoint is None:
                raise WordseqError("resume needs a checkpoint file")
            shapes = {"syn0": syn0.shape, "syn1": syn1.shape, "rng_state": rng_state.shape}
            state = load_training_state(checkpoint, KIND, cfg.to_dict(), fingerprint, shapes)
            syn0[...] = state.arrays["syn0"]
            syn1[...] = state.arrays["syn1"]
            rng_state[...] = state.arrays["rng_state"]
            self.history, start_epoch = state.history, state.epoch
        bar = _progress_bar(progress, total=cfg.epochs * len(ids))
        bar.update(start_epoch * len(ids))
        t0 = time.perf_counter()
        old_chunksize = numba.set_parallel_chunksize(1)  # lanes go to whichever thread is free
        try:
            for epoch in range(start_epoch, cfg.epochs):
                t_epoch = time.perf_counter()
                loss_sum[:] = 0
                loss_n[:] = 0
                for c in range(n_chunks):
                    seg_start = np.array([ch[c] for ch in chunks], dtype=np.int64)
                    seg_end = np.array([ch[c + 1] for ch in chunks], dtype=np.int64)
                    before = int(words_done.sum())
                    train(seg_start, seg_end, epoch, syn0, syn1)
                    bar.update(int(words_done.sum()) - before)
                    _release(encoded.ids, seg_start, seg_end)
                mean = float(loss_sum.sum() / max(int(loss_n.sum()), 1))
                self.history.append(
                    {"epoch": epoch + 1, "train_loss_nats": mean, "seconds": time.perf_counter() - t_epoch}
                )
                bar.set_postfix(epoch=epoch + 1, loss=f"{mean:.4f}")
                if checkpoint is not None:
                    arrays: dict[str, np.ndarray] = {"syn0": syn0, "syn1": syn1, "rng_state": rng_state}
                    state = TrainingState(epoch + 1, self.history, arrays)
                    save_training_state(checkpoint, KIND, cfg.to_dict(), fingerprint, cfg.epochs, state)
        finally:
            numba.set_parallel_chunksize(old_chunksize)
            bar.close()
        self.train_seconds = time.perf_counter() - t0
        self.words_per_second = n_train * cfg.epochs / max(self.train_seconds, 1e-9)
        self.vocab = vocab
        self.vectors = Vectors(words, syn0, counts)
        self.syn1 = syn1
        return self

    # -- model files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the model (kind ``word2vec``): input and output matrices, vocabulary, config, history;
        returns the path."""
        if self.vectors is None or self.vocab is None or self.syn1 is None:
            raise WordseqError("this word2vec model has not been trained; nothing to save")
        tensors = {
            "vectors": self.vectors.vectors,
            "syn1": self.syn1,
            "counts": np.asarray(self.vectors.counts, dtype=np.int64),
        }
        extra = {"words_per_second": self.words_per_second, "train_seconds": self.train_seconds}
        model = ModelFile(
            KIND,
            self.config.to_dict(),
            tensors,
            {"vocab": self.vocab},
            {**self.provenance, "history": self.history},
            extra=extra,
        )
        return save_model(path, model)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Word2Vec:
        """Read a model written by :meth:`save`."""
        mf = load_model(path, KIND)
        config = {_RENAMED.get(k, k): v for k, v in mf.config.items()}
        model = cls(Word2VecConfig.from_dict(config))
        vocab = Vocab.from_stored(mf.vocab)
        words = vocab.itos[len(vocab.specials) :]
        model.vocab = vocab
        model.vectors = Vectors(words, mf.tensors["vectors"], mf.tensors["counts"])
        model.syn1 = mf.tensors["syn1"]
        history = mf.provenance.get("history")
        if history is None:  # files written before the history: one loss per epoch in extra
            history = [{"epoch": i + 1, "train_loss_nats": float(x)} for i, x in enumerate(mf.extra.get("losses", []))]
        model.history = list(history)
        model.provenance = {k: v for k, v in mf.provenance.items() if k != "history"}
        model.words_per_second = float(mf.extra.get("words_per_second", 0.0))
        model.train_seconds = float(mf.extra.get("train_seconds", 0.0))
        return model

    def _layers(self) -> list[LayerInfo]:
        v = self._fitted()
        n, d = len(v), v.dim
        rows = [LayerInfo("input embeddings", "Embedding", f"{n} x {d}", n * d)]
        if self.syn1 is not None:
            name = {
                "ns": "output weights (negative sampling)",
                "hs": "inner-node weights (hierarchical softmax)",
                "softmax": "output weights (softmax)",
            }[self.config.loss]
            r, c = self.syn1.shape
            rows.append(LayerInfo(name, "Linear", f"{r} x {c}", r * c))
        return rows


def _keep_thresholds(counts: np.ndarray, sample: float) -> np.ndarray:
    """Subsampling: keep a word with probability (sqrt(c / t) + 1) * t / c, t = sample * total words
    (word2vec's formula, as gensim uses it), as a threshold on a 32-bit random number; 2**32-1 = always."""
    keep = np.full(len(counts), 0xFFFFFFFF, dtype=np.uint32)
    if sample <= 0:
        return keep
    t = sample * counts.sum()
    c = np.maximum(counts, 1).astype(np.float64)
    p = (np.sqrt(c / t) + 1.0) * t / c
    partial = p < 1.0
    keep[partial] = np.floor(p[partial] * 4294967296.0).astype(np.uint32)
    return keep


def _split(ids: np.ndarray, eos: int, parts: int, lo: int = 0, hi: int | None = None) -> list[int]:
    """``parts + 1`` boundaries cutting ``ids[lo:hi]`` into nearly equal parts, each moved forward to the
    start of a sentence when one begins within a few thousand tokens (else the cut stays where it is)."""
    hi = len(ids) if hi is None else hi
    out = [lo]
    for k in range(1, parts):
        p = lo + (hi - lo) * k // parts
        p = max(p, out[-1])
        window = ids[p - 1 : min(hi, p - 1 + 20000)] if p > 0 else ids[:0]
        hits = np.flatnonzero(window == eos)
        if len(hits):
            p = p + int(hits[0])  # just after that </s>
        out.append(min(p, hi))
    out.append(hi)
    return out


def _count_ids(ids: np.ndarray, n: int, step: int = 1 << 20) -> np.ndarray:
    """How often each id occurs, read in blocks whose pages are released as soon as they are counted."""
    counts = np.zeros(n, dtype=np.int64)
    for lo in range(0, len(ids), step):
        hi = min(lo + step, len(ids))
        counts += np.bincount(np.asarray(ids[lo:hi]), minlength=n)
        _release(ids, np.array([lo]), np.array([hi]))
    return counts


def _release(ids: np.ndarray, seg_start: np.ndarray, seg_end: np.ndarray) -> None:
    """Drop the pages of a memory-mapped corpus that this chunk has finished with from our resident set
    (they stay in the page cache), so the encoded corpus never sits in memory whole."""
    mm = getattr(ids, "_mmap", None)
    if mm is None or not hasattr(mm, "madvise"):
        return
    offset = ids.ctypes.data - np.frombuffer(mm, dtype=np.uint8, count=1).ctypes.data  # ids[0] in the map
    if offset < 0 or not ids.flags.c_contiguous:
        return
    page = mmap.PAGESIZE
    for a, b in zip(seg_start.tolist(), seg_end.tolist()):
        lo = -(-(offset + ids.itemsize * a) // page) * page
        hi = (offset + ids.itemsize * b) // page * page
        if hi > lo:
            mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def _progress_bar(enabled: bool, total: int):
    if enabled:
        return progress(total=total, unit="tok", unit_scale=True, desc="word2vec")
    return progress(total=total, disable=True)
