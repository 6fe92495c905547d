"""Pages of memory-mapped files kept within a process's memory budget.

Counting and estimating under ``--memory`` keep their big tables in files mapped into memory. The pages a
process reads from such a file stay in its resident set (RSS) until the kernel needs the memory: they cost
nothing the kernel cannot take back, but they make ``ps`` and a job scheduler's RSS limit see a process far
above its budget. :func:`track` registers a mapped array; :func:`trim`, called between the chunks of long
loops, checks the resident set against the limit set by :func:`set_limit` and, when it is over, tells the
kernel that the tracked mappings' pages are not needed (``madvise(MADV_DONTNEED)``). For a shared file
mapping that loses nothing: the pages stay in the page cache (written back if changed) and the next read
maps them again, so the data are the same, only the process's own count of resident pages drops.
"""

from __future__ import annotations

import contextlib
import mmap
import weakref
from typing import TypeVar

import numpy as np

A = TypeVar("A")

_limit: int | None = None
_tracked: list[weakref.ReferenceType] = []
trims = 0  # how many times trim released pages (for the tests and the benchmark's report)


def set_limit(limit: int | None) -> None:
    """Keep the resident set within ``limit`` bytes from now on (``None``: no limit, :func:`trim` does nothing)."""
    global _limit
    _limit = limit


def limit() -> int | None:
    """The limit :func:`trim` keeps the resident set within, if any."""
    return _limit


def track(arr: A) -> A:
    """Register a ``numpy.memmap`` (other arrays are ignored) so that :func:`trim` may release its pages;
    returns it. The mapping is held weakly: once the array is dropped it is forgotten."""
    m = getattr(arr, "_mmap", None)
    # a copy-on-write mapping ("c") holds its changes only in its pages: never released
    if isinstance(arr, np.memmap) and arr.mode != "c" and isinstance(m, mmap.mmap) and hasattr(m, "madvise"):
        _tracked.append(weakref.ref(m))
    return arr


def resident() -> int:
    """The resident set of this process in bytes (anonymous and file pages; 0 where ``/proc`` does not say)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * mmap.PAGESIZE
    except (OSError, IndexError, ValueError):
        return 0


def anonymous() -> int:
    """Anonymous memory this process holds now (bytes; 0 where ``/proc`` does not say): the interpreter, the
    libraries and the data, which a budget for the whole process leaves out of a step's share."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def trim(ahead: int = 0, force: bool = False) -> bool:
    """Release the pages of the tracked mappings when the resident set is over the limit, or would be after
    reading ``ahead`` more bytes of them (a step about to read a whole table at random says so), or when
    ``force``; returns whether it did."""
    global trims
    if not force and (_limit is None or resident() + ahead <= _limit):
        return False
    live = []
    for ref in _tracked:
        m = ref()
        if m is None or m.closed:
            continue
        live.append(ref)
        # an empty mapping, or a kernel that refuses: the pages stay, nothing is lost
        with contextlib.suppress(OSError, ValueError):
            m.madvise(mmap.MADV_DONTNEED)
    _tracked[:] = live
    trims += 1
    return True
