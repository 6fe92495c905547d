"""External sorting of (key, value) records: counts that do not fit in memory go to sorted runs on disk and
are merged back in key order, a block at a time.

Counting n-grams or co-occurrences past one machine's memory is the classic external sort (KenLM's
``lmplz -S``): each chunk of the corpus is counted in memory (``np.unique`` over packed int64 keys), the
chunk's sorted ``(key, value)`` records are kept until they fill the memory budget, then written as one
sorted run to a temporary file; at the end the runs are merged by key, reading a block from each run at a
time, so the merge holds ``runs x block`` records, never a whole run.

:class:`RunSpiller` collects records and spills runs; :meth:`RunSpiller.merged` yields the merged records in
key order, block by block, with the values of equal keys combined by a function the caller gives.
:func:`parse_memory` reads a size such as ``512M`` or ``2G``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wordseq.errors import WordseqError

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_memory(text: str | int) -> int:
    """Bytes in a size such as ``512M``, ``2G``, ``1.5G``, ``800K`` or ``1000000`` (binary units)."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text <= 0:
            raise WordseqError(f"memory budget {text}: must be a positive number of bytes")
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), flags=re.IGNORECASE)
    if not m or float(m.group(1)) <= 0:
        raise WordseqError(f"{text}: expected a size like 512M or 2G")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def format_bytes(n: float) -> str:
    """A byte count for people: ``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


Combine = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def sum_sorted(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal keys of a key-sorted block summed (integer values: exact, in any order)."""
    if len(keys) == 0:
        return keys, values
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(values, starts).astype(values.dtype, copy=False)


@dataclass
class RunSpiller:
    """Sorted ``(key, value)`` blocks kept in memory up to ``budget`` bytes, then written as sorted runs.

    ``add(keys, values)`` takes a block sorted by key (equal keys allowed). When the kept blocks pass the
    budget they are merged (``combine``) into one sorted run and written to ``directory``. ``merged()`` then
    yields the records of every run and of the blocks still in memory in key order, ``block`` records per
    run at a time, equal keys combined. ``spills`` counts the runs written.
    """

    directory: str
    budget: int
    value_dtype: Any  # a numpy dtype or scalar type
    combine: Combine = sum_sorted
    block: int | None = None  # records read per run at a time in the merge (None: from the budget)
    name: str = "run"
    spills: int = 0
    _keys: list = field(default_factory=list)
    _values: list = field(default_factory=list)
    _held: int = 0
    _runs: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.value_dtype = np.dtype(self.value_dtype)

    @property
    def record_bytes(self) -> int:
        return 8 + self.value_dtype.itemsize

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(keys) == 0:
            return
        self._keys.append(np.asarray(keys, np.int64))
        self._values.append(np.asarray(values, self.value_dtype))
        self._held += len(keys) * self.record_bytes
        if self._held >= self.budget:
            self.spill()

    def _in_memory(self) -> tuple[np.ndarray, np.ndarray]:
        """The kept blocks as one key-sorted block (a stable sort: equal keys keep their arrival order)."""
        if len(self._keys) == 1:
            return self._keys[0], self._values[0]
        keys = np.concatenate(self._keys)
        values = np.concatenate(self._values)
        order = np.argsort(keys, kind="stable")
        return self.combine(keys[order], values[order])

    def spill(self) -> None:
        """Write the kept blocks as one sorted run."""
        if not self._keys:
            return
        keys, values = self._in_memory()
        self._keys, self._values, self._held = [], [], 0
        path = os.path.join(self.directory, f"{self.name}.{len(self._runs)}")
        with open(path + ".k", "wb") as f:
            keys.tofile(f)
        with open(path + ".v", "wb") as f:
            values.astype(self.value_dtype, copy=False).tofile(f)
        self._runs.append((path, len(keys)))
        self.spills += 1

    def merged(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every record in key order, equal keys combined, in blocks (a k-way merge of the runs)."""
        if not self._runs:
            if self._keys:
                keys, values = self._in_memory()
                self._keys, self._values, self._held = [], [], 0
                step = self.block or 1 << 16
                for s in range(0, len(keys), step):
                    yield keys[s : s + step], values[s : s + step]
            return
        self.spill()  # the rest goes to a run too: the merge then reads runs only
        # every run holds one block, and a merge step sorts up to all of them: the blocks share the budget
        block = self.block or max(1024, self.budget // (4 * len(self._runs) * self.record_bytes))
        yield from _merge_runs(self._runs, self.value_dtype, self.combine, block)
        for path, _ in self._runs:
            for suffix in (".k", ".v"):
                os.unlink(path + suffix)
        self._runs = []


class _Reader:
    """One run read a block at a time."""

    def __init__(self, path: str, length: int, value_dtype: np.dtype, block: int) -> None:
        self.path = path
        self.done = 0
        self.left = length
        self.value_dtype = value_dtype
        self.block = block
        self.keys = np.zeros(0, np.int64)
        self.values = np.zeros(0, value_dtype)
        self.refill()

    def refill(self) -> None:
        n = min(self.block, self.left)
        if n:
            k = np.fromfile(self.path + ".k", np.int64, n, offset=self.done * 8)
            v = np.fromfile(self.path + ".v", self.value_dtype, n, offset=self.done * self.value_dtype.itemsize)
            self.keys = np.concatenate([self.keys, k])
            self.values = np.concatenate([self.values, v])
            self.done += n
            self.left -= n


def _merge_runs(
    runs: list, value_dtype: np.dtype, combine: Combine, block: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    readers = [_Reader(path, n, value_dtype, block) for path, n in runs]
    while True:
        live = [r for r in readers if len(r.keys) or r.left]
        if not live:
            return
        for r in live:
            if not len(r.keys) and r.left:
                r.refill()
        # every key <= the smallest last key of the runs that still have records on disk is complete
        pending = [r for r in live if r.left]
        bound = min(int(r.keys[-1]) for r in pending) if pending else None
        parts_k, parts_v = [], []
        for r in live:
            cut = len(r.keys) if bound is None else int(np.searchsorted(r.keys, bound, side="right"))
            parts_k.append(r.keys[:cut])
            parts_v.append(r.values[:cut])
            r.keys, r.values = r.keys[cut:], r.values[cut:]
        for r in pending:
            if not len(r.keys):
                r.refill()
        keys = np.concatenate(parts_k)
        if len(keys):
            values = np.concatenate(parts_v)
            order = np.argsort(keys, kind="stable")  # equal keys keep run order
            yield combine(keys[order], values[order])


def temporary_directory(parent: str | None = None, prefix: str = "wordseq-sort-") -> tempfile.TemporaryDirectory:
    """Where runs are written: ``parent`` (e.g. a fast local disk), ``$WORDSEQ_TMPDIR`` or the system's."""
    return tempfile.TemporaryDirectory(prefix=prefix, dir=parent or os.environ.get("WORDSEQ_TMPDIR") or None)
