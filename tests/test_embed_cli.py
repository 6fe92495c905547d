"""``wordseq embed``: every subcommand end to end, bad input as one clear line, and the demo step."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from embed_helpers import planted_corpus
from support import run_cli as _run_cli
from wordseq.embed import PPMISVD, GloVe, Vectors, Word2Vec, load_vectors, save_vectors


def run_cli(*args: str) -> subprocess.CompletedProcess:
    r = _run_cli(*args)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode("utf-8"), r.stderr.decode("utf-8"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return planted_corpus(tmp_path_factory.mktemp("cli") / "planted.txt")


@pytest.fixture(scope="module")
def model(tmp_path_factory, corpus):
    out = tmp_path_factory.mktemp("model") / "ppmi.wsq"
    r = run_cli(
        "embed",
        "train",
        str(corpus),
        "--method",
        "ppmi-svd",
        "--dim",
        "16",
        "--window",
        "2",
        "--min-count",
        "1",
        "-o",
        str(out),
        "-q",
    )
    assert r.returncode == 0, r.stderr
    assert "written" in r.stdout
    return out


def ok(r):
    assert r.returncode == 0, r.stderr
    return r.stdout


def one_line_error(r, *fragments):
    assert r.returncode == 1
    err = r.stderr.strip()
    assert err.startswith("wordseq: error:") and "\n" not in err, err
    for f in fragments:
        assert f in err, err
    return err


def test_train_writes_a_loadable_model(model):
    v = load_vectors(model)
    assert v.dim == 16 and "p0" in v and v.counts is not None
    assert v.most_similar("p0", topn=1)[0][0] == "q0"
    m = PPMISVD.load(model)  # the model file: the estimator's config and provenance
    assert m.config.dim == 16 and m.config.window == 2 and m.config.min_count == 1
    assert m.provenance["tokens"] > 0 and m.history[0]["pass"] == 1


@pytest.mark.parametrize(
    "method,extra", [("glove", ["--epochs", "30", "--window", "3"]), ("svd", ["--transform", "log", "--window", "2"])]
)
def test_train_other_methods_and_formats(tmp_path, corpus, method, extra):
    out = tmp_path / "v.txt"
    stdout = ok(
        run_cli(
            "embed",
            "train",
            str(corpus),
            "--method",
            method,
            "--dim",
            "20",
            "--min-count",
            "1",
            "-o",
            str(out),
            "--threads",
            "2",
            *extra,
        )
    )
    v = load_vectors(out, format="word2vec")
    assert len(v) > 60 and v.dim == 20
    assert v.most_similar("p1", topn=1)[0][0] == "q1"
    if method == "glove":
        assert "loss" in stdout


@pytest.mark.parametrize("method,loss", [("sgns", "ns"), ("cbow", "hs")])
def test_train_word2vec(tmp_path, corpus, method, loss):
    out = tmp_path / "w.bin"
    ok(
        run_cli(
            "embed",
            "train",
            str(corpus),
            "--method",
            method,
            "--loss",
            loss,
            "--dim",
            "20",
            "--min-count",
            "1",
            "--epochs",
            "5",
            "-o",
            str(out),
            "--threads",
            "2",
        )
    )
    v = load_vectors(out)
    assert v.dim == 20 and "p0" in v
    wsq = tmp_path / "w.wsq"
    ok(
        run_cli(
            "embed",
            "train",
            str(corpus),
            "--method",
            method,
            "--loss",
            loss,
            "--dim",
            "8",
            "--min-count",
            "1",
            "--epochs",
            "1",
            "--lr",
            "0.04",
            "--sample-threshold",
            "0.01",
            "-o",
            str(wsq),
            "--threads",
            "1",
        )
    )
    m = Word2Vec.load(wsq)
    assert (m.config.arch, m.config.loss) == ("sg" if method == "sgns" else "cbow", loss)
    assert (m.config.lr, m.config.sample_threshold, m.config.min_count) == (0.04, 0.01, 1)
    assert load_vectors(wsq).words == m.vectors.words  # a word2vec model file is a vector file too


def test_old_option_spellings_still_work_with_a_notice(tmp_path, corpus):
    out = tmp_path / "g.wsq"
    r = run_cli(
        "embed",
        "train",
        str(corpus),
        "--method",
        "glove",
        "--dim",
        "8",
        "--min-count",
        "1",
        "--epochs",
        "1",
        "--alpha",
        "0.02",
        "--power",
        "0.6",
        "-o",
        str(out),
        "--threads",
        "1",
    )
    ok(r)
    assert "--alpha is deprecated; use --lr" in r.stderr and "--power is deprecated" in r.stderr
    m = GloVe.load(out)
    assert (m.config.lr, m.config.weighting_exponent) == (0.02, 0.6)
    r = run_cli(
        "embed",
        "train",
        str(corpus),
        "--method",
        "ppmi-svd",
        "--dim",
        "8",
        "--min-count",
        "1",
        "--power",
        "0.5",
        "-o",
        str(out),
    )
    ok(r)
    assert PPMISVD.load(out).config.context_smoothing == 0.5
    r = run_cli(
        "embed",
        "train",
        str(corpus),
        "--method",
        "sgns",
        "--dim",
        "8",
        "--min-count",
        "1",
        "--epochs",
        "1",
        "--min-alpha",
        "0.001",
        "--sample",
        "0.002",
        "-o",
        str(out),
        "--threads",
        "1",
    )
    ok(r)
    assert "--min-alpha is deprecated; use --min-lr" in r.stderr and "--sample is deprecated" in r.stderr
    assert (Word2Vec.load(out).config.min_lr, Word2Vec.load(out).config.sample_threshold) == (0.001, 0.002)
    assert "--alpha" not in run_cli("embed", "train", "--help").stdout
    r = run_cli("embed", "train", str(corpus), "--method", "glove", "--power", "-2", "-o", str(tmp_path / "x.wsq"))
    assert r.returncode == 1
    notice, error = r.stderr.strip().splitlines()
    assert "--power is deprecated" in notice
    assert error == "wordseq: error: --weighting-exponent -2.0: must be a number >= 0"


@pytest.mark.parametrize(
    "method, given, shown",
    [
        ("sgns", "--window 0", "--window 0: must be an integer >= 1"),
        ("sgns", "--lr -1", "--lr -1.0: must be a number > 0 (or None)"),
        ("sgns", "--min-lr -0.5", "--min-lr -0.5: must be a number >= 0"),
        ("sgns", "--sample-threshold -1", "--sample-threshold -1.0: must be a number >= 0"),
        ("cbow", "--negative 0", "--negative 0: must be an integer >= 1"),
        ("glove", "--weighting-exponent -2", "--weighting-exponent -2.0: must be a number >= 0"),
        ("glove", "--x-max 0", "--x-max 0.0: must be a number > 0"),
        ("ppmi-svd", "--context-smoothing 2", "--context-smoothing 2.0: must be a number > 0 and <= 1"),
        ("ppmi-svd", "--shift 0", "--shift 0.0: must be a number > 0"),
        ("svd", "--min-count 0", "--min-count 0: must be an integer >= 1"),
        ("svd", "--max-vocab 0", "--max-vocab 0: must be an integer >= 1 (or None)"),
        ("svd", "--eig -1", "--eig -1.0: must be a number >= 0"),
    ],
)
def test_config_errors_name_the_option_and_range(tmp_path, corpus, method, given, shown):
    """A bad setting is one line naming the option (as typed, or its new spelling) and the allowed range."""
    out = tmp_path / "never.wsq"
    err = one_line_error(run_cli("embed", "train", str(corpus), "--method", method, *given.split(), "-o", str(out)))
    assert err.endswith(shown), err
    assert not out.exists()


def test_neighbors_analogy_eval(tmp_path, model):
    out = ok(run_cli("embed", "neighbors", str(model), "p0", "q3", "--topn", "3"))
    lines = out.strip().splitlines()
    assert lines[0].startswith("p0: q0 ") and lines[1].startswith("q3: p3 ")
    out = ok(run_cli("embed", "analogy", str(model), "p0", "q0", "p1", "--topn", "2"))
    assert len(out.strip().splitlines()) == 2
    v = load_vectors(model)
    assert out.split("\t")[0] == v.analogy("p0", "q0", "p1")[0][0]
    ok(run_cli("embed", "analogy", str(model), "p0", "q0", "p1", "--method", "3cosmul"))

    analogies = tmp_path / "q.txt"
    analogies.write_text(": twins\np0 q0 p1 q1\np2 q2 p3 q3\nP4 Q4 p5 Q5\np0 q0 zzz q1\nbad line\n", encoding="utf-8")
    sim = tmp_path / "s.txt"
    sim.write_text("p0\tq0\t10\np1\tw30\t2\nw20\tw21\t5\np2\tq2\t9\nzzz\tp0\t1\n", encoding="utf-8")
    out = ok(
        run_cli("embed", "eval", str(model), "--analogies", str(analogies), "--similarity", str(sim), "--sections")
    )
    r = v.evaluate_analogies(analogies)
    assert f"({r.correct}/3)" in out and "1 of 4 questions skipped" in out and "1 malformed lines" in out
    assert "twins" in out
    s = v.evaluate_similarity(sim)
    assert f"Spearman {s.spearman:.4f}" in out and "4 pairs, 1 out-of-vocabulary" in out


def test_convert_round_trip(tmp_path, model):
    v = load_vectors(model)
    for fmt, name in [("word2vec", "a.txt"), ("word2vec-bin", "a.bin"), ("glove", "a.glove"), ("tsv", "vectors.tsv")]:
        ok(run_cli("embed", "convert", str(model), str(tmp_path / name), "--to", fmt))
        back = tmp_path / f"back-{fmt}.wsq"
        ok(run_cli("embed", "convert", str(tmp_path / name), str(back), "--from", fmt))
        b = load_vectors(back)
        assert b.words == v.words
        np.testing.assert_array_equal(b.vectors, v.vectors)
    assert (tmp_path / "metadata.tsv").exists()


def test_plot(tmp_path, model):
    png = tmp_path / "w.png"
    ok(run_cli("embed", "plot", str(model), "--words", "p0", "q0", "p1", "q1", "w10", "-o", str(png)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(": sec\np0 q0 p1 q1\np2 q2\nunknown q3\n", encoding="utf-8")
    png2 = tmp_path / "pairs.png"
    ok(run_cli("embed", "plot", str(model), "--pairs", str(pairs), "-o", str(png2)))
    assert png2.read_bytes()[:4] == b"\x89PNG"


def test_plot_tsne_and_pairs_file(tmp_path, model):
    from wordseq.embed.plot import plot_words, read_pairs

    pairs = tmp_path / "pairs.txt"
    pairs.write_text(": sec\np0 q0 p1 q1\n# comment\np2 q2\np0 q0\n", encoding="utf-8")
    assert read_pairs(pairs) == [("p0", "q0"), ("p1", "q1"), ("p2", "q2")]
    pairs.write_text("p0 q0 p1\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"pairs.txt:1: expected 2 words"):
        read_pairs(pairs)
    png = plot_words(
        load_vectors(model), tmp_path / "t.png", pairs=[("p0", "q0"), ("p1", "q1"), ("p2", "Q2")], method="tsne"
    )
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_bad_input_is_one_clear_line(tmp_path, model, corpus):
    one_line_error(
        run_cli("embed", "neighbors", str(model), "p0", "nosuchword"), "'nosuchword'", "not in the vocabulary"
    )
    one_line_error(run_cli("embed", "analogy", str(model), "p0", "q0", "nosuchword"), "'nosuchword'")
    one_line_error(
        run_cli("embed", "plot", str(model), "--words", "p0", "nosuchword", "-o", str(tmp_path / "x.png")),
        "'nosuchword'",
    )
    assert not (tmp_path / "x.png").exists()
    out = tmp_path / "never.wsq"
    one_line_error(
        run_cli("embed", "train", str(corpus), "--method", "ppmi-svd", "--dim", "0", "-o", str(out)),
        "--dim 0: must be an integer >= 1",
    )
    one_line_error(run_cli("embed", "train", str(corpus), "--method", "glove", "--dim", "-3", "-o", str(out)), "--dim")
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("hello\n", encoding="utf-8")
    one_line_error(
        run_cli("embed", "train", str(tiny), "--method", "ppmi-svd", "--min-count", "1", "-o", str(out)),
        "only 1 distinct words",
    )
    few = tmp_path / "few.txt"
    few.write_text("a b c\n", encoding="utf-8")
    one_line_error(
        run_cli(
            "embed",
            "train",
            str(few),
            "--method",
            "ppmi-svd",
            "--min-count",
            "1",
            "--dim",
            "3",
            "--window",
            "10",
            "-o",
            str(out),
        ),
        "smaller than the vocabulary",
    )
    assert not out.exists()
    bad = tmp_path / "bad.txt"
    bad.write_text("3 2\na 1 2\nb 1 2\n", encoding="utf-8")
    one_line_error(run_cli("embed", "convert", str(bad), str(tmp_path / "o.wsq")), "bad.txt:4:", "header says 3 words")
    one_line_error(run_cli("embed", "eval", str(model)), "--analogies")
    noheader = tmp_path / "q.txt"
    noheader.write_text("a b c d\n", encoding="utf-8")
    one_line_error(run_cli("embed", "eval", str(model), "--analogies", str(noheader)), "q.txt:1:")


def test_word2vec_missing_or_too_few_words(tmp_path):
    few = tmp_path / "few.txt"
    few.write_text("a b c a b c\n", encoding="utf-8")
    r = run_cli("embed", "train", str(few), "--method", "sgns", "--min-count", "1", "-o", str(tmp_path / "o.wsq"))
    one_line_error(r, "--negative 5")


def test_demo_step_quick(tmp_path):
    from wordseq.demo import DemoContext, bundled_corpus, split_corpus
    from wordseq.demo.embed import embed_step

    train, valid = split_corpus(bundled_corpus(), tmp_path)
    ctx = DemoContext(bundled_corpus(), tmp_path, train, valid, quick=True, threads=2)
    lines = embed_step(ctx)
    assert lines[0].startswith("word vectors:")
    assert any(line.strip().startswith("king ") for line in lines)
    assert (
        PPMISVD.load(tmp_path / "vectors-ppmi-svd.wsq").vectors.words
        == load_vectors(tmp_path / "vectors-sgns.wsq").words
    )
    assert (tmp_path / "vectors-pca.png").read_bytes()[:4] == b"\x89PNG"
    assert isinstance(ctx.results["vectors"], Vectors)


def test_save_vectors_refuses_unknown_format(tmp_path):
    with pytest.raises(Exception, match="unknown vector format"):
        save_vectors(Vectors(["a"], np.ones((1, 2))), tmp_path / "x", format="zip")
