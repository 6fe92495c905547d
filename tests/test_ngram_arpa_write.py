"""The ARPA writer: the compiled formatting gives the bytes of the plain Python formatting, in any slice size."""

from __future__ import annotations

import gzip
import lzma

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.lm.ngram import NgramModel
from wordseq.lm.ngram.arpa import ArpaTables, _put_number, read_arpa, write_arpa
from wordseq.text.tokenize import Tokenizer


def _fmt(v: float) -> str:
    return f"{v:.6f}" if v > -99 else "-99"


def reference_arpa(tables: ArpaTables, unigrams: np.ndarray) -> bytes:
    """The ARPA text written one line at a time with Python's own float formatting: the bytes to match."""
    V, N = len(tables.words), tables.order
    sizes = [len(unigrams)] + [len(tables.keys[n]) for n in range(2, N + 1)]
    out = ["\n\\data\\\n"] + [f"ngram {n}={c}\n" for n, c in enumerate(sizes, 1)]
    for n in range(1, N + 1):
        out.append(f"\n\\{n}-grams:\n")
        rows = list(unigrams) if n == 1 else range(sizes[n - 1])
        for r in rows:
            if n == 1:
                gram = [int(r)]
            else:
                key = int(tables.keys[n][r])
                gram = [key % V]
                for m in range(n - 1, 1, -1):
                    key = int(tables.keys[m][key // V])
                    gram.insert(0, key % V)
                gram.insert(0, key // V)
            line = _fmt(float(tables.logprob[n][r])) + "\t" + " ".join(tables.words[w] for w in gram)
            if n < N and float(tables.logbow[n][r]) != 0:
                line += "\t" + _fmt(float(tables.logbow[n][r]))
            out.append(line + "\n")
    out.append("\n\\end\\\n")
    return "".join(out).encode("utf-8")


# numbers that test the rounding: ties to even (0.0078125 * 10**6 = 7812.5), negative zero and negatives that
# round to zero, subnormals, -99 and just above it, positive backoffs, magnitudes the kernel leaves to Python
AWKWARD = [0.0, -0.0, 0.0078125, -0.0078125, 0.0234375, 5e-7, -4e-7, 1e-320, -5e-324, -99.0, -98.9999996]
AWKWARD += [-99.5, -np.inf, 1.25, 3.0000005, 2.0**42, -(2.0**43) + 0.5, 1e20, np.inf, -123.25, 12.3456785]


def random_tables(rng: np.random.Generator, V: int, order: int, dtype) -> tuple[ArpaTables, np.ndarray]:
    """Valid random tables: every n-gram's context is an (n-1)-gram; numbers drawn to include AWKWARD ones."""
    words = ["<unk>", "<s>", "</s>", "<pad>"] + [f"w{i}é" if i % 3 else f"ß{i}" for i in range(V - 4)]
    keys: list = [None, None]
    prev = V
    for _n in range(2, order + 1):
        count = min(prev * V, int(rng.integers(1, 3 * V)))
        keys.append(np.unique(rng.integers(0, prev * V, count)).astype(np.int64))
        prev = len(keys[-1])

    def numbers(k: int) -> np.ndarray:
        x = -np.exp(rng.uniform(-12, 5, k))
        pick = rng.random(k) < 0.3
        x[pick] = rng.choice(np.array(AWKWARD), pick.sum())
        x[rng.random(k) < 0.2] = 0.0
        return x.astype(dtype)

    logprob: list = [None, numbers(V)] + [numbers(len(keys[n])) for n in range(2, order + 1)]
    logbow: list = [None, numbers(V)] + [numbers(len(keys[n])) for n in range(2, order)] + [None]
    unigrams = np.flatnonzero(rng.random(V) < 0.8)
    return ArpaTables(order, words, keys, logprob, logbow), unigrams


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", [1, 2, 4])
def test_random_tables_match_python_formatting_in_any_slice_size(order, dtype, tmp_path):
    rng = np.random.default_rng(order)
    tables, unigrams = random_tables(rng, 60, order, dtype)
    want = reference_arpa(tables, unigrams)
    for rows in (1, 7, 1 << 18):
        assert write_arpa(tmp_path / f"{rows}.arpa", tables, unigrams, slice_rows=rows).read_bytes() == want


def test_model_arpa_is_python_formatting_in_tiny_slices(tmp_path, monkeypatch):
    """A model's ARPA file: the same bytes written in slices of 3 n-grams, of 1 and in one slice, and the
    same bytes inside the compressed files."""
    import wordseq.lm.ngram.arpa as arpa_module

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat\nthe cat ran on the mat again\nça va très bien\n" * 3)
    model = NgramModel(order=3, smoothing="mkn").fit(corpus, tokenizer=Tokenizer())
    whole = model.save(tmp_path / "whole.arpa").read_bytes()
    tables = ArpaTables(model.order, model.vocab.itos, model.keys, model.logprob, model.logbow)
    unigrams = np.flatnonzero(model.predicted() | (np.arange(model.V) == model.vocab.stoi["<s>"]))
    assert whole == reference_arpa(tables, unigrams)
    for rows in (1, 3):
        monkeypatch.setattr(arpa_module, "SLICE_ROWS", rows)
        assert model.save(tmp_path / f"s{rows}.arpa").read_bytes() == whole
    monkeypatch.setattr(arpa_module, "_BUFFER_BYTES", 16)  # shorter than one line: the buffer grows
    assert model.save(tmp_path / "small.arpa").read_bytes() == whole
    assert gzip.decompress(model.save(tmp_path / "m.arpa.gz").read_bytes()) == whole
    assert lzma.decompress(model.save(tmp_path / "m.arpa.xz").read_bytes()) == whole
    assert read_arpa(tmp_path / "m.arpa.xz").keys[3].tolist() == model.keys[3].tolist()
    assert not list(tmp_path.glob("*.tmp"))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(width=32), st.integers(-(10**9), 10**9)))
def test_number_kernel_is_python_formatting(x):
    """Every float the kernel writes is exactly ``f"{x:.6f}"`` (or -99); the rest it leaves to Python."""
    out = np.empty(32, np.uint8)
    for v in {float(x), float(x) / 1e6, float(x) * 2.0**-20, -abs(float(x)) / 7.0}:
        end = _put_number(out, 0, v, int(np.array(v).view(np.int64)))
        if end < 0:
            assert not abs(v) < 2.0**20
        else:
            assert out[:end].tobytes().decode() == _fmt(v)
