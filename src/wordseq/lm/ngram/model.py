"""The n-gram language model: an estimator (:class:`NgramConfig`, :class:`NgramModel`) over probability
tables, vectorized scoring, model files.

A model holds, for every order n, the sorted packed keys of its n-grams (see :mod:`.counts`) and either
backoff-form tables (log10 probability and log10 backoff weight, as in an ARPA file: the interpolated
estimators and every ARPA file) or count-form tables (raw counts and context totals: MLE and add-k).

Scoring a corpus is a handful of numpy passes over the whole id stream, not a loop per token: the ids of
the n-grams of each order starting at every position are found with one hash lookup per order, then the
longest match ending at each position gives the probability and the backoff weights of the longer
contexts are added, exactly as KenLM's ``full_scores`` does. The per-sentence scores (:meth:`NgramModel.score`,
:meth:`NgramModel.full_scores`) are log10, as KenLM's; :meth:`NgramModel.evaluate` returns an
:class:`~wordseq.lm.scores.LMScore` (natural-log loss, perplexity) like every language model.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from wordseq.config import Config
from wordseq.errors import WordseqError
from wordseq.estimator import Estimator, LayerInfo, ModelSummary
from wordseq.lm.ngram.arpa import ArpaTables, is_arpa, is_arpa_name, read_arpa, write_arpa
from wordseq.lm.ngram.counts import NgramCounts, add_sentence_starts, count_ngrams, special_ids
from wordseq.lm.ngram.estimate import INTERPOLATED, SMOOTHING, Estimate, estimate, predictable
from wordseq.lm.ngram.generate import generate_sentences
from wordseq.lm.ngram.modelfile import read_ngram, write_ngram
from wordseq.lm.scores import LMScore
from wordseq.text.encode import Encoded
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import BOS, EOS, SPECIALS, UNK, Vocab

KIND = "ngram"
BACKOFF = "backoff"  # tables in ARPA form
COUNTS = "counts"  # raw counts (mle, add-k)
FROM_ARPA = "arpa"  # the smoothing of a model read from an ARPA file (its estimator is not known)


@dataclass
class NgramConfig(Config):
    """How an n-gram model is estimated.

    ``smoothing``: ``mkn`` (modified Kneser-Ney, as KenLM's lmplz), ``kn`` (interpolated Kneser-Ney),
    ``absolute`` (interpolated absolute discounting), ``add-k``, ``mle``; ``"arpa"`` marks a model read from
    an ARPA file. ``discount`` fixes the one discount per order of ``kn``/``absolute`` (None: estimated from
    the counts); ``k`` is add-k's k. ``min_count`` and ``max_vocab`` choose the vocabulary when ``fit``
    reads text (rarer words become ``<unk>``; ``max_vocab`` counts the special tokens too).
    """

    order: int = 3
    smoothing: str = "mkn"
    discount: float | None = None
    k: float = 1.0
    min_count: int = 1
    max_vocab: int | None = None

    def validate(self) -> None:
        self.check_range("order", lo=1, integer=True)
        self.check_choice("smoothing", SMOOTHING + (FROM_ARPA,))
        self.check_range("discount", lo=0.0, hi=1.0, lo_open=True, optional=True)
        if self.discount is not None and self.smoothing not in ("kn", "absolute"):
            self.fail("discount", "applies only to smoothing 'kn' and 'absolute' (must be None)")
        self.check_range("k", lo=0.0, lo_open=True)
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vocab", lo=len(SPECIALS), integer=True, optional=True)


@dataclass
class _Data:
    """Training or test data as an id stream over a vocabulary (``</s>`` after every sentence)."""

    ids: np.ndarray
    vocab: Vocab
    source: str | None = None


def _is_paths(data: object) -> bool:
    """A path, a glob, ``-``, or a list of ``os.PathLike`` (a list of plain strings is sentences)."""
    if isinstance(data, (str, os.PathLike)):
        return True
    return isinstance(data, (list, tuple)) and bool(data) and all(isinstance(p, os.PathLike) for p in data)


def _describe(data: object) -> str:
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    return ", ".join(os.fspath(p) for p in data)  # type: ignore[attr-defined]


class NgramModel(Estimator[NgramConfig]):
    """An n-gram language model: ``NgramModel(order=5).fit("train.txt")`` counts and estimates;
    :meth:`from_counts` builds one from counts and :meth:`load` reads an ARPA or ``.wsq`` file.

    The tables (``keys``, ``logprob``/``logbow`` or ``counts``/``totals``, per order) and ``vocab`` are
    None until the model is fitted or loaded.
    """

    kind: ClassVar[str] = KIND
    config_class: ClassVar[type[Config]] = NgramConfig

    def __init__(self, config: NgramConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._vocab: Vocab | None = None
        self._stored_vocab: Any = None  # a memory-mapped file's vocabulary, decoded into ``vocab`` when asked for
        self.tokenizer: Tokenizer = Tokenizer()
        self.form: str = BACKOFF if self.config.smoothing in INTERPOLATED + (FROM_ARPA,) else COUNTS
        self.keys: list = []
        self.logprob: Any = None  # list of arrays per order, or None
        self.logbow: Any = None  # list of arrays per order, or None
        self.counts: Any = None  # list of arrays per order, or None
        self.totals: Any = None  # list of arrays per order, or None
        self.discounts: list = []
        self.info: dict[str, Any] = {}  # corpus facts: tokens, sentences, n-grams per order, source
        self.provenance: dict[str, Any] = {}
        self._hash: list | None = None
        self._compiled: Any = None  # the CompiledScorer, built on first use (backoff form only)
        self._text_scorer: Any = None  # the same, once known to split this model's text itself (see below)
        self._vocab_bytes: tuple[np.ndarray, np.ndarray] | None = (
            None  # the vocabulary as UTF-8 bytes + offsets, when a file gave it
        )

    @property
    def vocab(self) -> Vocab | None:
        """The vocabulary (None until fitted or loaded); a memory-mapped model decodes it on first use."""
        if self._vocab is None and self._stored_vocab is not None:
            self._vocab = Vocab.from_stored(self._stored_vocab)
            self._stored_vocab = None
        return self._vocab

    @vocab.setter
    def vocab(self, vocab: Vocab | None) -> None:
        self._vocab, self._stored_vocab = vocab, None

    # -- the config's settings, read where the tables are used ---------------------------------------
    @property
    def order(self) -> int:
        return self.config.order

    @property
    def smoothing(self) -> str:
        return self.config.smoothing

    @property
    def k(self) -> float:
        return self.config.k

    # -- construction -----------------------------------------------------------------------------
    def _set_estimate(self, counts: NgramCounts, est: Estimate, tokenizer: Tokenizer | None) -> None:
        self.vocab = counts.vocab
        self.tokenizer = tokenizer or Tokenizer()
        self.form = BACKOFF if self.smoothing in INTERPOLATED else COUNTS
        self.keys = counts.keys
        self.logprob, self.logbow, self.counts, self.totals = est.logprob, est.logbow, est.counts, est.totals
        self.discounts = est.discounts
        self._hash = None
        self._compiled = None
        self._text_scorer = None
        self._vocab_bytes = None

    @classmethod
    def from_counts(
        cls,
        counts: NgramCounts,
        config: NgramConfig | None = None,
        tokenizer: Tokenizer | None = None,
        release: bool = False,
        **overrides: Any,
    ) -> NgramModel:
        """An alternative constructor, not training: estimate a model from n-gram counts already made
        (:func:`~wordseq.lm.ngram.count_ngrams`). The order is the counts' own. ``release`` lets the
        estimator free the count arrays as it goes (for models of many GB)."""
        model = cls(config, **overrides)
        if model.config.order != counts.order:
            model.config = model.config.replace(order=counts.order)
        model._check_fittable()
        t0 = time.perf_counter()
        info = {"tokens": counts.tokens, "sentences": counts.sentences, "ngrams": counts.sizes()}
        cfg = model.config
        est = estimate(counts, cfg.smoothing, cfg.discount, cfg.k, release)
        model._set_estimate(counts, est, tokenizer)
        model.info = info
        model.history = [{"estimate_seconds": time.perf_counter() - t0, **model._facts()}]
        return model

    def _check_fittable(self) -> None:
        if self.smoothing == FROM_ARPA:
            self.config.fail("smoothing", "must be one of " + ", ".join(map(repr, SMOOTHING)) + " to estimate a model")

    def fit(  # type: ignore[override]
        self,
        data: Any,
        valid: Any = None,
        tokenizer: Tokenizer | None = None,
        *,
        cache: bool = True,
        memory: int | str | None = None,
        dask: str | None = None,
        workers: int | None = None,
    ) -> NgramModel:
        """Count every n-gram of ``data`` and estimate the model; returns the model itself.

        ``data``: a path, a directory, a glob or ``-`` (or a list of ``pathlib.Path``), read with ``tokenizer``
        (whitespace by default) into a vocabulary chosen by ``min_count``/``max_vocab``; an
        :class:`~wordseq.text.encode.Encoded` corpus or ``(ids, vocab)`` (``</s>`` after each sentence);
        or a list of sentences (strings, or token lists). ``valid`` (any of the same) adds its perplexity to
        ``history``. ``cache`` lets text reading reuse the encoding cache.

        Scale (the same model, counted another way): ``memory`` (bytes or ``"1G"``) counts within that budget
        in sorted runs on disk (:mod:`.external`); ``dask`` (``"tcp://host:8786"``) or ``workers`` (a local
        cluster of that many processes) counts shards of the corpus on Dask workers (:mod:`.distributed`).
        """
        self._check_fittable()
        tokenizer = tokenizer or Tokenizer()
        t0 = time.perf_counter()
        train = self._data(data, tokenizer, cache=cache)
        t1 = time.perf_counter()
        if memory is None and dask is None and workers is None:
            counts = count_ngrams(train.ids, train.vocab, self.order)
        elif dask is None and workers is None and memory is not None:
            from wordseq.lm.ngram.external import count_ngrams_external

            counts = count_ngrams_external(train.ids, train.vocab, self.order, memory)
        else:
            from wordseq.lm.ngram.distributed import count_ngrams_dask

            counts = count_ngrams_dask(train.ids, train.vocab, self.order, dask, workers, memory)
        store = None
        if memory is not None:  # the corpus is counted: drop its ids; the estimate's tables go to disk too
            from wordseq.lm.ngram.external import disk_store

            train.ids = np.zeros(0, np.int32)
            store = disk_store(memory=memory)
        t2 = time.perf_counter()
        est = estimate(counts, self.smoothing, self.config.discount, self.k, release=True, store=store)
        t3 = time.perf_counter()
        self._set_estimate(counts, est, tokenizer)
        self.info = {"tokens": counts.tokens, "sentences": counts.sentences, "ngrams": counts.sizes()}
        if train.source:
            self.info["source"] = train.source
        entry: dict[str, Any] = {
            "encode_seconds": t1 - t0,
            "count_seconds": t2 - t1,
            "estimate_seconds": t3 - t2,
            **self._facts(),
        }
        if valid is not None:
            score = self.evaluate(valid)
            entry.update(valid_perplexity=score.perplexity, valid_loss_nats=score.loss_nats, valid_tokens=score.tokens)
        self.history = [entry]
        return self

    def _facts(self) -> dict[str, Any]:
        return {
            "train_tokens": self.info.get("tokens"),
            "train_sentences": self.info.get("sentences"),
            "ngrams_per_order": self.sizes(),
        }

    @classmethod
    def train(cls, corpus: Any, order: int = 3, smoothing: str = "mkn", tokenizer: Tokenizer | None = None, **kw: Any):
        """Deprecated: ``NgramModel(order=..., smoothing=...).fit(corpus, tokenizer=...)``."""
        warnings.warn(
            "NgramModel.train is deprecated; use NgramModel(order=..., smoothing=...).fit(corpus, tokenizer=...)",
            DeprecationWarning,
            stacklevel=2,
        )
        cache = kw.pop("cache", True)
        return cls(order=order, smoothing=smoothing, **kw).fit(corpus, tokenizer=tokenizer, cache=cache)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled scorer and hash indexes (raw addresses, valid in this process only);
        they are built again on first use."""
        state = dict(self.__dict__)
        state.update(_compiled=None, _text_scorer=None, _hash=None)
        return state

    def _require_fitted(self) -> None:
        """Refuse a model with no tables, without decoding a memory-mapped vocabulary."""
        if self._vocab is None and self._stored_vocab is None:
            raise WordseqError("this n-gram model has no tables yet: fit it or load one")

    def _require_tables(self) -> Vocab:
        self._require_fitted()
        vocab = self.vocab
        assert vocab is not None
        return vocab

    def _data(self, data: Any, tokenizer: Tokenizer, vocab: Vocab | None = None, cache: bool = True) -> _Data:
        """Any accepted data form as ids; over ``vocab`` when given (test data), else a new vocabulary."""
        from wordseq.text.encode import encode_corpus

        cfg = self.config
        if _is_paths(data):
            enc = encode_corpus(
                data,
                tokenizer,
                vocab=vocab,
                min_count=cfg.min_count,
                max_size=cfg.max_vocab,
                cache=cache,
                desc="encoding" if vocab is None else "encoding test",
            )
            return self._over(enc.ids, enc.vocab, vocab, _describe(data))
        if isinstance(data, Encoded):
            return self._over(data.ids, data.vocab, vocab)
        if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], Vocab):
            return self._over(np.asarray(data[0]), data[1], vocab)
        if isinstance(data, np.ndarray):
            if vocab is None:
                raise WordseqError("token ids alone do not say their vocabulary: give (ids, vocab) or an Encoded")
            return _Data(data, vocab)
        if isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
            return self._sentences(data, tokenizer, vocab)
        raise WordseqError(f"cannot read n-gram data from a {type(data).__name__}")

    @staticmethod
    def _over(ids: np.ndarray, have: Vocab, want: Vocab | None, source: str | None = None) -> _Data:
        """ids over ``have`` re-expressed over ``want`` (words ``want`` lacks become ``<unk>``)."""
        if want is None or have is want or have.itos == want.itos:
            return _Data(ids, have if want is None else want, source)
        remap = want.encode(have.itos)
        return _Data(remap[np.asarray(ids)], want, source)

    def _sentences(self, sentences: Iterable[Any], tokenizer: Tokenizer, vocab: Vocab | None) -> _Data:
        token_lists = [tokenizer(s) if isinstance(s, str) else [str(t) for t in s] for s in sentences]
        if not token_lists:
            raise WordseqError("nothing to score: no sentences" if vocab is not None else "empty corpus: no sentences")
        if vocab is None:
            vocab = Vocab.build(token_lists, min_count=self.config.min_count, max_size=self.config.max_vocab)
        _, eos, _ = special_ids(vocab)
        parts = [np.append(vocab.encode(t), np.int32(eos)).astype(np.int32) for t in token_lists]
        return _Data(np.concatenate(parts), vocab)

    # -- alternative construction from files' plain data ----------------------------------------------
    @classmethod
    def _from_arpa(cls, tables: ArpaTables, source: str) -> NgramModel:
        model = cls(order=tables.order, smoothing=FROM_ARPA)
        n = len(tables.words)
        model.vocab = Vocab(tables.words, np.zeros(n, np.int64), SPECIALS)
        model.form = BACKOFF
        model.keys, model.logprob, model.logbow = tables.keys, tables.logprob, tables.logbow
        model.discounts = [None] * (tables.order + 1)
        model.info = {"ngrams": list(tables.declared), "source": source}
        return model

    # -- basic facts --------------------------------------------------------------------------------
    @property
    def V(self) -> int:
        return len(self._require_tables())

    def sizes(self) -> list[int]:
        """Number of n-grams of each order (order 1: predicted vocabulary entries, <s> included)."""
        return [self.n_unigrams()] + [len(self.keys[n]) for n in range(2, self.order + 1)]

    def n_unigrams(self) -> int:
        _, _, pad = special_ids(self._require_tables())
        return self.V - (1 if pad >= 0 else 0)

    def predicted(self) -> np.ndarray:
        return predictable(self._require_tables(), self.V)

    # -- scoring ------------------------------------------------------------------------------------
    def _ngram_ids(self, stream: np.ndarray) -> list:
        """ids[n][i]: id of the n-gram starting at position i (-1 when the model does not have it)."""
        V, L = self.V, len(stream)
        ids: list = [None, stream.astype(np.int64)]
        index = self._index()
        for n in range(2, self.order + 1):
            cur = np.full(L, -1, np.int64)
            m = L - n + 1
            if m > 0 and len(self.keys[n]):
                cur[:m] = index[n].next_ids(ids[n - 1][:m], stream[n - 1 :], V)
            ids.append(cur)
        return ids

    def _scorer(self) -> Any:
        """The compiled scorer (:mod:`.scorer`) of a backoff-form model with ``<unk>``, else None."""
        scorer = self._compiled
        if scorer is None and self.form == BACKOFF:
            stored = self._stored_vocab
            if stored is not None and BOS in stored.specials and EOS in stored.specials:
                # a memory-mapped file: the special ids and the words' bytes without decoding the vocabulary
                V, specials = len(stored), list(stored.specials)
                bos, eos = specials.index(BOS), specials.index(EOS)
                unk = specials.index(UNK) if UNK in specials else None
            else:
                vocab = self._require_tables()
                V, unk = len(vocab), vocab.unk_id
                bos, eos, _ = special_ids(vocab)
                if self._vocab_bytes is None:
                    encoded = [t.encode("utf-8") for t in vocab.itos]
                    offsets = np.zeros(len(encoded) + 1, np.int64)
                    np.cumsum([len(b) for b in encoded], out=offsets[1:])
                    self._vocab_bytes = (np.frombuffer(b"".join(encoded), np.uint8), offsets)
            if unk is None:
                return None
            from wordseq.lm.ngram.scorer import CompiledScorer

            assert self._vocab_bytes is not None
            scorer = CompiledScorer(
                self.order, V, self.keys, self.logprob, self.logbow, *self._vocab_bytes, bos, eos, unk
            )
            self._compiled = scorer
        return scorer

    def index(self) -> NgramModel:
        """Build the probing hash tables now (about 24 bytes per n-gram), so every lookup is one memory read
        instead of a binary search; done by itself once the model has scored about a quarter of its n-gram
        count in bytes of text. Worth calling first in a process that will score a lot (a server). Returns
        the model; count-form models (MLE, add-k) have nothing to build."""
        scorer = self._compiled or self._scorer()
        if scorer is not None:
            scorer.index()
        return self

    def _scorer_for_text(self) -> Any:
        """The compiled scorer when this model's tokenizer is the whitespace splitting the scorer does itself,
        so a sentence goes to it as UTF-8 bytes; else None. Kept once found: a call from Python is about
        0.3 us, and checking the tokenizer every time would add a third."""
        if self._text_scorer is None and self._plain_text():
            self._text_scorer = self._compiled or self._scorer()
        return self._text_scorer

    def _plain_text(self) -> bool:
        """Whether the tokenizer is plain whitespace splitting, which the compiled text scorer does itself."""
        t = self.tokenizer
        return t.kind == "whitespace" and not t.lower and not t.nfkc

    def _index(self) -> list:
        """Hash indexes of the keys of every order (built on first use)."""
        index = getattr(self, "_hash", None)
        if index is None:
            from wordseq.lm.ngram.lookup import HashIndex

            index = [None, None] + [HashIndex(self.keys[n]) for n in range(2, self.order + 1)]
            self._hash = index
        return index

    @staticmethod
    def _ending_at(ids_n: np.ndarray, n: int) -> np.ndarray:
        """Re-index ids by the position of the n-gram's last word."""
        out = np.full(len(ids_n), -1, np.int64)
        if len(ids_n) >= n:
            out[n - 1 :] = ids_n[: len(ids_n) - n + 1]
        return out

    def score_stream(self, stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log10 probability and order used for every position of an id stream with ``<s>`` markers.
        Positions holding ``<s>`` get 0 and order 0 (they are context, never predicted)."""
        stream = np.asarray(stream, dtype=np.int64)
        scorer = self._scorer()
        if scorer is not None:
            return scorer.score_ids(stream)
        bos = special_ids(self._require_tables())[0]
        ids = self._ngram_ids(stream)
        for n in range(2, self.order + 1):  # from here on, ids[n][i] is the n-gram ending at position i
            ids[n] = self._ending_at(ids[n], n)
        L = len(stream)
        used = np.zeros(L, np.int8)
        if self.form == BACKOFF:
            lp = np.zeros(L, np.float64)
            for n in range(1, self.order + 1):
                end = ids[n]
                hit = end >= 0
                lp[hit] = self.logprob[n][end[hit]]
                used[hit] = n
            for m in range(1, self.order):
                ctx = np.concatenate([[-1], ids[m][:-1]])  # context of length m ending just before each position
                add = (ctx >= 0) & (used <= m)
                lp[add] += self.logbow[m][ctx[add]]
        else:
            lp = self._count_scores(stream, ids, used)
        is_bos = stream == bos
        lp[is_bos] = 0.0
        used[is_bos] = 0
        return lp, used

    def _count_scores(self, stream: np.ndarray, ids: list, used: np.ndarray) -> np.ndarray:
        """Count-form scores; ``ids[n][i]`` is the id of the n-gram ending at position i (-1: absent)."""
        bos = special_ids(self._require_tables())[0]
        L = len(stream)
        pos = np.arange(L)
        start = np.maximum.accumulate(np.where(stream == bos, pos, 0))
        n_used = np.minimum(self.order, pos - start + 1)
        n_used[(stream != bos) & (pos == start)] = 1  # a stream that does not begin with <s>
        vsize = int(self.predicted().sum())
        lp = np.zeros(L, np.float64)
        for n in range(1, self.order + 1):
            sel = np.flatnonzero(n_used == n)
            if n == 1:
                c = self.counts[1][stream[sel]].astype(np.float64)
                tot = np.full(len(sel), float(self.totals[1][0]))
            else:
                end = ids[n][sel]
                c = np.where(end >= 0, self.counts[n][np.maximum(end, 0)], 0).astype(np.float64)
                ctx = np.concatenate([[-1], ids[n - 1][:-1]])[sel]
                tot = np.where(ctx >= 0, self.totals[n][np.maximum(ctx, 0)], 0).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.smoothing == "add-k":
                    p = (c + self.k) / (tot + self.k * vsize)
                else:
                    p = np.where(tot > 0, c / np.where(tot > 0, tot, 1), 0.0)
                lp[sel] = np.log10(p)
            used[sel] = n
        return lp

    def encode(self, sentence: str | Sequence[str]) -> np.ndarray:
        """Token ids of one sentence (a string, tokenized as the model was trained, or a token list)."""
        vocab = self._require_tables()
        tokens = self.tokenizer(sentence) if isinstance(sentence, str) else list(sentence)
        return vocab.encode(tokens).astype(np.int64)

    def _sentence_stream(self, sentence: str | Sequence[str], bos: bool, eos: bool) -> np.ndarray:
        b, e, _ = special_ids(self._require_tables())
        ids = self.encode(sentence)
        parts = ([[b]] if bos else []) + [ids] + ([[e]] if eos else [])
        return np.concatenate([np.asarray(p, np.int64) for p in parts])

    def full_scores(
        self, sentence: str | Sequence[str], bos: bool = True, eos: bool = True
    ) -> list[tuple[float, int, bool]]:
        """Per-token ``(log10 prob, order used, is_oov)``, exactly as KenLM's ``full_scores`` (so log10, not
        natural log: the ARPA world's unit)."""
        if type(sentence) is str:
            scorer = self._text_scorer or self._scorer_for_text()
            if scorer is not None:
                return scorer.full_scores(sentence.encode(), bos, eos)
        stream = self._sentence_stream(sentence, bos, eos)
        lp, used = self.score_stream(stream)
        unk = self._require_tables().unk_id
        skip = 1 if bos else 0
        return [(float(p), int(n), bool(w == unk)) for p, n, w in zip(lp[skip:], used[skip:], stream[skip:])]

    def score(self, sentence: str | Sequence[str], bos: bool = True, eos: bool = True) -> float:
        """Total log10 probability of one sentence (with ``</s>`` unless ``eos=False``), as KenLM's ``score``
        (log10 for KenLM compatibility; :meth:`evaluate` gives natural-log figures)."""
        if type(sentence) is str:
            scorer = self._text_scorer or self._scorer_for_text()
            if scorer is not None:
                return scorer.call(sentence.encode(), (1 if bos else 0) | (2 if eos else 0))
        lp, _ = self.score_stream(self._sentence_stream(sentence, bos, eos))
        return float(lp.sum())

    def evaluate(self, data: Any, eos: bool = True, chunk: int = 1 << 22) -> LMScore:
        """Score held-out data: a path (file, directory, glob, ``-``; tokenized as the model was trained), an
        :class:`~wordseq.text.encode.Encoded` corpus or ``(ids, vocab)`` (re-expressed over the model's
        vocabulary when it is another), ids over the model's vocabulary, or a list of sentences.

        ``</s>`` is a predicted token unless ``eos=False``. The result's ``log10_prob`` is KenLM's total;
        ``zero_prob`` counts tokens of probability 0 (MLE only), which make the perplexity infinite."""
        self._require_fitted()
        fast = self._evaluate_text(data, eos)  # the compiled pass needs no decoded vocabulary
        if fast is not None:
            return fast
        vocab = self._require_tables()
        test = self._data(data, self.tokenizer, vocab=vocab)
        bos_id, eos_id, _ = special_ids(vocab)
        ids = np.asarray(test.ids)
        if len(ids) and ids[-1] != eos_id:
            ids = np.append(ids, eos_id)
        ends = np.flatnonzero(ids == eos_id)
        total, tokens, oov, zero, oov_lp = 0.0, 0, 0, 0, 0.0
        unk = vocab.unk_id
        if len(ends):
            targets = np.arange(chunk, len(ids), chunk)
            cut_at = ends[np.minimum(np.searchsorted(ends, targets), len(ends) - 1)] + 1
            cuts = np.unique(np.concatenate([[0, len(ids)], cut_at]))
        else:
            cuts = np.array([0, 0])
        for s, e in zip(cuts[:-1], cuts[1:]):
            stream = add_sentence_starts(ids[s:e], bos_id, eos_id)
            lp, _ = self.score_stream(stream)
            keep = stream != bos_id
            if not eos:
                keep &= stream != eos_id
            lpk = lp[keep]
            finite = np.isfinite(lpk)
            zero += int(np.count_nonzero(~finite))
            total += float(lpk[finite].sum())
            tokens += int(keep.sum())
            if unk is not None:
                is_unk = stream[keep] == unk
                oov += int(is_unk.sum())
                oov_lp += float(lpk[is_unk & finite].sum())
        if tokens == 0:
            raise WordseqError("nothing to score: the test corpus has no tokens")
        rest = tokens - oov
        ppl_in = math.nan if rest == 0 else (math.inf if zero else 10.0 ** (-(total - oov_lp) / rest))
        return LMScore.from_log10(
            -math.inf if zero else total,
            tokens,
            sentences=len(ends),
            oov=oov,
            zero_prob=zero,
            perplexity_without_oov=ppl_in,
        )

    def _evaluate_text(self, data: Any, eos: bool) -> LMScore | None:
        """:meth:`evaluate` of one plain UTF-8 text file in a single compiled pass (read, split, look up,
        score), or None when another path must read it (a glob, a folder, ``-``, another tokenizer, text
        that is not clean UTF-8: those go through the encoder, with its warnings and errors)."""
        if not isinstance(data, (str, os.PathLike)) or not self._plain_text() or not os.path.isfile(data):
            return None
        scorer = self._scorer()
        if scorer is None:
            return None
        from wordseq.io.inputs import open_input
        from wordseq.text.corpus import _looks_binary

        with open_input(data, "rb") as f:
            try:
                raw = f.read()
            except (OSError, EOFError, ValueError):
                return None
        if raw.startswith(b"\xef\xbb\xbf") or _looks_binary(raw[:4096]):
            return None
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        scorer.spend(len(raw))  # hash tables once enough text has been scored for them to pay off
        total, tokens, oov, oov_lp, zero, sentences = scorer.score_text(raw, eos).tolist()
        if tokens == 0:
            raise WordseqError("nothing to score: the test corpus has no tokens")
        tokens, oov, zero = int(tokens), int(oov), int(zero)
        rest = tokens - oov
        ppl_in = math.nan if rest == 0 else (math.inf if zero else 10.0 ** (-(total - oov_lp) / rest))
        return LMScore.from_log10(
            -math.inf if zero else total,
            tokens,
            sentences=int(sentences),
            oov=oov,
            zero_prob=zero,
            perplexity_without_oov=ppl_in,
        )

    # -- distributions ---------------------------------------------------------------------------------
    def _context_ids(self, history: Sequence[int]) -> list[int]:
        """ids[m] of the last m words of ``history`` at order m (-1 when absent), m = 1..N-1."""
        N, V = self.order, self.V
        out = [-1] * N
        h = list(history)[-(N - 1) :] if N > 1 else []
        for m in range(1, len(h) + 1):
            words = h[len(h) - m :]
            cid = int(words[0])
            for j, w in enumerate(words[1:], start=2):
                keys = self.keys[j]
                key = cid * V + int(w)
                i = int(np.searchsorted(keys, key))
                if i >= len(keys) or keys[i] != key:
                    cid = -1
                    break
                cid = i
            out[m] = cid
        return out

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """log10 p(w | history) for every vocabulary id w (``-inf`` for ``<s>`` and ``<pad>``).
        ``history`` is a list of ids; a leading ``<s>`` marks the sentence start."""
        bos = special_ids(self._require_tables())[0]
        history = list(history)
        if bos in history:
            history = history[len(history) - history[::-1].index(bos) - 1 :]
        N, V = self.order, self.V
        ctx = self._context_ids(history)
        mask = self.predicted()
        if self.form == BACKOFF:
            dist = self.logprob[1].astype(np.float64)
            for m in range(1, N):
                if ctx[m] < 0:
                    break
                dist += self.logbow[m][ctx[m]]
                keys = self.keys[m + 1]
                lo, hi = np.searchsorted(keys, [ctx[m] * V, (ctx[m] + 1) * V])
                dist[keys[lo:hi] % V] = self.logprob[m + 1][lo:hi]
        else:
            n = min(N, len(history) + 1)
            vsize = int(mask.sum())
            c = np.zeros(V)
            if n == 1:
                c[:] = self.counts[1]
                tot = float(self.totals[1][0])
            elif ctx[n - 1] >= 0:
                keys = self.keys[n]
                lo, hi = np.searchsorted(keys, [ctx[n - 1] * V, (ctx[n - 1] + 1) * V])
                c[keys[lo:hi] % V] = self.counts[n][lo:hi]
                tot = float(self.totals[n][ctx[n - 1]])
            else:
                tot = 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.smoothing == "add-k":
                    dist = np.log10((c + self.k) / (tot + self.k * vsize))
                else:
                    dist = np.log10(c / tot) if tot > 0 else np.full(V, -np.inf)
        dist[~mask] = -np.inf
        return dist

    # -- text generation ------------------------------------------------------------------------------
    def generate(
        self,
        num_samples: int = 10,
        temperature: float = 1.0,
        prefix: str | Sequence[str] = "",
        seed: int = 0,
        max_len: int = 100,
    ) -> list[str]:
        """``num_samples`` sentences, each word drawn from the model's distribution given the words before
        it; each starts with ``prefix`` and ends at ``</s>`` or after ``max_len`` tokens. ``temperature``
        below 1 sharpens the distribution, above 1 flattens it."""
        vocab = self._require_tables()
        return generate_sentences(self, vocab, num_samples, temperature, prefix, seed, max_len)

    # -- files --------------------------------------------------------------------------------------
    @property
    def file_kind(self) -> str:
        """The model-file kind: ``ngram-<smoothing>`` (``wordseq.load`` knows every ``ngram-`` kind)."""
        return f"{KIND}-{self.smoothing}"

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model atomically and return the path: ARPA when the name ends in ``.arpa`` (or
        ``.arpa.gz``, ``.arpa.bz2``, ``.arpa.xz``), else a ``.wsq`` model file. MLE and add-k models have no
        exact ARPA form (unseen n-grams do not back off) and are refused."""
        vocab = self._require_tables()
        if is_arpa_name(path):
            if self.form != BACKOFF:
                raise WordseqError(
                    f"{self.smoothing} models have no exact ARPA form (unseen n-grams do not back off); "
                    "save it as .wsq, or use smoothing mkn, kn or absolute"
                )
            tables = ArpaTables(self.order, vocab.itos, self.keys, self.logprob or [], self.logbow or [])
            bos = special_ids(vocab)[0]
            unigrams = np.flatnonzero(self.predicted() | (np.arange(self.V) == bos))
            return write_arpa(path, tables, unigrams)
        extra = {
            "form": self.form,
            "tokenizer": self.tokenizer.config(),
            "discounts": [None if d is None else list(d) for d in self.discounts],
            **{k: v for k, v in self.info.items() if k not in ("form", "tokenizer", "discounts")},
        }
        provenance = {**self.provenance, "history": self.history}
        if "source" in self.info:
            provenance.setdefault("corpus", self.info["source"])
        arrays = {"keys": self.keys, "logprob": self.logprob, "logbow": self.logbow}
        arrays.update(counts=self.counts, totals=self.totals)
        return write_ngram(path, self.file_kind, self.config.to_dict(), self.order, vocab, arrays, extra, provenance)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> NgramModel:
        """Read an ARPA file (by name or by its ``\\data\\`` header; plain, ``.gz``, ``.bz2``, ``.xz``, or ``-``
        for standard input) or a ``.wsq`` n-gram model file. Nothing in the file is executed.

        ``mmap`` (``.wsq`` only): the tables stay in the file, memory-mapped (read-only, shared between
        processes, paged in as scoring touches them) and the vocabulary is decoded only if asked for, so a
        model of GB opens in milliseconds; the file's checksum is then not verified."""
        if is_arpa(path):
            return cls._from_arpa(read_arpa(path), os.fspath(path))
        stored = read_ngram(path, mmap=mmap)
        extra = dict(stored.extra)
        config = NgramConfig.from_dict(stored.config)
        model = cls(config)
        if mmap:
            model._stored_vocab = stored.vocab
            model._vocab_bytes = (stored.vocab.bytes, stored.vocab.offsets)  # type: ignore[attr-defined]
        else:
            model.vocab = Vocab.from_stored(stored.vocab)
        model.form = str(extra.pop("form", model.form))
        model.tokenizer = Tokenizer(**extra.pop("tokenizer", {}))
        model.discounts = [None if d is None else tuple(d) for d in extra.pop("discounts", [])]
        model.keys = stored.keys
        model.logprob, model.logbow = stored.logprob, stored.logbow
        model.counts, model.totals = stored.counts, stored.totals
        model.info = extra
        model.provenance = {k: v for k, v in stored.provenance.items() if k != "history"}
        model.history = list(stored.provenance.get("history", []))
        return model

    def summary(self) -> ModelSummary:
        """Kind, configuration, vocabulary, one row per order (its n-grams counted as parameters), the
        discounts and the corpus facts: what ``wordseq info`` prints."""
        vocab = self._require_tables()
        sizes = self.sizes()
        kinds = {BACKOFF: "log10 prob + backoff", COUNTS: "counts + totals"}
        layers = [
            LayerInfo(f"{n}-grams", f"N-gram table ({kinds.get(self.form, self.form)})", f"({size},)", size)
            for n, size in enumerate(sizes, 1)
        ]
        extra: dict[str, Any] = {"form": self.form, "ngrams per order": sizes}
        discounts = [d for d in self.discounts[1:] if d is not None]
        if discounts:
            extra["discounts"] = [[round(x, 4) for x in d] for d in self.discounts[1:] if d is not None]
        extra["tokenizer"] = self.tokenizer.config()
        for key in ("tokens", "sentences", "source"):
            if key in self.info:
                extra[key] = self.info[key]
        metrics = {k: v for k, v in (self.history[-1] if self.history else {}).items() if k.startswith("valid_")}
        provenance = dict(self.provenance)
        return ModelSummary(self.file_kind, self.config.to_dict(), len(vocab), layers, provenance, metrics, extra)
