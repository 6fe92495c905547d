"""CoNLL-U: byte-for-byte round-trips (multiword tokens, empty nodes, comments), bad input named by file
and line, and the dependency-tree check."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import data_file
from wordseq.errors import InputError
from wordseq.text.conllu import (
    RawLine,
    Sentence,
    Token,
    format_conllu,
    parse_conllu,
    read_conllu,
    tree_errors,
    validate_tree,
    write_conllu,
)

TINY = Path(__file__).parent / "data" / "conllu" / "tiny.conllu"


def test_tiny_excerpt_reads_as_written():
    sents = read_conllu(TINY)
    assert len(sents) == 4
    first = sents[0]
    assert first.comments[0] == "# newdoc id = handmade-1"
    assert first.text == "I don't know."
    assert first.comment("sent_id") == "handmade-1-0001"
    assert first.forms == ["I", "do", "n't", "know", "."]
    assert [t.head for t in first.tokens] == [4, 4, 4, 0, 4]
    assert first.column("upos") == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert first.column("head") == ["4", "4", "4", "0", "4"]
    assert [(r.position, r.id) for r in first.multiword_tokens] == [(1, "2-3")]
    second = sents[1]
    assert [(r.position, r.id) for r in second.empty_nodes] == [(4, "4.1")]
    assert second.tokens[3].deps == "2:conj:and|4.1:nsubj"
    third = sents[2]
    assert third.forms[0] == "Café" and third.multiword_tokens[0].columns[1] == "Café’s"
    assert sents[3].comments == [] and sents[3].line == 32
    assert all(tree_errors(s) == [] for s in sents)


def test_round_trip_is_byte_for_byte(tmp_path):
    out = tmp_path / "out.conllu"
    write_conllu(out, read_conllu(TINY))
    assert out.read_bytes() == TINY.read_bytes()
    assert format_conllu(parse_conllu(TINY.read_text(encoding="utf-8"))) == TINY.read_text(encoding="utf-8")


def test_compressed_input_reads_the_same(tmp_path):
    gz = tmp_path / "tiny.conllu.gz"
    gz.write_bytes(gzip.compress(TINY.read_bytes()))
    assert read_conllu(gz) == read_conllu(TINY)


def test_edited_column_is_written_back(tmp_path):
    sents = read_conllu(TINY)
    for s in sents:
        for t in s.tokens:
            t.upos = "X"
    out = tmp_path / "x.conllu"
    write_conllu(out, sents)
    again = read_conllu(out)
    assert all(t.upos == "X" for s in again for t in s.tokens)
    assert [s.raw_lines for s in again] == [s.raw_lines for s in sents]


def test_real_ewt_dev_round_trips(tmp_path):
    path = data_file("ud_english_ewt", "en_ewt-ud-dev.conllu")
    sents = read_conllu(path)
    assert len(sents) == 2001
    out = tmp_path / "dev.conllu"
    write_conllu(out, sents)
    assert out.read_bytes() == path.read_bytes()


# ------------------------------------------------------------------------------------------- properties

_field = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\t\n\r#"),
    min_size=1,
    max_size=6,
).filter(lambda s: s.strip() == s and s != "")


@st.composite
def _sentences(draw):
    n = draw(st.integers(1, 6))
    tokens = []
    for i in range(1, n + 1):
        cols = [draw(_field) for _ in range(8)]
        head = draw(st.one_of(st.none(), st.integers(0, n)))
        tokens.append(Token(i, cols[0], cols[1], cols[2], cols[3], cols[4], head, cols[5], cols[6], cols[7]))
    raw = []
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, n))
        if draw(st.booleans()) and pos < n:
            ident = f"{pos + 1}-{min(n, pos + 2)}"
        else:
            ident = f"{pos}.{draw(st.integers(1, 3))}"
        raw.append(RawLine(pos, "\t".join([ident, draw(_field)] + ["_"] * 8)))
    raw.sort(key=lambda r: r.position)
    comments = ["# " + draw(_field) for _ in range(draw(st.integers(0, 2)))]
    return Sentence(tokens, comments, raw)


@settings(max_examples=150, deadline=None)
@given(st.lists(_sentences(), min_size=1, max_size=4))
def test_write_then_read_gives_the_same_sentences(sents):
    text = format_conllu(sents)
    again = parse_conllu(text)
    assert again == sents
    assert format_conllu(again) == text


# ------------------------------------------------------------------------------------------- bad input

GOOD = "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1\ta\ta\tX\tX\t_\t0\troot\t_\n\n", 1, "9 tab-separated columns"),
        (GOOD + "x\tb\tb\tX\tX\t_\t1\tdep\t_\t_\n\n", 2, "ID 'x' is not an integer"),
        (GOOD + "3\tb\tb\tX\tX\t_\t1\tdep\t_\t_\n\n", 2, "out of sequence"),
        (GOOD + "1.x\tb\tb\tX\tX\t_\t_\t_\t_\t_\n\n", 2, "is not an integer, a range"),
        (GOOD + "2\tb\tb\tX\tX\t_\tone\tdep\t_\t_\n\n", 2, "HEAD 'one' is not an integer"),
        ("# c\n" + GOOD + "2\tb\tb\tX\tX\t_\t1\tdep\t_\t_\n", 3, "not followed by a blank line"),
        (GOOD + "# sent_id = 2\n" + GOOD + "\n", 2, "comment line inside a sentence"),
        ("# only a comment\n\n", 2, "no word lines"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.conllu"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        read_conllu(path)
    assert err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_conllu(tmp_path / "none.conllu")


# ------------------------------------------------------------------------------------------- trees


def _tree(heads):
    return Sentence([Token(i, f"w{i}", head=h) for i, h in enumerate(heads, 1)], line=7)


@pytest.mark.parametrize(
    ("heads", "problem"),
    [
        ([2, 0, 2], None),
        ([0], None),
        ([2, 0, None], "word 3 has no head"),
        ([2, 0, 4], "outside the sentence"),
        ([0, 0, 2], "2 roots"),
        ([2, 3, 1], "no word has head 0"),
        ([0, 3, 4, 2], "cycle through words 2 -> 3 -> 4 -> 2"),
        ([0, 2], "word 2 is its own head"),
    ],
)
def test_tree_errors(heads, problem):
    problems = tree_errors(_tree(heads))
    if problem is None:
        assert problems == []
        validate_tree(_tree(heads))
    else:
        assert any(problem in p for p in problems), problems
        with pytest.raises(InputError, match="not a dependency tree") as err:
            validate_tree(_tree(heads), path="x.conllu")
        assert err.value.line == 7


def test_from_forms_writes_blank_columns():
    s = Sentence.from_forms(["a", "b"])
    assert s.to_text() == "1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n2\tb\t_\t_\t_\t_\t_\t_\t_\t_\n\n"


def test_a_copied_sentence_is_equal_and_independent():
    text = "# text = Don't go\n1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\n1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\n"
    text += "2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_\n3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No\n\n"
    (s,) = parse_conllu(text)
    c = s.copy()
    assert c == s and c.to_text() == text and c.line == s.line
    c.tokens[0].upos, c.raw_lines[0].text, c.comments[0] = "X", "changed", "# changed"
    assert s.tokens[0].upos == "AUX" and s.raw_lines[0].text.startswith("1-2") and s.comments[0] == "# text = Don't go"
