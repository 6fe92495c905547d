"""``wordseq parse``: train, eval, predict (CoNLL-U and tokenized text), draw; wrong model files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from wordseq.cli import main
from wordseq.parse.draw import tree_svg
from wordseq.text.conllu import read_conllu

EXCERPT = str(Path(__file__).parent / "data" / "parse" / "ewt-excerpt.conllu")


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("parse") / "cm.wsq")
    args = ["parse", "train", EXCERPT, "--dev", EXCERPT, "--epochs", "2", "--hidden", "16", "--embed", "8"]
    assert main([*args, "--threads", "1", "-q", "-o", out]) == 0
    return out


def test_eval_predict_and_draw(model, tmp_path, capsys, monkeypatch):
    assert main(["parse", "eval", model, EXCERPT, "--gold-tags"]) == 0
    assert "UAS" in capsys.readouterr().out
    out = tmp_path / "out.conllu"
    assert main(["parse", "predict", model, EXCERPT, "-o", str(out), "--gold-tags"]) == 0
    parsed, gold = read_conllu(out), read_conllu(EXCERPT)
    assert [s.forms for s in parsed] == [s.forms for s in gold]
    assert all(t.head is not None for s in parsed for t in s.tokens)
    text = tmp_path / "text.txt"
    text.write_text("The cat sat on the mat .\nHello\n", encoding="utf-8")
    out2 = tmp_path / "text.conllu"
    assert main(["parse", "predict", model, str(text), "-o", str(out2)]) == 0
    assert [len(s) for s in read_conllu(out2)] == [7, 1]
    svg = tmp_path / "tree.svg"
    assert main(["parse", "draw", model, "The cat sat .", "-o", str(svg)]) == 0
    assert svg.read_text(encoding="utf-8").startswith("<svg")


def test_other_model_kinds_are_refused(model, tmp_path, capsys):
    assert main(["parse", "train", EXCERPT, "--tagger", model, "-o", str(tmp_path / "x.wsq")]) == 1
    assert "not a tagger" in capsys.readouterr().err
    assert main(["parse", "eval", EXCERPT, EXCERPT]) == 1  # a CoNLL-U file is no model
    assert main(["parse", "train", EXCERPT, "--model", "biaffine", "--system", "arc-eager", "-o", "x"]) == 1
    assert "--system does not apply" in capsys.readouterr().err


def test_svg_marks_every_arc_and_the_root():
    svg = tree_svg(["She", "sleeps", "."], [2, 0, 2], ["nsubj", "root", "punct"], ["PRON", "VERB", "PUNCT"])
    assert svg.count('fill="none"') == 2 and svg.count("marker-end") == 3
    assert ">root<" in svg and ">nsubj<" in svg and "&lt;" not in svg


def test_train_with_the_dynamic_oracle(tmp_path, capsys):
    from wordseq.parse import ChenManningParser

    out = str(tmp_path / "dyn.wsq")
    args = ["parse", "train", EXCERPT, "--epochs", "2", "--hidden", "16", "--embed", "8", "--threads", "1"]
    assert main([*args, "--system", "arc-hybrid", "--oracle", "dynamic", "--explore-start", "2", "-o", out]) == 0
    assert "epoch 2: explored 26 sentences" in capsys.readouterr().err
    cfg = ChenManningParser.load(out).config
    assert (cfg.oracle, cfg.explore_start, cfg.explore_p) == ("dynamic", 2, 0.9)
    assert main([*args, "--oracle", "dynamic", "-o", str(tmp_path / "x.wsq")]) == 1  # arc-standard
    assert "needs system 'arc-hybrid'" in capsys.readouterr().err
    assert main([*args, "--model", "biaffine", "--oracle", "dynamic", "-o", str(tmp_path / "y.wsq")]) == 1
    assert "--oracle does not apply" in capsys.readouterr().err


def test_biaffine_recipe_flags_reach_the_saved_config(tmp_path, capsys):
    """Dozat & Manning's recipe is reachable from the command line: layers, scorer sizes, word dropout, fixed
    vectors, Adam's beta2; a biaffine-only flag is refused for the transition parser."""
    from wordseq.parse import BiaffineParser

    vec = tmp_path / "v.txt"
    vec.write_text("2 4\nthe 0.1 0.2 0.3 0.4\nzebra 0.4 0.3 0.2 0.1\n", encoding="utf-8")
    out = str(tmp_path / "bi.wsq")
    args = ["parse", "train", EXCERPT, "--model", "biaffine", "--epochs", "1", "--hidden", "8", "--embed", "4"]
    flags = ["--layers", "1", "--arc-mlp", "12", "--label-mlp", "6", "--word-dropout", "0.25", "--beta2", "0.9"]
    assert main([*args, *flags, "--frozen-vectors", "--vectors", str(vec), "--threads", "1", "-q", "-o", out]) == 0
    cfg = BiaffineParser.load(out).config
    assert (cfg.layers, cfg.arc_mlp, cfg.label_mlp, cfg.word_dropout, cfg.frozen_vectors) == (1, 12, 6, 0.25, True)
    assert cfg.train.beta2 == 0.9
    assert main(["parse", "train", EXCERPT, "--word-dropout", "0.3", "-o", str(tmp_path / "cm.wsq")]) == 1
    assert "--word-dropout does not apply to --model chen-manning" in capsys.readouterr().err
    # train that parser further: its architecture stays, a flag that would change it is refused
    more = str(tmp_path / "more.wsq")
    base = ["parse", "train", EXCERPT, "--model", "biaffine", "--epochs", "1", "--threads", "1", "--init", out]
    assert main([*base, "--word-dropout", "0.1", "-o", more]) == 0
    assert "starting from" in capsys.readouterr().err
    again = BiaffineParser.load(more)
    assert (again.config.hidden, again.config.arc_mlp, again.config.word_dropout) == (8, 12, 0.1)
    assert again.provenance["init"]["epochs"] == 1
    assert main([*base, "--hidden", "16", "-o", str(tmp_path / "no.wsq")]) == 1
    assert "--hidden: with --init the architecture is the initial model's" in capsys.readouterr().err
    assert main(["parse", "train", EXCERPT, "--init", out, "-o", str(tmp_path / "cm2.wsq")]) == 1
    assert "--init applies to --model biaffine" in capsys.readouterr().err


