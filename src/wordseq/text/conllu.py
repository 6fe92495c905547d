"""CoNLL-U, the Universal Dependencies file format: read and write sentences as plain data.

A sentence is its comment lines, its word lines (10 tab-separated columns: ID FORM LEMMA UPOS XPOS
FEATS HEAD DEPREL DEPS MISC) and, kept verbatim in position, its multiword-token lines (``1-2``) and
empty-node lines (``8.1``), then one blank line. ``write_conllu(path, read_conllu(file))`` gives back the
file byte for byte (for a file with LF line ends and one blank line after each sentence, as the format
asks). Bad content is an :class:`~wordseq.errors.InputError` naming the file and the line.

>>> sents = parse_conllu("# text = Hi\\n1\\tHi\\thi\\tINTJ\\tUH\\t_\\t0\\troot\\t0:root\\t_\\n\\n")
>>> sents[0].tokens[0].upos, sents[0].text
('INTJ', 'Hi')
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from wordseq.errors import InputError
from wordseq.io.atomic import atomic_write
from wordseq.io.inputs import read_lines

COLUMNS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")
"""The ten CoNLL-U columns, in order, as :class:`Token` names them."""


@dataclass
class Token:
    """One word line. ``head`` is None where the HEAD column is ``_`` (no tree given); every other
    column is the file's text, ``_`` standing for an empty field."""

    id: int
    form: str
    lemma: str = "_"
    upos: str = "_"
    xpos: str = "_"
    feats: str = "_"
    head: int | None = None
    deprel: str = "_"
    deps: str = "_"
    misc: str = "_"

    def to_line(self) -> str:
        """The token as one CoNLL-U line (no line end)."""
        head = "_" if self.head is None else str(self.head)
        cols = (str(self.id), self.form, self.lemma, self.upos, self.xpos, self.feats, head, self.deprel)
        return "\t".join(cols + (self.deps, self.misc))


@dataclass
class RawLine:
    """A multiword-token line (``1-2``) or an empty-node line (``8.1``), kept verbatim; it is written just
    before ``tokens[position]`` (``position == len(tokens)``: after the last word)."""

    position: int
    text: str

    @property
    def id(self) -> str:
        return self.text.split("\t", 1)[0]

    @property
    def is_multiword(self) -> bool:
        return "-" in self.id

    @property
    def is_empty_node(self) -> bool:
        return "." in self.id

    @property
    def columns(self) -> list[str]:
        return self.text.split("\t")


@dataclass
class Sentence:
    """Comment lines (with their ``#``), word lines as :class:`Token`, and the other lines in position.

    ``line`` is the number of the sentence's first line in its file (for messages); it takes no part in
    comparisons.
    """

    tokens: list[Token] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    raw_lines: list[RawLine] = field(default_factory=list)
    line: int | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.tokens)

    def copy(self) -> Sentence:
        """A deep copy. Every field of a token or raw line is a str or an int, so new tokens and lines with
        the same fields are one (:func:`copy.deepcopy` took longer than parsing)."""
        tokens = [
            Token(t.id, t.form, t.lemma, t.upos, t.xpos, t.feats, t.head, t.deprel, t.deps, t.misc) for t in self.tokens
        ]
        raw = [RawLine(r.position, r.text) for r in self.raw_lines]
        return Sentence(tokens, list(self.comments), raw, self.line)

    @property
    def forms(self) -> list[str]:
        return [t.form for t in self.tokens]

    def column(self, name: str) -> list[str]:
        """One column's values over the word lines (``"upos"``, ``"xpos"``, ``"deprel"``, ...) as text."""
        if name not in COLUMNS:
            raise ValueError(f"unknown CoNLL-U column {name!r}; columns: {', '.join(COLUMNS)}")
        values = [getattr(t, name) for t in self.tokens]
        return ["_" if v is None else str(v) for v in values]

    def comment(self, key: str) -> str | None:
        """The value of a ``# key = value`` comment (``text``, ``sent_id``), or None."""
        prefix = f"# {key} ="
        for c in self.comments:
            if c.startswith(prefix):
                return c[len(prefix) :].strip()
        return None

    @property
    def text(self) -> str | None:
        return self.comment("text")

    @property
    def multiword_tokens(self) -> list[RawLine]:
        return [r for r in self.raw_lines if r.is_multiword]

    @property
    def empty_nodes(self) -> list[RawLine]:
        return [r for r in self.raw_lines if r.is_empty_node]

    def lines(self) -> list[str]:
        """The sentence's lines in file order, without the blank line that ends it."""
        out = list(self.comments)
        raw = sorted(self.raw_lines, key=lambda r: r.position)  # stable: keeps the file's order within a slot
        k = 0
        for i, tok in enumerate(self.tokens):
            while k < len(raw) and raw[k].position <= i:
                out.append(raw[k].text)
                k += 1
            out.append(tok.to_line())
        out += [r.text for r in raw[k:]]
        return out

    def to_text(self) -> str:
        """The sentence as CoNLL-U text, ending with its blank line."""
        return "\n".join(self.lines()) + "\n\n"

    @classmethod
    def from_forms(cls, forms: Iterable[str], comments: Iterable[str] = ()) -> Sentence:
        """A sentence of bare words (every other column ``_``), for tokenized text."""
        return cls([Token(i, f) for i, f in enumerate(forms, 1)], list(comments))


# ---------------------------------------------------------------------------------------------- reading


