"""Process memory: drop LLVM's clean code pages from the resident set once numba has loaded its kernels."""

from __future__ import annotations

import mmap
import os
import re
import sys

_SMAPS_HEADER = re.compile(r"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+ *(.*)$")


def release_llvm_code() -> None:
    """Drop LLVM's code pages from this process's resident set once the kernel is loaded.

    Loading a cached numba function runs a good part of LLVM (about 70 MB of its library's code and
    constants become resident), and training never touches it again. Those pages are clean copies of the
    library file: ``MADV_DONTNEED`` unmaps them (they stay in the page cache) and any later use (numba
    compiling something else) maps them back in. Only mappings that are not writable and hold no private
    (copy-on-write) pages are touched, so no data can be lost. Linux only; elsewhere nothing happens.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        with open("/proc/self/smaps") as f:
            smaps = f.read()
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):
        return
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    region = None
    for line in smaps.splitlines():
        m = _SMAPS_HEADER.match(line)
        if m:  # a mapping: "start-end perms offset dev inode [path]", then its "Key: value" lines
            ok = os.path.basename(m.group(4)).startswith("libllvmlite") and "w" not in m.group(3)
            region = (int(m.group(1), 16), int(m.group(2), 16)) if ok else None
        elif region is not None and line.startswith("Anonymous:"):
            if int(line.split()[1]) == 0:
                madvise(region[0], region[1] - region[0], mmap.MADV_DONTNEED)
            region = None
