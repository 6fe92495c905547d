"""Reading API requests: the JSON body within the size limit, and each field checked for its type and range,
so that every bad request becomes one :class:`ApiError` (a 4xx with ``{"error": message}``) naming the field."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request


class ApiError(Exception):
    """A request the server refuses: the HTTP status (4xx) and a message for the ``{"error": ...}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it is longer than ``max_bytes`` (the declared
    Content-Length is checked before reading, the bytes received while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number") from None
        if size > max_bytes:
            raise ApiError(413, f"the request body is {size} bytes; the limit is {max_bytes}")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            raise ApiError(413, f"the request body is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, max_bytes: int) -> Fields:
    """The body as a JSON object (400 if it is not one), wrapped for checked field access."""
    body = await read_body(request, max_bytes)
    if not body.strip():
        return Fields({})
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ApiError(400, f"the request body is not valid JSON: {e}") from None
    except RecursionError:
        raise ApiError(400, "the request body nests JSON too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the request body must be a JSON object, not {type(data).__name__}")
    return Fields(data)


_MISSING = object()


class Fields:
    """A request's JSON object; each getter returns the field's value or raises a 422 naming the field."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _get(self, name: str, default: Any) -> Any:
        value = self.data.get(name, default)
        if value is _MISSING:
            raise ApiError(422, f"the field {name!r} is required")
        return value

    def text(self, name: str, default: Any = _MISSING, *, nonempty: bool = False) -> str:
        value = self._get(name, default)
        if not isinstance(value, str):
            raise ApiError(422, f"the field {name!r} must be a string, not {_json_type(value)}")
        if nonempty and not value.strip():
            raise ApiError(422, f"the field {name!r} must not be empty")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        return self.text(name)

    def integer(self, name: str, default: Any = _MISSING, *, lo: int | None = None, hi: int | None = None) -> int:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError(422, f"the field {name!r} must be an integer, not {_json_type(value)}")
        if lo is not None and value < lo:
            raise ApiError(422, f"the field {name!r} must be at least {lo}, got {value}")
        if hi is not None and value > hi:
            raise ApiError(422, f"the field {name!r} must be at most {hi}, got {value}")
        return value

    def optional_integer(self, name: str) -> int | None:
        if self.data.get(name) is None:
            return None
        return self.integer(name)

    def number(
        self, name: str, default: Any = _MISSING, *, lo: float, hi: float | None = None, lo_open: bool = False
    ) -> float:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ApiError(422, f"the field {name!r} must be a number, not {_json_type(value)}")
        if value < lo or (lo_open and value == lo) or (hi is not None and value > hi):
            low = f"> {lo:g}" if lo_open else f">= {lo:g}"
            high = f" and <= {hi:g}" if hi is not None else ""
            raise ApiError(422, f"the field {name!r} must be {low}{high}, got {value}")
        return float(value)

    def choice(self, name: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.text(name, default)
        if value.lower() not in choices:
            raise ApiError(422, f"the field {name!r} must be one of {', '.join(choices)}, got {value!r}")
        return value.lower()

    def words(self, name: str, default: Any = _MISSING, *, lo: int = 0, hi: int) -> list[str]:
        value = self._get(name, default)
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise ApiError(422, f"the field {name!r} must be a list of strings")
        if len(value) < lo:
            raise ApiError(422, f"the field {name!r} needs at least {lo} words, got {len(value)}")
        if len(value) > hi:
            raise ApiError(422, f"the field {name!r} may hold at most {hi} words, got {len(value)}")
        return value

    def word_lists(self, name: str, length: int, *, hi: int) -> list[list[str]]:
        value = self._get(name, [])
        if not isinstance(value, list) or not all(
            isinstance(row, list) and len(row) == length and all(isinstance(w, str) for w in row) for row in value
        ):
            raise ApiError(422, f"the field {name!r} must be a list of lists of {length} strings")
        if len(value) > hi:
            raise ApiError(422, f"the field {name!r} may hold at most {hi} entries, got {len(value)}")
        return value


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
