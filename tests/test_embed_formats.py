"""Vector files: round trips of every format, both directions with gensim, and clear errors on bad files."""

from __future__ import annotations

import struct

import gensim.models as gensim_models
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordseq.embed import Vectors, guess_format, load_vectors, metadata_path, read_vectors, save_vectors
from wordseq.errors import InputError, WordseqError

SUFFIX = {"wsq": "v.wsq", "word2vec": "v.txt", "word2vec-bin": "v.bin", "glove": "v.glove.txt", "tsv": "vectors.tsv"}


def sample_vectors(n: int = 30, dim: int = 7, seed: int = 0, counts: bool = True) -> Vectors:
    rng = np.random.default_rng(seed)
    words = ["the", "König", "naïve", "日本", "x_y", "'quote", "a-b"] + [f"w{i}" for i in range(n - 7)]
    mat = (rng.normal(size=(n, dim)) * 10 ** rng.uniform(-8, 3, size=(n, 1))).astype(np.float32)
    return Vectors(words, mat, np.arange(n, 0, -1) * 3 if counts else None)


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_round_trip_is_exact(tmp_path, fmt):
    v = sample_vectors()
    path = save_vectors(v, tmp_path / SUFFIX[fmt], format=fmt)
    back = load_vectors(path, format=fmt)
    assert back.words == v.words
    np.testing.assert_array_equal(back.vectors, v.vectors)  # 9 significant digits round-trip float32
    if fmt == "wsq":
        np.testing.assert_array_equal(back.counts, v.counts)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_format_guessed_from_suffix_and_header(tmp_path):
    v = sample_vectors()
    for fmt, name in SUFFIX.items():
        save_vectors(v, tmp_path / name, format=fmt)
        expected = "glove" if fmt == "glove" else fmt
        assert guess_format(tmp_path / name, reading=True) == expected
        assert load_vectors(tmp_path / name).words == v.words
    assert metadata_path(tmp_path / "vectors.tsv").name == "metadata.tsv"
    assert metadata_path(tmp_path / "run1.tsv").name == "run1.metadata.tsv"


