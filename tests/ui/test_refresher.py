"""The refresh schedule on a real sandbox, with short intervals: full reads, fast polls of watched models."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import cast

import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.rows import make_row
from ui.backend import Backend
from ui.background import Background
from ui.model_table import ApplyStats, Column, ModelTableModel, RowFaces
from ui.refresher import Refresher


def test_full_refreshes_then_fast_polls_of_the_watched_models_only(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, shared_backend: DeploymentBackend
) -> None:
    refresher = Refresher(background, slow_ms=60_000, fast_ms=200)
    full: list[int] = []
    polls: list[tuple[list[str], list[str]]] = []
    refresher.succeeded.connect(lambda rows: full.append(len(rows)))
    refresher.partial.connect(lambda rows, asked: polls.append(([r.model_id for r in rows], asked)))
    with qtbot.waitSignal(refresher.succeeded, timeout=30_000):
        refresher.set_backend(shared_backend)
    assert full[0] >= 14
    assert not refresher.fast
    refresher.watch({"gemma-2-9b-it", "no-such-model"})
    assert refresher.fast
    qtbot.waitUntil(lambda: len(polls) >= 2, timeout=30_000)
    rows, asked = polls[0]
    assert asked == ["gemma-2-9b-it", "no-such-model"]
    assert rows == ["gemma-2-9b-it"]  # an asked model without a row is gone
    assert len(full) == 1  # no full scan every few seconds
    refresher.watch(())
    assert not refresher.fast
    remaining = refresher.seconds_until_next()
    assert remaining is not None and remaining > 30
    with qtbot.waitSignal(refresher.partial, timeout=30_000) as once:
        refresher.read_now(["bge-large-en"])
    assert once.args[1] == ["bge-large-en"]
    refresher.set_paused(True)
    assert refresher.seconds_until_next() is None
    with qtbot.waitSignal(refresher.succeeded, timeout=30_000):
        refresher.refresh_now()  # the user asked: even when paused
    assert refresher.seconds_until_next() is None
    refresher.stop()


def test_a_failed_read_reports_the_reason_and_keeps_the_schedule(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, own_backend: DeploymentBackend
) -> None:
    refresher = Refresher(background, slow_ms=60_000, fast_ms=200)
    with qtbot.waitSignal(refresher.succeeded, timeout=30_000):
        refresher.set_backend(own_backend)
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    sandbox.client("dynamodb").delete_table(TableName=sandbox.table_name)
    with qtbot.waitSignal(refresher.failed, timeout=30_000) as failure:
        refresher.refresh_now()
    assert "ResourceNotFound" in failure.args[0]
    assert refresher.last_error == failure.args[0]
    assert refresher.seconds_until_next() is not None
    refresher.stop()


class RowsBackend:
    """Serves `rows` as new but equal objects on every read, as a deployment's refresh builds them."""

    def __init__(self, rows: list[ModelRow]) -> None:
        self.rows = rows

    def list_rows(self) -> list[ModelRow]:
        return [dataclasses.replace(row) for row in self.rows]

    def rows_of(self, model_ids: Iterable[str]) -> list[ModelRow]:
        wanted = set(model_ids)
        return [dataclasses.replace(row) for row in self.rows if row.model_id in wanted]

    def describe_error(self, error: BaseException) -> str:
        return str(error)


def test_rows_that_did_not_change_come_back_as_the_objects_emitted_before(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    backend = RowsBackend([make_row("a"), make_row("b"), make_row("c", status="Creating")])
    refresher = Refresher(background, slow_ms=60_000, fast_ms=60_000)
    refresher.set_paused(True)
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000) as first:
        refresher.set_backend(cast(Backend, backend))
    before = {row.model_id: row for row in first.args[0]}
    assert list(before) == ["a", "b", "c"]

    backend.rows = [make_row("a"), make_row("b", running_tasks=2), make_row("c", status="Creating")]
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000) as second:
        refresher.refresh_now()
    after = {row.model_id: row for row in second.args[0]}
    assert after["a"] is before["a"] and after["c"] is before["c"]
    assert after["b"] is not before["b"] and after["b"].running_tasks == 2

    backend.rows = [make_row("a"), make_row("b", running_tasks=2), make_row("c", status="InService")]
    with qtbot.waitSignal(refresher.partial, timeout=10_000) as poll:
        refresher.read_now(["b", "c"])
    polled = {row.model_id: row for row in poll.args[0]}
    assert polled["b"] is after["b"]
    assert polled["c"] is not after["c"] and polled["c"].status == "InService"
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000) as third:
        refresher.refresh_now()
    assert third.args[0] == backend.rows
    assert [id(row) for row in third.args[0]] == [id(after["a"]), id(after["b"]), id(polled["c"])]

    with qtbot.waitSignal(refresher.succeeded, timeout=10_000) as other:
        refresher.set_backend(cast(Backend, RowsBackend(backend.rows)))  # another deployment: nothing reused
    assert all(new is not old for new, old in zip(other.args[0], third.args[0], strict=True))
    refresher.stop()


def test_the_table_finds_reused_rows_unchanged_without_comparing_them(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    backend = RowsBackend([make_row(f"m{number:03d}") for number in range(200)])
    refresher = Refresher(background, slow_ms=60_000, fast_ms=60_000)
    refresher.set_paused(True)
    table = ModelTableModel()
    stats: list[ApplyStats] = []
    refresher.succeeded.connect(lambda rows: stats.append(table.apply(rows)))
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000):
        refresher.set_backend(cast(Backend, backend))
    shown = table.rows()
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000):
        refresher.refresh_now()
    assert stats[-1] == ApplyStats() and not stats[-1].any
    assert all(now is before for now, before in zip(table.rows(), shown, strict=True))
    refresher.stop()


def test_rows_arrive_with_their_faces_made_on_the_worker(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    backend = RowsBackend([make_row(f"m{number:03d}", status="Stopped") for number in range(50)])
    refresher = Refresher(background, slow_ms=60_000, fast_ms=60_000)
    refresher.faces = faces = RowFaces()
    refresher.set_paused(True)
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000) as first:
        refresher.set_backend(cast(Backend, backend))
    rows = first.args[0]
    assert len(faces) == len(rows) == 50
    made = faces.of(rows[0])
    assert made[0][Column.STATUS] == "Stopped"
    assert faces.of(rows[0]) is made  # kept, not made again
    assert len(faces) == 50
    refresher.stop()


def test_a_full_refresh_sorts_its_rows_on_the_worker_in_the_tables_order(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    statuses = ["Stopped", "InService", "Failed", "Updating"]
    backend = RowsBackend([make_row(f"m{n:03d}", status=statuses[n % 4], running_tasks=n % 7) for n in range(60)])
    table = ModelTableModel()
    table.sort(Column.RUNNING_TASKS, Qt.SortOrder.DescendingOrder)
    refresher = Refresher(background, slow_ms=60_000, fast_ms=60_000, ordering=lambda: table.ordering)
    refresher.set_paused(True)
    with qtbot.waitSignal(refresher.succeeded, timeout=10_000) as first:
        refresher.set_backend(cast(Backend, backend))
    assert refresher.sorted_by == table.ordering.name == "running_tasks descending"
    assert first.args[0] == table.ordering.sort(backend.rows)
    table.apply(first.args[0], sorted_by=refresher.sorted_by)
    table.flush()
    assert table.rows() == table.ordering.sort(backend.rows)
    refresher.stop()
