"""Helpers the test modules import (``from support import data_file, run_cli``): the benchmark data folder
and running the ``wordseq`` command. Kept out of ``conftest.py``, whose module name every folder's
``conftest.py`` shares, so that an import by name cannot pick up another folder's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))


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
