"""Crash consistency: training killed with SIGKILL and resumed ends bit-identical to an uninterrupted run, and
no reader ever sees a partial model or checkpoint; Ctrl-C says what the checkpoint holds and how to continue.
The killing happens in crash.py (also run by ``make soak`` with many kills)."""

from __future__ import annotations

import random

import pytest
from crash import crash_and_resume, embed_job, lm_job, reference_run, write_corpus


def _crash(tmp_path, monkeypatch, make_job, kills, mode, seed, figures, ctrl_c_last=False):
    job = make_job(tmp_path)
    reference = tmp_path / f"reference-{job.name}.wsq"
    # random kills need the whole process's duration (start-up included); checkpoint kills save the start-up
    seconds = reference_run(job, reference, in_process=mode == "checkpoint")
    monkeypatch.setenv("WORDSEQ_REFERENCE_SECONDS", f"{seconds:.2f}")
    report = crash_and_resume(job, reference, kills, random.Random(seed), mode, ctrl_c_last=ctrl_c_last)
    figures.update({k: v for k, v in report.__dict__.items() if k != "ctrl_c_message"})
    assert report.kills == kills
    assert not report.partial_files_seen
    assert report.leftover_temporary_files == 0  # those of killed writers are removed by the next write
    assert report.identical, f"{job.name}: the resumed model differs from the uninterrupted one"
    if ctrl_c_last:  # Ctrl-C: one line naming the checkpoint, what it holds and how to continue
        message = report.ctrl_c_message
        assert report.ctrl_c_exit_status == 130 and "Traceback" not in message, message
        last = message.splitlines()[-1]
        assert last.startswith("wordseq: interrupted; ") and f"{job.checkpoint} holds the " in last, message
        assert "after epoch " in last and "run the same command with --resume to continue" in last, message


@pytest.mark.parametrize("method", ["sgns", "lm"])
def test_killed_and_interrupted_training_resumes_to_the_same_model(tmp_path, monkeypatch, method, reliability_report):
    """One SIGKILL, then one Ctrl-C, each after a checkpoint; then the run is resumed to its end."""
    corpus = write_corpus(tmp_path / "corpus.txt", lines=800 if method == "lm" else 3000)
    make = (lambda t: lm_job(t, corpus, epochs=4)) if method == "lm" else (lambda t: embed_job(t, corpus, method, 20))
    _crash(tmp_path, monkeypatch, make, 2, "checkpoint", 1, reliability_report, ctrl_c_last=True)


@pytest.mark.soak
@pytest.mark.parametrize("method", ["sgns", "cbow", "glove", "lm"])
@pytest.mark.parametrize("mode", ["random", "checkpoint"])
def test_many_kills(tmp_path, monkeypatch, method, mode, reliability_report):
    corpus = write_corpus(tmp_path / "corpus.txt", lines=3000)
    make = (lambda t: lm_job(t, corpus)) if method == "lm" else (lambda t: embed_job(t, corpus, method))
    _crash(tmp_path, monkeypatch, make, 25, mode, 7, reliability_report, ctrl_c_last=mode == "checkpoint")
