"""Batch layouts shared by the models: language-model streams cut into BPTT windows, and padded batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from wordseq.errors import WordseqError


def lm_streams(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """Split a token stream into ``batch_size`` parallel streams: shape ``(batch_size, T)``.

    The tail that does not fill a whole column is dropped, as in the PyTorch word_language_model example.
    """
    if batch_size < 1:
        raise WordseqError(f"batch size must be at least 1, got {batch_size}")
    T = len(ids) // batch_size
    if T < 2:
        raise WordseqError(f"corpus of {len(ids)} tokens is too short for {batch_size} streams")
    return np.ascontiguousarray(np.asarray(ids[: T * batch_size], dtype=np.int64).reshape(batch_size, T))


def bptt_windows(streams: np.ndarray, bptt: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(inputs, targets)`` windows of shape ``(batch, <=bptt)``; targets are inputs shifted by one."""
    if bptt < 1:
        raise WordseqError(f"BPTT length must be at least 1, got {bptt}")
    T = streams.shape[1]
    if T - 1 < 1:
        raise WordseqError("corpus is shorter than one BPTT window")
    for start in range(0, T - 1, bptt):
        end = min(start + bptt, T - 1)
        yield streams[:, start:end], streams[:, start + 1 : end + 1]


def n_windows(streams: np.ndarray, bptt: int) -> int:
    return (streams.shape[1] - 1 + bptt - 1) // bptt


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int, max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pad sequences to one length: returns ``(batch, lengths)`` with batch of shape ``(n, max_len)``."""
    lengths = np.array([min(len(s), max_len) if max_len else len(s) for s in seqs], dtype=np.int64)
    width = int(lengths.max()) if len(seqs) else 0
    out = np.full((len(seqs), width), pad_id, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : lengths[i]] = np.asarray(s[: lengths[i]], dtype=np.int64)
    return out, lengths


def sentences(ids: np.ndarray, eos_id: int) -> list[np.ndarray]:
    """Cut an encoded corpus at its ``</s>`` markers (the markers are dropped)."""
    ends = np.flatnonzero(np.asarray(ids) == eos_id)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return [np.asarray(ids[s:e]) for s, e in zip(starts, ends)]


def length_buckets(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """Batches of indices with similar lengths (less padding); shuffled when ``rng`` is given."""
    order = np.argsort(lengths, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches
