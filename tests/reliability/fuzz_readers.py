"""Fuzz every file reader with random bytes and mutations of valid files (hypothesis).

Run as a program (``python tests/reliability/fuzz_readers.py --examples 300``) so that the address space can
be capped: after the readers have been loaded once, ``RLIMIT_AS`` is set to what the process maps then plus
1 GiB, so a reader that believes a header declaring a huge size and allocates it fails with a MemoryError,
which counts as an unexpected exception like any other. The only exception a reader may raise is
:class:`wordseq.errors.WordseqError` (``InputError``, ...) whose message names the file.

Prints one JSON object: per reader, the inputs tried, the unexpected exceptions (type, message, a sample
input) and the peak resident memory; then the exit status is 1 if any reader had an unexpected exception.
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import resource
import struct
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from wordseq.errors import WordseqError  # noqa: E402

GIB = 1 << 30

# -- valid seed files -------------------------------------------------------------------------------------------


def _arpa() -> bytes:
    return (
        b"\\data\\\nngram 1=4\nngram 2=3\n\n\\1-grams:\n-1.0\t<s>\t-0.3\n-0.5\t</s>\n-0.7\ta\t-0.2\n-0.9\tb\t-0.1\n\n"
        b"\\2-grams:\n-0.2\t<s> a\n-0.3\ta b\n-0.1\tb </s>\n\n\\end\\\n"
    )


def _vectors_text(header: bool) -> bytes:
    rows = [("the", [0.1, -0.2, 0.3]), ("cat", [0.5, 0.25, -1.0]), ("sat", [1e-3, 2.0, -0.5])]
    head = b"3 3\n" if header else b""
    return head + b"".join(w.encode() + b" " + " ".join(f"{x:g}" for x in v).encode() + b"\n" for w, v in rows)


def _vectors_bin() -> bytes:
    out = b"3 4\n"
    for i, w in enumerate([b"the", b"cat", b"sat"]):
        out += w + b" " + (np.arange(4, dtype="<f4") + i).tobytes() + b"\n"
    return out


def _wsq(tmp: Path) -> bytes:
    from wordseq.embed.formats import write_vectors

    p = write_vectors(tmp / "seed.wsq", ["the", "cat", "sat"], np.eye(3, 4, dtype=np.float32), np.array([5, 3, 2]))
    return p.read_bytes()


def _conllu() -> bytes:
    return (ROOT / "tests" / "data" / "conllu" / "tiny.conllu").read_bytes()


SEEDS: dict[str, Callable[[Path], bytes]] = {
    "arpa": lambda t: _arpa(),
    "word2vec-text": lambda t: _vectors_text(True),
    "word2vec-binary": lambda t: _vectors_bin(),
    "glove-text": lambda t: _vectors_text(False),
    "vocab-tsv": lambda t: b"<pad>\t0\n<unk>\t0\n<s>\t0\n</s>\t9\nthe\t5\ncat\t3\nsat\\tx\t1\n",
    "model-file": _wsq,
    "model-file-any": _wsq,
    "analogies": lambda t: (
        b": capital\nathens greece berlin germany\nparis france rome italy\n: family\nboy girl he she\n"
    ),
    "similarity": lambda t: b"# comment\ntiger\tcat\t7.35\nbook\tpaper\t7.46\ncomputer\tkeyboard\t7.62\n",
    "word-pairs": lambda t: b": section\nathens greece\nparis france rome italy\n",
    "labelled-text": lambda t: (
        b"__label__pos a fine film\n__label__neg dull and long\n__label__pos __label__x two labels\n"
    ),
    "conllu": lambda t: _conllu(),
    "treebank": lambda t: _conllu(),
    "iob-columns": lambda t: b"-DOCSTART- -X- O\n\nEU NNP B-ORG\nrejects VBZ O\nGerman JJ B-MISC\n\nPeter NNP B-PER\n",
    "parallel-tsv": lambda t: b"hello\tbonjour\nthe cat\tle chat\tCC-BY 2.0\nyes\toui\n",
    "parallel-files": lambda t: b"hello\nthe cat\nyes\n",
}

# -- the readers ------------------------------------------------------------------------------------------------


def _reader(name: str, tmp: Path) -> tuple[str, Callable[[Path], object]]:
    """(file suffix, function reading a path) for reader ``name``."""
    if name == "arpa":
        from wordseq.lm.ngram.arpa import read_arpa

        return ".arpa", read_arpa
    if name in ("word2vec-text", "word2vec-binary", "glove-text"):
        from wordseq.embed.formats import read_vectors

        fmt = {"word2vec-text": "word2vec", "word2vec-binary": "word2vec-bin", "glove-text": "glove"}[name]
        return {"word2vec-binary": ".bin"}.get(name, ".txt"), lambda p: read_vectors(p, fmt)
    if name == "vocab-tsv":
        from wordseq.text.vocab import Vocab

        return ".vocab", Vocab.load
    if name == "model-file":
        from wordseq.embed.formats import read_vectors

        return ".wsq", lambda p: read_vectors(p, "wsq")
    if name == "model-file-any":
        from wordseq.models import load

        return ".wsq", load
    if name == "analogies":
        from wordseq.embed.evaluate import read_analogies

        return ".txt", lambda p: list(read_analogies(p))
    if name == "similarity":
        from wordseq.embed.evaluate import read_similarity

        return ".txt", lambda p: list(read_similarity(p))
    if name == "word-pairs":
        from wordseq.embed.plot import read_pairs

        return ".txt", read_pairs
    if name == "labelled-text":
        from wordseq.classify.data import read_labelled

        return ".txt", read_labelled
    if name == "conllu":
        from wordseq.text.conllu import read_conllu
        from wordseq.text.conllu import validate_tree as _  # noqa: F401  (loaded before the memory cap)

        return ".conllu", read_conllu
    if name == "treebank":
        from wordseq.parse.treebank import read_treebank

        return ".conllu", read_treebank
    if name == "iob-columns":
        from wordseq.tag.formats import read_iob

        return ".iob", read_iob
    if name == "parallel-tsv":
        from wordseq.seq2seq.data import read_tsv

        return ".tsv", read_tsv
    if name == "parallel-files":
        from wordseq.seq2seq.data import read_parallel

        other = tmp / "other.txt"
        other.write_bytes(b"bonjour\nle chat\noui\n")
        return ".src", lambda p: read_parallel(p, other)
    raise KeyError(name)


# -- mutations --------------------------------------------------------------------------------------------------

# Tokens that readers are likely to trip on: huge or negative sizes, special floats, separators, bad UTF-8.
INTERESTING = [
    b"999999999 999999999",
    b"999999999999999999999",
    b"1000000000000",
    b"-1",
    b"0",
    b"nan",
    b"inf",
    b"-inf",
    b"1e308",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b" ",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\x80",
    b"\\data\\",
    b"\\end\\",
    b"\\1-grams:",
    b"ngram 1=1000000000000",
    b"__label__",
    b"# sent_id = x",
    b"1-2\t_\t_\t_\t_\t_\t_\t_\t_\t_",
    b"0\tx\t_\t_\t_\t_\t0\troot\t_\t_",
    b"\xef\xbb\xbf",
    b"_",
    b":",
    b"PK\x03\x04",
    b"\x1f\x8b\x08",
    b"BZh9",
    b"\xfd7zXZ\x00",
    b"\x80\x04",
    b'{"__metadata__":{"wordseq":"{}"}}',
]


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """Random bytes (one draw in eight), else ``base`` with 1-8 random edits (then compressed, one in ten)."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.binary(max_size=600))
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 6))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:  # overwrite one byte
            pos = min(pos, len(data) - 1)
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:  # delete a run
            del data[pos : pos + draw(st.integers(1, 48))]
        elif op == 2:  # insert random bytes
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == 3:  # truncate
            del data[pos:]
        elif op == 4:  # insert an interesting token
            data[pos:pos] = draw(st.sampled_from(INTERESTING))
        elif op == 5:  # repeat a line
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
        elif op == 6 and len(data) >= 8:  # an 8-byte little-endian size (the safetensors header length)
            value = draw(st.sampled_from([0, 1, 7, 2**31, 2**40, 2**63 - 1, 2**64 - 1]))
            data[0:8] = struct.pack("<Q", value)
    if draw(st.integers(0, 9)) == 0:  # the compressed form, whole or cut short (read by its magic bytes)
        packed = draw(st.sampled_from([gzip.compress, bz2.compress, lzma.compress]))(bytes(data))
        data = bytearray(packed[: draw(st.integers(0, len(packed)))])
    return bytes(data)


