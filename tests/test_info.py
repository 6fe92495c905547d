"""``wordseq info``: the summary of every model file today's commands write, its JSON form, and one clear
error for truncated, corrupt, pickled and foreign files."""

from __future__ import annotations

import gzip
import json
import pickle
import random
import re

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from wordseq import models
from wordseq.cli import main
from wordseq.estimator import LayerInfo, ModelSummary
from wordseq.io.modelfile import load_model, read_metadata

KEYS = {
    "kind",
    "config",
    "vocab_size",
    "layers",
    "provenance",
    "metrics",
    "extra",
    "file",
    "file_bytes",
    "integrity",
    "total_params",
    "trainable_params",
}


def _corpus(path):
    rng = random.Random(0)
    words = ["the", "cat", "dog", "sat", "on", "mat", "a", "ran", "fast", "slow", "big", "red"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))) for _ in range(200)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every kind of model file, made by the commands users run, with tiny settings."""
    d = tmp_path_factory.mktemp("models")
    corpus = str(_corpus(d / "corpus.txt"))
    files = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORDSEQ_CACHE", str(d / "cache"))
        files["w2v"] = d / "w2v.wsq"
        assert main(["embed", "train", corpus, "-o", str(files["w2v"]), "--dim", "8", "--epochs", "1"] + ["-q"]) == 0
        assert main(["embed", "convert", str(files["w2v"]), str(d / "v.txt"), "--to", "word2vec", "-q"]) == 0
        files["vectors"] = d / "vectors.wsq"
        assert main(["embed", "convert", str(d / "v.txt"), str(files["vectors"]), "-q"]) == 0
        files["ngram"] = d / "ngram.wsq"
        assert main(["lm", "ngram", corpus, "-n", "3", "-o", str(files["ngram"]), "-q"]) == 0
        files["arpa"] = d / "ngram.arpa"
        assert main(["lm", "ngram", corpus, "-n", "3", "-o", str(files["arpa"]), "-q"]) == 0
        files["neural"] = d / "lstm.wsq"
        tiny = ["--hidden", "8", "--embed", "8", "--epochs", "1", "--batch", "4", "--bptt", "5", "--threads", "1"]
        assert main(["lm", "train", corpus, "-o", str(files["neural"]), *tiny, "-q"]) == 0
    return files


def _info(capsys, *args):
    code = main(["info", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _vocab_size(stored):
    """Vector models count the words that have a vector (reserved tokens have none); the others, every entry."""
    if "vectors" in stored.tensors:
        return len(stored.tensors["vectors"])
    return len(stored.vocab)


def _stored_elements(path):
    return sum(a.size for name, a in load_file(str(path)).items() if not name.startswith("__vocab__."))


@pytest.mark.parametrize("name", ["w2v", "vectors", "ngram", "neural"])
def test_text_summary_of_every_model_file(built, capsys, name):
    path = built[name]
    meta = read_metadata(path)
    stored = load_model(path)
    code, out, err = _info(capsys, path)
    assert code == 0 and err == ""
    assert re.search(rf"^kind +{re.escape(meta['kind'])}$", out, re.M)
    assert f"file        {path} ({path.stat().st_size:,} bytes)" in out
    assert f"integrity   ok (blake2b {meta['digest']})" in out
    assert f"vocabulary  {_vocab_size(stored):,} entries" in out
    assert "configuration" in out and "provenance" in out
    assert re.search(r"^  wordseq_version +\S+", out, re.M)
    assert re.search(r"^  total (parameters|elements) +[\d,]+$", out, re.M)


@pytest.mark.parametrize("name", ["w2v", "vectors", "ngram", "neural"])
def test_json_summary(built, capsys, name):
    path = built[name]
    code, out, _ = _info(capsys, path, "--json")
    assert code == 0
    d = json.loads(out)
    assert set(d) >= KEYS
    meta = read_metadata(path)
    assert d["kind"] == meta["kind"]
    assert d["file"] == str(path) and d["file_bytes"] == path.stat().st_size
    assert d["integrity"] == f"ok (blake2b {meta['digest']})"
    assert d["vocab_size"] == _vocab_size(load_model(path))
    assert d["provenance"]["wordseq_version"] == meta["provenance"]["wordseq_version"]
    assert d["layers"] and all(set(row) >= {"name", "type", "output_shape", "params"} for row in d["layers"])
    assert d["total_params"] == sum(row["params"] for row in d["layers"])


def test_neural_lm_parameter_count_matches_training(built, capsys):
    """The total agrees with the count `lm train` printed and with the tensors in the file."""
    path = built["neural"]
    d = models.summarize(path)
    assert d.total_params == _stored_elements(path)
    history = read_metadata(path)["provenance"]["history"]
    assert d.metrics and all(history[-1][k] == v for k, v in d.metrics.items() if k in history[-1])
    assert len(d.metrics) > 0


def test_generic_summary_lists_every_tensor(built, monkeypatch):
    """A family without summary(): one row per stored tensor (name, dtype, shape, elements)."""
    monkeypatch.setattr(models, "load", lambda path: object())
    for name in ["w2v", "ngram", "neural"]:
        path = built[name]
        stored = load_file(str(path))
        s = models.summarize(path)
        assert s.layer_kind == "tensors"
        rows = {r.name: r for r in s.layers}
        weights = {k: v for k, v in stored.items() if not k.startswith("__vocab__.")}
        assert set(rows) == set(weights)
        for k, array in weights.items():
            assert rows[k].type == str(array.dtype)
            assert rows[k].output_shape == str(tuple(array.shape))
            assert rows[k].params == array.size
        assert "tensor" in s.text() and "total elements" in s.text()
    ngram = models.summarize(built["ngram"])
    assert ngram.extra["ngrams"] == read_metadata(built["ngram"])["extra"]["ngrams"]


def test_family_summary_is_used_and_completed(built, monkeypatch):
    class WithSummary:
        def summary(self):
            return ModelSummary("neural-lm", {"hidden": 8}, 16, [LayerInfo("decoder", "Linear", "(*, 16)", 144)])

    monkeypatch.setattr(models, "load", lambda path: WithSummary())
    s = models.summarize(built["neural"])
    assert [r.name for r in s.layers] == ["decoder"] and s.layer_kind == "layers"
    assert s.integrity.startswith("ok (blake2b ") and s.file == str(built["neural"])
    assert s.provenance["wordseq_version"] and s.metrics
    text = s.text()
    assert "output shape" in text and "total parameters      144" in text


def _arpa_counts(path, opener=open):
    """n-grams per order, counted from the sections of the file (not from its header)."""
    counts, order = {}, None
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            m = re.fullmatch(r"\\(\d+)-grams:", line)
            if m:
                order = int(m.group(1))
                counts[order] = 0
            elif line.startswith("\\"):
                order = None
            elif line and order:
                counts[order] += 1
    return counts


def test_arpa_summary(built, capsys, tmp_path):
    path = built["arpa"]
    counts = _arpa_counts(path)
    for target in [path, tmp_path / "m.arpa.gz"]:
        if target != path:
            target.write_bytes(gzip.compress(path.read_bytes()))
        code, out, _ = _info(capsys, target, "--json")
        assert code == 0
        d = json.loads(out)
        assert set(d) >= KEYS
        assert d["kind"] == "arpa" and d["config"] == {"order": 3}
        assert d["extra"]["ngrams"] == {str(n): c for n, c in counts.items()}
        assert d["vocab_size"] == counts[1]
        assert d["integrity"].startswith("not checked")
    code, out, _ = _info(capsys, path)
    assert code == 0 and re.search(r"^kind +arpa$", out, re.M) and re.search(r"^ngrams\.3 +[\d,]+$", out, re.M)


def _bad_files(built, d):
    good = built["ngram"].read_bytes()
    cases = {}
    cases["truncated"] = (d / "truncated.wsq", good[: len(good) // 2], "truncated")
    cases["header-cut"] = (d / "header.wsq", good[:20], "truncated")
    cases["empty"] = (d / "empty.wsq", b"", "truncated or empty")
    flipped = bytearray(good)
    flipped[-1] ^= 0xFF
    cases["corrupt"] = (d / "corrupt.wsq", bytes(flipped), "checksum mismatch")
    cases["pickle"] = (d / "model.wsq", pickle.dumps({"weights": [1, 2, 3]}), "pickle")
    cases["zip"] = (d / "model.pt", b"PK\x03\x04" + b"\0" * 60, "zip archive")
    cases["torch-save"] = (d / "ckpt.wsq", None, "zip archive")
    import torch

    torch.save({"w": torch.zeros(3)}, d / "ckpt.wsq")
    save_file({"w": np.zeros(3, dtype=np.float32)}, str(d / "foreign.safetensors"))
    cases["foreign"] = (d / "foreign.safetensors", None, "not a wordseq model")
    cases["text"] = (d / "notes.txt", b"just some words\n", "not a wordseq model file")
    cases["bad-arpa"] = (d / "bad.arpa", b"hello\n", "not an ARPA file")
    cases["bad-arpa-header"] = (d / "bad2.arpa", b"\\data\\\nngram 1=3\nngram two=5\n", "bad ARPA header line")
    cases["missing"] = (d / "missing.wsq", None, "no such file")
    cases["folder"] = (d, None, "is a directory")
    return cases


CASES = [
    "truncated",
    "header-cut",
    "empty",
    "corrupt",
    "pickle",
    "zip",
    "torch-save",
    "foreign",
    "text",
    "bad-arpa",
    "bad-arpa-header",
    "missing",
    "folder",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_files_give_one_line_naming_the_file(built, capsys, tmp_path, case):
    path, content, message = _bad_files(built, tmp_path)[case]
    if content is not None:
        path.write_bytes(content)
    code, out, err = _info(capsys, path)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"wordseq: error: {path}"), lines[0]
    assert message in lines[0]
    if case == "bad-arpa-header":
        assert f"{path}:3:" in lines[0]
