"""The files the console keeps for the user (connections, settings, drafts) when one cannot be read: an error that
names the file and what to do, and "start fresh", which moves the file aside and lets the console go on."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from engine.errors import ConfigFileError


class UnreadableFile(ConfigFileError):
    """One of the user's files is corrupt or cannot be read; nothing was written to it."""

    def __init__(self, path: Path, what: str, reason: str, fresh: str) -> None:
        self.path = path
        self.what = what
        """"the connections file", ..."""
        self.reason = reason
        self.fresh = fresh
        """What starting fresh loses: "no connections", ..."""
        super().__init__(
            f"{what} {path} cannot be read ({reason}). Fix it, or move it aside to start with {fresh} "
            f"(mv '{path}' '{path}.broken'); nothing was changed"
        )


def move_aside(path: Path) -> Path:
    """Rename `path` to `<name>.broken-<timestamp>` beside it (SQLite's -wal and -shm files with it); returns the
    new path of the file itself."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(aside.with_name(aside.name + suffix))
    if path.exists():
        path.replace(aside)
    return aside


def check_drafts(path: Path) -> None:
    """UnreadableFile if the drafts database exists but is not a readable SQLite database."""
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA user_version").fetchone()
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        raise UnreadableFile(path, "the drafts database", str(error), "no drafts") from None
