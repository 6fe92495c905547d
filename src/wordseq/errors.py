"""The one exception type users see: a one-line message, shown without a traceback by the CLI."""

from __future__ import annotations


class WordseqError(Exception):
    """An error caused by the user's input (a file, an option, a model) rather than by a bug.

    The message is complete on its own and names the file (and line) at fault where there is one.
    """


class InputError(WordseqError):
    """A file could not be read or has the wrong content."""

    def __init__(self, path: object, message: str, line: int | None = None) -> None:
        where = f"{path}" if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class OutputError(WordseqError):
    """A file could not be written: full disk, quota, read-only or forbidden folder. The previous file at
    that path, if any, is left as it was."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: cannot write: {reason}")
        self.path = path
        self.reason = reason
