"""Every reader, fed random bytes and mutated valid files, raises only wordseq's own error naming the file,
and refuses headers that declare huge sizes without allocating them (the address space is capped at what the
process maps plus 1 GiB). The fuzzing runs in a subprocess: see fuzz_readers.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _fuzz(examples: int, seed: int, timeout: float) -> dict:
    r = subprocess.run(
        [sys.executable, str(HERE / "fuzz_readers.py"), "--examples", str(examples), "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert r.stdout.strip(), r.stderr[-3000:]
    return json.loads(r.stdout)


def _check(report: dict, figures: dict) -> None:
    figures["inputs_tried"] = {name: r["tried"] for name, r in report.items()}
    figures["unexpected_exceptions"] = sum(len(r["unexpected"]) for r in report.values())
    figures["peak_rss_mb"] = max(r["peak_rss_mb"] for r in report.values())
    bad = {name: r["unexpected"] for name, r in report.items() if r["unexpected"]}
    assert not bad, json.dumps(bad, indent=1)
    assert figures["peak_rss_mb"] < 1024


def test_readers_survive_fuzzing(reliability_report):
    report = _fuzz(examples=120, seed=0, timeout=300)
    assert len(report) >= 16 and all(r["tried"] >= 120 for r in report.values())
    _check(report, reliability_report)


@pytest.mark.soak
def test_readers_survive_long_fuzzing(reliability_report):
    report = _fuzz(examples=3000, seed=12345, timeout=7200)
    _check(report, reliability_report)