def test_wsq_without_counts(tmp_path):
    v = sample_vectors(counts=False)
    back = load_vectors(save_vectors(v, tmp_path / "v.wsq"))
    assert back.counts is None


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours(tmp_path, binary):
    v = sample_vectors()
    path = save_vectors(v, tmp_path / ("v.bin" if binary else "v.txt"))
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == v.words
    np.testing.assert_array_equal(kv.vectors, v.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensims(tmp_path, binary):
    v = sample_vectors(seed=3)
    kv = gensim_models.KeyedVectors(v.dim)
    kv.add_vectors(v.words, v.vectors)
    path = tmp_path / ("g.bin" if binary else "g.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    back = load_vectors(path)
    assert back.words == v.words
    if binary:
        np.testing.assert_array_equal(back.vectors, v.vectors)
    else:  # gensim writes repr() of each float: exact too
        np.testing.assert_allclose(back.vectors, v.vectors, rtol=1e-6)


def read_like_c_tool(path):
    """word2vec's distance.c reader: header by fscanf, then per word bytes up to a space (newlines dropped),
    then dim floats with fread."""
    data = path.read_bytes()
    nl = data.index(b"\n")
    words_n, size = map(int, data[:nl].split())
    pos, words, rows = nl + 1, [], []
    for _ in range(words_n):
        word = bytearray()
        while True:
            ch = data[pos : pos + 1]
            pos += 1
            if not ch or ch == b" ":
                break
            if ch != b"\n":
                word += ch
        rows.append(struct.unpack(f"<{size}f", data[pos : pos + 4 * size]))
        pos += 4 * size
        words.append(word.decode())
    return words, np.array(rows, dtype=np.float32)


def test_c_tool_reads_our_binary(tmp_path):
    v = sample_vectors()
    words, mat = read_like_c_tool(save_vectors(v, tmp_path / "v.bin"))
    assert words == v.words
    np.testing.assert_array_equal(mat, v.vectors)


def test_c_tool_text_output_is_read(tmp_path):
    """The C tool's text output: '%s ' then '%lf ' per number (a trailing space)."""
    v = sample_vectors(n=10, dim=3)
    lines = [f"{len(v)} {v.dim}"] + [w + " " + "".join(f"{x:f} " for x in row) for w, row in zip(v.words, v.vectors)]
    (tmp_path / "c.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    back = load_vectors(tmp_path / "c.txt")
    assert back.words == v.words
    np.testing.assert_allclose(back.vectors, v.vectors, atol=1e-6)


words_strategy = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8),
    min_size=1,
    max_size=12,
    unique=True,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=words_strategy,
    dim=st.integers(1, 5),
    fmt=st.sampled_from(["word2vec", "word2vec-bin", "glove", "wsq"]),
    data=st.data(),
)
def test_round_trip_property(tmp_path, words, dim, fmt, data):
    words = [w for w in words if not any(c.isspace() for c in w)] or ["w"]
    mat = np.array(
        data.draw(
            st.lists(
                st.lists(st.floats(-1e6, 1e6, width=32), min_size=dim, max_size=dim),
                min_size=len(words),
                max_size=len(words),
            )
        ),
        dtype=np.float32,
    )
    v = Vectors(words, mat)
    back = load_vectors(save_vectors(v, tmp_path / "p.out", format=fmt), format=fmt)
    assert back.words == v.words
    np.testing.assert_array_equal(back.vectors, v.vectors)


def test_header_disagreeing_with_body(tmp_path):
    v = sample_vectors(n=10, dim=4)
    path = save_vectors(v, tmp_path / "v.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    (tmp_path / "more.txt").write_text("\n".join(["12 4"] + lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"more.txt:12: the header says 12 words but the file has 10"):
        load_vectors(tmp_path / "more.txt")
    (tmp_path / "fewer.txt").write_text("\n".join(["8 4"] + lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"fewer.txt:10: the header says 8 words but there are more"):
        load_vectors(tmp_path / "fewer.txt")
    (tmp_path / "dim.txt").write_text("\n".join(["10 5"] + lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"dim.txt:2: expected a word and 5 numbers, found 4"):
        load_vectors(tmp_path / "dim.txt")
    parts = lines[4].split(" ")
    lines[4] = " ".join(parts[:2] + ["abc"] + parts[3:])
    (tmp_path / "nan.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"nan.txt:5: 'abc' is not a number"):
        load_vectors(tmp_path / "nan.txt")


def test_binary_header_disagreeing_with_body(tmp_path):
    v = sample_vectors(n=10, dim=4)
    data = save_vectors(v, tmp_path / "v.bin").read_bytes()
    body = data[data.index(b"\n") + 1 :]
    for header, pattern in [
        (b"11 4", "header says 11 words but the file holds 10"),
        (b"9 4", "bytes after the 9 vectors"),
        (b"10 5", r"header|ends inside"),
    ]:
        p = tmp_path / "bad.bin"
        p.write_bytes(header + b"\n" + body)
        with pytest.raises(InputError, match=pattern):
            load_vectors(p)
    p.write_bytes(data[:-10])
    with pytest.raises(InputError, match="ends inside its vector"):
        load_vectors(p)


def test_bad_files(tmp_path):
    (tmp_path / "dup.txt").write_text("2 2\na 1 2\na 3 4\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"dup.txt:3: the word 'a' appears twice"):
        load_vectors(tmp_path / "dup.txt")
    (tmp_path / "head.txt").write_text("2 x\na 1 2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"head.txt:1"):
        load_vectors(tmp_path / "head.txt", format="word2vec")
    (tmp_path / "ragged.txt").write_text("a 1 2\nb 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ragged.txt:2: expected a word and 2 numbers"):
        load_vectors(tmp_path / "ragged.txt")
    with pytest.raises(InputError, match="no such file"):
        load_vectors(tmp_path / "missing.txt")
    (tmp_path / "x.wsq").write_bytes(b"\x80\x04junk and more junk bytes")
    with pytest.raises(InputError, match="pickle"):
        load_vectors(tmp_path / "x.wsq")
    with pytest.raises(WordseqError, match="unknown vector format"):
        save_vectors(sample_vectors(), tmp_path / "o", format="nope")


def test_words_with_spaces_refused_but_wsq_keeps_them(tmp_path):
    v = Vectors(["new york", "b"], np.ones((2, 3)))
    with pytest.raises(WordseqError, match="'new york' contains whitespace"):
        save_vectors(v, tmp_path / "v.txt")
    assert not (tmp_path / "v.txt").exists()
    assert load_vectors(save_vectors(v, tmp_path / "v.wsq")).words == ["new york", "b"]


def test_wrong_kind_model_file(tmp_path):
    from wordseq.io.modelfile import ModelFile, save_model

    save_model(tmp_path / "m.wsq", ModelFile("ngram", {}, {"x": np.zeros(2)}))
    with pytest.raises(InputError, match="m.wsq: a 'ngram' model file holds no word vectors"):
        load_vectors(tmp_path / "m.wsq")


@pytest.mark.parametrize("compression", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-bin", "glove"])
def test_compressed_files_are_read(tmp_path, compression, fmt):
    import bz2
    import gzip
    import lzma

    v = sample_vectors(n=12, dim=3)
    plain = save_vectors(v, tmp_path / SUFFIX[fmt], format=fmt)
    packed = tmp_path / (plain.name + compression)
    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[compression]
    packed.write_bytes(compress(plain.read_bytes()))
    back = load_vectors(packed)  # the format is guessed from the name without the compression suffix
    assert back.words == v.words
    np.testing.assert_array_equal(back.vectors, v.vectors)
    packed.write_bytes(compress(plain.read_bytes())[:-12])  # cut short
    with pytest.raises(InputError, match=packed.name):
        load_vectors(packed, format=fmt)


def test_standard_input_is_read(tmp_path, monkeypatch):
    import io
    import sys

    v = sample_vectors(n=9, dim=2)
    data = save_vectors(v, tmp_path / "v.txt").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    back = load_vectors("-", format="word2vec")
    assert back.words == v.words


def test_bad_utf8_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"2 2\na 1 2\n\xff 3 4\n")
    with pytest.raises(InputError, match=r"bad.txt:3: byte 1 is not valid utf-8"):
        load_vectors(bad)


def test_save_returns_the_path_in_every_spelling(tmp_path):
    v = sample_vectors(n=8, dim=2)
    assert v.save(tmp_path / "a.txt") == tmp_path / "a.txt"
    assert save_vectors(v, tmp_path / "b.bin") == tmp_path / "b.bin"
    assert v.save(str(tmp_path / "c.wsq"), config={"note": "x"}, provenance={"corpus": "c"}) == tmp_path / "c.wsq"
    data = read_vectors(tmp_path / "c.wsq")
    assert data.config == {"note": "x"} and data.provenance["corpus"] == "c"
    assert data.words == v.words and Vectors.from_data(data).words == v.words
