"""Labelled text: one reader for the formats people have, and stratified k-fold splits.

Formats (``format=``):

- ``tsv``: ``label<TAB>text``;
- ``fasttext``: ``__label__X text`` (fastText's; the first label of a line is kept);
- ``first``: the first whitespace-separated token is the label (the SST ``stsa.*`` and TREC files);
- ``auto``: chosen from the first non-blank line (a tab: ``tsv``; ``__label__``: ``fasttext``; else ``first``);
- one file per class: :func:`read_class_files` (``{"pos": "rt-polarity.pos", "neg": "rt-polarity.neg"}``).

``coarse=True`` keeps a label up to its first ``:`` (TREC's ``NUM:dist`` -> ``NUM``). Blank lines are
skipped; lines with a label and no text are skipped with one warning that counts them and names the first.
Text is decoded strictly in ``encoding``: a byte it cannot decode is an error naming the file and line.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from wordseq.errors import InputError, WordseqError

FORMATS = ("auto", "tsv", "fasttext", "first")
FASTTEXT_PREFIX = "__label__"


@dataclass
class LabelledData:
    """Texts and their labels, in file order; ``source`` and ``lines`` say where each example came from."""

    texts: list[str]
    labels: list[str]
    source: str = ""
    lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int] | np.ndarray) -> LabelledData:
        idx = [int(i) for i in index]
        lines = [self.lines[i] for i in idx] if self.lines else []
        return LabelledData([self.texts[i] for i in idx], [self.labels[i] for i in idx], self.source, lines)

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels).items()))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> LabelledData:
        """From ``(label, text)`` pairs."""
        labels, texts = [], []
        for label, text in pairs:
            labels.append(str(label))
            texts.append(str(text))
        return cls(texts, labels, "<pairs>")


def split_line(line: str, format: str) -> tuple[str, str]:
    """``(label, text)`` of one line in ``format`` (not ``auto``); the text is stripped, the label has no
    surrounding whitespace. A line without a label gives ``("", ...)``."""
    if format == "tsv":
        label, _, text = line.partition("\t")
        return label.strip(), text.strip()
    stripped = line.strip()
    parts = stripped.split(None, 1)
    if not parts:
        return "", ""
    label, text = parts[0], (parts[1] if len(parts) > 1 else "")
    if format == "fasttext":
        if not label.startswith(FASTTEXT_PREFIX):
            return "", stripped
        label = label[len(FASTTEXT_PREFIX) :]
        # further labels of a multi-label line are dropped
        words = text.split()
        while words and words[0].startswith(FASTTEXT_PREFIX):
            words.pop(0)
        text = " ".join(words)
    return label, text.strip()


def guess_format(first_line: str) -> str:
    """The format a first line suggests (see the module docstring)."""
    if "\t" in first_line:
        return "tsv"
    if first_line.lstrip().startswith(FASTTEXT_PREFIX):
        return "fasttext"
    return "first"


def read_text_lines(path: str | os.PathLike, encoding: str) -> Iterable[tuple[int, str]]:
    """Lines split on ``\\n`` only (cp1252's 0x85 is an ellipsis, not a line break), decoded strictly."""
    from wordseq.io.inputs import open_input

    with open_input(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            data = raw.rstrip(b"\r\n")
            try:
                yield n, data.decode(encoding)
            except UnicodeDecodeError as e:
                raise InputError(
                    path,
                    f"byte {e.start + 1} ({data[e.start : e.start + 1]!r}) is not valid {encoding}; give the "
                    "file's encoding with encoding= (--encoding on the command line), e.g. cp1252 or latin-1",
                    line=n,
                ) from None
            except LookupError:
                raise InputError(path, f"unknown text encoding {encoding!r}") from None


def _finish(label: str, coarse: bool) -> str:
    return label.split(":", 1)[0] if coarse else label


def read_labelled(
    path: str | os.PathLike, format: str = "auto", encoding: str = "utf-8", coarse: bool = False
) -> LabelledData:
    """Read a labelled-text file (see the module docstring); ``-`` is standard input, compressed files work."""
    if format not in FORMATS:
        raise WordseqError(f"unknown labelled-text format {format!r}; choose from {', '.join(FORMATS)}")
    texts: list[str] = []
    labels: list[str] = []
    lines: list[int] = []
    no_text: list[int] = []
    fmt = format
    for n, line in read_text_lines(path, encoding):
        if not line.strip():
            continue
        if fmt == "auto":
            fmt = guess_format(line)
        label, text = split_line(line, fmt)
        if not label:
            what = {"tsv": "no label before the tab", "fasttext": f"no {FASTTEXT_PREFIX} label"}.get(fmt, "no label")
            raise InputError(path, f"{what} (read as the {fmt!r} format)", line=n)
        if not text:
            no_text.append(n)
            continue
        labels.append(_finish(label, coarse))
        texts.append(text)
        lines.append(n)
    if no_text:
        warnings.warn(
            f"{path}: skipped {len(no_text)} line(s) with a label and no text (the first is line {no_text[0]})",
            stacklevel=2,
        )
    if not texts:
        raise InputError(path, "no labelled examples in this file")
    return LabelledData(texts, labels, os.fspath(path), lines)


def read_class_files(files: Mapping[str, str | os.PathLike], encoding: str = "utf-8") -> LabelledData:
    """One file per class, one text per line (MR's ``rt-polarity.pos`` / ``.neg``), in the order given."""
    texts: list[str] = []
    labels: list[str] = []
    lines: list[int] = []
    for label, path in files.items():
        before = len(texts)
        for n, line in read_text_lines(path, encoding):
            if line.strip():
                texts.append(line.strip())
                labels.append(label)
                lines.append(n)
        if len(texts) == before:
            raise InputError(path, f"no text for the class {label!r} in this file")
    if not texts:
        raise WordseqError("no class files given")
    return LabelledData(texts, labels, ",".join(f"{k}={os.fspath(v)}" for k, v in files.items()), lines)


def parse_class_files(specs: Sequence[str]) -> dict[str, str]:
    """``["pos=a.txt", "neg=b.txt"]`` -> ``{"pos": "a.txt", "neg": "b.txt"}``."""
    out: dict[str, str] = {}
    for spec in specs:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            raise WordseqError(f"a class file is given as LABEL=FILE, not {spec!r}")
        if label in out:
            raise WordseqError(f"the class {label!r} is given twice")
        out[label] = path
    return out


def stratified_folds(labels: Sequence[str], k: int, seed: int = 0) -> list[np.ndarray]:
    """``k`` disjoint test-index arrays covering every example, each class spread evenly over the folds
    (shuffled with ``seed``). A class with fewer than ``k`` examples is an error naming it."""
    if k < 2:
        raise WordseqError(f"cross-validation needs at least 2 folds, got {k}")
    counts = Counter(labels)
    small = sorted((c, lab) for lab, c in counts.items() if c < k)
    if small:
        c, lab = small[0]
        raise WordseqError(f"{k} folds asked for, but the class {lab!r} has only {c} example(s); use at most {c} folds")
    rng = np.random.default_rng(seed)
    labels_arr = np.asarray(labels, dtype=object)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for lab in sorted(counts):
        idx = np.flatnonzero(labels_arr == lab)
        rng.shuffle(idx)
        for j, i in enumerate(idx.tolist()):  # round-robin, continuing where the previous class stopped
            folds[(offset + j) % k].append(i)
        offset += len(idx)
    return [np.sort(np.asarray(f, dtype=np.int64)) for f in folds]


def tokens(text: str, lower: bool = False) -> list[str]:
    """The tokens of an (already tokenized) text: split on whitespace, lowercased if asked."""
    return (text.lower() if lower else text).split()
