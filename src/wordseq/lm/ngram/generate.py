"""Generating sentences from an n-gram model: one full next-word distribution per step (a few vectorized
operations over the vocabulary), each next word one draw from it, so ten sentences take milliseconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from wordseq.errors import WordseqError
from wordseq.lm.ngram.counts import special_ids
from wordseq.text.vocab import Vocab


class _Model(Protocol):
    """What generation needs of a model: its encoder and its next-word distribution."""

    def encode(self, sentence: str | Sequence[str]) -> np.ndarray: ...

    def distribution(self, history: Sequence[int]) -> np.ndarray: ...


def generate_sentences(
    model: _Model,
    vocab: Vocab,
    num_samples: int = 10,
    temperature: float = 1.0,
    prefix: str | Sequence[str] = "",
    seed: int = 0,
    max_len: int = 100,
) -> list[str]:
    """``num_samples`` sentences of ``model`` (over ``vocab``), each started with ``<s>`` and ``prefix`` and
    ended by ``</s>`` or after ``max_len`` tokens. ``temperature`` < 1 sharpens the distribution (p ** (1/T),
    renormalized), > 1 flattens it."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise WordseqError(f"the temperature must be positive, got {temperature!r}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 0:
        raise WordseqError(f"num_samples must be an integer >= 0, got {num_samples!r}")
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise WordseqError(f"max_len must be an integer >= 1, got {max_len!r}")
    bos, eos, _ = special_ids(vocab)
    rng = np.random.default_rng(seed)
    start = [bos] + model.encode(prefix).tolist()
    prefix_tokens = vocab.decode(start[1:])
    out = []
    for _ in range(num_samples):
        history = list(start)
        words: list[str] = []
        for _ in range(max_len):
            logp = model.distribution(history) / temperature
            if not np.isfinite(logp).any():
                raise WordseqError(
                    "the model gives this context probability 0 for every word (an MLE model and a prefix it never saw)"
                )
            p = np.power(10.0, logp - logp.max())
            p /= p.sum()
            w = int(rng.choice(len(p), p=p))
            if w == eos:
                break
            history.append(w)
            words.append(vocab.itos[w])
        out.append(" ".join(prefix_tokens + words))
    return out
