"""A lost process in data-parallel training (torchrun, two CPU processes, gloo): one of them is killed with
SIGKILL after the first checkpoint. The job ends, non-zero and soon (no process waits on the dead one); the
survivor says in one line what happened, which checkpoint holds which epoch and how to continue; the
checkpoint is whole; no temporary file is left; and ``--resume`` under torchrun finishes the run with the
same model as an uninterrupted one, bit for bit. ``lm train`` by default; with ``-m soak`` also either rank
killed, ``tag train`` and ``translate train``, and a process that hangs instead of dying."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch
from crash import ROOT, Job, env, lm_job, same_model, write_corpus

from wordseq.train.checkpoint import load_checkpoint

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(), reason="torch built without gloo"
)

EPOCHS = 6


def _torchrun(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "wordseq", *args]


def _env(tmp_path):
    # a peer that hangs instead of dying is given up on after 20 s (the killed one is noticed at once)
    return {**env(), "WORDSEQ_DIST_TIMEOUT": "20", "WORDSEQ_CACHE": str(tmp_path / "cache")}


def _worker(launcher: psutil.Process, local_rank: int, timeout: float = 60.0) -> psutil.Process:
    """The training process of ``local_rank`` among torchrun's children."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        for child in launcher.children():
            try:
                if child.environ().get("LOCAL_RANK") == str(local_rank):
                    return child
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        time.sleep(0.05)
    raise AssertionError(f"torchrun started no process of local rank {local_rank}")


