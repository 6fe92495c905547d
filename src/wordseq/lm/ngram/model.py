"""The n-gram language model: probability tables, vectorized scoring, perplexity, model files.

A model holds, for every order n, the sorted packed keys of its n-grams (see :mod:`.counts`) and either
backoff-form tables (log10 probability and log10 backoff weight, as in an ARPA file: the interpolated
estimators and every ARPA file) or count-form tables (raw counts and context totals: MLE and add-k).

Scoring a corpus is a handful of numpy passes over the whole id stream, not a loop per token: the ids of
the n-grams of each order starting at every position are found with one ``searchsorted`` per order, then
the longest match ending at each position gives the probability and the backoff weights of the longer
contexts are added, exactly as KenLM's ``full_scores`` does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.lm.ngram.counts import NgramCounts, add_sentence_starts, count_ngrams, special_ids
from wordseq.lm.ngram.estimate import INTERPOLATED, Estimate, estimate, predictable
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab

KIND = "ngram"
BACKOFF = "backoff"  # tables in ARPA form
COUNTS = "counts"  # raw counts (mle, add-k)


@dataclass
class Perplexity:
    """Result of scoring a corpus. ``tokens`` counts the predicted tokens (``</s>`` included unless
    scoring without it); ``oov`` the tokens scored as ``<unk>``; ``zero`` those given probability 0."""

    perplexity: float
    logprob: float  # total log10 probability
    tokens: int
    sentences: int
    oov: int
    zero: int = 0
    perplexity_without_oov: float = math.nan

    def __str__(self) -> str:
        s = (
            f"perplexity {self.perplexity:.2f} over {self.tokens:,} tokens in {self.sentences:,} sentences "
            f"(log10 prob {self.logprob:.2f}); {self.oov:,} scored as <unk>"
        )
        if self.oov:
            s += f"; without them: perplexity {self.perplexity_without_oov:.2f}"
        if self.zero:
            s += f"; {self.zero:,} tokens have probability 0"
        return s


@dataclass(eq=False)
class NgramModel:
    """An n-gram language model over ``vocab``; see the module docstring for the two table forms."""

    order: int
    vocab: Vocab
    form: str
    keys: list  # keys[n] for n >= 2 (index 0 and 1 unused)
    logprob: list | None = None
    logbow: list | None = None
    counts: list | None = None
    totals: list | None = None
    smoothing: str = "mkn"
    k: float = 1.0
    discounts: list = field(default_factory=list)
    tokenizer: Tokenizer = field(default_factory=Tokenizer)
    info: dict = field(default_factory=dict)

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        counts: NgramCounts,
        smoothing: str = "mkn",
        discount: float | None = None,
        k: float = 1.0,
        tokenizer: Tokenizer | None = None,
        release: bool = False,
    ) -> NgramModel:
        """Estimate from counts; ``release`` lets the estimator free the counts as it goes."""
        info = {"tokens": counts.tokens, "sentences": counts.sentences, "ngrams": counts.sizes()}
        est: Estimate = estimate(counts, smoothing, discount, k, release)
        form = BACKOFF if smoothing in INTERPOLATED else COUNTS
        return cls(
            counts.order,
            counts.vocab,
            form,
            counts.keys,
            est.logprob,
            est.logbow,
            est.counts,
            est.totals,
            smoothing,
            k,
            est.discounts,
            tokenizer or Tokenizer(),
            info,
        )

    @classmethod
    def fit(
        cls,
        ids: np.ndarray,
        vocab: Vocab,
        order: int = 3,
        smoothing: str = "mkn",
        discount: float | None = None,
        k: float = 1.0,
        tokenizer: Tokenizer | None = None,
    ) -> NgramModel:
        """Count and estimate from an encoded corpus (``</s>`` after every sentence)."""
        return cls.from_counts(count_ngrams(ids, vocab, order), smoothing, discount, k, tokenizer, release=True)

    @classmethod
    def train(
        cls,
        corpus,
        order: int = 3,
        smoothing: str = "mkn",
        tokenizer: Tokenizer | None = None,
        min_count: int = 1,
        discount: float | None = None,
        k: float = 1.0,
        cache: bool = True,
    ) -> NgramModel:
        """Read, encode, count and estimate: a corpus path (file, directory, glob) to a model."""
        from wordseq.text.encode import encode_corpus

        tokenizer = tokenizer or Tokenizer()
        enc = encode_corpus(corpus, tokenizer, min_count=min_count, cache=cache)
        return cls.fit(enc.ids, enc.vocab, order, smoothing, discount, k, tokenizer)

    # -- basic facts --------------------------------------------------------------------------------
    @property
    def V(self) -> int:
        return len(self.vocab)

    def sizes(self) -> list[int]:
        """Number of n-grams of each order (order 1: predicted vocabulary entries, <s> included)."""
        return [self.n_unigrams()] + [len(self.keys[n]) for n in range(2, self.order + 1)]

    def n_unigrams(self) -> int:
        _, _, pad = special_ids(self.vocab)
        return self.V - (1 if pad >= 0 else 0)

    def predicted(self) -> np.ndarray:
        return predictable(self.vocab, self.V)

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
        bos = special_ids(self.vocab)[0]
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
        bos = special_ids(self.vocab)[0]
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
        tokens = self.tokenizer(sentence) if isinstance(sentence, str) else list(sentence)
        return self.vocab.encode(tokens).astype(np.int64)

    def _sentence_stream(self, sentence, bos: bool, eos: bool) -> np.ndarray:
        b, e, _ = special_ids(self.vocab)
        ids = self.encode(sentence)
        parts = ([[b]] if bos else []) + [ids] + ([[e]] if eos else [])
        return np.concatenate([np.asarray(p, np.int64) for p in parts])

    def full_scores(self, sentence: str | Sequence[str], bos: bool = True, eos: bool = True):
        """Per-token ``(log10 prob, order used, is_oov)``, like KenLM's ``full_scores``."""
        stream = self._sentence_stream(sentence, bos, eos)
        lp, used = self.score_stream(stream)
        unk = self.vocab.unk_id
        skip = 1 if bos else 0
        return [(float(p), int(n), bool(w == unk)) for p, n, w in zip(lp[skip:], used[skip:], stream[skip:])]

    def score(self, sentence: str | Sequence[str], bos: bool = True, eos: bool = True) -> float:
        """Total log10 probability of one sentence (with ``</s>`` unless ``eos=False``)."""
        lp, _ = self.score_stream(self._sentence_stream(sentence, bos, eos))
        return float(lp.sum())

    def perplexity_ids(self, ids: np.ndarray, eos: bool = True, chunk: int = 1 << 22) -> Perplexity:
        """Perplexity of an encoded corpus (``</s>`` after every sentence), in chunks of whole sentences."""
        bos_id, eos_id, _ = special_ids(self.vocab)
        ids = np.asarray(ids)
        if len(ids) and ids[-1] != eos_id:
            ids = np.append(ids, eos_id)
        ends = np.flatnonzero(ids == eos_id)
        total, tokens, oov, zero, oov_lp = 0.0, 0, 0, 0, 0.0
        unk = self.vocab.unk_id
        targets = np.arange(chunk, len(ids), chunk)
        cuts = np.unique(
            np.concatenate([[0, len(ids)], ends[np.minimum(np.searchsorted(ends, targets), len(ends) - 1)] + 1])
        )
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
        ppl = math.inf if zero else 10.0 ** (-total / tokens)
        rest = tokens - oov
        ppl_in = math.nan if rest == 0 else (math.inf if zero else 10.0 ** (-(total - oov_lp) / rest))
        return Perplexity(ppl, -math.inf if zero else total, tokens, len(ends), oov, zero, ppl_in)

    def perplexity(self, corpus: str | os.PathLike | Iterable[str], eos: bool = True) -> Perplexity:
        """Perplexity of a corpus: a path (file, directory, glob; tokenized as the model was trained) or an
        iterable of sentences. ``</s>`` is a predicted token unless ``eos=False``."""
        if isinstance(corpus, (str, os.PathLike)) and (
            Path(corpus).exists() or str(corpus) == "-" or any(ch in str(corpus) for ch in "*?[")
        ):
            from wordseq.text.encode import encode_corpus

            enc = encode_corpus(corpus, self.tokenizer, vocab=self.vocab, desc="encoding test")
            return self.perplexity_ids(enc.ids, eos)
        if isinstance(corpus, (str, os.PathLike)):
            raise InputError(corpus, "no such file")
        _, e, _ = special_ids(self.vocab)
        parts = [np.append(self.encode(s), e) for s in corpus]
        if not parts:
            raise WordseqError("nothing to score: no sentences")
        return self.perplexity_ids(np.concatenate(parts), eos)

    # -- distributions and sampling ------------------------------------------------------------------
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
        bos = special_ids(self.vocab)[0]
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

    def sample(
        self, n: int = 10, temperature: float = 1.0, prefix: str | Sequence[str] = "", seed: int = 0, max_len: int = 100
    ) -> list[str]:
        """Sample ``n`` sentences (each ends at ``</s>`` or after ``max_len`` tokens)."""
        from wordseq.lm.ngram.sample import sample

        return sample(self, n, temperature, prefix, seed, max_len)

    # -- files --------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the model: ARPA when the name ends in ``.arpa`` (or ``.arpa.gz``), else a ``.wsq`` file."""
        from wordseq.lm.ngram.arpa import is_arpa_name, write_arpa

        if is_arpa_name(path):
            return write_arpa(self, path)
        from wordseq.lm.ngram.modelfile import save_ngram

        return save_ngram(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> NgramModel:
        """Read an ARPA file (by name or by its ``\\data\\`` header) or a ``.wsq`` n-gram model file."""
        from wordseq.lm.ngram.arpa import is_arpa, read_arpa
        from wordseq.lm.ngram.modelfile import load_ngram

        if is_arpa(path):
            return read_arpa(path)
        return load_ngram(path)
