"""Crash consistency of the training commands: kill a run with SIGKILL at random moments, resume it each
time, and check that the final model equals an uninterrupted run's bit for bit and that no file a reader
can open (the model, the checkpoint) was ever partial.

Used by ``test_crash.py`` (a few kills) and by ``make soak`` (many): ``python tests/reliability/crash.py
--kills 30`` prints one JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from wordseq.errors import WordseqError  # noqa: E402
from wordseq.io.modelfile import load_model  # noqa: E402


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("OMP_NUM_THREADS", "1")
    return e


def wordseq(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "wordseq", *args]


# -- the training commands under test ---------------------------------------------------------------------------


def write_corpus(path: Path, lines: int, words: int = 60, seed: int = 0) -> Path:
    """A random-walk corpus: every word has a few successors, so there is something to learn."""
    rng = np.random.default_rng(seed)
    succ = rng.integers(0, words, size=(words, 4))
    out = []
    for _ in range(lines):
        i = int(rng.integers(words))
        sent = []
        for _ in range(int(rng.integers(5, 15))):
            sent.append(f"w{i}")
            i = int(succ[i, rng.integers(4)])
        out.append(" ".join(sent))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@dataclass
class Job:
    """One training command: its arguments without ``--resume``, the model it writes, its checkpoint, and a
    function checking that a file of either kind is whole (raises if not)."""

    name: str
    args: list[str]
    output: Path
    checkpoint: Path
    check_checkpoint: Callable[[Path], object]


def embed_job(tmp: Path, corpus: Path, method: str = "sgns", epochs: int = 8) -> Job:
    out = tmp / f"{method}.wsq"
    args = ["embed", "train", str(corpus), "-o", str(out), "--method", method, "--dim", "24", "--epochs", str(epochs)]
    args += ["--min-count", "1", "--threads", "1", "--window", "3", "--no-cache"]
    return Job(method, args, out, Path(f"{out}.ckpt"), load_model)


def lm_job(tmp: Path, corpus: Path, epochs: int = 6) -> Job:
    from wordseq.train.checkpoint import load_checkpoint

    out = tmp / "lm.wsq"
    args = ["lm", "train", str(corpus), "-o", str(out), "--epochs", str(epochs), "--embed", "16", "--hidden", "16"]
    args += ["--layers", "1", "--batch", "8", "--bptt", "10", "--threads", "1", "--dropout", "0.2"]
    args += ["--optimizer", "sgd", "--lr", "1", "--seed", "3"]
    return Job("lm", args, out, Path(f"{out}.ckpt"), load_checkpoint)


# -- killing and resuming ---------------------------------------------------------------------------------------


def tensors(path: Path) -> dict[str, np.ndarray]:
    """The weights of a model file (the metadata holds dates and timings, which differ between runs)."""
    return load_model(path).tensors


def same_model(a: Path, b: Path) -> bool:
    ta, tb = tensors(a), tensors(b)
    return ta.keys() == tb.keys() and all(ta[k].dtype == tb[k].dtype and np.array_equal(ta[k], tb[k]) for k in ta)


def check_whole(job: Job) -> list[str]:
    """Open the model and the checkpoint as a reader would; the problems found (none expected)."""
    problems = []
    for path, read in ((job.output, load_model), (job.checkpoint, job.check_checkpoint)):
        if path.exists():
            try:
                read(path)
            except WordseqError as e:
                problems.append(f"{path.name}: {e}")
    return problems


@dataclass
class CrashReport:
    job: str
    kills: int = 0
    kills_after_a_checkpoint: int = 0
    runs: int = 0
    identical: bool = False
    partial_files_seen: list[str] = field(default_factory=list)
    leftover_temporary_files: int = 0
    ctrl_c_exit_status: int | None = None
    ctrl_c_message: str = ""
    reference_seconds: float = 0.0
    seconds: float = 0.0


def _ctrl_c_heard() -> None:
    """In the child before it starts: SIGINT back to its default, so that Python turns it into KeyboardInterrupt
    even when the tests run as a background job (a shell starts those with SIGINT ignored, and children inherit
    that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_change(path: Path, proc: subprocess.Popen, before: float | None, timeout: float) -> bool:
    """Wait until ``path`` is written anew (its mtime changes) or the process ends; whether it changed."""
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < timeout:
        try:
            if path.stat().st_mtime_ns != before:
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    return False


def crash_and_resume(
    job: Job, reference: Path, kills: int, rng: random.Random, mode: str = "random", ctrl_c_last: bool = False
) -> CrashReport:
    """Run ``job`` to the end through ``kills`` SIGKILLs, resuming after each; compare with ``reference``
    (the uninterrupted run's model). ``mode``: ``random`` kills at a uniform moment of the reference run's
    duration; ``checkpoint`` kills at a random moment up to 50 ms after a checkpoint was written (so every
    kill interrupts training that has a checkpoint to resume from). ``ctrl_c_last``: the last interruption
    is a SIGINT (Ctrl-C), whose one-line message is kept in ``ctrl_c_message``."""
    report = CrashReport(job.name)
    t0 = time.perf_counter()
    for path in (job.output, job.checkpoint):
        path.unlink(missing_ok=True)
    t_ref = float(os.environ.get("WORDSEQ_REFERENCE_SECONDS", "0")) or 10.0
    changed = False
    while True:
        last = report.kills >= kills or report.runs >= 5 * kills + 2
        resume = job.checkpoint.exists()
        proc = subprocess.Popen(
            wordseq(job.args + (["--resume"] if resume else [])),
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_ctrl_c_heard,
        )
        report.runs += 1
        if last:
            _, err = proc.communicate(timeout=900)
            if proc.returncode != 0:
                raise RuntimeError(f"the final run of {job.name} failed: {err.decode(errors='replace')[-2000:]}")
            break
        if mode == "checkpoint":
            before = job.checkpoint.stat().st_mtime_ns if job.checkpoint.exists() else None
            changed = _wait_for_change(job.checkpoint, proc, before, timeout=300)
            time.sleep(rng.uniform(0, 0.05))
        else:
            time.sleep(rng.uniform(0, t_ref))
        ctrl_c = ctrl_c_last and report.kills == kills - 1
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT if ctrl_c else signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
        report.partial_files_seen += check_whole(job)
        if job.output.exists():  # the run had finished (or was exiting) when the signal came: start afresh
            job.output.unlink()
            job.checkpoint.unlink(missing_ok=True)
            continue
        report.kills += 1
        report.kills_after_a_checkpoint += changed
        if ctrl_c:
            report.ctrl_c_exit_status = proc.returncode
            report.ctrl_c_message = err.decode(errors="replace").strip()
    report.identical = same_model(job.output, reference)
    report.partial_files_seen += check_whole(job)
    report.leftover_temporary_files = sum(1 for p in job.output.parent.iterdir() if p.name.startswith("."))
    report.seconds = round(time.perf_counter() - t0, 1)
    report.reference_seconds = t_ref
    return report


def reference_run(job: Job, copy_to: Path, in_process: bool = False) -> float:
    """Run ``job`` uninterrupted (in a subprocess, or in this process to save the start-up); move its model to
    ``copy_to``; return the seconds it took."""
    for path in (job.output, job.checkpoint):
        path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if in_process:
        import contextlib
        import io

        from wordseq.cli import main as cli_main

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli_main(job.args)
        if code != 0:
            raise RuntimeError(f"the reference run of {job.name} failed: {err.getvalue()[-2000:]}")
    else:
        r = subprocess.run(wordseq(job.args), env=env(), capture_output=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(f"the reference run of {job.name} failed: {r.stderr.decode(errors='replace')[-2000:]}")
    seconds = time.perf_counter() - t0
    job.output.replace(copy_to)
    job.checkpoint.unlink(missing_ok=True)
    return seconds


def run(tmp: Path, jobs: list[str], kills: int, seed: int, mode: str, lines: int) -> list[CrashReport]:
    corpus = write_corpus(tmp / "corpus.txt", lines)
    made = {"sgns": lambda: embed_job(tmp, corpus, "sgns"), "glove": lambda: embed_job(tmp, corpus, "glove")}
    made["lm"] = lambda: lm_job(tmp, corpus)
    reports = []
    rng = random.Random(seed)
    for name in jobs:
        job = made[name]()
        reference = tmp / f"reference-{name}.wsq"
        seconds = reference_run(job, reference)
        os.environ["WORDSEQ_REFERENCE_SECONDS"] = f"{seconds:.2f}"
        reports.append(crash_and_resume(job, reference, kills, rng, mode))
    return reports


def main(argv: list[str] | None = None) -> int:
    import tempfile

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=20, help="SIGKILLs per training command")
    p.add_argument("--jobs", nargs="*", default=["sgns", "glove", "lm"], choices=["sgns", "glove", "lm"])
    p.add_argument("--mode", choices=["random", "checkpoint"], default="random")
    p.add_argument("--lines", type=int, default=3000, help="corpus lines")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wordseq-crash-") as tmp:
        reports = run(Path(tmp), args.jobs, args.kills, args.seed, args.mode, args.lines)
    print(json.dumps([r.__dict__ for r in reports], indent=1))
    return 0 if all(r.identical and not r.partial_files_seen for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
