"""Shared test fixtures: a private encoding cache, paths to the benchmark data (skip when absent)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("WORDSEQ_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def data_file(*parts: str) -> Path:
    """A file under the benchmark data folder ($WORDSEQ_DATA, default ../shared/data); skip if absent."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"benchmark data {path} not found (set WORDSEQ_DATA)")
    return path


def run_cli(*args: str, input: bytes | None = None, cwd: str | os.PathLike | None = None, timeout: float = 600):
    """Run ``python -m wordseq ARGS`` in a subprocess; returns the CompletedProcess (text output)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "wordseq", *args], input=input, capture_output=True, cwd=cwd, env=env, timeout=timeout
    )


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run fastest on one thread, and leave the other core alone on a loaded machine."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
