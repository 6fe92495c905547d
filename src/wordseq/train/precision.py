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


def choose_bf16(requested: bool | None, device: str = "cpu", from_checkpoint: bool = False) -> tuple[bool, str]:
    """Whether to train in bfloat16, and a log line saying why: ``requested`` True (``--bf16``) or False
    (``--fp32``; or, ``from_checkpoint``, the precision of the run being resumed) is obeyed; None (neither
    flag) picks bfloat16 exactly where :func:`fast_bf16` holds, the default since the PTB and Tiny Shakespeare
    benchmarks ended within 0.5% of float32 with it."""
    if requested is not None and from_checkpoint:
        return requested, f"precision: {'bfloat16 products' if requested else 'float32'}, as the checkpoint was trained"
    fast = fast_bf16(device)
    hardware = "this GPU" if str(device).startswith("cuda") else "this CPU (AMX or AVX-512 BF16)"
    if requested is None:
        if fast:
            return True, f"precision: bfloat16 products, the default on {hardware}; --fp32 to opt out"
        return False, f"precision: float32 ({device} has no native bfloat16 arithmetic)"
    if requested:
        return True, "precision: bfloat16 products (--bf16)"
    return False, "precision: float32 (--fp32)"
