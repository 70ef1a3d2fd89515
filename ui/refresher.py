"""Keeps the model list fresh: all models every 30 s, the changing ones every 5 s, now on demand, or paused.

A full refresh reads every model; the fast poll reads only the watched models (those in a transitional status
and those our jobs are changing), so a deployment of thousands of models is not scanned every 5 s. Reads run on
the engine's worker thread and are awaited on the qasync loop, so the GUI thread never waits on the network.
One read at a time; a result that arrives after the deployment was switched is dropped.

A refresh builds every row anew, yet most are equal to the ones shown. The worker compares each new row with the
one emitted last time for its model and hands back the old object when they are equal, so the table on the GUI
thread finds unchanged rows by identity instead of comparing thousands of them while the window waits.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from engine.model_row import ModelRow
from ui.backend import Backend
from ui.background import Background
from ui.model_table import Ordering, RowFaces

if TYPE_CHECKING:
    import asyncio

SLOW_INTERVAL_MS = 30_000
FAST_INTERVAL_MS = 5_000


def reusing(
    read: Callable[[], list[ModelRow]],
    known: Mapping[str, ModelRow],
    ordering: Ordering | None = None,
    faces: RowFaces | None = None,
) -> list[ModelRow]:
    """`read()`'s rows, each that equals the `known` row of its model replaced by that very object (on a worker:
    a Python loop, so the GUI thread gets the GIL between rows). Every row's face (cell texts, search text) is
    made into `faces`, and the rows are in `ordering` (by model id without one), so that the GUI thread neither
    formats nor sorts thousands of rows when a refresh fills the table."""
    rows = sorted(read(), key=attrgetter("model_id"))
    reused = [
        old if (old := known.get(row.model_id)) is not None and (old is row or old == row) else row for row in rows
    ]
    if faces is not None:
        faces.prepare(reused)  # formatted here, not on the GUI thread (kept rows have theirs already)
    return reused if ordering is None else ordering.sort(reused)


class Refresher(QObject):
    started = Signal()
    succeeded = Signal(object)
    """list[ModelRow]: every model, after a full refresh (an `object` signal: see MainWindow.rows_refreshed)."""
    partial = Signal(object, object)
    """(rows, asked ids), lists: the watched models that still exist; an asked id without a row was deleted."""
    failed = Signal(str)
    """A readable reason; the last good rows stay shown (stale)."""
    schedule_changed = Signal()
    """Paused, fast/slow or the next due time changed."""

    def __init__(
        self,
        background: Background,
        parent: QObject | None = None,
        *,
        slow_ms: int = SLOW_INTERVAL_MS,
        fast_ms: int = FAST_INTERVAL_MS,
        ordering: Callable[[], Ordering] | None = None,
    ) -> None:
        """`ordering` gives the order a full refresh's rows should come in (the table's, as it is when the refresh
        starts)."""
        super().__init__(parent)
        self._background = background
        self._ordering = ordering
        self.faces: RowFaces | None = None
        """Where the rows' faces go, made on the worker (the table's: MainWindow sets it)."""
        self.sorted_by: str | None = None
        """The `Ordering.name` of the rows `succeeded` emitted last."""
        self._slow_ms = slow_ms
        self._fast_ms = fast_ms
        self._backend: Backend | None = None
        self._generation = 0
        self._watched: frozenset[str] = frozenset()
        self._paused = False
        self._task: asyncio.Future[None] | None = None
        self._full_wanted = False
        self._also: set[str] = set()
        """Models to read once with the next fast poll (a job of ours just ended on them)."""
        self._emitted: dict[str, ModelRow] = {}
        """The rows last emitted, by model id; replaced, never changed in place (workers read it)."""
        self.last_success: float | None = None
        """time.monotonic() of the last successful full refresh."""
        self.last_error: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)

    @property
    def backend(self) -> Backend | None:
        return self._backend

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def fast(self) -> bool:
        return bool(self._watched)

    @property
    def watched(self) -> frozenset[str]:
        return self._watched

    @property
    def in_flight(self) -> bool:
        return self._task is not None

    def set_backend(self, backend: Backend | None) -> None:
        """Switch deployments: forget the old schedule and refresh the new one at once."""
        self._backend = backend
        self._generation += 1
        self.last_success = None
        self.last_error = None
        self._emitted = {}
        self._timer.stop()
        if backend is not None:
            self.refresh_now()

    def watch(self, model_ids: Iterable[str]) -> None:
        """Poll these models every few seconds (a transitional status, a job of ours); none → every 30 s."""
        watched = frozenset(model_ids)
        if watched == self._watched:
            return
        was_fast = self.fast
        self._watched = watched
        if self.fast != was_fast and not self.in_flight and not self._paused:
            self._schedule()
        self.schedule_changed.emit()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if paused:
            self._timer.stop()
        elif not self.in_flight:
            self._schedule()
        self.schedule_changed.emit()

    def stop(self) -> None:
        """For good (the window closes): no timer, and a read in flight is dropped."""
        self._backend = None
        self._generation += 1
        self._emitted = {}
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()

    def seconds_until_next(self) -> float | None:
        if not self._timer.isActive():
            return None
        return self._timer.remainingTime() / 1000

    def refresh_now(self) -> None:
        """A full refresh now (even when paused: the user asked); after the read in flight, if there is one."""
        self._full_wanted = True
        if self._backend is not None and self._task is None:
            self._start()

    def read_now(self, model_ids: Iterable[str]) -> None:
        """Re-read these models at once (a fast poll), e.g. when our job on them ended."""
        self._also.update(model_ids)
        if self._backend is not None and self._task is None:
            self._start()

    def _due(self) -> None:
        if self._backend is None or self._task is not None:
            return
        self._full_wanted = self._full_wanted or self._full_is_due()
        if self._full_wanted or self._watched or self._also:
            self._start()
        else:
            self._schedule()

    def _full_is_due(self) -> bool:
        return self.last_success is None or (time.monotonic() - self.last_success) * 1000 >= self._slow_ms - 50

    def _start(self) -> None:
        assert self._backend is not None
        self._timer.stop()
        ids = self._watched | self._also
        full = self._full_wanted or not ids
        self._full_wanted = False
        self._also = set()
        read = self._read(self._backend, self._generation, full, frozenset(ids))
        self._task = self._background.start(read, what="refreshing the models")

    async def _read(self, backend: Backend, generation: int, full: bool, watched: frozenset[str]) -> None:
        self.started.emit()
        emitted = self._emitted
        ordering = self._ordering() if self._ordering is not None and full else None
        try:
            if full:
                rows: list[ModelRow] = await self._background.run(
                    reusing, backend.list_rows, emitted, ordering, self.faces
                )
            else:
                read = functools.partial(backend.rows_of, sorted(watched))
                rows = await self._background.run(reusing, read, emitted, None, self.faces)
        except Exception as error:  # any failure becomes the banner's text; the app keeps running
            if generation == self._generation:
                self.last_error = backend.describe_error(error)
                self.failed.emit(self.last_error)
        else:
            if generation == self._generation:
                self.last_error = None
                if full:
                    self._emitted = {row.model_id: row for row in rows}
                    self.last_success = time.monotonic()
                    self.sorted_by = None if ordering is None else ordering.name
                    self.succeeded.emit(rows)
                else:
                    self._emitted = {
                        model_id: row for model_id, row in self._emitted.items() if model_id not in watched
                    } | {row.model_id: row for row in rows}
                    self.partial.emit(rows, sorted(watched))
        finally:
            self._task = None
        if (self._full_wanted or self._also) and self._backend is not None:
            self._start()
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._backend is not None and not self._paused:
            until_full = self._slow_ms
            if self.last_success is not None:
                until_full = max(0, int(self._slow_ms - (time.monotonic() - self.last_success) * 1000))
            self._timer.start(min(self._fast_ms, until_full) if self._watched else until_full)
        self.schedule_changed.emit()
