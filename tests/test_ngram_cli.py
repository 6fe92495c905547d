"""``wordseq lm ngram``, ``wordseq lm perplexity`` on n-gram models, ``wordseq lm sample``, the demo step."""

from __future__ import annotations

import re

import pytest

from support import run_cli
from wordseq.cli import main
from wordseq.demo import DemoContext, bundled_corpus, split_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    lines = bundled_corpus().read_text(encoding="utf-8").splitlines()
    (d / "train.txt").write_text("\n".join(lines[:4000]) + "\n", encoding="utf-8")
    (d / "test.txt").write_text("\n".join(lines[4000:4400]) + "\n", encoding="utf-8")
    return d


def test_build_score_sample(corpus, tmp_path, capsys):
    model = tmp_path / "m.wsq"
    assert (
        main(
            [
                "lm",
                "ngram",
                str(corpus / "train.txt"),
                "--order",
                "3",
                "--tokenizer",
                "word",
                "--lower",
                "-o",
                str(model),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "3-gram mkn model" in out and "D1=" in out and model.exists()
    assert main(["lm", "perplexity", str(model), str(corpus / "test.txt")]) == 0
    out = capsys.readouterr().out
    ppl = float(re.search(r"perplexity ([\d.]+) \(", out).group(1))
    log10 = float(re.search(r"log10 prob (-[\d.]+)", out).group(1))
    tokens = int(re.search(r"over ([\d,]+) tokens", out).group(1).replace(",", ""))
    assert ppl == pytest.approx(10 ** (-log10 / tokens), rel=1e-3)  # the same figures, two units
    assert 20 < ppl < 2000 and "scored as <unk>" in out and "tokens/s" in out
    assert main(["lm", "sample", str(model), "--num-samples", "4", "--seed", "3", "--prefix", "The king"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 4 and all(ln.startswith("the king") for ln in lines)  # the prefix is tokenized too


def test_arpa_output_and_perplexity_options(corpus, tmp_path, capsys):
    arpa = tmp_path / "m.arpa"
    assert main(["lm", "ngram", str(corpus / "train.txt"), "--order", "2", "--smoothing", "kn", "-o", str(arpa)]) == 0
    capsys.readouterr()
    test = tmp_path / "t.txt"
    test.write_text("of the\nzzz qqq\n")
    assert main(["lm", "perplexity", str(arpa), str(test), "--per-token", "--oov-report", "5"]) == 0
    out = capsys.readouterr().out
    rows = [ln.split("\t") for ln in out.splitlines() if "\t" in ln and not ln.startswith("token")]
    assert [r[0] for r in rows] == ["of", "the", "</s>", "<unk>", "<unk>", "</s>"]
    assert all(int(r[2]) in (1, 2) and float(r[1]) < 0 for r in rows)
    assert "2 scored as <unk>" in out and "zzz" in out and "qqq" in out
    assert main(["lm", "perplexity", str(arpa), str(test), "--no-eos"]) == 0
    assert "over 4 tokens" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--order", "0"], "--order 0: must be an integer >= 1"),
        (["--order", "500"], "larger than this corpus allows"),
        (["--smoothing", "kn", "--discount", "2"], "--discount 2.0: must be a number > 0 and <= 1 (or None)"),
        (["--discount", "0.5"], "--discount 0.5: applies only to smoothing 'kn' and 'absolute'"),
        (["--smoothing", "add-k", "-k", "0"], "-k 0.0: must be a number > 0"),
        (["--min-count", "0"], "--min-count 0: must be an integer >= 1"),
        (["--max-vocab", "3"], "--max-vocab 3: must be an integer >= 4 (or None)"),
        (["--smoothing", "add-k", "-o", "{tmp}/x.arpa"], "no exact ARPA form"),
    ],
)
def test_build_errors(corpus, tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "x.wsq")]
    assert main(["lm", "ngram", str(corpus / "train.txt")] + args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("wordseq: error:") and message in err and "\n" not in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_deprecated_spellings_still_work(corpus, tmp_path, capsys):
    model = tmp_path / "m.wsq"
    assert main(["lm", "ngram", str(corpus / "train.txt"), "-n", "2", "-o", str(model)]) == 0
    captured = capsys.readouterr()
    assert "2-gram mkn model" in captured.out
    assert "-n is deprecated; use --order" in captured.err
    for old in ("-n", "--num"):
        assert main(["lm", "sample", str(model), old, "2", "--seed", "1"]) == 0
        captured = capsys.readouterr()
        assert captured.out.count("\n") == 2 and f"{old} is deprecated; use --num-samples" in captured.err
    assert main(["lm", "sample", str(model), "--num-samples", "2", "--seed", "1"]) == 0
    assert "deprecated" not in capsys.readouterr().err
    assert main(["lm", "sample", str(model), "--num-samples", "-1"]) == 1
    assert capsys.readouterr().err.strip() == "wordseq: error: --num-samples -1: must be an integer >= 0"


def test_build_with_validation_text_and_compressed_arpa(corpus, tmp_path, capsys):
    arpa = tmp_path / "m.arpa.xz"
    args = ["lm", "ngram", str(corpus / "train.txt"), "--order", "2", "--valid", str(corpus / "test.txt")]
    assert main(args + ["-o", str(arpa)]) == 0
    out = capsys.readouterr().out
    valid_ppl = float(re.search(r"validation perplexity ([\d.]+)", out).group(1))
    from wordseq.lm.ngram import NgramModel

    m = NgramModel.load(arpa)
    assert m.evaluate(corpus / "test.txt").perplexity == pytest.approx(valid_ppl, rel=1e-3)
    assert main(["lm", "perplexity", str(arpa), str(corpus / "test.txt")]) == 0
    ppl = float(re.search(r"perplexity ([\d.]+) \(", capsys.readouterr().out).group(1))
    assert ppl == pytest.approx(valid_ppl, rel=1e-3)


def test_errors_in_a_subprocess(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    r = run_cli("lm", "ngram", str(empty), "-o", str(tmp_path / "m.wsq"))
    assert r.returncode == 1 and b"empty" in r.stderr and r.stderr.count(b"\n") == 1
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t</s>\n-99\t<s>\n\n\\end\\\n")
    r = run_cli("lm", "perplexity", str(bad), str(empty))
    assert r.returncode == 1 and b"bad.arpa:6: the header declares 3 1-grams" in r.stderr
    assert r.stderr.count(b"\n") == 1


def test_demo_step(tmp_path):
    from wordseq.demo.ngram import ngram_step

    lines = bundled_corpus().read_text(encoding="utf-8").splitlines()[:3000]
    src = tmp_path / "small.txt"
    src.write_text("\n".join(lines) + "\n")
    train, valid = split_corpus(src, tmp_path)
    ctx = DemoContext(src, tmp_path, train, valid, quick=True)
    report = ngram_step(ctx)
    assert report[0].startswith("n-gram language model")
    assert ctx.results["ngram"]["order"] == 3 and 10 < ctx.results["ngram"]["perplexity"] < 1000
    assert (tmp_path / "ngram3.wsq").exists()
    assert sum(ln.startswith("    ") for ln in report) == 3  # three sampled lines
