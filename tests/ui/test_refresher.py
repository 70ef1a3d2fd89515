"""The refresh schedule on a real sandbox, with short intervals: full reads, fast polls of watched models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import qasync
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from ui.refresher import Refresher


def test_full_refreshes_then_fast_polls_of_the_watched_models_only(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, engine_executor: ThreadPoolExecutor, shared_backend: DeploymentBackend
) -> None:
    refresher = Refresher(engine_executor, slow_ms=60_000, fast_ms=200)
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
    qtbot: QtBot, qt_loop: qasync.QEventLoop, engine_executor: ThreadPoolExecutor, own_backend: DeploymentBackend
) -> None:
    refresher = Refresher(engine_executor, slow_ms=60_000, fast_ms=200)
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
