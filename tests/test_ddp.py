"""Data-parallel training: two CPU processes (torchrun, gloo) train the same model as one process does on the
same global batch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from support import ROOT
from wordseq.lm.neural import NeuralLM, build_network


def _corpus(path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(25)]
    path.write_text("\n".join(" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(200)) + "\n")
    return path


def _train(args, nproc, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "OMP_NUM_THREADS": "1",
        "WORDSEQ_CACHE": str(tmp_path / f"cache{nproc}"),
    }
    if nproc == 1:
        cmd = [sys.executable, "-m", "wordseq", *args]
    else:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={nproc}",
            "-m",
            "wordseq",
            *args,
        ]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(), reason="torch built without gloo"
)
def test_two_processes_match_one_on_the_same_global_batch(tmp_path):
    corpus = _corpus(tmp_path / "c.txt")
    common = [
        "lm",
        "train",
        str(corpus),
        "--valid",
        str(corpus),
        "--embed",
        "16",
        "--hidden",
        "16",
        "--layers",
        "2",
        "--batch",
        "8",
        "--bptt",
        "10",
        "--epochs",
        "2",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--momentum",
        "0.5",
        "--clip",
        "1",
        "--schedule",
        "step",
        "--decay-start",
        "1",
        "-q",
        "--threads",
        "1",
    ]
    one = _train(common + ["-o", str(tmp_path / "one.wsq")], 1, tmp_path)
    two = _train(common + ["-o", str(tmp_path / "two.wsq")], 2, tmp_path)
    one_lm = NeuralLM.load(tmp_path / "one.wsq")
    a, b = one_lm.network, NeuralLM.load(tmp_path / "two.wsq").network
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5, msg=name)
    # the per-epoch training losses (summed over both processes) agree too
    loss = lambda out: [
        line.split("train loss ")[1].split()[0] for line in out.stdout.splitlines() if "train loss" in line
    ]
    assert loss(one) == loss(two) and len(loss(one)) == 2
    # and training moved the weights well away from the shared initialization, so the match is not trivial
    torch.manual_seed(0)
    init = build_network(one_lm.config, len(one_lm.vocab))
    moved = max(float((p - q).abs().max()) for p, q in zip(a.state_dict().values(), init.state_dict().values()))
    assert moved > 1e-2
