"""Counting n-grams on many machines with Dask: corpus shards counted on workers, the sorted counts merged
by key (a map-reduce), the counts of :func:`~wordseq.lm.ngram.counts.count_ngrams` rebuilt from the merge.

Map: the corpus is cut at sentence ends into shards (an n-gram never crosses a sentence, so the counts of
the corpus are the sums of the shards' counts); each worker counts its shard (in memory, or within
``memory`` with :mod:`.external`) and returns every order's n-grams as rows of word ids sorted by key, with
their counts. Reduce: pairs of shard counts are merged on the workers (rows of equal words summed), as a
tree, until one remains. The client then numbers the merged n-grams (the packed keys of :mod:`.counts`)
and finds each n-gram's suffix, which gives exactly the counts, and so the model, of one process.

The client encodes the corpus and sends each worker its shard of ids; what the workers write (runs, with
``memory``) goes to their own temporary directories. The merged counts and the estimate live on the client.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wordseq.errors import WordseqError
from wordseq.lm.ngram.counts import NgramCounts, count_ngrams, special_ids
from wordseq.text.vocab import Vocab

CONNECT_TIMEOUT = "10s"


def shard_bounds(ids: np.ndarray, eos: int, shards: int) -> list[tuple[int, int]]:
    """Cut ``ids`` into at most ``shards`` ranges of about equal length, each ending at a sentence end."""
    n = len(ids)
    ends = np.flatnonzero(np.asarray(ids) == eos) + 1
    cuts = [0]
    for i in range(1, shards):
        j = int(np.searchsorted(ends, i * n // shards))
        if j < len(ends) and ends[j] > cuts[-1] and ends[j] < n:
            cuts.append(int(ends[j]))
    cuts.append(n)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def longest_sentence(ids: np.ndarray, eos: int) -> int:
    """Words of the longest sentence with ``<s>`` and ``</s>`` (a last line without ``</s>`` gets one)."""
    ends = np.flatnonzero(np.asarray(ids) == eos)
    lens = np.diff(np.concatenate([[-1], ends]))
    tail = len(ids) - 1 - (ends[-1] if len(ends) else -1)
    return int(max(lens.max() if len(lens) else 0, tail + 1 if tail else 0)) + 1


def shard_counts(ids: np.ndarray, vocab: Vocab, order: int, memory: int | str | None = None) -> dict:
    """The map step: a shard's counts as word rows per order, sorted by key (the rows' lexicographic order)."""
    from wordseq.lm.ngram.external import count_ngrams_external

    _, eos, _ = special_ids(vocab)
    upto = min(order, longest_sentence(ids, eos))
    if memory is None:
        c = count_ngrams(ids, vocab, upto, desc="counting shard")
    else:
        c = count_ngrams_external(ids, vocab, upto, memory, desc="counting shard")
    V = len(vocab)
    rows: list = [None, None]
    counts: list = [None, None]
    words = np.arange(V, dtype=np.int32)[:, None]  # order 1: ids are word ids
    for n in range(2, order + 1):
        if n > upto:
            rows.append(np.zeros((0, n), np.int32))
            counts.append(np.zeros(0, np.int64))
            continue
        keys = np.asarray(c.keys[n])
        words = np.concatenate([words[keys // V], (keys % V).astype(np.int32)[:, None]], axis=1)
        rows.append(words)
        counts.append(np.asarray(c.counts[n], np.int64))
    return {"unigram": c.counts[1], "rows": rows, "counts": counts, "tokens": c.tokens, "sentences": c.sentences}


def _merge_rows(a: np.ndarray, ca: np.ndarray, b: np.ndarray, cb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted row sets with counts merged: equal rows summed, the result sorted."""
    rows = np.concatenate([a, b])
    counts = np.concatenate([ca, cb])
    if not len(rows):
        return rows, counts
    order = np.lexsort(rows.T[::-1])
    rows, counts = rows[order], counts[order]
    new = np.concatenate([[True], np.any(rows[1:] != rows[:-1], axis=1)])
    starts = np.flatnonzero(new)
    return rows[starts], np.add.reduceat(counts, starts)


def merge_counts(a: dict, b: dict) -> dict:
    """The reduce step: two shards' counts summed."""
    out: dict = {"unigram": a["unigram"] + b["unigram"], "rows": [None, None], "counts": [None, None]}
    for n in range(2, len(a["rows"])):
        r, c = _merge_rows(a["rows"][n], a["counts"][n], b["rows"][n], b["counts"][n])
        out["rows"].append(r)
        out["counts"].append(c)
    out["tokens"] = a["tokens"] + b["tokens"]
    out["sentences"] = a["sentences"] + b["sentences"]
    return out


