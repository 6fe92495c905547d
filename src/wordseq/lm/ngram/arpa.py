"""ARPA files: the text format every n-gram toolkit reads (SRILM, KenLM, IRSTLM).

Backoff form: for each order a section of lines ``log10(p)<TAB>w1 ... wn[<TAB>log10(backoff)]``; a word
whose longest n-gram is missing is scored by backing off, adding the backoff weights of the longer
contexts. Only backoff-form tables (the interpolated estimators) have an exact ARPA form; the model refuses
to write the others. Reading checks the header counts, the number of words and fields of each line, the
numbers, the sections and the closing ``\\end\\``, and names the line at fault.

This module reads and writes plain data (:class:`ArpaTables`: the words and the per-order arrays); the
model (:mod:`.model`) builds itself from them, so the format never depends on the model.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import warnings
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import numba
import numpy as np

from wordseq.errors import InputError
from wordseq.io.atomic import atomic_write
from wordseq.io.inputs import open_input
from wordseq.lm.ngram.scorer import _hash, _word_id
from wordseq.progress import progress
from wordseq.text import mapped
from wordseq.text.vocab import BOS, EOS, SPECIALS, UNK

_NGRAM_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")


class ArpaWarning(UserWarning):
    """Something in an ARPA file was repaired the way KenLM repairs it (a missing ``<unk>``)."""


ARPA_SUFFIXES = (".arpa", ".arpa.gz", ".arpa.bz2", ".arpa.xz")


def _compressed(raw: IO[bytes], suffix: str) -> Any:
    """A compressing writer around ``raw`` for ``.gz``/``.bz2``/``.xz`` (the caller closes it), else None."""
    if suffix == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
    if suffix == ".bz2":
        return bz2.BZ2File(raw, "wb")
    if suffix == ".xz":
        return lzma.LZMAFile(raw, "wb")
    return None


@dataclass
class ArpaTables:
    """An ARPA file as plain data. ``words`` are the vocabulary in id order (wordseq's specials first, then
    the file's unigrams in file order); the lists are indexed by order (index 0 unused): ``keys[n]`` (n >= 2)
    the sorted packed keys ``prefix_id * len(words) + word_id`` (see :mod:`.counts`), ``logprob[n]`` and
    ``logbow[n]`` the log10 probabilities and backoff weights aligned with them (order 1: one per word)."""

    order: int
    words: list[str]
    keys: list = field(default_factory=list)
    logprob: list = field(default_factory=list)
    logbow: list = field(default_factory=list)
    declared: list[int] = field(default_factory=list)  # the n-gram counts of the \\data\\ header


def is_arpa_name(path: str | os.PathLike) -> bool:
    """Whether the file name says ARPA: ``.arpa``, optionally followed by ``.gz``, ``.bz2`` or ``.xz``."""
    return os.fspath(path).lower().endswith(ARPA_SUFFIXES)


def is_arpa(path: str | os.PathLike) -> bool:
    """ARPA by name, or by a ``\\data\\`` header at the start (compressed files are looked into); ``-``
    (standard input) is taken to be ARPA, the one model format that streams."""
    if is_arpa_name(path) or os.fspath(path) == "-":
        return True
    with open_input(path, "rb") as f:
        try:
            head = f.read(4096)
        except (EOFError, lzma.LZMAError, OSError):
            return False
    return head.lstrip().startswith(b"\\data\\")


# -- writing ------------------------------------------------------------------------------------------
# The lines are formatted by a compiled kernel into a fixed buffer, a slice of n-grams at a time, so the
# memory writing takes is bounded whatever the model's size (the tables may be memory-mapped files). The
# bytes are exactly what ``f"{v:.6f}"`` (and ``-99`` at or below -99) gives: the kernel rounds the exact
# binary value to 6 decimals, ties to even, as Python does; a number it does not handle (an infinity, or a
# magnitude of 2**20 or more with more than 42 significant bits) is formatted by :func:`_fmt` instead.
SLICE_ROWS = 1 << 18  # n-grams formatted per slice
_BUFFER_BYTES = 1 << 23  # bytes of text per write (grows only for a line longer than that)
_NUMBER_BYTES = 24  # the longest number the kernel writes: "-" + 13 digits + "." + 6 digits
_DONE, _FULL, _PYTHON = 0, 1, 2
_DIGIT_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), np.uint8).copy()


def _fmt(values: np.ndarray) -> list[str]:
    """The reference formatting of log10 probabilities and backoffs (the kernel writes the same bytes)."""
    return [f"{v:.6f}" if v > -99 else "-99" for v in values.tolist()]


@numba.njit(cache=True, inline="always")
def _put_number(out, pos, v, bits):
    """Write ``v`` (``bits``: its float64 bits) as ``%.6f`` (``-99`` when not above -99) at ``out[pos:]``;
    the position after it, or -1 when Python must format it (an infinity, or a magnitude of 2**20 or more
    with more than 42 significant bits: no log10 probability or backoff weight is near that)."""
    if not v > -99.0:  # NaN too, as in the Python formatting
        out[pos] = 45
        out[pos + 1] = 57
        out[pos + 2] = 57
        return pos + 3
    e = (bits >> 52) & 0x7FF
    mant = bits & 0xFFFFFFFFFFFFF
    if e == 0x7FF:
        return -1
    if e == 0:
        k = 1074
    else:
        mant |= 0x10000000000000
        k = 1075 - e  # v = mant * 2**-k
    q = np.int64(0)  # round(|v| * 10**6), ties to even
    if mant != 0 and k >= 32:  # |v| < 2**21: mant * 10**6 as c * 2**32 + low, in two words
        low = (mant & 0xFFFFFFFF) * 1000000
        c = (mant >> 32) * 1000000 + (low >> 32)  # below 2**41
        low &= 0xFFFFFFFF
        t = k - 32  # |v| * 10**6 = (c * 2**32 + low) / 2**(t + 32)
        if t == 0:
            q = c
            if low > 0x80000000 or (low == 0x80000000 and (q & 1) == 1):
                q += 1
        elif t < 63:
            q = c >> t
            r = c & ((np.int64(1) << t) - 1)
            half = np.int64(1) << (t - 1)
            if r > half or (r == half and (low > 0 or (q & 1) == 1)):
                q += 1
    elif mant != 0:  # |v| >= 2**20: fewer significant bits, then one word
        while (mant & 1) == 0 and k > 0:
            mant >>= 1
            k -= 1
        if k <= 0:
            if k < -41 or mant >= (np.int64(1) << (42 + k)):
                return -1
            q = (mant << -k) * 1000000
        elif mant < np.int64(1) << 42:
            p = mant * 1000000  # below 2**62
            q = p >> k
            r = p & ((np.int64(1) << k) - 1)
            half = np.int64(1) << (k - 1)
            if r > half or (r == half and (q & 1) == 1):
                q += 1
        else:
            return -1
    if bits < 0:  # the sign bit: Python writes -0.000000 for -0.0 and for negatives that round to zero
        out[pos] = 45
        pos += 1
    whole = q // 1000000
    frac = q - whole * 1000000
    if whole < 10:
        out[pos] = 48 + whole
        pos += 1
    else:
        digits = 1
        t = whole
        while t >= 10:
            t //= 10
            digits += 1
        for j in range(digits - 1, -1, -1):
            out[pos + j] = 48 + whole % 10
            whole //= 10
        pos += digits
    out[pos] = 46
    for j in range(5, 0, -2):  # two digits at a time
        d = frac % 100
        frac //= 100
        out[pos + j] = _DIGIT_PAIRS[2 * d]
        out[pos + j + 1] = _DIGIT_PAIRS[2 * d + 1]
    return pos + 7


@numba.njit(cache=True)
def _format_lines(out, start, ids, probs, pbits, bows, bbits, with_bow, blob, offsets, longest):
    """Format lines ``start, start+1, ...`` of a slice into ``out``: ``prob<TAB>w1 ... wn[<TAB>bow]<LF>``,
    the backoff written when ``with_bow`` and nonzero. Returns (status, next line, bytes written): _DONE
    after the last line, _FULL when the next line may not fit, _PYTHON when its numbers need Python.
    ``longest``: the bytes of the longest word (below ``safe``, any line fits)."""
    rows, n = ids.shape
    cap = len(out)
    safe = cap - (2 * _NUMBER_BYTES + n + 2) - n * longest
    pos = 0
    for i in range(start, rows):
        if pos > safe:
            need = 2 * _NUMBER_BYTES + n + 2
            for j in range(n):
                w = ids[i, j]
                need += offsets[w + 1] - offsets[w]
            if pos + need > cap:
                return _FULL, i, pos
        end = _put_number(out, pos, probs[i], pbits[i])
        if end < 0:
            return _PYTHON, i, pos
        for j in range(n):
            out[end] = 9 if j == 0 else 32
            end += 1
            w = ids[i, j]
            for b in range(offsets[w], offsets[w + 1]):
                out[end] = blob[b]
                end += 1
        if with_bow and bows[i] != 0.0:  # NaN != 0 as in Python
            out[end] = 9
            end = _put_number(out, end + 1, bows[i], bbits[i])
            if end < 0:
                return _PYTHON, i, pos
        out[end] = 10
        pos = end + 1
    return _DONE, rows, pos


@numba.njit(cache=True)
def _walk(keys, ctx, ids, col, V):
    """One step down the orders: the (n-1)-gram rows ``ctx`` give their last word (column ``col``) and,
    in ``ctx``, their own contexts."""
    for i in range(len(ctx)):
        k = keys[ctx[i]]
        c = k // V
        ids[i, col] = k - c * V
        ctx[i] = c


def _gram_ids(tables: ArpaTables, n: int, rows: slice) -> np.ndarray:
    """The word ids of the n-grams ``rows`` of order ``n`` (n >= 2), one row each: the packed keys walked
    down the orders to their first word."""
    V = len(tables.words)
    ids = np.empty((rows.stop - rows.start, n), np.int64)
    ctx = np.arange(rows.start, rows.stop, dtype=np.int64)
    for m in range(n, 1, -1):
        _walk(tables.keys[m], ctx, ids, m - 1, V)
    ids[:, 0] = ctx
    return ids


def _python_line(tables: ArpaTables, ids: np.ndarray, prob: float, bow: float | None) -> bytes:
    """One line formatted by Python (numbers the kernel leaves to :func:`_fmt`)."""
    gram = " ".join(tables.words[w] for w in ids.tolist())
    p = _fmt(np.array([prob]))[0]
    if bow is None or bow == 0:
        return f"{p}\t{gram}\n".encode()
    return f"{p}\t{gram}\t{_fmt(np.array([bow]))[0]}\n".encode()


def write_arpa(
    path: str | os.PathLike, tables: ArpaTables, unigrams: np.ndarray, slice_rows: int | None = None
) -> Path:
    """Write backoff-form tables as an ARPA file, atomically; compressed when the name ends in ``.gz``,
    ``.bz2`` or ``.xz``. ``unigrams`` are the word ids listed in the unigram section (those a model can
    predict, and ``<s>``). The n-grams are formatted ``slice_rows`` (default :data:`SLICE_ROWS`) at a time
    from the (possibly memory-mapped) tables, so writing holds one slice and one text buffer, whatever the
    model's size."""
    path = Path(path)
    step = max(1, slice_rows or SLICE_ROWS)
    # the words' UTF-8 bytes end to end, encoded 65,536 words at a time: a bytes object per word of the
    # whole vocabulary at once (and their lengths as Python ints) would be the writer's largest allocation
    words = tables.words
    offsets = np.zeros(len(words) + 1, np.int64)
    joined = bytearray()
    for s in range(0, len(words), 1 << 16):
        encoded = [w.encode("utf-8") for w in words[s : s + (1 << 16)]]
        offsets[s + 1 : s + 1 + len(encoded)] = np.fromiter(map(len, encoded), np.int64, len(encoded))
        joined += b"".join(encoded)
    np.cumsum(offsets, out=offsets)
    blob = np.frombuffer(joined, np.uint8)
    longest = int(np.diff(offsets).max(initial=0))
    unigrams = np.asarray(unigrams, np.int64)
    sizes = [len(unigrams)] + [len(tables.keys[n]) for n in range(2, tables.order + 1)]
    out = np.empty(_BUFFER_BYTES, np.uint8)
    bar = progress(total=sum(sizes), desc="writing ARPA", unit="ngram", unit_scale=True)
    with atomic_write(path, "wb") as raw:
        f = _compressed(raw, path.suffix.lower()) or raw
        f.write(("\n\\data\\\n" + "".join(f"ngram {n}={c}\n" for n, c in enumerate(sizes, 1))).encode("utf-8"))
        for n in range(1, tables.order + 1):
            f.write(f"\n\\{n}-grams:\n".encode())
            with_bow = n < tables.order
            for s in range(0, sizes[n - 1], step):
                rows = slice(s, min(s + step, sizes[n - 1]))
                if n == 1:
                    ids = unigrams[rows, None]
                    probs = tables.logprob[1][ids[:, 0]].astype(np.float64)
                    bows = tables.logbow[1][ids[:, 0]].astype(np.float64) if with_bow else probs
                else:
                    ids = _gram_ids(tables, n, rows)
                    probs = tables.logprob[n][rows].astype(np.float64)
                    bows = tables.logbow[n][rows].astype(np.float64) if with_bow else probs
                pbits, bbits = probs.view(np.int64), bows.view(np.int64)
                i = 0
                while i < len(ids):
                    status, nxt, used = _format_lines(
                        out, i, ids, probs, pbits, bows, bbits, with_bow, blob, offsets, longest
                    )
                    f.write(out[:used].data)
                    i = nxt
                    if status == _PYTHON:
                        f.write(_python_line(tables, ids[i], probs[i], bows[i] if with_bow else None))
                        i += 1
                    elif status == _FULL and used == 0:  # one line longer than the buffer
                        out = np.empty(2 * len(out), np.uint8)
                bar.update(len(ids))
                mapped.trim()  # the tables' pages read so far, when a memory budget is set
        f.write(b"\n\\end\\\n")
        if f is not raw:
            f.close()
    bar.close()
    return path


# -- reading ------------------------------------------------------------------------------------------
_WS = np.zeros(256, bool)
_WS[[9, 10, 11, 12, 13, 32]] = True  # what bytes.split() splits on
_SECTION_RE = re.compile(rb"^[ \t]*\\(\d+)-grams:[ \t\r]*$", re.M)
_END_RE = re.compile(rb"^[ \t]*\\end\\[ \t\r]*$", re.M)


def _read_bytes(path: str | os.PathLike) -> bytes:
    """The whole (decompressed) file; ``-`` is standard input."""
    f: IO[bytes] = open_input(path, "rb")
    try:
        return f.read()
    except (EOFError, lzma.LZMAError, OSError) as e:  # gzip.BadGzipFile is an OSError
        raise InputError(path, f"damaged or truncated compressed file ({e})") from None
    finally:
        if os.fspath(path) != "-":
            f.close()


class _Section:
    """The lines of one ``\\n-grams:`` section, split into fields with a few numpy passes (no Python loop
    per line): ``tokens`` is the flat list of fields, ``first[i]`` the index of line i's first field,
    ``nfields[i]`` its number of fields and ``lineno[i]`` its line number in the file."""

    def __init__(self, data: bytes, begin: int, end: int, first_line: int) -> None:
        raw = data[begin:end]
        self.tokens = raw.split()
        b = np.frombuffer(raw, np.uint8)
        ws = _WS[b]
        starts = np.flatnonzero(~ws & np.concatenate([[True], ws[:-1]]))
        newlines = np.flatnonzero(b == 10)
        line_of = np.searchsorted(newlines, starts)
        per_line = np.bincount(line_of, minlength=len(newlines) + 1)
        nonblank = np.flatnonzero(per_line)
        self.nfields = per_line[nonblank]
        self.first = np.concatenate([[0], np.cumsum(self.nfields)[:-1]]).astype(np.int64)
        self.lineno = first_line + nonblank
        assert len(self.tokens) == len(starts)

    def __len__(self) -> int:
        return len(self.nfields)


def read_arpa(path: str | os.PathLike) -> ArpaTables:
    """Read an ARPA file (plain, ``.gz``, ``.bz2``, ``.xz``, or ``-`` for standard input) into plain tables;
    :meth:`NgramModel.load <wordseq.lm.ngram.NgramModel.load>` builds a model from them.

    A compiled pass (numba) reads well-formed files; anything it does not accept (a malformed line, a number
    written in a rare form, an unknown word, a missing context, a duplicate) sends the file to the checking
    reader below, which accepts or refuses it naming the file and line, so both give the same answer."""
    data = _read_bytes(path)
    layout = _layout(path, data)
    read = _read_compiled(path, data, *layout) or _read_checked(path, data, *layout)
    tables, unk_missing = read
    if unk_missing:
        warnings.warn(
            f"{path}: the ARPA file has no {UNK}; giving it log10 probability -100 as KenLM does",
            ArpaWarning,
            stacklevel=2,
        )
    return tables


def _layout(path: str | os.PathLike, data: bytes) -> tuple:
    """The header's declared counts and where each section starts (``\\n-grams:`` marks, ``\\end\\``)."""

    def line_at(pos: int) -> int:
        return data.count(b"\n", 0, pos) + 1

    m = re.search(rb"^[ \t]*\\data\\[ \t\r]*$", data, re.M)
    if m is None:
        raise InputError(path, "not an ARPA file (no \\data\\ header)")
    declared: list[int] = []
    pos = m.end()
    header_end = _SECTION_RE.search(data, pos)
    header = data[pos : header_end.start() if header_end else len(data)]
    hline = line_at(pos)
    for i, line in enumerate(header.split(b"\n")):
        text = line.strip()
        if not text:
            continue
        mm = _NGRAM_COUNT.match(text.decode("utf-8", "replace"))
        if not mm or int(mm.group(1)) != len(declared) + 1:
            want = f"ngram {len(declared) + 1}=COUNT"
            raise InputError(
                path,
                f"expected {want!r} in the \\data\\ header, found {text[:60].decode('utf-8', 'replace')!r}",
                hline + i,
            )
        declared.append(int(mm.group(2)))
    if not declared:
        raise InputError(path, "the \\data\\ header declares no n-gram counts", hline)
    N = len(declared)
    marks, end = _section_marks(data, pos)
    if end is None:
        raise InputError(path, "missing \\end\\ at the end of the ARPA file", line_at(len(data)))
    marks = [mk for mk in marks if mk.start() < end.start()]
    found = [int(mk.group(1)) for mk in marks]
    if found != list(range(1, N + 1)):
        missing = next((n for n in range(1, N + 1) if n not in found), None)
        if missing is not None:
            raise InputError(
                path, f"the header declares {N} orders but there is no \\{missing}-grams: section", line_at(end.start())
            )
        extra = next(mk for mk, n in zip(marks, found) if n > N or found.count(n) > 1)
        raise InputError(
            path,
            f"unexpected section {extra.group(0).strip().decode()!r} (the header declares {N} orders)",
            line_at(extra.start()),
        )
    return declared, marks, end


def _section_marks(data: bytes, pos: int) -> tuple[list, Any]:
    """Every ``\\n-grams:`` line after ``pos`` and the first ``\\end\\`` line, as the regexes find them, but
    looking only at lines holding a backslash (a handful in an ARPA file of millions of lines)."""
    marks: list = []
    end = None
    i = data.find(b"\\", pos)
    seen = 0
    while i >= 0:
        seen += 1
        if seen > 10000:  # words full of backslashes: let the regexes scan the whole text
            return list(_SECTION_RE.finditer(data, pos)), _END_RE.search(data, pos)
        start = data.rfind(b"\n", 0, i) + 1
        stop = data.find(b"\n", i)
        stop = len(data) if stop < 0 else stop
        if start >= pos:
            m = _SECTION_RE.match(data, start, stop)
            if m is not None:
                marks.append(_SECTION_RE.search(data, start))
            elif end is None:
                end = _END_RE.match(data, start, stop) and _END_RE.search(data, start)
        i = data.find(b"\\", stop)
    return marks, end


def _line_at(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _read_checked(
    path: str | os.PathLike, data: bytes, declared: list[int], marks: list, end: Any
) -> tuple[ArpaTables, bool]:
    """The reader that checks every line and names the first one at fault (numpy passes over the fields)."""
    N = len(declared)

    def line_at(pos: int) -> int:
        return _line_at(data, pos)

    sections = []
    for n, mk in enumerate(marks, 1):
        stop = marks[n].start() if n < N else end.start()
        sec = _Section(data, mk.end(), stop, line_at(mk.end()))
        if len(sec) != declared[n - 1]:
            where = int(sec.lineno[-1]) if len(sec) else line_at(mk.start())
            raise InputError(
                path,
                f"the header declares {declared[n - 1]:,} {n}-grams but the \\{n}-grams: section has {len(sec):,}",
                where,
            )
        bad = np.flatnonzero((sec.nfields != n + 1) & ((sec.nfields != n + 2) | (n == N)))
        if len(bad):
            i = int(bad[0])
            got = int(sec.nfields[i]) - 1
            why = " (the highest order has no backoff weights)" if n == N and got == n + 1 else ""
            raise InputError(
                path,
                f"a {n}-gram line needs {n} words after the probability"
                f"{'' if n == N else ' and an optional backoff weight'}, found {got} fields{why}",
                int(sec.lineno[i]),
            )
        sections.append(sec)

    # vocabulary from the unigrams: wordseq's specials first, then the file's words in file order
    uni = sections[0]
    try:
        words = [uni.tokens[i].decode("utf-8") for i in (uni.first + 1).tolist()]
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text (in the unigrams)") from None
    seen: set[str] = set()
    for w, ln in zip(words, uni.lineno.tolist()):
        if w in seen:
            raise InputError(path, f"the unigram {w!r} appears twice", ln)
        seen.add(w)
    for special in (BOS, EOS):
        if special not in seen:
            raise InputError(path, f"the ARPA file has no {special} unigram", line_at(marks[0].start()))
    itos = list(SPECIALS) + [w for w in words if w not in SPECIALS]
    V = len(itos)
    stoi_bytes = {w.encode("utf-8"): i for i, w in enumerate(itos)}
    unk_id = itos.index(UNK)
    logprob: list = [None] * (N + 1)
    logbow: list = [None] * (N + 1)
    keys: list = [None, None]
    for n, sec in enumerate(sections, 1):
        probs = _numbers(path, sec, sec.first, "log10 probability")
        if len(probs) and probs.max() > 0:
            i = int(np.argmax(probs > 0))
            raise InputError(
                path, f"log10 probability {sec.tokens[sec.first[i]].decode()} is positive", int(sec.lineno[i])
            )
        bows = np.zeros(len(sec), np.float64)
        has_bow = np.flatnonzero(sec.nfields == n + 2)
        if len(has_bow):
            bows[has_bow] = _numbers(path, sec, sec.first[has_bow] + n + 1, "backoff weight", has_bow)
        word_pos = (sec.first[:, None] + 1 + np.arange(n)).reshape(-1)
        toks = sec.tokens
        picked = itemgetter(*word_pos.tolist())(toks) if len(word_pos) > 1 else [toks[i] for i in word_pos]
        try:
            ids = np.fromiter(map(stoi_bytes.__getitem__, picked), np.int64, len(word_pos)).reshape(-1, n)
        except KeyError:
            get = stoi_bytes.get
            ids = np.fromiter((get(w, -1) for w in picked), np.int64, len(word_pos)).reshape(-1, n)
        if n == 1:
            lp1 = np.full(V, -np.inf, np.float32)
            bow1 = np.zeros(V, np.float32)
            lp1[ids[:, 0]] = probs
            bow1[ids[:, 0]] = bows
            if UNK not in seen:
                lp1[unk_id] = -100.0  # as KenLM does (read_arpa warns)
            logprob[1], logbow[1] = lp1, bow1
            continue
        if (ids < 0).any():
            r = int(np.argmax((ids < 0).any(axis=1)))
            bad_word = toks[int(word_pos[r * n + int(np.argmax(ids[r] < 0))])].decode("utf-8", "replace")
            raise InputError(path, f"the word {bad_word!r} is not among the unigrams", int(sec.lineno[r]))
        prefix = ids[:, 0].copy()
        for j in range(1, n - 1):  # walk the prefix down the orders to its id at order n-1
            table = keys[j + 1]
            key = prefix * V + ids[:, j]
            pos_ = np.searchsorted(table, key)
            ok = (
                (pos_ < len(table)) & (table[np.minimum(pos_, max(len(table) - 1, 0))] == key)
                if len(table)
                else np.zeros(len(key), bool)
            )
            if not ok.all():
                r = int(np.argmin(ok))
                ctx = b" ".join(toks[i] for i in word_pos[r * n : r * n + n - 1].tolist()).decode("utf-8", "replace")
                raise InputError(
                    path, f"the context {ctx!r} of this {n}-gram is not among the {n - 1}-grams", int(sec.lineno[r])
                )
            prefix = pos_
        key = prefix * V + ids[:, n - 1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        dup = np.flatnonzero(key[1:] == key[:-1]) if len(key) > 1 else np.zeros(0, np.int64)
        if len(dup):
            r = int(order[dup[0] + 1])
            gram = b" ".join(toks[i] for i in word_pos[r * n : r * n + n].tolist()).decode("utf-8", "replace")
            raise InputError(path, f"the {n}-gram {gram!r} appears twice", int(sec.lineno[r]))
        keys.append(key)
        logprob[n] = probs.astype(np.float32)[order]
        logbow[n] = bows.astype(np.float32)[order] if n < N else None
    return ArpaTables(N, itos, keys, logprob, logbow, declared), UNK not in seen


def _numbers(
    path: str | os.PathLike, sec: _Section, positions: np.ndarray, what: str, lines: np.ndarray | None = None
) -> np.ndarray:
    """Parse the fields at ``positions`` as floats; a clear error naming the first bad line."""
    fields = [sec.tokens[i] for i in positions.tolist()]
    values: np.ndarray | None
    try:
        values = np.array(fields, dtype=np.bytes_).astype(np.float64) if fields else np.zeros(0)
    except ValueError:
        values = None
    if values is None or np.isnan(values).any():
        for j, text in enumerate(fields):
            try:
                x = float(text)
            except ValueError:
                x = None
            if x is None or x != x:
                line = int(sec.lineno[j if lines is None else lines[j]])
                raise InputError(path, f"{what} {text.decode('utf-8', 'replace')!r} is not a number", line)
    assert values is not None  # a field float() could not read raised above
    return values


# -- the compiled reader --------------------------------------------------------------------------------
_POW10 = np.array([10.0**k for k in range(23)])
OK, MALFORMED = 0, 1


@numba.njit(cache=True, inline="always")
def _is_ws(c):
    return c == 32 or c == 9 or c == 10 or c == 11 or c == 12 or c == 13  # what bytes.split() splits on


@numba.njit(cache=True)
def _number(buf, a, b, pow10):
    """The float written in ``buf[a:b]`` when it has the plain form ``[+-]digits[.digits][e[+-]digits]`` and
    at most 2**53 as its digits with an exponent within 22 (then one correctly rounded operation gives
    exactly what Python's ``float`` gives); else (nan, False) and the checking reader decides."""
    i = a
    neg = False
    if i < b and (buf[i] == 45 or buf[i] == 43):
        neg = buf[i] == 45
        i += 1
    m = np.int64(0)
    digits = 0
    scale = 0
    while i < b and 48 <= buf[i] <= 57:
        m = m * 10 + (buf[i] - 48)
        digits += 1
        i += 1
        if m > 9007199254740992:
            return np.nan, False
    if i < b and buf[i] == 46:
        i += 1
        while i < b and 48 <= buf[i] <= 57:
            m = m * 10 + (buf[i] - 48)
            digits += 1
            scale -= 1
            i += 1
            if m > 9007199254740992:
                return np.nan, False
    if digits == 0:
        return np.nan, False
    if i < b and (buf[i] == 101 or buf[i] == 69):
        i += 1
        eneg = False
        if i < b and (buf[i] == 45 or buf[i] == 43):
            eneg = buf[i] == 45
            i += 1
        e = 0
        edigits = 0
        while i < b and 48 <= buf[i] <= 57 and e < 1000:
            e = e * 10 + (buf[i] - 48)
            edigits += 1
            i += 1
        if edigits == 0:
            return np.nan, False
        scale += -e if eneg else e
    if i != b or scale < -22 or scale > 22:
        return np.nan, False
    x = np.float64(m)
    x = x * pow10[scale] if scale >= 0 else x / pow10[-scale]
    return -x if neg else x, True


@numba.njit(cache=True)
def _scan_section(buf, begin, end, n, top, count, pow10, blob, offsets, table, probs, bows, words):
    """Parse the lines of one ``\\n-grams:`` section: ``probs``, ``bows`` (0 when absent) and ``words``
    (order 1: start and end of each word; above: the word ids, through the vocabulary hash). Returns OK, or
    MALFORMED at the first thing the checking reader must look at (a wrong number of lines or fields, a
    number in another form, a positive probability, a word that is not a unigram)."""
    mask = np.uint64(len(table) - 1)
    i = begin
    row = 0
    while i < end:
        fields = 0
        while True:
            while i < end and buf[i] != 10 and _is_ws(buf[i]):
                i += 1
            if i >= end or buf[i] == 10:
                break
            a = i
            while i < end and not _is_ws(buf[i]):
                i += 1
            if fields == 0:
                if row >= count:
                    return MALFORMED
                x, ok = _number(buf, a, i, pow10)
                if not ok or x > 0:
                    return MALFORMED
                probs[row] = x
                bows[row] = 0.0
            elif fields <= n:
                if n == 1:
                    words[row, 0] = a
                    words[row, 1] = i
                else:
                    w = _word_id(buf, a, i, _hash(buf, a, i), blob, offsets, table, mask, -1)
                    if w < 0:
                        return MALFORMED
                    words[row, fields - 1] = w
            elif fields == n + 1 and not top:
                x, ok = _number(buf, a, i, pow10)
                if not ok:
                    return MALFORMED
                bows[row] = x
            else:
                return MALFORMED
            fields += 1
        if fields > 0:
            if fields < n + 1:
                return MALFORMED
            row += 1
        i += 1
    return OK if row == count else MALFORMED


class _Malformed(Exception):
    """Something the compiled reader leaves to the checking reader."""


def _read_compiled(
    path: str | os.PathLike, data: bytes, declared: list[int], marks: list, end: Any
) -> tuple[ArpaTables, bool] | None:
    """The tables of a well-formed ARPA file from compiled passes over its bytes, or None when the checking
    reader must decide (see :func:`read_arpa`)."""
    try:
        return _compiled_tables(data, declared, marks, end)
    except _Malformed:
        return None


def _compiled_tables(data: bytes, declared: list[int], marks: list, end: Any) -> tuple[ArpaTables, bool]:
    from wordseq.lm.ngram.lookup import HashIndex
    from wordseq.lm.ngram.scorer import _build_vocab_table

    N = len(declared)
    buf = np.frombuffer(data, np.uint8)
    empty_i = np.zeros(0, np.int64)
    none_u8 = np.zeros(0, np.uint8)
    spans = [(mk.end(), marks[n].start() if n < N else end.start()) for n, mk in enumerate(marks, 1)]

    def scan(n: int, blob: np.ndarray, offsets: np.ndarray, table: np.ndarray) -> tuple:
        count = declared[n - 1]
        begin, stop = spans[n - 1]
        if count * 4 > stop - begin:  # a line is at least "p<TAB>w<LF>": a count the section cannot hold is
            raise _Malformed  # left to the checking reader, before anything that large is allocated
        probs, bows = np.empty(count, np.float64), np.empty(count, np.float64)
        words = np.empty((count, 2 if n == 1 else n), np.int64)
        status = _scan_section(buf, begin, stop, n, n == N, count, _POW10, blob, offsets, table, probs, bows, words)
        if status != OK:
            raise _Malformed
        return probs, bows, words

    # unigrams: the vocabulary, wordseq's specials first, then the file's words in file order
    probs1, bows1, spans1 = scan(1, none_u8, empty_i, np.full(16, -1, np.int32))
    try:
        words = [data[a:b].decode("utf-8") for a, b in spans1.tolist()]
    except UnicodeDecodeError:
        raise _Malformed from None
    seen = set(words)
    if len(seen) != len(words) or BOS not in seen or EOS not in seen:
        raise _Malformed
    itos = list(SPECIALS) + [w for w in words if w not in SPECIALS]
    V = len(itos)
    encoded = [w.encode("utf-8") for w in itos]
    offsets = np.zeros(V + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), np.uint8)
    bits = max(4, int(np.ceil(np.log2(V * 2 + 1))))
    table = np.full(1 << bits, -1, np.int32)
    _build_vocab_table(blob, offsets, table)
    stoi = {w: i for i, w in enumerate(itos)}
    ids1 = np.fromiter(map(stoi.__getitem__, words), np.int64, len(words))
    lp1 = np.full(V, -np.inf, np.float32)
    bow1 = np.zeros(V, np.float32)
    lp1[ids1] = probs1
    bow1[ids1] = bows1
    if UNK not in seen:
        lp1[stoi[UNK]] = -100.0
    logprob: list = [None, lp1] + [None] * (N - 1)
    logbow: list = [None, bow1] + [None] * (N - 1)
    keys: list = [None, None]
    index: list = [None] * (N + 1)  # hash indexes of the keys of each order, for the walks below
    for n in range(2, N + 1):
        probs, bows, ids = scan(n, blob, offsets, table)
        prefix = ids[:, 0].copy()
        for j in range(1, n - 1):  # walk the prefix down the orders to its id at order n-1
            if index[j + 1] is None:
                index[j + 1] = HashIndex(keys[j + 1])
            prefix = index[j + 1].next_ids(prefix, ids[:, j], V)
            if (prefix < 0).any():
                raise _Malformed
        key = prefix * V + ids[:, n - 1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        if len(key) > 1 and (key[1:] == key[:-1]).any():
            raise _Malformed
        keys.append(key)
        logprob[n] = probs.astype(np.float32)[order]
        logbow[n] = bows.astype(np.float32)[order] if n < N else None
    return ArpaTables(N, itos, keys, logprob, logbow, declared), UNK not in seen
