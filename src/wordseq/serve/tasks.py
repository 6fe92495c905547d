"""The task panels' operations: classification, tagging, parsing and translation."""

from __future__ import annotations

from typing import Any

from wordseq.serve.limits import Limits
from wordseq.serve.requests import ApiError, Fields


def classify(model: Any, body: Fields, limits: Limits) -> dict[str, Any]:
    raise ApiError(404, "not available yet")


tag = parse = translate = classify