def test_chen_manning_vector_flags_reach_the_saved_parser(tmp_path, capsys):
    """--word-embed gives the words a size of their own, --max-vectors adds the vector file's words to the
    vocabulary, --frozen-vectors keeps them fixed, --weight-decay reaches the training recipe; --frozen-vectors
    needs --vectors; --word-embed is refused for the biaffine parser."""
    from wordseq.parse import ChenManningParser

    vec = tmp_path / "v.txt"
    vec.write_text("2 6\nthe 0.1 0.2 0.3 0.4 0.5 0.6\nzebra 0.6 0.5 0.4 0.3 0.2 0.1\n", encoding="utf-8")
    out = str(tmp_path / "cm.wsq")
    args = ["parse", "train", EXCERPT, "--epochs", "1", "--hidden", "8", "--embed", "4", "--threads", "1", "-q"]
    flags = ["--word-embed", "6", "--max-vectors", "10", "--weight-decay", "0", "--vectors", str(vec)]
    assert main([*args, *flags, "-o", out]) == 0
    p = ChenManningParser.load(out)
    assert (p.config.word_embed, p.config.max_vectors, p.config.train.weight_decay) == (6, 10, 0.0)
    assert "zebra" in p.words.stoi and p.net.words.weight.shape[1] == 6
    assert main([*args, "--max-vectors", "0", "--word-embed", "6", "--vectors", str(vec), "-o", out]) == 0
    assert "zebra" not in ChenManningParser.load(out).words.stoi
    assert main([*args, "--word-embed", "6", "--frozen-vectors", "--vectors", str(vec), "-o", out]) == 0
    frozen = ChenManningParser.load(out)
    assert frozen.config.frozen_vectors and not frozen.net.pretrained.weight.requires_grad
    assert main([*args, "--frozen-vectors", "-o", out]) == 1
    assert "needs a vector file (--vectors FILE)" in capsys.readouterr().err
    assert main([*args, "--word-embed", "5", "--vectors", str(vec), "-o", out]) == 1  # 2 vectors: no 5-dim PCA
    assert "cannot be projected to 5 dimensions" in capsys.readouterr().err
    assert main([*args, "--model", "biaffine", "--word-embed", "6", "-o", str(tmp_path / "b.wsq")]) == 1
    assert "--word-embed does not apply to --model biaffine" in capsys.readouterr().err
