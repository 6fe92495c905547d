"""``wordseq tag train | eval | predict`` end to end on tiny files, and its messages for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import run_cli
from wordseq.text.conllu import read_conllu

TINY = Path(__file__).parent / "data" / "conllu" / "tiny.conllu"


def _ok(p):
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("tagcli")
    m = d / "m.wsq"
    _ok(
        run_cli(
            "tag", "train", str(TINY), "--dev", str(TINY), "--column", "upos", "--model", "bilstm-crf",
            "--epochs", "30", "--lr", "0.01", "--dropout", "0", "--word-dropout", "0", "--threads", "1",
            "-q", "-o", str(m),
        )
    )  # fmt: skip
    assert m.exists() and m.with_suffix(".png").exists()
    return m


def test_eval_prints_scores_and_draws_confusion(model, tmp_path):
    png = tmp_path / "c.png"
    text = _ok(run_cli("tag", "eval", str(model), str(TINY), "--confusion", str(png), "--threads", "1"))
    assert "upos: accuracy 100.00%" in text
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_predict_fills_the_conllu_column_and_keeps_everything_else(model, tmp_path):
    out = tmp_path / "o.conllu"
    _ok(run_cli("tag", "predict", str(model), str(TINY), "-o", str(out), "--threads", "1"))
    assert out.read_bytes() == TINY.read_bytes()  # learned exactly: the same file back, byte for byte
    blank = tmp_path / "blank.conllu"
    sents = read_conllu(TINY)
    for s in sents:
        for t in s.tokens:
            t.upos = "_"
    blank.write_text("".join(s.to_text() for s in sents), encoding="utf-8")
    _ok(run_cli("tag", "predict", str(model), str(blank), "-o", str(out), "--threads", "1"))
    assert out.read_bytes() == TINY.read_bytes()


def test_predict_tokenized_text_from_stdin(model):
    text = _ok(run_cli("tag", "predict", str(model), "--threads", "1", input=b"Sales rose .\n\nHi\n"))
    assert text == "Sales/NOUN rose/VERB ./PUNCT\n\nHi/INTJ\n"
    conllu = _ok(run_cli("tag", "predict", str(model), "--output-format", "conllu", input=b"Hi\n"))
    assert conllu == "1\tHi\t_\tINTJ\t_\t_\t_\t_\t_\t_\n\n"


def test_prediction_input_in_the_wrong_format_is_named(model, tmp_path):
    p = run_cli("tag", "predict", str(model), str(TINY), "--format", "text")
    assert p.returncode == 1 and "give --format conllu" in p.stderr.decode()
    plain = tmp_path / "plain.conllu"
    plain.write_text("I saw her\n\n", encoding="utf-8")
    p = run_cli("tag", "predict", str(model), str(plain), "--format", "conllu")
    assert p.returncode == 1
    assert f"{plain}:1:" in p.stderr.decode() and "expected CoNLL-U" in p.stderr.decode()


def test_bad_training_input(tmp_path):
    bad = tmp_path / "bad.conllu"
    bad.write_text("1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\n\n", encoding="utf-8")
    p = run_cli("tag", "train", str(bad), "--format", "conllu", "-o", str(tmp_path / "m.wsq"))
    assert p.returncode == 1 and f"{bad}:1: 9 tab-separated columns" in p.stderr.decode()
    iob = tmp_path / "bad.iob2"
    iob.write_text("1\tJohn\tB-PER\n2\tran\tVERB\n\n", encoding="utf-8")
    p = run_cli("tag", "train", str(iob), "--column", "ner", "-o", str(tmp_path / "m.wsq"))
    assert p.returncode == 1 and f"{iob}:2: tag 'VERB' is not in an IOB" in p.stderr.decode()
    p = run_cli("tag", "train", str(TINY), "--model", "bilstm", "--cell", "nope", "-o", str(tmp_path / "m.wsq"))
    assert p.returncode == 1 and "--cell nope: must be one of" in p.stderr.decode()
    p = run_cli("tag", "train", str(TINY), "--frozen-vectors", "-o", str(tmp_path / "m.wsq"))
    assert p.returncode == 1 and "--frozen-vectors True: needs vectors" in p.stderr.decode()
