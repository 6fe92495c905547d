"""The server's limits: request size, generation length, words per query and concurrent generations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from wordseq.config import Config


@dataclass
class Limits(Config):
    """What one request may ask of the server; every request beyond them is refused with a 4xx."""

    max_body_bytes: int = 64 * 1024  # request bodies larger than this: 413
    max_tokens: int = 200  # tokens one generation may produce
    max_text_tokens: int = 2000  # tokens of text one request may score, classify, tag, parse or translate
    max_concurrent_generations: int = 4  # generations streaming at once; one more: 429
    max_words: int = 50  # words in one doesnt_match or map request
    max_topn: int = 100  # neighbours or answers one request may ask for
    max_map_points: int = 500  # words on one map, the neighbours included (t-SNE time grows with them)
    max_beam: int = 10  # beam width of generation and translation

    def validate(self) -> None:
        for name in asdict(self):
            self.check_range(name, lo=1, integer=True)

    def public(self) -> dict[str, Any]:
        """The limits as ``GET /api/limits`` reports them."""
        return asdict(self)


class Slots:
    """At most ``n`` holders at once, taken without waiting: :meth:`try_take` gives ``None`` when all are held
    (the server answers 429 rather than queueing a generation), else the function that gives the slot back
    (safe to call more than once: only the first call counts)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._held = 0
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        return self._held

    def try_take(self) -> Callable[[], None] | None:
        with self._lock:
            if self._held >= self.n:
                return None
            self._held += 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            with self._lock:
                if not given_back:
                    given_back = True
                    self._held -= 1

        return give_back
