import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wordseq.errors import InputError, WordseqError
from wordseq.text.vocab import EOS, PAD, SPECIALS, UNK, Vocab


def test_ids_sorted_by_frequency_with_reserved_specials():
    v = Vocab.build([["b", "a", "b", "c"], ["a", "b"]])
    assert v.itos[:4] == list(SPECIALS)
    assert v.itos[4:] == ["b", "a", "c"]
    assert v.counts[4:].tolist() == [3, 2, 1]
    assert v["b"] == 4 and v.token(5) == "a"


def test_ties_keep_first_appearance_order():
    v = Vocab.from_counts({"z": 1, "y": 1, "x": 1})
    assert v.itos[4:] == ["z", "y", "x"]


def test_unknown_tokens_map_to_unk():
    v = Vocab.build([["a", "b"]])
    assert v["never"] == v.unk_id == 0
    assert v.encode(["a", "never"]).tolist() == [v["a"], 0]
    assert v.decode([v["a"], 0]) == ["a", UNK]


def test_min_count_and_max_size_move_mass_to_unk():
    v = Vocab.from_counts({"a": 5, "b": 3, "c": 1, "d": 1}, min_count=2)
    assert v.itos[4:] == ["a", "b"]
    assert v.counts[v.unk_id] == 2
    w = Vocab.from_counts({"a": 5, "b": 3, "c": 2}, max_size=5)
    assert w.itos[4:] == ["a"] and w.counts[w.unk_id] == 5


def test_unk_in_the_data_is_the_same_unk():
    v = Vocab.from_counts({"the": 4, UNK: 3, "cat": 1})
    assert v[UNK] == 0 and v.counts[0] == 3
    assert UNK not in v.itos[4:]


def test_bad_settings_are_clear_errors():
    with pytest.raises(WordseqError, match="min_count"):
        Vocab.from_counts({"a": 1}, min_count=0)
    with pytest.raises(WordseqError, match="max_size"):
        Vocab.from_counts({"a": 1}, max_size=2)


def test_no_unk_raises_keyerror():
    v = Vocab.from_counts({"a": 1}, specials=())
    with pytest.raises(KeyError):
        v["b"]


@given(st.lists(st.text(min_size=1), min_size=1, max_size=40, unique=True), st.data())
def test_any_unicode_vocabulary_round_trips(tmp_path_factory, tokens, data):
    counts = {t: data.draw(st.integers(1, 10**12)) for t in tokens}
    v = Vocab.from_counts(counts)
    path = tmp_path_factory.mktemp("v") / "vocab.tsv"
    v.save(path)
    w = Vocab.load(path)
    assert w == v
    assert w.specials == v.specials


def test_file_format_is_token_tab_count(tmp_path):
    v = Vocab.from_counts({"a\tb": 2, "x\ny": 1, "back\\slash": 1}, specials=(UNK, EOS))
    v.save(tmp_path / "v.tsv")
    text = (tmp_path / "v.tsv").read_text(encoding="utf-8")
    assert text.splitlines() == ["<unk>\t0", "</s>\t0", "a\\tb\t2", "x\\ny\t1", "back\\\\slash\t1"]


@pytest.mark.parametrize(
    "content, line, message",
    [
        ("a\t1\nb 2\n", 2, "expected 'token<TAB>count'"),
        ("a\t1\nb\t2\tx\n", 2, "expected"),
        ("a\t1\nb\tmany\n", 2, "not a non-negative integer"),
        ("a\t1\nb\t-3\n", 2, "not a non-negative integer"),
        ("a\t1\nc\t1\na\t2\n", 3, "appears twice"),
        ("a\\q\t1\n", 1, "bad escape"),
    ],
)
def test_malformed_vocabulary_names_the_line(tmp_path, content, line, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as e:
        Vocab.load(path)
    assert str(e.value).startswith(f"{path}:{line}:")


def test_missing_empty_and_non_utf8_vocabulary_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        Vocab.load(tmp_path / "nope.tsv")
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(InputError, match="empty"):
        Vocab.load(tmp_path / "empty.tsv")
    (tmp_path / "latin.tsv").write_bytes(b"a\t1\ncaf\xe9\t2\n")
    with pytest.raises(InputError, match="latin.tsv:2: not UTF-8"):
        Vocab.load(tmp_path / "latin.tsv")


def test_save_is_atomic(tmp_path, monkeypatch):
    v = Vocab.from_counts({"a": 1})
    path = tmp_path / "v.tsv"
    path.write_text("old\t1\n")

    class Boom(Exception):
        pass

    def explode(*a, **k):
        raise Boom

    monkeypatch.setattr("wordseq.io.atomic.os.replace", explode)
    with pytest.raises(Boom):
        v.save(path)
    assert path.read_text() == "old\t1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["v.tsv"]
    assert PAD in v and np.issubdtype(v.counts.dtype, np.integer)


def _reference_from_counts(counts, min_count, max_size, specials):
    """The token-by-token construction that ``from_count_array`` does in numpy."""
    special_counts = [int(counts.get(s, 0)) for s in specials]
    items = [(t, int(c)) for t, c in counts.items() if c >= min_count and t not in specials]
    items.sort(key=lambda tc: -tc[1])
    if max_size is not None:
        items = items[: max_size - len(specials)]
    vocab = Vocab(list(specials) + [t for t, _ in items], special_counts + [c for _, c in items], specials)
    if vocab.unk_id is not None:
        kept = set(vocab.itos)
        vocab.counts[vocab.unk_id] += sum(c for t, c in counts.items() if t not in kept)
    return vocab


@given(
    st.lists(st.sampled_from(["a", "b", "c", "d", "e", UNK, EOS, PAD]) | st.text(max_size=2), min_size=1, max_size=60),
    st.integers(1, 4),
    st.none() | st.integers(4, 9),
    st.sampled_from([SPECIALS, (UNK, EOS), (EOS,), ()]),
)
def test_from_count_array_matches_the_token_by_token_construction(stream, min_count, max_size, specials):
    counts: dict[str, int] = {}
    for t in stream:
        counts[t] = counts.get(t, 0) + 1
    ref = _reference_from_counts(counts, min_count, max_size, specials)
    vocab, ids = Vocab.from_count_array(list(counts), np.array(list(counts.values())), min_count, max_size, specials)
    assert vocab == ref and vocab.specials == ref.specials
    assert Vocab.from_counts(counts, min_count, max_size, specials) == ref
    unk = -1 if ref.unk_id is None else ref.unk_id
    assert ids.dtype == np.int32
    assert ids.tolist() == [ref.stoi.get(t, unk) for t in counts]
