"""ARPA files: the text format every n-gram toolkit reads (SRILM, KenLM, IRSTLM).

Backoff form: for each order a section of lines ``log10(p)<TAB>w1 ... wn[<TAB>log10(backoff)]``; a word
whose longest n-gram is missing is scored by backing off, adding the backoff weights of the longer
contexts. Writing needs a backoff-form model (the interpolated estimators); MLE and add-k models have no
exact ARPA form and are refused. Reading checks the header counts, the number of words and fields of each
line, the numbers, the sections and the closing ``\\end\\``, and names the line at fault.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import warnings
from pathlib import Path

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.io.atomic import atomic_write
from wordseq.text.vocab import BOS, EOS, SPECIALS, UNK, Vocab

_NGRAM_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")


class ArpaWarning(UserWarning):
    """Something in an ARPA file was repaired the way KenLM repairs it (a missing ``<unk>``)."""


def is_arpa(path: str | os.PathLike) -> bool:
    name = str(path).lower()
    if name.endswith((".arpa", ".arpa.gz")):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a model file") from None
    if head[:2] == b"\x1f\x8b":
        return False
    return head.lstrip().startswith(b"\\data\\")


def _open_text(path: str | os.PathLike, mode: str):
    if str(path).lower().endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="\n")
    return open(path, mode, encoding="utf-8", newline="\n")


# -- writing ------------------------------------------------------------------------------------------
def _fmt(values: np.ndarray) -> list[str]:
    return [f"{v:.6f}" if v > -99 else "-99" for v in values.tolist()]


def ngram_words(model) -> list:
    """For each order n >= 1, the n-grams as an (count, n) array of word ids, in table order."""
    V = model.V
    words = [None, np.arange(V, dtype=np.int64)[:, None]]
    for n in range(2, model.order + 1):
        keys = model.keys[n]
        words.append(np.hstack([words[n - 1][keys // V], (keys % V)[:, None]]))
    return words


def write_arpa(model, path: str | os.PathLike) -> Path:
    """Write a backoff-form model as an ARPA file (atomically; gzipped when the name ends in ``.gz``)."""
    from wordseq.lm.ngram.model import BACKOFF

    if model.form != BACKOFF:
        raise WordseqError(f"a {model.smoothing} model has no exact ARPA form (unseen n-grams do not back off); "
                           "save it as .wsq, or use --smoothing mkn, kn or absolute")
    path = Path(path)
    itos = np.array(model.vocab.itos, dtype=object)
    keep1 = model.predicted() | (np.arange(model.V) == model.vocab.stoi[BOS])
    text = [None, itos]
    V = model.V
    with atomic_write(path, "wb") as raw:
        f = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if str(path).lower().endswith(".gz") else raw
        counts = [int(keep1.sum())] + [len(model.keys[n]) for n in range(2, model.order + 1)]
        header = "\n\\data\\\n" + "".join(f"ngram {n}={c}\n" for n, c in enumerate(counts, 1))
        f.write(header.encode("utf-8"))
        for n in range(1, model.order + 1):
            if n >= 2:
                keys = model.keys[n]
                text.append(text[n - 1][keys // V] + " " + itos[keys % V])
                text[n - 2 if n > 2 else 0] = None if n > 2 else text[0]
            sel = np.flatnonzero(keep1) if n == 1 else slice(None)
            grams = text[n][sel]
            probs = _fmt(model.logprob[n][sel])
            f.write(f"\n\\{n}-grams:\n".encode("utf-8"))
            step = 1 << 20
            for s in range(0, len(grams), step):
                g = grams[s : s + step]
                p = probs[s : s + step]
                if n < model.order:
                    b = model.logbow[n][sel][s : s + step]
                    bs = _fmt(b)
                    lines = [f"{pi}\t{gi}\t{bi}\n" if bv != 0 else f"{pi}\t{gi}\n"
                             for pi, gi, bi, bv in zip(p, g, bs, b.tolist())]
                else:
                    lines = [f"{pi}\t{gi}\n" for pi, gi in zip(p, g)]
                f.write("".join(lines).encode("utf-8"))
        f.write(b"\n\\end\\\n")
        if f is not raw:
            f.close()
    return path


# -- reading ------------------------------------------------------------------------------------------
class _Lines:
    """Lines of the file with their numbers, for error messages."""

    def __init__(self, path) -> None:
        self.path = path
        try:
            with _open_text(path, "r") as f:
                self.lines = f.read().split("\n")
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except UnicodeDecodeError:
            raise InputError(path, "not UTF-8 text") from None
        except (OSError, EOFError) as e:
            raise InputError(path, f"cannot read ({e})") from None
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.i = 0

    def error(self, message: str, line: int | None = None) -> InputError:
        return InputError(self.path, message, line if line is not None else self.i)

    def next_nonblank(self) -> tuple[int, str] | None:
        while self.i < len(self.lines):
            line = self.lines[self.i].strip()
            self.i += 1
            if line:
                return self.i, line
        return None


def read_arpa(path: str | os.PathLike):
    """Read an ARPA file into a backoff-form :class:`NgramModel` (whitespace tokenizer)."""
    from wordseq.lm.ngram.model import BACKOFF, NgramModel

    src = _Lines(path)
    while True:
        got = src.next_nonblank()
        if got is None:
            raise InputError(path, "not an ARPA file (no \\data\\ header)")
        if got[1] == "\\data\\":
            break
    declared: list[int] = []
    while True:
        got = src.next_nonblank()
        if got is None:
            raise src.error("ARPA file ends inside the \\data\\ header")
        lineno, line = got
        m = _NGRAM_COUNT.match(line)
        if not m:
            src.i -= 1
            break
        if int(m.group(1)) != len(declared) + 1:
            raise src.error(f"expected 'ngram {len(declared) + 1}=COUNT', found {line!r}", lineno)
        declared.append(int(m.group(2)))
    if not declared:
        raise src.error("the \\data\\ header declares no n-gram counts")
    N = len(declared)
    sections = []
    for n in range(1, N + 1):
        got = src.next_nonblank()
        if got is None:
            raise src.error(f"ARPA file ends before the \\{n}-grams: section (missing sections and \\end\\)")
        lineno, line = got
        m = _SECTION.match(line)
        if not m or int(m.group(1)) != n:
            raise src.error(f"expected the section header \\{n}-grams:, found {line[:60]!r}", lineno)
        first = src.i + 1
        rows = []
        while src.i < len(src.lines):
            text = src.lines[src.i].strip()
            if text.startswith("\\"):
                break
            src.i += 1
            if text:
                rows.append((src.i, text))
        if len(rows) != declared[n - 1]:
            where = rows[-1][0] if rows else first
            raise src.error(f"the header declares {declared[n - 1]:,} {n}-grams but the \\{n}-grams: section "
                            f"(from line {first}) has {len(rows):,}", where)
        sections.append(rows)
    got = src.next_nonblank()
    if got is None:
        raise src.error("missing \\end\\ at the end of the ARPA file", len(src.lines))
    if got[1] != "\\end\\":
        raise src.error(f"expected \\end\\ after the \\{N}-grams: section, found {got[1][:60]!r}", got[0])

    # vocabulary from the unigrams: wordseq's specials first, then the file's words in file order
    uni = _parse_rows(src, sections[0], 1, N)
    words = [r[1][0] for r in uni]
    index = {}
    for (lineno, _), w in zip(sections[0], words):
        if w in index:
            raise src.error(f"the unigram {w!r} appears twice", lineno)
        index[w] = lineno
    for special in (BOS, EOS):
        if special not in index:
            raise src.error(f"the ARPA file has no {special} unigram", sections[0][0][0] if sections[0] else 1)
    others = [w for w in words if w not in SPECIALS]
    vocab = Vocab(list(SPECIALS) + others, np.zeros(len(SPECIALS) + len(others), np.int64), SPECIALS)
    V = len(vocab)
    logprob: list = [None] * (N + 1)
    logbow: list = [None] * (N + 1)
    keys: list = [None, None]
    lp1 = np.full(V, -np.inf, np.float32)
    bow1 = np.zeros(V, np.float32)
    for (p, ws, b) in uni:
        i = vocab.stoi[ws[0]]
        lp1[i] = p
        bow1[i] = b
    if UNK not in index:
        warnings.warn(f"{path}: the ARPA file has no {UNK}; giving it log10 probability -100 as KenLM does",
                      ArpaWarning, stacklevel=2)
        lp1[vocab.unk_id] = -100.0
    logprob[1], logbow[1] = lp1, bow1
    for n in range(2, N + 1):
        rows = sections[n - 1]
        parsed = _parse_rows(src, rows, n, N)
        flat = [w for _, ws, _ in parsed for w in ws]
        ids = np.fromiter((vocab.stoi.get(w, -1) for w in flat), dtype=np.int64, count=len(flat)).reshape(-1, n)
        if len(ids) and (ids < 0).any():
            r = int(np.argmax((ids < 0).any(axis=1)))
            bad = parsed[r][1][int(np.argmax(ids[r] < 0))]
            raise src.error(f"the word {bad!r} is not among the unigrams", rows[r][0])
        prefix = ids[:, 0].copy()
        for j in range(1, n - 1):  # walk the prefix down the orders to its id at order n-1
            key = prefix * V + ids[:, j]
            pos = np.searchsorted(keys[j + 1], key)
            found = keys[j + 1][np.minimum(pos, max(len(keys[j + 1]) - 1, 0))] == key if len(keys[j + 1]) else \
                np.zeros(len(key), bool)
            if not found.all():
                r = int(np.argmin(found))
                raise src.error(f"the context {' '.join(parsed[r][1][:-1])!r} of this {n}-gram is not among "
                                f"the {n - 1}-grams", rows[r][0])
            prefix = pos
        key = prefix * V + ids[:, n - 1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        dup = np.flatnonzero(key[1:] == key[:-1]) if len(key) > 1 else np.zeros(0, np.int64)
        if len(dup):
            raise src.error(f"the {n}-gram {' '.join(parsed[order[dup[0] + 1]][1])!r} appears twice",
                            rows[order[dup[0] + 1]][0])
        keys.append(key)
        logprob[n] = np.array([r[0] for r in parsed], np.float32)[order]
        logbow[n] = np.array([r[2] for r in parsed], np.float32)[order]
    if N >= 1:
        logbow[N] = None
    model = NgramModel(N, vocab, BACKOFF, keys, logprob, logbow, smoothing="arpa",
                       info={"ngrams": declared, "source": str(path)})
    return model


def _parse_rows(src: _Lines, rows, n: int, N: int):
    """(log10 prob, words, log10 backoff) of each line of the n-gram section."""
    out = []
    for lineno, text in rows:
        parts = text.split()
        if len(parts) == n + 1:
            bow = 0.0
        elif len(parts) == n + 2 and n < N:
            bow = _number(src, parts[-1], "backoff weight", lineno)
        else:
            extra = " (the highest order has no backoff weights)" if n == N and len(parts) == n + 2 else ""
            raise src.error(f"a {n}-gram line needs {n} words after the probability"
                            f"{'' if n == N else ' and an optional backoff weight'}, found {len(parts) - 1} "
                            f"fields{extra}", lineno)
        p = _number(src, parts[0], "log10 probability", lineno)
        if p > 0:
            raise src.error(f"log10 probability {parts[0]} is positive", lineno)
        out.append((p, parts[1 : n + 1], bow))
    return out


def _number(src: _Lines, text: str, what: str, lineno: int) -> float:
    try:
        x = float(text)
    except ValueError:
        raise src.error(f"{what} {text!r} is not a number", lineno) from None
    if x != x:
        raise src.error(f"{what} is NaN", lineno)
    return x