def counts_from_rows(merged: dict, vocab: Vocab, order: int) -> NgramCounts:
    """The counts of one process from the merged word rows: packed keys, suffix ids, ``<s>`` flags."""
    bos, _, _ = special_ids(vocab)
    V = len(vocab)
    L = merged["tokens"] + merged["sentences"]
    count_type = np.int32 if L < 2**31 - 1 else np.int64
    out = NgramCounts(order, vocab, [None, None], [None, merged["unigram"]], [None, None], [None, np.arange(V) == bos])
    out.tokens, out.sentences = merged["tokens"], merged["sentences"]

    def ids_of(words: np.ndarray) -> np.ndarray:
        """Ids of word rows (each an n-gram present in the counts) at their order."""
        ids = words[:, 0].astype(np.int64)
        for j in range(1, words.shape[1]):
            ids = np.searchsorted(out.keys[j + 1], ids * V + words[:, j])
        return ids

    for n in range(2, order + 1):
        rows = merged["rows"][n]
        id_type = np.int32 if L - n + 2 < 2**31 - 1 else np.int64  # the dtype of the order below's ids
        keys = (ids_of(rows[:, :-1]) if n > 2 else rows[:, 0].astype(np.int64)) * V + rows[:, -1]
        out.keys.append(keys.astype(np.int64))
        out.counts.append(merged["counts"][n].astype(count_type))
        out.suffix.append(ids_of(rows[:, 1:]).astype(id_type))
        out.bos_first.append(rows[:, 0] == bos)
    return out


def connect(address: str | None = None, workers: int | None = None) -> tuple[Any, Any]:
    """A Dask client: of the scheduler at ``address``, or of a new local cluster of ``workers`` processes.
    Returns (client, cluster or None); one line names the address when the scheduler cannot be reached."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - the extra is not installed
        raise WordseqError("counting on a Dask cluster needs dask.distributed: pip install 'wordseq[dask]'") from e
    if address is not None:
        try:
            return Client(address, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as e:
            raise WordseqError(f"cannot reach the Dask scheduler at {address}: {e}") from None
    if workers is None or workers < 1:
        raise WordseqError(f"workers must be at least 1, got {workers}")
    cluster = LocalCluster(
        n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=40
    )
    return Client(cluster), cluster


def count_ngrams_dask(
    ids: np.ndarray,
    vocab: Vocab,
    order: int,
    address: str | None = None,
    workers: int | None = None,
    memory: int | str | None = None,
    shards: int | None = None,
    client: Any = None,
) -> NgramCounts:
    """The counts of :func:`~wordseq.lm.ngram.counts.count_ngrams`, counted on a Dask cluster: the
    scheduler at ``address`` (``tcp://host:8786``), a local cluster of ``workers`` processes, or ``client``.
    ``shards`` (default: twice the workers) pieces of the corpus are counted, each within ``memory`` when
    given, and merged in a tree on the workers."""
    if order < 1:
        raise WordseqError(f"the n-gram order must be at least 1, got {order}")
    _, eos, _ = special_ids(vocab)
    ids = np.asarray(ids)
    if len(ids) == 0:
        raise WordseqError("empty corpus: nothing to count")
    longest = longest_sentence(ids, eos)
    if order > longest:
        raise WordseqError(
            f"order {order} is larger than this corpus allows: its longest sentence has "
            f"{longest - 2} tokens, so the longest n-gram (with <s> and </s>) has {longest} words"
        )
    if memory is not None:
        from wordseq.lm.ngram.external import plan

        plan(memory)  # a bad or too small budget is refused here, before any worker starts
    own = client is None
    cluster = None
    if own:
        client, cluster = connect(address, workers)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        bounds = shard_bounds(ids, eos, shards or 2 * n_workers)
        futures = [
            client.submit(shard_counts, ids[a:b], vocab, order, memory, pure=False, key=f"ngram-shard-{i}-{a}")
            for i, (a, b) in enumerate(bounds)
        ]
        while len(futures) > 1:  # a tree of merges on the workers
            nxt = [client.submit(merge_counts, x, y, pure=False) for x, y in zip(futures[::2], futures[1::2])]
            if len(futures) % 2:
                nxt.append(futures[-1])
            futures = nxt
        merged = futures[0].result()
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return counts_from_rows(merged, vocab, order)
