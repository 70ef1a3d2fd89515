"""Files only their user can read: every file the console writes is mode 0600, in folders of mode 0700.

The umask alone would leave them readable by every account on the machine (0644 in 0755), and a draft, a
snapshot or a job's log says which models a deployment has and how they are configured.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700


def private_dir(path: str | Path) -> Path:
    """Create the folder (and any missing parents) with mode 0700, or narrow an existing one to it."""
    folder = Path(path)
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        with contextlib.suppress(FileExistsError):
            parent.mkdir(mode=DIR_MODE)
    _narrow(folder, DIR_MODE)
    return folder


def private_file(path: str | Path) -> Path:
    """Create the empty file with mode 0600 if it is missing, or narrow an existing one to it (before SQLite opens
    a database: its -wal and -shm files take the database file's mode)."""
    target = Path(path)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _narrow(target, FILE_MODE)
    return target


def open_private(path: str | Path, mode: str = "w") -> int:
    """A file descriptor for `path`, created with mode 0600 (truncated for "w", appended to for "a"), for
    `os.fdopen(fd, mode, encoding=...)`."""
    flags = os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    flags |= os.O_RDWR if "+" in mode else os.O_WRONLY
    descriptor = os.open(path, flags, FILE_MODE)
    with contextlib.suppress(OSError):
        os.fchmod(descriptor, FILE_MODE)
    return descriptor


def write_private_text(path: str | Path, text: str) -> None:
    """`Path.write_text`, with the file 0600."""
    with os.fdopen(open_private(path, "w"), "w", encoding="utf-8") as out:
        out.write(text)


def _narrow(path: Path, mode: int) -> None:
    """Take the group's and others' rights away; a path another account owns is left as it is."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            os.chmod(path, mode)