def _parse_head(value: str, path: object, line_no: int) -> int | None:
    if value == "_":
        return None
    if not value.isdigit():
        raise InputError(path, f"HEAD {value!r} is not an integer or '_'", line=line_no)
    return int(value)


def _parse(lines: Iterable[tuple[int, str]], path: object) -> Iterator[Sentence]:
    sent: Sentence | None = None
    last_line = 0
    for line_no, text in lines:
        last_line = line_no
        if not text.strip():
            if sent is not None:
                if not sent.tokens:
                    raise InputError(path, "sentence has no word lines before its blank line", line=line_no)
                yield sent
                sent = None
            continue  # extra blank lines between sentences are tolerated
        if sent is None:
            sent = Sentence(line=line_no)
        if text.startswith("#"):
            if sent.tokens or sent.raw_lines:
                raise InputError(
                    path, "comment line inside a sentence (is the blank line before it missing?)", line=line_no
                )
            sent.comments.append(text)
            continue
        cols = text.split("\t")
        if len(cols) != 10:
            raise InputError(path, f"{len(cols)} tab-separated columns; CoNLL-U lines have 10", line=line_no)
        ident = cols[0]
        if "-" in ident or "." in ident:
            a, _sep, b = ident.partition("-" if "-" in ident else ".")
            if not (a.isdigit() and b.isdigit()):
                raise InputError(
                    path, f"ID {ident!r} is not an integer, a range (1-2) or a decimal (8.1)", line=line_no
                )
            sent.raw_lines.append(RawLine(len(sent.tokens), text))
            continue
        if not ident.isdigit():
            raise InputError(path, f"ID {ident!r} is not an integer", line=line_no)
        expected = len(sent.tokens) + 1
        if int(ident) != expected:
            raise InputError(path, f"ID {ident} out of sequence (expected {expected})", line=line_no)
        head = _parse_head(cols[6], path, line_no)
        form, lemma, upos, xpos, feats, _, deprel, deps, misc = cols[1:]
        sent.tokens.append(Token(int(ident), form, lemma, upos, xpos, feats, head, deprel, deps, misc))
    if sent is not None:
        raise InputError(path, "the last sentence is not followed by a blank line", line=last_line)


def iter_conllu(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL-U file (plain, ``.gz``/``.bz2``/``.xz``, or ``-`` for stdin)."""
    yield from _parse(read_lines(path, encoding), os.fspath(path))


def read_conllu(path: str | os.PathLike, encoding: str = "utf-8") -> list[Sentence]:
    """Every sentence of a CoNLL-U file."""
    return list(iter_conllu(path, encoding))


def parse_conllu(text: str, path: str = "<string>") -> list[Sentence]:
    """Sentences from CoNLL-U text in memory; ``path`` names it in error messages."""
    return list(_parse(enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1), path))


# ---------------------------------------------------------------------------------------------- writing


def format_conllu(sentences: Iterable[Sentence]) -> str:
    """CoNLL-U text for the sentences, each followed by its blank line."""
    return "".join(s.to_text() for s in sentences)


def write_conllu(path: str | os.PathLike, sentences: Iterable[Sentence]) -> None:
    """Write sentences as CoNLL-U (UTF-8, LF line ends): atomically to a file, or to stdout for ``-``."""
    if os.fspath(path) == "-":
        for s in sentences:
            sys.stdout.write(s.to_text())
        sys.stdout.flush()
        return
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        for s in sentences:
            f.write(s.to_text())


# ---------------------------------------------------------------------------------------------- trees


def tree_errors(sentence: Sentence) -> list[str]:
    """What keeps the sentence's HEAD column from being one dependency tree over its words: a missing
    head, a head outside the sentence, a word that is its own head, no root or two roots, a cycle.
    Empty when the tree is valid."""
    n = len(sentence.tokens)
    problems: list[str] = []
    heads: list[int | None] = [t.head for t in sentence.tokens]
    for i, h in enumerate(heads, 1):
        if h is None:
            problems.append(f"word {i} has no head")
        elif h > n:
            problems.append(f"word {i} has head {h}, outside the sentence of {n} words")
        elif h == i:
            problems.append(f"word {i} is its own head")
    roots = [i for i, h in enumerate(heads, 1) if h == 0]
    if not roots and n:
        problems.append("no word has head 0 (the root)")
    elif len(roots) > 1:
        problems.append(f"{len(roots)} roots (words {', '.join(map(str, roots))}); a tree has one")
    if problems:
        return problems
    # every head is in range: follow heads from each word; a path that does not reach 0 is a cycle
    state = [0] * (n + 1)  # 0 unseen, 1 on the current path, 2 known to reach the root
    state[0] = 2
    for start in range(1, n + 1):
        path = []
        w = start
        while state[w] == 0:
            state[w] = 1
            path.append(w)
            w = heads[w - 1]  # type: ignore[assignment]
        if state[w] == 1:
            cycle = path[path.index(w) :]
            problems.append("cycle through words " + " -> ".join(map(str, cycle + [w])))
            for v in path:
                state[v] = 2
            continue
        for v in path:
            state[v] = 2
    return problems


def validate_tree(sentence: Sentence, path: object = "<sentence>") -> None:
    """Raise :class:`InputError` (naming ``path`` and the sentence's first line) if the sentence's heads do
    not form one tree; see :func:`tree_errors`."""
    problems = tree_errors(sentence)
    if problems:
        raise InputError(path, "not a dependency tree: " + "; ".join(problems), line=sentence.line)
