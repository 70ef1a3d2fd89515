"""Processes that open a new journal at the same moment (a window and a CLI started together; the kill tests' runs
side by side on a fresh data directory) all open it: the first switch to WAL takes an exclusive lock, and SQLite
answers a connection that meets it "database is locked" at once, without waiting its busy timeout."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.jobs.journal import Journal

OPENERS = 6
ROUNDS = 60


def test_a_new_journal_opened_by_many_at_once_opens_for_each(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}" / "jobs.sqlite3"
        start = threading.Barrier(OPENERS)

        def open_journal(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                Journal(path)
            except Exception as error:  # every failure is collected and shown
                errors.append(error)

        openers = [threading.Thread(target=open_journal) for _ in range(OPENERS)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join()
    assert errors == []
