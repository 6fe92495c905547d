"""Shared test fixtures: a private encoding cache per run, one torch thread for tiny models (helpers the test
modules import are in support.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("WORDSEQ_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run fastest on one thread, and leave the other core alone on a loaded machine."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
