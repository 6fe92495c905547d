"""The language-model panel's operations (n-gram and neural): streamed generation and per-token scoring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wordseq.serve.limits import Limits
from wordseq.serve.requests import ApiError, Fields


def generation(model: Any, body: Fields, limits: Limits) -> Iterator[dict[str, Any]]:
    raise ApiError(404, "generation is not available yet")


HANDLERS: dict[str, Any] = {}
