"""The reliability suite's report: what each test tried (inputs per reader, kills survived, faults injected),
printed at the end of the run and, with ``WORDSEQ_RELIABILITY_REPORT=FILE``, written there as JSON."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_REPORT: dict[str, Any] = {}


@pytest.fixture
def reliability_report(request):
    """A dict to fill with the test's figures; kept under the test's name for the summary."""
    figures: dict[str, Any] = {}
    yield figures
    if figures:
        _REPORT[request.node.name] = figures


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _REPORT:
        return
    terminalreporter.section("reliability")
    for name, figures in _REPORT.items():
        terminalreporter.write_line(f"{name}: {json.dumps(figures, sort_keys=True)}")
    path = os.environ.get("WORDSEQ_RELIABILITY_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_REPORT, f, indent=1, sort_keys=True)