# -- headers declaring huge sizes, each of which must be refused before anything that large is allocated ---------
def huge_headers(tmp: Path) -> dict[str, list[bytes]]:
    wsq = _wsq(tmp)
    (n,) = struct.unpack("<Q", wsq[:8])
    head = json.loads(wsq[8 : 8 + n])
    name = next(k for k in head if k != "__metadata__")
    head[name]["shape"] = [10**9, 10**9]
    head[name]["data_offsets"] = [0, 4 * 10**18]
    blob = json.dumps(head).encode()
    blob += b" " * (-len(blob) % 8)
    return {
        "word2vec-binary": [b"999999999 999999999\n", b"3 999999999\nthe \x00\x00\x00\x00", b"99999999999 4\n"],
        "word2vec-text": [b"999999999 999999999\nthe 0.1\n", b"2 99999999999\nthe 0.1 0.2\n"],
        "arpa": [
            b"\\data\\\nngram 1=1000000000000\n\n\\1-grams:\n-1\ta\n\n\\end\\\n",
            b"\\data\\\nngram 1=3\nngram 2=999999999999\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\2-grams:\n-1\ta a\n\\end\\\n",
        ],
        "model-file": [
            struct.pack("<Q", 2**63) + b"{}",
            struct.pack("<Q", 99 * 2**20) + b'{"a"',
            struct.pack("<Q", len(blob)) + blob + wsq[8 + n :],
        ],
        "model-file-any": [struct.pack("<Q", 2**40) + wsq[8:], struct.pack("<Q", len(blob)) + blob + wsq[8 + n :]],
    }


