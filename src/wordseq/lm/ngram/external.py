"""Counting n-grams within a memory budget: the counts of :func:`~wordseq.lm.ngram.counts.count_ngrams`,
exactly, with the working set on disk (an external sort, as KenLM's ``lmplz -S``).

Order by order, as the in-memory counter: the corpus positions are taken a chunk at a time, the chunk's
n-grams become packed int64 keys ``prefix_id * V + word`` counted with ``np.unique``, and the sorted chunk
counts are kept until they fill the budget, then written as a sorted run to a temporary file
(:class:`wordseq.text.extsort.RunSpiller`). The runs are merged by key into the order's sorted keys and
counts, written to disk as they come. A second pass gives every position the id of its n-gram (a sorted
lookup in the merged keys, the chunk's keys sorted first so that the binary searches go through the mapped
keys in order rather than at random) for the next order's keys, and every n-gram its suffix id.

What lives where: the corpus stream with ``<s>`` and the per-position ids of each order are files read a
chunk at a time; the runs are files; the keys, counts, suffix ids and ``<s>`` flags of every order are
files mapped into memory read-only (``numpy.memmap``), so the operating system pages them in and out and
they do not count as the process's own (anonymous) memory; the pages read from them are released between
chunks once the resident set passes the budget by :data:`PAGE_SLACK` (:mod:`wordseq.text.mapped`). The
anonymous working set is one chunk of positions plus the kept runs, both sized from the budget less the
anonymous memory the process holds when counting starts (the interpreter, the libraries, the vocabulary:
:func:`share`), so that the budget bounds the whole process. The estimate that follows reads the mapped
counts and, given :func:`disk_store`, makes its tables of one entry per n-gram or context (the per-context
sums included) as mapped files too, in slices sized the same way.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from typing import Any

import numpy as np

from wordseq.errors import WordseqError
from wordseq.lm.ngram.counts import NgramCounts, special_ids
from wordseq.progress import progress
from wordseq.text import mapped
from wordseq.text.extsort import RunSpiller, format_bytes, parse_memory
from wordseq.text.vocab import PAD, Vocab

BYTES_PER_POSITION = 256  # the chunk working set: int64 keys, np.unique's sort and inverse, ids, masks
MIN_CHUNK = 1024  # positions: below this a budget is not worth spilling for
MAX_CHUNK = 1 << 22
MIN_SHARE = 8 * BYTES_PER_POSITION * MIN_CHUNK  # the least a count gets whatever the process holds: 2 MiB
# the resident set may pass the budget by this much before the mapped files' pages are released
# (:mod:`wordseq.text.mapped`): about 60 MB of it are the libraries' code, the rest saves releasing and
# reading back the same pages at every chunk
PAGE_SLACK = 128 << 20
SPILL_FACTOR = 5  # bytes of memory per byte of sorted counts kept: the records and the sort's temporaries


def share(memory: int | str, held: int = 0) -> int:
    """The bytes of a budget for the whole process left to a step when ``held`` bytes are taken already:
    the rest, but never less than a quarter of the budget (nor than ``MIN_SHARE``, where it allows that)."""
    budget = parse_memory(memory)
    return min(budget, max(budget - held, budget // 4, MIN_SHARE))


def plan(memory: int | str, held: int = 0) -> tuple[int, int]:
    """(positions per chunk, bytes of sorted counts kept before a spill) for a memory budget of which
    ``held`` bytes are taken already (see :func:`share`)."""
    budget = share(memory, held)
    chunk = min(MAX_CHUNK, budget // (2 * BYTES_PER_POSITION))
    if chunk < MIN_CHUNK:
        need = format_bytes(2 * BYTES_PER_POSITION * MIN_CHUNK)
        raise WordseqError(
            f"memory budget {format_bytes(budget)} is too small to hold one chunk of the corpus ({need} at least)"
        )
    # a spill concatenates and sorts what it keeps (the order, sorted copies, the sums): about 4x more
    return chunk, (budget - chunk * BYTES_PER_POSITION) // SPILL_FACTOR


class _Disk:
    """The temporary files of one count: raw int arrays read by range, arrays mapped back read-only."""

    def __init__(self, stack: ExitStack, directory: str | None) -> None:
        self.dir = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="wordseq-ngram-", dir=directory or os.environ.get("WORDSEQ_TMPDIR"))
        )

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def read(self, name: str, dtype, start: int, stop: int) -> np.ndarray:
        dtype = np.dtype(dtype)
        stop = max(start, stop)
        with open(self.path(name), "rb") as f:
            f.seek(start * dtype.itemsize)
            return np.fromfile(f, dtype, stop - start)

    def mapped(self, name: str, dtype, length: int, writable: bool = False) -> Any:
        """An array backed by a file that outlives the directory (unlinked while mapped)."""
        path = self.path(name + ".npy")
        if writable:
            arr = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(length,))
        else:
            arr = np.load(path, mmap_mode="r")
        return mapped.track(arr)


def _write_stream(ids: np.ndarray, bos: int, eos: int, disk: _Disk, chunk: int) -> tuple[int, int, int]:
    """The id stream with ``<s>`` before every sentence (and a final ``</s>`` if missing), written to
    ``stream`` a chunk at a time; returns (length, sentences, longest sentence with <s> and </s>)."""
    n = len(ids)
    length = sentences = longest = run = 0
    with open(disk.path("stream"), "wb") as f:
        for s in range(0, n, chunk):
            part = np.asarray(ids[s : s + chunk], dtype=np.int32)
            if s + chunk >= n and part[-1] != eos:
                part = np.append(part, np.int32(eos))
            starts = np.empty(len(part), bool)
            starts[0] = s == 0 or ids[s - 1] == eos
            starts[1:] = part[:-1] == eos
            out = np.insert(part, np.flatnonzero(starts), np.int32(bos))
            out.tofile(f)
            marks = np.flatnonzero(out == bos)
            if len(marks):
                longest = max(longest, run + int(marks[0]))
                if len(marks) > 1:
                    longest = max(longest, int(np.diff(marks).max()))
                run = len(out) - int(marks[-1])
            else:
                run += len(out)
            sentences += len(marks)
            length += len(out)
    return length, sentences, max(longest, run)


def count_ngrams_external(
    ids: np.ndarray,
    vocab: Vocab,
    order: int,
    memory: int | str,
    tmpdir: str | None = None,
    desc: str = "counting",
    stats: dict | None = None,
) -> NgramCounts:
    """The counts of :func:`~wordseq.lm.ngram.counts.count_ngrams` made within ``memory`` (``"1G"``):
    sorted runs spilled to ``tmpdir`` (default ``$WORDSEQ_TMPDIR`` or the system's) and merged.
    ``stats`` (a dict), when given, receives the number of runs spilled per order."""
    chunk, keep = plan(memory, mapped.anonymous())
    mapped.set_limit(parse_memory(memory) + PAGE_SLACK)  # the mapped files' pages count too
    if order < 1:
        raise WordseqError(f"the n-gram order must be at least 1, got {order}")
    bos, eos, pad = special_ids(vocab)
    V = len(vocab)
    mapped.track(ids)
    ids = np.asarray(ids)
    if len(ids) == 0:
        raise WordseqError("empty corpus: nothing to count")
    stack = ExitStack()
    with stack:
        disk = _Disk(stack, tmpdir)
        L, sentences, longest = _write_stream(ids, bos, eos, disk, chunk)
        if order > longest:
            raise WordseqError(
                f"order {order} is larger than this corpus allows: its longest sentence has "
                f"{longest - 2} tokens, so the longest n-gram (with <s> and </s>) has {longest} words"
            )
        unigram = np.zeros(V, np.int64)
        for s in range(0, L, chunk):
            unigram += np.bincount(disk.read("stream", np.int32, s, s + chunk), minlength=V)
        if pad >= 0 and unigram[pad]:
            raise WordseqError(f"the corpus contains {PAD}, which n-gram models do not predict")
        out = NgramCounts(order, vocab, [None, None], [None, unigram], [None, None], [None, np.arange(V) == bos])
        out.tokens = L - sentences
        out.sentences = sentences
        count_type = np.int32 if L < 2**31 - 1 else np.int64
        spills: list[int] = []
        bar = progress(total=(order - 1) * 2 * L, desc=desc, unit="pos", unit_scale=True)
        prev_name: str = "stream"
        prev_type: Any = np.dtype(np.int32)
        for n in range(2, order + 1):
            m = L - n + 1
            spiller = RunSpiller(disk.dir, keep, count_type, name=f"run{n}")
            for s in range(0, m, chunk):  # pass 1: sorted chunk counts, spilled as runs
                e = min(s + chunk, m)
                key, _ = _keys(disk, prev_name, prev_type, s, e, n, V, bos, eos)
                uniq, c = np.unique(key, return_counts=True)
                spiller.add(uniq, c.astype(count_type))
                mapped.trim()
                bar.update(e - s)
            total = 0
            with open(disk.path(f"keys{n}.tmp"), "wb") as fk, open(disk.path(f"counts{n}.tmp"), "wb") as fc:
                for k, c in spiller.merged():  # the merge, written as it comes
                    k.tofile(fk)
                    c.astype(count_type).tofile(fc)
                    total += len(k)
            spills.append(spiller.spills)
            keys = _to_npy(disk, f"keys{n}", np.int64, total)
            counts = _to_npy(disk, f"counts{n}", count_type, total)
            # pass 2: each position's n-gram id (for the next order) and each n-gram's suffix id and <s> flag
            cur_type = np.dtype(np.int32 if m < 2**31 - 1 else np.int64)
            suffix = disk.mapped(f"suffix{n}", prev_type, total, writable=True)
            bos_first = disk.mapped(f"bos{n}", bool, total, writable=True)
            with open(disk.path(f"ids{n}"), "wb") as fi:
                for s in range(0, m, chunk):
                    e = min(s + chunk, m)
                    key, valid = _keys(disk, prev_name, prev_type, s, e, n, V, bos, eos)
                    gid = np.full(e - s, -1, cur_type)
                    # sorted queries: each binary search starts near the last one, in pages already read
                    by_key = np.argsort(key)
                    found = np.empty(len(key), cur_type)
                    found[by_key] = np.searchsorted(keys, key[by_key])
                    gid[valid] = found
                    gid.tofile(fi)
                    pos = np.flatnonzero(valid)
                    nxt = disk.read(prev_name, prev_type, s + 1, e + 1)
                    first = disk.read("stream", np.int32, s, e)
                    suffix[gid[pos]] = nxt[pos]
                    bos_first[gid[pos]] = first[pos] == bos
                    mapped.trim()
                    bar.update(e - s)
                np.full(L - m, -1, cur_type).tofile(fi)  # positions too close to the end
            suffix.flush()
            bos_first.flush()
            del suffix, bos_first
            out.keys.append(keys)
            out.counts.append(counts)
            out.suffix.append(disk.mapped(f"suffix{n}", prev_type, total))
            out.bos_first.append(disk.mapped(f"bos{n}", bool, total))
            if prev_name != "stream":
                os.unlink(disk.path(prev_name))
            prev_name, prev_type = f"ids{n}", cur_type
        bar.close()
    if stats is not None:
        stats["spills"] = spills
        stats["chunk_positions"] = chunk
    return out


def _to_npy(disk: _Disk, name: str, dtype, length: int) -> np.ndarray:
    """The raw file ``name.tmp`` as ``name.npy`` (a header put in front), mapped read-only."""
    dtype = np.dtype(dtype)
    arr = mapped.track(np.lib.format.open_memmap(disk.path(name + ".npy"), mode="w+", dtype=dtype, shape=(length,)))
    step = 1 << 20
    with open(disk.path(name + ".tmp"), "rb") as f:
        for s in range(0, length, step):
            arr[s : s + step] = np.fromfile(f, dtype, min(step, length - s))
            mapped.trim()
    arr.flush()
    del arr
    os.unlink(disk.path(name + ".tmp"))
    return mapped.track(np.load(disk.path(name + ".npy"), mmap_mode="r"))


def _keys(disk: _Disk, prev_name, prev_type, s, e, n, V, bos, eos):
    """Keys of the n-grams starting at positions s..e-1 (only the valid ones, and the mask of valid ones)."""
    prefix = disk.read(prev_name, prev_type, s, e).astype(np.int64)
    window = disk.read("stream", np.int32, s + n - 2, e + n - 1)
    before_last, last = window[:-1], window[1:]
    valid = (prefix >= 0) & (last != bos) & (before_last != eos)
    key = prefix[valid] * V + last[valid].astype(np.int64)
    return key, valid


def disk_store(directory: str | None = None, memory: int | str | None = None):
    """A ``store`` for :func:`~wordseq.lm.ngram.estimate.estimate`: zeroed arrays in files mapped into memory,
    each file unlinked at once (the mapping keeps it until the array is dropped). With ``memory`` the
    estimate works in slices whose temporaries (about 64 bytes an n-gram) fit in a quarter of what the
    process does not hold already (:func:`share`)."""
    directory = directory or os.environ.get("WORDSEQ_TMPDIR") or tempfile.gettempdir()

    def store(name: str, length: int, dtype) -> np.ndarray:
        fd, path = tempfile.mkstemp(prefix=f"wordseq-{name}-", suffix=".npy", dir=directory)
        os.close(fd)
        try:
            return mapped.track(np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(length,)))
        finally:
            os.unlink(path)

    if memory is not None:
        mapped.set_limit(parse_memory(memory) + PAGE_SLACK)
        store.slice = max(1 << 12, min(1 << 22, share(memory, mapped.anonymous()) // 4 // 64))  # type: ignore[attr-defined]
    return store
