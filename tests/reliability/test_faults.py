"""Faults around the files: a full disk, a read-only folder, an output folder that does not exist (or cannot),
a corpus deleted while it is read, a writer killed mid-write. Each is one clear line (exit 1, naming the file)
and the previous output is left intact. The full and read-only disks are real (a small tmpfs, mounted when
this runs as root and mounting is allowed; skipped otherwise)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from crash import env, wordseq, write_corpus

from wordseq.cli import main as cli_main
from wordseq.embed.formats import write_vectors
from wordseq.io.atomic import atomic_write


@pytest.fixture
def run(capsys):
    """``wordseq ARGS`` in this process; returns the exit status and stderr."""

    def go(*args: str) -> SimpleNamespace:
        capsys.readouterr()
        code = cli_main([str(a) for a in args])
        out = capsys.readouterr()
        return SimpleNamespace(code=code, err=out.err, out=out.out)

    return go


@pytest.fixture
def tmpfs(tmp_path):
    """A 96 KiB tmpfs, or a skip where this process may not mount one."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _vectors(path: Path, n: int = 400, dim: int = 50) -> Path:
    rng = np.random.default_rng(0)
    return write_vectors(
        path, [f"w{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32), None, "word2vec"
    )


def _one_line_error(r, path: Path, reason: str) -> None:
    assert r.code == 1, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.err, r.err
    assert lines[0].startswith("wordseq: error: ") and str(path) in lines[0] and reason in lines[0], r.err


def _hidden(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_full_disk(tmp_path, tmpfs, run, reliability_report):
    vectors = _vectors(tmp_path / "big.txt")  # about 400 KB of text: more than the disk holds
    corpus = write_corpus(tmp_path / "corpus.txt", lines=3000)
    old = b"the previous file\n"
    tried = 0
    for out, args in [
        (tmpfs / "out.txt", ["embed", "convert", vectors, tmpfs / "out.txt", "--to", "word2vec"]),
        (tmpfs / "out.bin", ["embed", "convert", vectors, tmpfs / "out.bin", "--to", "word2vec-bin"]),
        (tmpfs / "out.wsq", ["embed", "convert", vectors, tmpfs / "out.wsq"]),
        (tmpfs / "vocab.tsv", ["vocab", corpus, "-o", tmpfs / "vocab.tsv", "--no-cache"]),
    ]:
        out.write_bytes(old)
        filler = tmpfs / "filler"  # the disk is filled to the last page
        with contextlib.suppress(OSError), open(filler, "wb") as f:
            for _ in range(1 << 10):
                f.write(b"x" * 1024)
                f.flush()
        r = run(*args)
        tried += 1
        _one_line_error(r, out, "no space left on device")
        assert out.read_bytes() == old
        assert not _hidden(tmpfs)
        filler.unlink()
    reliability_report["full_disk_faults"] = tried


def test_full_disk_during_training_keeps_the_last_checkpoint(tmp_path, tmpfs, run):
    corpus = write_corpus(tmp_path / "corpus.txt", lines=400)
    out = tmpfs / "vec.wsq"
    out.write_bytes(b"old")
    with contextlib.suppress(OSError), open(tmpfs / "filler", "wb") as f:
        f.write(b"x" * (80 << 10))
    r = run("embed", "train", corpus, "-o", out, "--dim", "200", "--min-count", "1", "--epochs", "2", "--threads", "1")
    _one_line_error(r, tmpfs / "vec.wsq.ckpt", "no space left on device")
    assert out.read_bytes() == b"old" and not (tmpfs / "vec.wsq.ckpt").exists() and not _hidden(tmpfs)


def test_read_only_folder(tmp_path, tmpfs, run, reliability_report):
    vectors = _vectors(tmp_path / "v.txt", n=20, dim=4)
    out = tmpfs / "out.wsq"
    out.write_bytes(b"old")
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)]).returncode == 0
    tried = 0
    for target in (out, tmpfs / "new.wsq", tmpfs / "sub" / "new.wsq"):
        r = run("embed", "convert", vectors, target)
        tried += 1
        assert r.code == 1 and "read-only file system" in r.err and str(target) in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmpfs.iterdir()) == ["out.wsq"]
    reliability_report["read_only_faults"] = tried


