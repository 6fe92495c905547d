"""Parallel text: reading aligned files or tab-separated pairs, vocabularies, length filtering, batches
bucketed by length with padding.

Two aligned files (``train.de`` + ``train.en``, plain or compressed) must have the same number of lines;
a mismatch is one error naming both files and the first line that has no partner. A tab-separated file
(the Tatoeba/Anki ``fra-eng`` export) gives one pair per line, source first unless ``swap``. Lines empty
on either side are skipped and counted, so the report says what was left out.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from wordseq.errors import InputError
from wordseq.io.inputs import read_lines
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import BOS, EOS, PAD, UNK, Vocab

SPECIALS = (UNK, PAD, BOS, EOS)
UNK_ID, PAD_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


@dataclass
class ParallelText:
    """Sentence pairs as raw text, with what reading left out (empty lines) and where they came from."""

    src: list[str]
    tgt: list[str]
    empty_skipped: int = 0
    source: str = ""

    def __len__(self) -> int:
        return len(self.src)


def _zip_member_lines(path: str) -> Iterator[tuple[int, str]]:
    """Lines of the one text member of a zip file (``archive.zip`` or ``archive.zip:member``)."""
    if ".zip:" in path:
        name, member = path.split(".zip:", 1)
        name += ".zip"
    else:
        name, member = path, ""
    try:
        zf = zipfile.ZipFile(name)
    except (OSError, zipfile.BadZipFile) as e:
        raise InputError(name, f"cannot be read as a zip archive ({e})") from None
    with zf:
        if not member:
            texts = [n for n in zf.namelist() if n.endswith(".txt") and not n.startswith("_")]
            if len(texts) != 1:
                raise InputError(name, f"say which member to read (archive.zip:member); it holds {zf.namelist()}")
            member = texts[0]
        try:
            data = zf.read(member)
        except KeyError:
            raise InputError(name, f"has no member {member!r}") from None
    rows = data.split(b"\n")
    if rows and not rows[-1]:
        rows.pop()
    for n, raw in enumerate(rows, 1):
        try:
            yield n, raw.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{name}:{member}", "is not valid UTF-8", line=n) from None


def _lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    p = os.fspath(path)
    if p.endswith(".zip") or ".zip:" in p:
        return _zip_member_lines(p)
    return read_lines(p)


def read_parallel(src: str | os.PathLike, tgt: str | os.PathLike) -> ParallelText:
    """Pairs from two line-aligned files; different line counts are an error naming both files and the
    first line number that one file has and the other lacks."""
    out = ParallelText([], [], source=f"{os.fspath(src)} + {os.fspath(tgt)}")
    a, b = _lines(src), _lines(tgt)
    n = 0
    while True:
        x, y = next(a, None), next(b, None)
        if x is None and y is None:
            break
        n += 1
        if x is None or y is None:
            longer, shorter = (tgt, src) if x is None else (src, tgt)
            raise InputError(
                longer,
                f"has more lines than {os.fspath(shorter)} ({n - 1} lines): the files must be line-aligned "
                f"translations; line {n} has no partner",
                line=n,
            )
        s, t = x[1].strip(), y[1].strip()
        if not s or not t:
            out.empty_skipped += 1
            continue
        out.src.append(s)
        out.tgt.append(t)
    return out


def read_tsv(path: str | os.PathLike, swap: bool = False) -> ParallelText:
    """Pairs from a tab-separated file (``source<TAB>target[<TAB>anything]``); ``swap`` reads target first.
    Accepts ``archive.zip`` or ``archive.zip:member`` for the Anki exports as distributed."""
    out = ParallelText([], [], source=os.fspath(path))
    for n, line in _lines(path):
        if not line.strip():
            out.empty_skipped += 1
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise InputError(path, "expected a tab between the source and the target sentence", line=n)
        s, t = parts[0].strip(), parts[1].strip()
        if swap:
            s, t = t, s
        if not s or not t:
            out.empty_skipped += 1
            continue
        out.src.append(s)
        out.tgt.append(t)
    return out


@dataclass
class EncodedPairs:
    """Pairs as id arrays (target without ``<s>``/``</s>``), after the length filter, with its report."""

    src: list[np.ndarray]
    tgt: list[np.ndarray]
    too_long: int = 0
    empty_skipped: int = 0
    kept_index: list[int] = field(default_factory=list)  # position of each kept pair in the text read

    def __len__(self) -> int:
        return len(self.src)

    def report(self) -> str:
        return (
            f"{len(self.src):,} pairs kept, {self.too_long:,} longer than the length limit left out, "
            f"{self.empty_skipped:,} with an empty side skipped"
        )


def build_vocabs(
    src_tokens: Sequence[Sequence[str]],
    tgt_tokens: Sequence[Sequence[str]],
    min_count: int = 1,
    max_vocab: int | None = None,
    shared: bool = False,
) -> tuple[Vocab, Vocab]:
    """Source and target vocabularies (one shared one, twice, when ``shared``)."""
    if shared:
        v = Vocab.build(list(src_tokens) + list(tgt_tokens), min_count=min_count, max_size=max_vocab, specials=SPECIALS)
        return v, v
    return (
        Vocab.build(src_tokens, min_count=min_count, max_size=max_vocab, specials=SPECIALS),
        Vocab.build(tgt_tokens, min_count=min_count, max_size=max_vocab, specials=SPECIALS),
    )


def encode_pairs(
    src_tokens: Sequence[Sequence[str]],
    tgt_tokens: Sequence[Sequence[str]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    max_len: int = 0,
    empty_skipped: int = 0,
) -> EncodedPairs:
    """Id arrays for each pair; pairs with a side longer than ``max_len`` tokens (0: no limit) left out."""
    out = EncodedPairs([], [], empty_skipped=empty_skipped)
    for i, (s, t) in enumerate(zip(src_tokens, tgt_tokens)):
        if not s or not t:
            out.empty_skipped += 1
            continue
        if max_len and (len(s) > max_len or len(t) > max_len):
            out.too_long += 1
            continue
        out.src.append(src_vocab.encode(s).astype(np.int64))
        out.tgt.append(tgt_vocab.encode(t).astype(np.int64))
        out.kept_index.append(i)
    return out


def tokenize_all(tokenizer: Tokenizer, lines: Sequence[str]) -> list[list[str]]:
    """Tokens of each line (one regex pass over the whole block)."""
    tokens = tokenizer.tokenize_block("\n".join(lines) + "\n")
    out: list[list[str]] = []
    cur: list[str] = []
    for t in tokens:
        if t == "\n":
            out.append(cur)
            cur = []
        else:
            cur.append(t)
    if len(out) != len(lines):  # a line holding a stray line separator: fall back to line by line
        return [tokenizer(line) for line in lines]
    return out


def bucket_batches(
    src_lengths: Sequence[int],
    tgt_lengths: Sequence[int],
    batch_size: int,
    seed: int | None = None,
) -> list[np.ndarray]:
    """Indices of pairs grouped into batches of similar source length (then target length), so that
    little of each batch is padding. With ``seed`` the order within equal lengths and the batch order are
    shuffled (deterministically); without, batches come in length order."""
    n = len(src_lengths)
    src_l = np.asarray(src_lengths)
    tgt_l = np.asarray(tgt_lengths)
    if seed is not None:
        rng = np.random.default_rng(seed)
        noise = rng.random(n)
        order = np.lexsort((noise, tgt_l, src_l))
    else:
        order = np.lexsort((np.arange(n), tgt_l, src_l))
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if seed is not None:
        perm = np.random.default_rng(seed + 1).permutation(len(batches))
        batches = [batches[i] for i in perm]
    return batches


def pad(seqs: Sequence[np.ndarray], bos: bool = False, eos: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(B, T)`` id matrix right-padded with ``<pad>`` (optionally ``<s>``/``</s>`` added) and the lengths."""
    extra = int(bos) + int(eos)
    lengths = np.array([len(s) + extra for s in seqs], dtype=np.int64)
    out = np.full((len(seqs), int(lengths.max()) if len(seqs) else 0), PAD_ID, dtype=np.int64)
    for i, s in enumerate(seqs):
        row = list(s)
        if bos:
            row = [BOS_ID] + row
        if eos:
            row = row + [EOS_ID]
        out[i, : len(row)] = row
    return out, lengths
