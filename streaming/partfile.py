"""An output file that appears only when it is complete.

Bytes go to a hidden part file next to the target (`.out.mp4.part-1a2b3c4d`); `publish()` syncs
it and renames it onto the target, `discard()` removes it. The target therefore either does
not exist or is whole: a crash, a full disk or an abort never leaves a truncated file under
the name the user asked for.
"""
from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from anchor.errors import OutputError

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def output_error(path: Path | str, exc: BaseException) -> OutputError:
    """The one-line error a user sees when writing `path` failed with `exc`."""
    if isinstance(exc, OutputError):
        return exc
    code = getattr(exc, "errno", None)
    if code in _DISK_FULL:
        return OutputError(f"disk full while writing {path}")
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:
        reason = str(exc) or type(exc).__name__
    return OutputError(f"cannot write {path}: {' '.join(reason.split())}")


def check_directory(path: Path) -> None:
    """Raise OutputError unless the directory that will hold `path` exists."""
    directory = path.parent
    if not directory.is_dir():
        raise OutputError(f"output directory does not exist: {directory} (for {path})")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")


class PartFile:
    """A part file beside `target`, opened for binary read/write (read: MP4 faststart)."""

    def __init__(self, target: Path | str):
        self.target = Path(target)
        check_directory(self.target)
        self.path: Path | None = None
        self.file: BinaryIO | None = None
        for _ in range(16):
            candidate = self.target.with_name(f".{self.target.name}.part-{secrets.token_hex(4)}")
            try:
                self.file = open(candidate, "x+b")  # exclusive create, mode from the umask
            except FileExistsError:
                continue
            except OSError as exc:
                raise output_error(self.target, exc) from exc
            self.path = candidate
            return
        raise OutputError(f"cannot write {self.target}: no free part-file name")

    def publish(self) -> None:
        """Flush, sync and rename onto the target. On failure the part file is removed."""
        try:
            assert self.file is not None and self.path is not None, "part file already closed"
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.path, self.target)
            self.file = self.path = None
        except BaseException as exc:
            self.discard()
            raise output_error(self.target, exc) from exc

    def discard(self) -> None:
        """Close and remove the part file; safe to call more than once."""
        file, path = self.file, self.path
        self.file = self.path = None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass  # a failed flush of bytes we are throwing away
        if path is not None:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
