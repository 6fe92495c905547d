"""Atomic writes: the file gets the umask's mode, and a full disk or a forbidden folder is one clear error
that leaves the previous file intact and no temporary file behind."""

import errno
import os
import stat

import pytest

from wordseq.cli import main
from wordseq.errors import OutputError
from wordseq.io import atomic
from wordseq.io.atomic import atomic_path, atomic_write, current_umask


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _write_with_atomic_write(path):
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write("new\n")


def _write_with_atomic_path(path):
    with atomic_path(path) as tmp:
        tmp.write_text("new\n", encoding="utf-8")


WRITERS = [_write_with_atomic_write, _write_with_atomic_path]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_umask_mode(tmp_path, umask, writer, mask, expected):
    umask(mask)
    assert current_umask() == mask
    target = tmp_path / "out.txt"
    writer(target)
    assert target.read_text() == "new\n"
    assert _mode(target) == expected
    # and the same mode when the file is replaced
    writer(target)
    assert _mode(target) == expected


def test_current_umask_without_proc(monkeypatch, umask):
    umask(0o027)
    real_open = open

    def no_proc(name, *args, **kwargs):
        if str(name).startswith("/proc/"):
            raise FileNotFoundError(name)
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_proc)
    assert current_umask() == 0o027
    assert current_umask() == 0o027  # reading it did not change it


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _leftovers(folder, keep="out.txt"):
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


@pytest.mark.parametrize("writer", WRITERS)
def test_full_disk_at_fsync_or_write(tmp_path, monkeypatch, writer):
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    monkeypatch.setattr(os, "fsync", _enospc)
    monkeypatch.setattr(os, "replace", _enospc)  # atomic_path has no fsync of its own: fail at the rename
    with pytest.raises(OutputError, match=r"out\.txt: cannot write: no space left on device$"):
        writer(target)
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_full_disk_inside_the_writer(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with pytest.raises(OutputError, match="no space left on device") as info, atomic_write(target, "wb") as f:
        f.write(b"partial")
        _enospc()  # what f.write raises when the disk fills
    assert str(target) in str(info.value)
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("code,reason", [(errno.EDQUOT, "disk quota exceeded"), (errno.EROFS, "read-only file system")])
def test_other_place_errors(tmp_path, code, reason):
    target = tmp_path / "out.txt"
    with pytest.raises(OutputError, match=reason), atomic_path(target) as tmp:
        raise OSError(code, os.strerror(code), str(tmp))
    assert _leftovers(tmp_path, keep="") == []


def _no_room(path):
    return os.statvfs_result((4096, 4096, 1000, 0, 0, 100, 0, 0, 0, 255))


def test_foreign_writer_error_on_full_disk_is_translated(tmp_path, monkeypatch):
    """torch.save reports a full disk as RuntimeError('... unexpected pos ...'); the free space tells."""
    target = tmp_path / "ckpt.pt"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "statvfs", _no_room)
    with pytest.raises(OutputError, match=r"ckpt\.pt: cannot write: no space left on device"), atomic_path(target):
        raise RuntimeError("[enforce fail at inline_container.cc:778] . PytorchStreamWriter failed: unexpected pos 64")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, keep="ckpt.pt") == []


def test_foreign_writer_error_caused_by_enospc_is_translated(tmp_path):
    target = tmp_path / "ckpt.pt"
    with pytest.raises(OutputError, match="no space left on device"), atomic_path(target):
        try:
            _enospc()
        except OSError as e:
            raise RuntimeError("write failed") from e


def test_bugs_stay_bugs(tmp_path):
    """Errors that have nothing to do with the output's place are not disguised (the disk has room here)."""
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError, match="a bug"), atomic_path(target):
        raise RuntimeError("a bug")
    with pytest.raises(ValueError), atomic_write(target):
        raise ValueError("another")
    # an EACCES on some other file (an input read while writing) is not blamed on the output
    with pytest.raises(PermissionError), atomic_write(target):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "input.txt"))
    assert _leftovers(tmp_path, keep="") == []


@pytest.mark.parametrize("writer", WRITERS)
def test_folder_that_cannot_be_created(tmp_path, writer):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "sub" / "out.txt"
    with pytest.raises(OutputError, match=r"out\.txt: cannot write: cannot create its folder .*afile/sub: a part"):
        writer(target)


@pytest.mark.parametrize("writer", WRITERS)
def test_forbidden_folder(tmp_path, monkeypatch, writer):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".out.txt.x.tmp"))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match=r"out\.txt: cannot write: cannot create a file in .*: permission denied$"):
        writer(tmp_path / "out.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("writer", WRITERS)
def test_read_only_folder(tmp_path, writer):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.txt").write_text("old\n")
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            writer(folder / "out.txt")
        assert (folder / "out.txt").read_text() == "old\n"
    finally:
        folder.chmod(0o755)


def test_cli_full_disk_is_one_line(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b a\n" * 5)
    out = tmp_path / "vocab.tsv"
    out.write_text("old\n")
    monkeypatch.setattr(os, "fsync", _enospc)
    assert main(["vocab", str(corpus), "-o", str(out), "--no-cache", "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"wordseq: error: {out}: cannot write: no space left on device"]
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "vocab.tsv"]


def test_cli_unwritable_folder_is_one_line(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    assert main(["vocab", str(corpus), "-o", str(corpus / "v.tsv"), "--no-cache", "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "v.tsv: cannot write: cannot create its folder" in err[0]
