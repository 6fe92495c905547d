"""Whether bfloat16 arithmetic is fast on a device: on CPUs only with native bfloat16 instructions (AMX or
AVX-512 BF16); elsewhere it is emulated and many times slower than float32 (14x measured on an AVX2-only CPU)."""

from __future__ import annotations

import functools


@functools.cache
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def fast_bf16(device: str = "cpu") -> bool:
    """True where bfloat16 matrix products run natively: CUDA devices that support bfloat16, and CPUs with
    AMX-BF16 or AVX-512 BF16 (read from /proc/cpuinfo on Linux, asked of oneDNN elsewhere)."""
    import torch

    if str(device).startswith("cuda"):
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    flags = _cpu_flags()
    if flags:
        return bool(flags & {"amx_bf16", "avx512_bf16"})
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
