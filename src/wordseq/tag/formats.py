"""Tagged-sentence files: IOB/BIO/IOBES column files (CoNLL-2000 chunking, Universal NER's ``.iob2``),
CoNLL-U (through :mod:`wordseq.text.conllu`) and one pre-tokenized sentence per line, all read into
:class:`TaggedSentence`; and the writers for predictions (``word/TAG`` lines, column files).

Column files hold one word per line and a blank line after each sentence; columns are separated by tabs
(or, when a line has no tab, by spaces); lines starting with ``#`` before a sentence are comments. The word
and tag columns are found by shape: a first column of running integers (1, 2, 3, ...) is an index, as in
Universal NER (``index word tag ...``), so the word is the second column and the tag the third; otherwise
(CoNLL-2000: ``word POS chunk``) the word is the first column and the tag the last.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from wordseq.errors import InputError
from wordseq.io.atomic import atomic_write
from wordseq.io.inputs import read_lines
from wordseq.tag.schemes import is_span_tag
from wordseq.text.conllu import COLUMNS, Sentence, read_conllu

FORMATS = ("conllu", "iob", "text")
CONLLU_TAG_COLUMNS = ("upos", "xpos", "lemma", "feats", "deprel")
"""The CoNLL-U columns a tagger can predict or read as input."""


@dataclass
class TaggedSentence:
    """Words and, per named column (``upos``, ``xpos``, ``ner``, ``chunk``, ...), one tag per word.

    ``source`` keeps the sentence it came from (a CoNLL-U :class:`Sentence`, or the column file's rows) so
    that predictions can be written back in the same format; ``line`` is its first line in the file."""

    words: list[str]
    tags: dict[str, list[str]] = field(default_factory=dict)
    line: int | None = None
    source: object = None
    comments: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.words)


# ---------------------------------------------------------------------------------------------- column files


@dataclass
class ColumnSentence:
    rows: list[list[str]]
    comments: list[str]
    line: int
    separator: str


def read_columns(path: str | os.PathLike) -> list[ColumnSentence]:
    """The sentences of a column file: rows of fields, comment lines, first line number, separator."""
    name = os.fspath(path)
    out: list[ColumnSentence] = []
    rows: list[list[str]] = []
    comments: list[str] = []
    start = 0
    last = 0
    sep = "\t"
    for n, text in read_lines(path):
        last = n
        if not text.strip():
            if rows:
                out.append(ColumnSentence(rows, comments, start, sep))
            elif comments:
                raise InputError(name, "comment lines with no word lines before the blank line", line=n)
            rows, comments = [], []
            continue
        if not rows and not comments:
            start = n
        if text.startswith("#") and not rows:
            comments.append(text)
            continue
        sep = "\t" if "\t" in text else " "
        fields = text.split("\t") if sep == "\t" else text.split()
        rows.append(fields)
    if rows:
        out.append(ColumnSentence(rows, comments, start, sep))
    elif comments:
        raise InputError(name, "comment lines with no word lines at the end of the file", line=last)
    return out


def _has_index(sentences: Sequence[ColumnSentence]) -> bool:
    for s in sentences[:50]:
        if not all(r[0] == str(i) for i, r in enumerate(s.rows, 1)):
            return False
    return bool(sentences)


def read_iob(
    path: str | os.PathLike,
    column: str = "ner",
    word_column: int | None = None,
    tag_column: int | None = None,
    tag_map: dict[str, str] | None = None,
    check_scheme: bool = True,
    features: Sequence[str] = (),
) -> list[TaggedSentence]:
    """Read a column file into sentences tagged under ``column``; ``tag_map`` renames tags on reading
    (``{"B-OTH": "O"}``). Every tag must be ``O`` or ``B-``/``I-``/``E-``/``S-`` and a type unless
    ``check_scheme`` is off (a POS column, say); the error names the file and the line. ``features``: input
    columns kept beside the tags, each named by its 1-based number (``"2"``: CoNLL-2000's POS column)."""
    name = os.fspath(path)
    sents = read_columns(path)
    indexed = _has_index(sents)
    wcol = word_column if word_column is not None else (1 if indexed else 0)
    tcol = tag_column if tag_column is not None else (2 if indexed else -1)
    fcols = feature_numbers(features)
    tag_map = tag_map or {}
    out = []
    for s in sents:
        words, tags = [], []
        feats: dict[str, list[str]] = {f: [] for f in features}
        for i, row in enumerate(s.rows):
            line = s.line + len(s.comments) + i
            try:
                word, tag = row[wcol], row[tcol]
                for f, k in zip(features, fcols):
                    feats[f].append(row[k])
            except IndexError:
                wanted = f"; input columns {', '.join(features)}" if features else ""
                raise InputError(
                    name,
                    f"{len(row)} columns; the word is column {wcol + 1} and the tag column {tcol}{wanted}",
                    line=line,
                ) from None
            tag = tag_map.get(tag, tag)
            if check_scheme and not is_span_tag(tag):
                raise InputError(
                    name,
                    f"tag {tag!r} is not in an IOB/BIO/IOBES scheme (O, or B-/I-/E-/S- and a type)",
                    line=line,
                )
            words.append(word)
            tags.append(tag)
        out.append(TaggedSentence(words, {column: tags, **feats}, s.line, s, list(s.comments)))
    return out


def feature_numbers(features: Sequence[str]) -> list[int]:
    """0-based positions of column-file input columns named by their 1-based numbers (``"2"`` → 1)."""
    out = []
    for f in features:
        if not f.isdigit() or int(f) < 1:
            raise ValueError(f"input column {f!r} of a column file: give its number, 1 for the first column")
        out.append(int(f) - 1)
    return out


def row_features(rows: Sequence[Sequence[str]], features: Sequence[str], path: str, line: int) -> dict[str, list[str]]:
    """The input columns of one column-file sentence (rows of fields), for prediction."""
    out: dict[str, list[str]] = {}
    for f, k in zip(features, feature_numbers(features)):
        if any(len(r) <= k for r in rows):
            raise InputError(path, f"the tagger reads column {f} as input; this sentence has fewer columns", line=line)
        out[f] = [r[k] for r in rows]
    return out


def format_columns(sentence: TaggedSentence, column: str) -> str:
    """A sentence as a column file block, the predicted ``column`` appended as a last field."""
    src = sentence.source
    lines = list(sentence.comments)
    tags = sentence.tags[column]
    if isinstance(src, ColumnSentence):
        for row, tag in zip(src.rows, tags):
            lines.append(src.separator.join([*row, tag]))
    else:
        lines += [f"{w}\t{t}" for w, t in zip(sentence.words, tags)]
    return "\n".join(lines) + "\n\n"


# ---------------------------------------------------------------------------------------------- CoNLL-U


def from_conllu(sentences: Iterable[Sentence], columns: Sequence[str] = ("upos", "xpos")) -> list[TaggedSentence]:
    """Word lines of CoNLL-U sentences, tagged with the given columns."""
    for c in columns:
        if c not in COLUMNS or c in ("id", "form", "head"):
            raise ValueError(f"{c!r} is not a CoNLL-U tag column; use upos, xpos, lemma, feats, deprel, ...")
    return [TaggedSentence(s.forms, {c: s.column(c) for c in columns}, s.line, s, list(s.comments)) for s in sentences]


def conllu_inputs(sentences: Iterable[Sentence], features: Sequence[str]) -> list[dict[str, list[str]]]:
    """The values of the input columns ``features`` of CoNLL-U sentences, as :meth:`Tagger.predict` takes them."""
    return [{f: s.column(f) for f in features} for s in sentences]


def with_tags(
    sentences: Sequence[Sentence], predicted: Sequence[Mapping[str, Sequence[str]]], columns: Sequence[str]
) -> list[Sentence]:
    """Copies of CoNLL-U sentences whose ``columns`` hold the predicted tags (other columns untouched)."""
    out = []
    for s, tags in zip(sentences, predicted, strict=True):
        c = s.copy()
        for col in columns:
            for tok, tag in zip(c.tokens, tags[col], strict=True):
                setattr(tok, col, tag)
        out.append(c)
    return out


def read_conllu_tagged(path: str | os.PathLike, columns: Sequence[str] = ("upos", "xpos")) -> list[TaggedSentence]:
    return from_conllu(read_conllu(path), columns)


# ---------------------------------------------------------------------------------------------- plain text


def read_text(path: str | os.PathLike) -> list[TaggedSentence]:
    """One pre-tokenized sentence per line, words separated by spaces; an empty line is an empty sentence.

    A line of tab-separated fields whose first field is an integer looks like CoNLL-U or a column file,
    and is refused with a message naming the format to ask for."""
    name = os.fspath(path)
    out = []
    for n, text in read_lines(path):
        first = text.split("\t", 1)[0]
        if "\t" in text and (first.isdigit() or "-" in first):
            raise InputError(
                name,
                "this looks like CoNLL-U or a column file, not one tokenized sentence per line; "
                "give --format conllu or --format iob",
                line=n,
            )
        out.append(TaggedSentence(text.split(), {}, n, None))
    return out


def format_slash(sentence: TaggedSentence, column: str) -> str:
    """``word/TAG word/TAG ...`` on one line."""
    return " ".join(f"{w}/{t}" for w, t in zip(sentence.words, sentence.tags[column])) + "\n"


def write_text(path: str | os.PathLike, blocks: Iterable[str]) -> None:
    """Write text blocks to a file atomically, or to standard output for ``-``."""
    if os.fspath(path) == "-":
        for b in blocks:
            sys.stdout.write(b)
        sys.stdout.flush()
        return
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        for b in blocks:
            f.write(b)


def read_tagged(
    path: str | os.PathLike,
    fmt: str,
    column: str,
    tag_map: dict[str, str] | None = None,
    features: Sequence[str] = (),
) -> list[TaggedSentence]:
    """Read training or test data in ``fmt`` (``conllu`` or ``iob``) tagged with ``column`` (for CoNLL-U,
    several columns joined by ``+``: ``upos+xpos``), with the input columns ``features`` beside the tags
    (CoNLL-U column names, or column numbers of an IOB file)."""
    if fmt == "conllu":
        sents = read_conllu(path)
        if not sents:
            raise InputError(os.fspath(path), "no sentences")
        return from_conllu(sents, [*column.split("+"), *features])
    if fmt == "iob":
        sents_iob = read_iob(path, column, tag_map=tag_map, check_scheme=column in ("ner", "chunk"), features=features)
        if not sents_iob:
            raise InputError(os.fspath(path), "no sentences")
        return sents_iob
    raise ValueError(f"unknown format {fmt!r}; choose from conllu, iob")


def guess_format(path: str | os.PathLike) -> str:
    """``conllu`` for a file whose first word line has 10 tab-separated columns, ``iob`` for other column
    files, ``text`` for one sentence per line (standard input: ``text`` unless told)."""
    if os.fspath(path) == "-":
        return "text"
    for _, text in read_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        if text.count("\t") == 9:
            return "conllu"
        return "iob" if ("\t" in text or len(text.split()) in (2, 3, 4, 5)) and _looks_columnar(path) else "text"
    return "text"


def _looks_columnar(path: str | os.PathLike) -> bool:
    blank = 0
    for n, text in read_lines(path):
        if not text.strip():
            blank += 1
        if n >= 200:
            break
    return blank > 0 and blank * 2 < n
