import pytest
from hypothesis import given
from hypothesis import strategies as st

from wordseq.errors import WordseqError
from wordseq.text.tokenize import NEWLINE, Tokenizer


def test_whitespace_splits_on_any_space_and_marks_line_ends():
    tok = Tokenizer("whitespace")
    assert tok.tokenize_block("a  b\tc\n\nd\u00a0e\n") == ["a", "b", "c", "\n", "\n", "d", "e", "\n"]
    assert tok("PTB <unk> N 's") == ["PTB", "<unk>", "N", "'s"]


def test_word_tokenizer_keeps_apostrophes_and_hyphens_inside_words():
    tok = Tokenizer("word")
    assert tok("Don't re-read it, O'Neil!") == ["Don't", "re-read", "it", ",", "O'Neil", "!"]
    assert tok("'quoted' - dash") == ["'", "quoted", "'", "-", "dash"]


def test_word_tokenizer_options():
    tok = Tokenizer("word", lower=True, keep_apostrophes=False, keep_hyphens=False, punctuation="drop")
    assert tok("Don't re-read IT, my_friend: 3.5!") == ["don", "t", "re", "read", "it", "my", "friend", "3", "5"]


def test_word_tokenizer_is_unicode_aware():
    tok = Tokenizer("word", lower=True)
    assert tok("Ça coûte 5€ — naïve Straße") == ["ça", "coûte", "5", "€", "—", "naïve", "straße"]
    assert tok("東京は大きい。") == ["東京は大きい", "。"]


def test_nfkc_normalization():
    tok = Tokenizer("word", nfkc=True)
    assert tok("ﬁne Ｆｕｌｌ") == ["fine", "Full"]
    assert Tokenizer("word")("ﬁne") == ["ﬁne"]


def test_char_tokenizer_keeps_spaces():
    assert Tokenizer("char")("ab c") == ["a", "b", " ", "c"]
    assert Tokenizer("char").tokenize_block("ab\nc\n") == ["a", "b", NEWLINE, "c", NEWLINE]


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(WordseqError, match="unknown tokenizer"):
        Tokenizer("bpe")


@given(st.text())
def test_whitespace_tokens_have_no_space_and_rebuild_the_text(text):
    tok = Tokenizer("whitespace")
    tokens = tok(text.replace("\n", " "))
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    assert tokens == text.replace("\n", " ").split()


@given(st.text())
def test_char_tokens_are_the_characters(text):
    line = text.replace("\n", "")
    assert Tokenizer("char")(line) == list(line)


@given(st.text())
def test_word_tokens_cover_every_letter_and_digit(text):
    """No letter or digit is lost or invented: tokens hold exactly the text's alphanumerics, in order."""
    tok = Tokenizer("word")
    tokens = tok(text)
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    kept = [c for c in "".join(tokens) if c.isalnum()]
    assert kept == [c for c in text if c.isalnum()]


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")), max_size=5
    )
)
def test_block_tokenization_equals_line_by_line(lines):
    tok = Tokenizer("word", lower=True)
    block = "".join(line + "\n" for line in lines)
    expected = []
    for line in lines:
        expected += tok(line) + [NEWLINE]
    assert tok.tokenize_block(block) == expected


@given(
    st.text(
        alphabet=st.sampled_from("ab\u00e9 \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u2029\u3000\ufeff") | st.characters()
    )
)
def test_whitespace_block_split_equals_the_regex(text):
    """The split-based whitespace tokenizer gives exactly the tokens of ``[^\\s]+|\\n``, line ends included."""
    import re

    expected = re.findall(r"[^\s]+|\n", text)
    assert Tokenizer("whitespace").tokenize_block(text) == expected
    assert Tokenizer("whitespace", lower=True).tokenize_block(text) == re.findall(r"[^\s]+|\n", text.lower())
