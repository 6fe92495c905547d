"""Span tagging schemes: IOB1, IOB2 (BIO) and IOBES (BIOES); spans read exactly as ``conlleval`` and
``seqeval`` read them, conversions between the schemes, and the transitions a scheme allows.

A span is ``(type, start, end)`` with ``end`` exclusive. Reading follows seqeval's default (non-strict)
mode, itself a port of ``conlleval``'s ``startOfChunk``/``endOfChunk`` with E- and S- added: an ``I-X``
after ``O`` (or after another type) opens a span, as conlleval counts it; :func:`repair` rewrites such a
sequence into valid IOB2 with the same spans.

>>> spans(["B-PER", "I-PER", "O", "I-LOC"])
[('PER', 0, 2), ('LOC', 3, 4)]
>>> to_scheme(["B-PER", "I-PER", "O", "B-LOC"], "iobes")
['B-PER', 'E-PER', 'O', 'S-LOC']
"""

from __future__ import annotations

from collections.abc import Sequence

SCHEMES = ("iob1", "iob2", "iobes")
ALIASES = {"bio": "iob2", "iob": "iob2", "bioes": "iobes", "bilou": "iobes"}
PREFIXES = frozenset("BIOES")

Span = tuple[str, int, int]


def scheme_name(name: str) -> str:
    """The canonical name of a scheme (``bio`` -> ``iob2``); ValueError for an unknown one."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in SCHEMES:
        raise ValueError(f"unknown tagging scheme {name!r}; choose from {', '.join(SCHEMES)} (or bio, bioes)")
    return key


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "_")``, as seqeval splits them."""
    return tag[:1], tag[1:].split("-", maxsplit=1)[-1] or "_"


def is_span_tag(tag: str) -> bool:
    """Whether a tag belongs to a span scheme: ``O`` or one of B/I/E/S, a hyphen and a type."""
    return tag == "O" or (len(tag) > 2 and tag[0] in "BIES" and tag[1] == "-")


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != type_


def spans(tags: Sequence[str]) -> list[Span]:
    """The spans of one sentence's tags, as conlleval/seqeval count them (any scheme, invalid sequences
    included)."""
    out: list[Span] = []
    prev_tag, prev_type, begin = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):
        t, type_ = split_tag(tag)
        if _end_of_chunk(prev_tag, t, prev_type, type_):
            out.append((prev_type, begin, i))
        if _start_of_chunk(prev_tag, t, prev_type, type_):
            begin = i
        prev_tag, prev_type = t, type_
    return out


def from_spans(span_list: Sequence[Span], length: int, scheme: str = "iob2") -> list[str]:
    """Tags of ``length`` words holding ``span_list`` (non-overlapping) in ``scheme``."""
    scheme = scheme_name(scheme)
    tags = ["O"] * length
    ordered = sorted(span_list, key=lambda s: s[1])
    prev_end, prev_type = -1, None
    for type_, a, b in ordered:
        if scheme == "iobes" and b - a == 1:
            tags[a] = f"S-{type_}"
        else:
            for i in range(a, b):
                tags[i] = f"I-{type_}"
            if scheme == "iob2" or scheme == "iobes" or (prev_end == a and prev_type == type_):
                tags[a] = f"B-{type_}"
            if scheme == "iobes":
                tags[b - 1] = f"E-{type_}"
        prev_end, prev_type = b, type_
    return tags


def to_scheme(tags: Sequence[str], scheme: str) -> list[str]:
    """Rewrite one sentence's tags in another scheme, keeping the spans conlleval reads from them."""
    return from_spans(spans(tags), len(tags), scheme)


def repair(tags: Sequence[str], scheme: str = "iob2") -> list[str]:
    """A valid sequence with the spans conlleval counts in ``tags`` (``O I-X`` becomes ``O B-X``)."""
    return to_scheme(tags, scheme)


def detect_scheme(tag_set: set[str] | Sequence[str]) -> str:
    """``iobes`` if any tag starts E- or S-, else ``iob2`` (IOB1 files read the same way either way)."""
    return "iobes" if any(t[:2] in ("E-", "S-") for t in tag_set) else "iob2"


def allowed(prev: str | None, tag: str, scheme: str) -> bool:
    """Whether ``tag`` may follow ``prev`` (None: sentence start; ``tag`` None-like ``"</s>"``: sentence end)
    in a valid sequence of ``scheme``. Tags outside the scheme (POS tags) are always allowed."""
    scheme = scheme_name(scheme)
    if scheme == "iob1":
        return True
    end = tag == "</s>"
    p, pt = split_tag(prev) if prev is not None else ("O", "")
    if prev is not None and not is_span_tag(prev):
        p = "O"
    t, tt = split_tag(tag) if not end else ("O", "")
    if not end and not is_span_tag(tag):
        t = "O"
    if scheme == "iob2":
        return not (t == "I" and (p == "O" or pt != tt))
    # iobes: inside a span (after B or I) only I or E of the same type may follow
    if p in ("B", "I"):
        return t in ("I", "E") and pt == tt
    return t in ("B", "S", "O")