def test_output_folder_that_does_not_exist_is_made(tmp_path, run):
    vectors = _vectors(tmp_path / "v.txt", n=20, dim=4)
    out = tmp_path / "a" / "b" / "c" / "out.wsq"
    assert run("embed", "convert", vectors, out).code == 0
    assert out.exists()


def test_output_folder_that_cannot_exist(tmp_path, run):
    vectors = _vectors(tmp_path / "v.txt", n=20, dim=4)
    (tmp_path / "file").write_text("a file, not a folder")
    out = tmp_path / "file" / "out.wsq"
    r = run("embed", "convert", vectors, out)
    _one_line_error(r, out, "is a file")
    assert (tmp_path / "file").read_text() == "a file, not a folder"


def test_corpus_deleted_between_hashing_and_reading(tmp_path, run, monkeypatch):
    """The corpus is read twice (hashed for the cache, then encoded): gone in between, it is one line."""
    import wordseq.text.encode as encode

    corpus = write_corpus(tmp_path / "corpus.txt", lines=200)
    real = encode.fingerprint

    def then_delete(paths):
        digest = real(paths)
        corpus.unlink()
        return digest

    monkeypatch.setattr(encode, "fingerprint", then_delete)
    r = run("embed", "train", corpus, "-o", tmp_path / "v.wsq", "--min-count", "1", "--epochs", "1")
    _one_line_error(r, corpus, "no such file")
    assert not (tmp_path / "v.wsq").exists()


def test_corpus_deleted_while_it_is_read(tmp_path):
    """Unlinked while open, a file stays readable on Linux through the open handle: the run either completes
    (what happens here when the deletion comes after the file was opened) or stops with one line naming the
    corpus (when it comes before a second opening); never a traceback, never a partial output."""
    corpus = write_corpus(tmp_path / "corpus.txt", lines=60000)
    out = tmp_path / "v.wsq"
    args = ["embed", "train", str(corpus), "-o", str(out), "--min-count", "1", "--epochs", "1", "--dim", "8"]
    proc = subprocess.Popen(wordseq(args + ["--no-cache"]), env=env(), stderr=subprocess.PIPE, text=True)
    fd_dir = Path(f"/proc/{proc.pid}/fd")
    t0 = time.monotonic()
    deleted_while_open = False
    while proc.poll() is None and time.monotonic() - t0 < 60:
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == str(corpus) for fd in fd_dir.iterdir()):
                corpus.unlink()
                deleted_while_open = True
                break
        time.sleep(0.001)
    _, err = proc.communicate(timeout=300)
    assert deleted_while_open
    if proc.returncode == 0:
        assert out.exists()
    else:
        assert proc.returncode == 1 and str(corpus) in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()


def test_temporary_files_of_killed_writers_are_removed(tmp_path):
    """A writer killed mid-write leaves its temporary file; the next successful write of that file removes it
    (it is a dead process's), but never the temporary file of a writer that is still running."""
    target = tmp_path / "model.wsq"
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[1]);"
        "from wordseq.io.atomic import atomic_write;"
        "cm = atomic_write(sys.argv[2]); f = cm.__enter__(); f.write(b'partial'); f.flush(); os._exit(9)"
    )
    for _ in range(3):
        subprocess.run([sys.executable, "-c", code, str(Path(__file__).parents[2] / "src"), str(target)], check=False)
    assert len(_hidden(tmp_path)) == 3 and not target.exists()
    stale = set(_hidden(tmp_path))
    with atomic_write(target) as f:  # a live writer's temporary file survives the cleaning
        f.write(b"first")
        (live,) = set(_hidden(tmp_path)) - stale
        with atomic_write(target) as g:
            g.write(b"second")
        assert _hidden(tmp_path) == [live]
    assert target.read_bytes() == b"first" and _hidden(tmp_path) == []