# -- the run ----------------------------------------------------------------------------------------------------


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class Tally:
    def __init__(self) -> None:
        self.tried = 0
        self.unexpected: dict[str, dict[str, str]] = {}
        self.rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def check(self, read: Callable[[Path], object], path: Path, data: bytes) -> None:
        path.write_bytes(data)
        self.tried += 1
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                read(path)
        except WordseqError as e:
            if path.name not in str(e):
                self._record("WordseqError not naming the file", e, data)
        except RecursionError as e:
            self._record("RecursionError", e, data)
        except Exception as e:  # anything else is a reader bug (MemoryError: the 1 GiB cap was hit)
            self._record(type(e).__name__, e, data)

    def _record(self, key: str, e: BaseException, data: bytes) -> None:
        frame = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        key = f"{key} at {where}"
        if key not in self.unexpected:
            self.unexpected[key] = {"message": str(e)[:300], "input": repr(data[:300])}


def _fuzz(tally: Tally, read: Callable[[Path], object], path: Path, base: bytes, examples: int, rng_seed: int) -> None:
    @seed(rng_seed)
    @settings(
        max_examples=examples, database=None, deadline=None, derandomize=False, suppress_health_check=list(HealthCheck)
    )
    @given(mutated(base))
    def one(data: bytes) -> None:
        tally.check(read, path, data)

    one()


def run(names: list[str], examples: int, rng_seed: int, cap: bool) -> dict[str, dict[str, object]]:
    tmp = Path(tempfile.mkdtemp(prefix="wordseq-fuzz-"))
    readers = {}
    for name in names:
        suffix, read = _reader(name, tmp)
        base = SEEDS[name](tmp)
        path = tmp / f"input-{name}{suffix}"
        path.write_bytes(base)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read(path)  # the valid seed reads: this also loads everything the reader imports lazily
        readers[name] = (read, base, path)
    huge = huge_headers(tmp)
    if cap:  # from here on, no allocation of more than 1 GiB can succeed
        limit = _address_space() + GIB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    report: dict[str, dict[str, object]] = {}
    for name, (read, base, path) in readers.items():
        tally = Tally()
        t0 = time.perf_counter()
        for data in huge.get(name, []):
            tally.check(read, path, data)

        _fuzz(tally, read, path, base, examples, rng_seed)
        report[name] = {
            "tried": tally.tried,
            "unexpected": tally.unexpected,
            "seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=200, help="hypothesis examples per reader")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--readers", nargs="*", default=list(SEEDS), choices=list(SEEDS))
    p.add_argument("--no-cap", action="store_true", help="do not cap the address space")
    args = p.parse_args(argv)
    report = run(args.readers, args.examples, args.seed, not args.no_cap)
    json.dump(report, sys.stdout, indent=1)
    print()
    return 1 if any(r["unexpected"] for r in report.values()) else 0


if __name__ == "__main__":
    os.environ.setdefault("WORDSEQ_CACHE", tempfile.mkdtemp(prefix="wordseq-fuzz-cache-"))
    sys.exit(main())
