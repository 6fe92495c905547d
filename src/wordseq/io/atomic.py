"""Atomic writes: write to a temporary file beside the target, then rename, so a crash or an error
never leaves a half-written output.

A writer killed mid-write (SIGKILL, power loss) cannot remove its temporary file; the next successful write
of the same file removes those left by writers on this machine that are no longer running (the temporary
name holds the host and the process id), so repeated crashes do not fill the disk with hidden files.

The file gets the mode a plain ``open(path, "w")`` would give it (``0o666`` less the umask), not the
private mode of the temporary file. A write that fails because the disk is full, the quota is spent, or
the folder is read-only or forbidden raises :class:`wordseq.errors.OutputError`, one line naming the
file and the reason; the previous file at that path is left as it was and no temporary file remains.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from wordseq.errors import OutputError

# errno -> the reason users read. These are conditions of the output's place, not bugs.
_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for this file system",
    errno.ENAMETOOLONG: "file name too long",
}
_LOW_SPACE_BYTES = 1 << 20  # after a failed write, less free space than this means the disk filled up
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux's /proc), else by the
    set-and-restore dance under a lock."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _new_file_mode() -> int:
    return 0o666 & ~current_umask()


def _make_folder(path: Path) -> Path:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(path, f"cannot create its folder {directory}: a part of that path is a file") from None
    except OSError as e:
        raise OutputError(path, f"cannot create its folder {directory}: {_reason(e)}") from None
    return directory


def _owner_prefix(stem: str) -> str:
    """``.<stem>.<host>-``: the start of the temporary names of this machine's writers of one target."""
    host = socket.gethostname().replace("/", "_")[:32] or "host"
    return f".{stem}.{host}-"


def _temp_file(path: Path, directory: Path, stem: str, suffix: str) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f"{_owner_prefix(stem)}{os.getpid()}.", suffix=suffix, dir=directory)
    except OSError as e:
        raise OutputError(path, f"cannot create a file in {directory}: {_reason(e)}") from None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def _remove_stale(directory: Path, stem: str, suffix: str) -> None:
    """Remove the temporary files of this target left by writers on this machine that are no longer running."""
    prefix = _owner_prefix(stem)
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(suffix)):
                continue
            pid = name[len(prefix) :].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, name))


def _reason(e: OSError) -> str:
    return _REASONS.get(e.errno or 0) or e.strerror or str(e)


def _disk_full(directory: Path) -> bool:
    """Whether the file system holding ``directory`` has (almost) no room left for this process."""
    try:
        st = os.statvfs(directory)
    except (OSError, AttributeError):
        return False
    free = st.f_bfree if os.geteuid() == 0 else st.f_bavail
    return free * st.f_frsize < _LOW_SPACE_BYTES


def _output_error(e: BaseException, path: Path, tmp: str, directory: Path) -> OutputError | None:
    """The user-facing error for a failed write, or None when the failure is not about the output's place.

    OSErrors with a known errno count when they concern the output (no file name, or the temporary or
    target file); other writers' errors (torch.save's RuntimeError on a full disk) count when their cause
    chain holds such an OSError, or when the disk is full right after the failure.
    """
    if not isinstance(e, Exception) or isinstance(e, OutputError):
        return None
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _REASONS:
            name = seen.filename
            if name is None or os.fspath(name) in (tmp, os.fspath(path)):
                return OutputError(path, _REASONS[seen.errno])
        seen = seen.__cause__ or seen.__context__
    if _disk_full(directory):  # measured while the temporary file still holds its space
        return OutputError(path, _REASONS[errno.ENOSPC])
    return None


def _finish(tmp: str, path: Path) -> None:
    os.chmod(tmp, _new_file_mode())
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    directory = _make_folder(path)
    fd, tmp = _temp_file(path, directory, path.name, ".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _finish(tmp, path)
        _remove_stale(directory, path.name, ".tmp")
    except BaseException as e:
        error = _output_error(e, path, tmp, directory)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if error is not None:
            raise error from e
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path for writers that want a file name (numpy, matplotlib, torch); renamed on success."""
    path = Path(path)
    directory = _make_folder(path)
    fd, tmp = _temp_file(path, directory, path.stem, path.suffix or ".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        _finish(tmp, path)
        _remove_stale(directory, path.stem, path.suffix or ".tmp")
    except BaseException as e:
        error = _output_error(e, path, tmp, directory)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if error is not None:
            raise error from e
        raise
