"""``wordseq serve``: the command's line once listening, its warning off 127.0.0.1, its errors, and a real
server process answering over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from wordseq.cli import main
from wordseq.embed.vectors import Vectors, save_vectors

SERVING = re.compile(r"^serving (\d+) models? at (http://127\.0\.0\.1:\d+/)$")


@pytest.fixture
def vectors_file(tmp_path) -> Path:
    words = ["king", "queen", "man", "woman", "apple"]
    return save_vectors(Vectors(words, np.random.default_rng(0).normal(size=(5, 4))), tmp_path / "vec-a.wsq")


@pytest.fixture
def no_serving(monkeypatch):
    """uvicorn's serve loop replaced by a record of the sockets it was given (nothing listens for long)."""
    import uvicorn

    calls = []

    def run(self, sockets=None):
        calls.append((self.config, [s.getsockname() for s in sockets]))

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return calls


def test_prints_one_line_with_the_url_and_serves_the_named_models(vectors_file, no_serving, capsys):
    assert main(["serve", str(vectors_file), "--name", f"other={vectors_file}", "--port", "0"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    (line,) = out.splitlines()
    m = SERVING.match(line)
    assert m and m.group(1) == "2", line
    ((config, addresses),) = no_serving
    assert addresses[0][0] == "127.0.0.1" and m.group(2).endswith(f":{addresses[0][1]}/")
    served = config.app.state.served
    assert sorted(served) == ["other", "vec-a"]
    assert served["vec-a"].path_name == "vec-a.wsq"


def test_warns_when_not_bound_to_localhost(vectors_file, no_serving, capsys):
    assert main(["serve", str(vectors_file), "--host", "0.0.0.0", "--port", "0"]) == 0
    out, err = capsys.readouterr()
    assert "warning" in err and "0.0.0.0" in err and "127.0.0.1" in err
    assert out.startswith("serving 1 model at http://0.0.0.0:")


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "at least one model"),
        (["missing.wsq"], "no such file"),
        (["{vec}", "--port", "70000"], "--port"),
        (["{vec}", "--max-tokens", "0"], "--max-tokens"),
        (["{vec}", "--name", "bad"], None),
    ],
)
def test_errors_are_one_line(vectors_file, no_serving, capsys, args, message):
    args = [a.replace("{vec}", str(vectors_file)) for a in args]
    try:
        code = main(["serve", *args])
    except SystemExit as e:  # argparse refuses NAME without =PATH
        code = e.code
    out, err = capsys.readouterr()
    assert code in (1, 2) and out == ""
    assert "Traceback" not in err
    if message:
        assert message in err
    assert not no_serving


def test_a_server_process_answers_on_localhost(vectors_file):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    cmd = [sys.executable, "-m", "wordseq", "serve", str(vectors_file), "--port", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline().strip()
        m = SERVING.match(line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        url = m.group(2)
        with urllib.request.urlopen(url + "api/models", timeout=20) as r:
            assert json.load(r)["models"][0]["name"] == "vec-a"
        request = urllib.request.Request(
            url + "api/vec-a/neighbors", data=b'{"word": "king", "topn": 2}', method="POST"
        )
        with urllib.request.urlopen(request, timeout=20) as r:
            assert len(json.load(r)["neighbors"]) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_arpa_files_are_served_as_ngram_models(tmp_path):
    import warnings

    from wordseq.lm.ngram import NgramModel
    from wordseq.serve.app import create_app
    from wordseq.serve.registry import load_models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NgramModel(order=3, smoothing="mkn").fit(["the cat sat", "the dog sat", "a cat ran"])
        path = model.save(tmp_path / "small.arpa")
        from starlette.testclient import TestClient

    served = load_models([path])
    assert served["small"].kind == "ngram" and served["small"].path_name == "small.arpa"
    client = TestClient(create_app(served))
    data = client.post("/api/small/score", json={"text": "the cat sat"}).json()
    assert data["perplexity"] == pytest.approx(model.evaluate(["the cat sat"]).perplexity, rel=1e-5)
    lines = client.post("/api/small/generate", json={"prompt": "the", "temperature": 0}).text.splitlines()
    assert json.loads(lines[-1])["text"] == "the cat sat"
