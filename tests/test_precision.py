"""bfloat16 is used only where the hardware has it: the CPU check reads the instruction-set flags."""

from wordseq.train import precision


def test_cpu_bf16_follows_the_instruction_set(monkeypatch):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert not precision.fast_bf16("cpu")
    monkeypatch.setattr(precision, "_cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    assert precision.fast_bf16("cpu")
    monkeypatch.setattr(precision, "_cpu_flags", lambda: frozenset({"amx_tile", "amx_bf16"}))
    assert precision.fast_bf16("cpu")


def test_cuda_without_a_device_is_not_fast():
    import torch

    if not torch.cuda.is_available():
        assert not precision.fast_bf16("cuda")


def test_training_precision_defaults_to_bf16_only_where_it_is_fast(monkeypatch):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    on, note = precision.choose_bf16(None, "cpu")
    assert on and "default" in note and "--fp32" in note
    assert precision.choose_bf16(False, "cpu") == (False, "precision: float32 (--fp32)")
    monkeypatch.setattr(precision, "_cpu_flags", lambda: frozenset({"avx2", "fma"}))
    on, note = precision.choose_bf16(None, "cpu")
    assert not on and "no native bfloat16" in note
    assert precision.choose_bf16(True, "cpu")[0]  # asked for: obeyed (the command line warns that it is slow)