def _run(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    r = subprocess.run(_torchrun(args), env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_a_killed_process_stops_the_job_with_one_line_and_resume_continues(tmp_path, reliability_report):
    """Rank 1 killed; the resumed run finishes (two torchrun jobs, about 40 s on two busy cores)."""
    _kill_and_resume(tmp_path, 1, False, reliability_report)


@pytest.mark.soak
@pytest.mark.parametrize(("kind", "killed"), [("lm", 0), ("lm", 1), ("tag", 1), ("translate", 0)])
def test_resumed_after_a_lost_process_equals_the_uninterrupted_run(tmp_path, kind, killed, reliability_report):
    """Either rank killed; the resumed run ends with the uninterrupted run's model, bit for bit (the tagger
    and the translation model keep their best epoch's weights in the checkpoint too)."""
    _kill_and_resume(tmp_path, killed, True, reliability_report, kind)


def _job(tmp_path, kind: str) -> Job:
    if kind == "lm":
        return lm_job(tmp_path, write_corpus(tmp_path / "corpus.txt", lines=400), epochs=EPOCHS)
    out = tmp_path / f"{kind}.wsq"
    common = ["-o", str(out), "--epochs", str(EPOCHS), "--embed", "12", "--hidden", "12", "--threads", "1"]
    if kind == "tag":
        sys.path.insert(0, str(ROOT / "tests"))
        from test_ddp import _tagged

        train, dev = _tagged(tmp_path / "train.conllu", 200, 0), _tagged(tmp_path / "dev.conllu", 20, 1)
        args = ["tag", "train", str(train), "--dev", str(dev), "--column", "upos", "--model", "bilstm-crf"]
        args += ["--char-embed", "8", "--char-hidden", "8", "--batch", "8", *common]
    else:
        lines = write_corpus(tmp_path / "src.txt", lines=300).read_text().splitlines()
        (tmp_path / "tgt.txt").write_text("\n".join(" ".join(reversed(t.split())) for t in lines) + "\n")
        args = ["translate", "train", "--src", str(tmp_path / "src.txt"), "--tgt", str(tmp_path / "tgt.txt")]
        args += ["--valid-src", str(tmp_path / "src.txt"), "--valid-tgt", str(tmp_path / "tgt.txt")]
        args += ["--tokenizer", "whitespace", "--batch", "16", *common]
    return Job(kind, args, out, Path(f"{out}.ckpt"), load_checkpoint)


def _signal_after_checkpoint(
    args: list[str], env: dict, checkpoint: Path, rank: int, sig: signal.Signals
) -> tuple[int, str, str, float, bytes]:
    """Start a 2-process torchrun job, send ``sig`` to the process of ``rank`` once the first checkpoint
    exists, and wait for the job: (exit status, stdout, stderr, seconds from the signal to the end, the
    checkpoint's bytes when the signal was sent)."""
    proc = subprocess.Popen(
        _torchrun(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
    )
    try:
        victim = _worker(psutil.Process(proc.pid), rank)
        while not checkpoint.exists():
            assert proc.poll() is None, "the run ended before its first checkpoint"
            time.sleep(0.01)
        before = checkpoint.read_bytes()  # written by a rename: whole whenever it exists
        victim.send_signal(sig)
        t_signal = time.monotonic()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err, time.monotonic() - t_signal, before


def _kill_and_resume(tmp_path, killed: int, compare: bool, figures: dict, kind: str = "lm") -> None:
    job = _job(tmp_path, kind)
    args = [*job.args, "-q"]
    reference = tmp_path / "reference.wsq"
    if compare:
        t0 = time.perf_counter()
        _run(args, tmp_path)  # the uninterrupted run
        job.output.replace(reference)
        job.checkpoint.unlink()
        figures["reference_seconds"] = round(time.perf_counter() - t0, 1)

    returncode, out, err, seconds_to_exit, before = _signal_after_checkpoint(
        args, _env(tmp_path), job.checkpoint, killed, signal.SIGKILL
    )
    assert returncode != 0, out + err
    assert seconds_to_exit < 30, f"the job took {seconds_to_exit:.0f} s to end after the kill"
    assert not job.output.exists(), "the killed run was not stopped before it finished"

    # the survivor's one line (torchrun adds its own report of the failed process, with no wordseq frame in it)
    ours = [line for line in err.splitlines() if line.startswith("wordseq:")]
    assert len(ours) == 1, err
    assert not [t for t in err.splitlines() if t.strip().startswith('File "') and "wordseq" in t], err
    line = ours[0]
    epoch = load_checkpoint(job.checkpoint)["epoch"]  # whole: it loads
    assert job.checkpoint.read_bytes() == before and epoch == 1  # the one written before the kill
    assert line.startswith("wordseq: error: training stopped: another training process of this torchrun job was lost")
    assert (
        f"{job.checkpoint} holds the model, optimizer, schedule and RNG state after epoch {epoch} of {EPOCHS}" in line
    )
    assert line.endswith("run the same torchrun command with --resume to continue"), line
    # the survivor ended by itself (exit status 1), not by torchrun's SIGTERM or SIGKILL
    survivor = re.search(rf"rank\s*:\s*{1 - killed} \(local_rank: {1 - killed}\)\s*\n\s*exitcode\s*:\s*(-?\d+)", err)
    assert survivor and survivor.group(1) == "1", err
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left"

    t1 = time.perf_counter()
    resumed = _run([*args, "--resume"], tmp_path)
    if kind == "lm":  # the one that logs with -q
        assert f"resumed from {job.checkpoint} after epoch {epoch}" in resumed.stdout + resumed.stderr
    load_checkpoint(job.checkpoint)  # the final checkpoint is whole too
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left"
    figures.update(
        {
            "killed_rank": killed,
            "checkpoint_epoch": epoch,
            "seconds_to_exit_after_kill": round(seconds_to_exit, 1),
            "resume_seconds": round(time.perf_counter() - t1, 1),
        }
    )
    if compare:
        assert same_model(job.output, reference), "the resumed model differs from the uninterrupted one"
        figures["identical"] = True


@pytest.mark.soak
def test_a_hung_process_is_given_up_after_the_timeout(tmp_path, reliability_report):
    """Rank 1 stopped (SIGSTOP) instead of killed: rank 0 waits ``WORDSEQ_DIST_TIMEOUT`` (5 s here) in its next
    collective operation, then says the same one line; torchrun then kills the hung process (after its own
    30 s grace for SIGTERM), so the job ends within a minute instead of waiting forever."""
    corpus = write_corpus(tmp_path / "corpus.txt", lines=400)
    job = lm_job(tmp_path, corpus, epochs=EPOCHS)
    environ = {**_env(tmp_path), "WORDSEQ_DIST_TIMEOUT": "5"}
    returncode, _, err, seconds, _ = _signal_after_checkpoint(
        [*job.args, "-q"], environ, job.checkpoint, 1, signal.SIGSTOP
    )
    ours = [line for line in err.splitlines() if line.startswith("wordseq:")]
    assert returncode != 0 and len(ours) == 1, err
    assert "another training process of this torchrun job was lost (gloo: Timed out" in ours[0], err
    assert "run the same torchrun command with --resume to continue" in ours[0], err
    load_checkpoint(job.checkpoint)
    reliability_report["seconds_to_exit_after_stop"] = round(seconds, 1)
