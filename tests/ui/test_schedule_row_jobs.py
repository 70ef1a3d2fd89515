"""A schedule job of this window on a row: the model keeps its status (LISA's schedule routes leave it), the row
says a schedule job holds it, and once it ended the row's Next action tells the new schedule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.sandbox.server import Sandbox
from engine.schedules.timing import NOW_ENV
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.lisa_desktop.test_deployment_backend import FAST, target_on
from tests.ui.conftest import WindowFactory
from ui.backend import JobEnd, JobKind
from ui.model_table import Column

MODEL = "mistral-7b-instruct"


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeploymentBackend]:
    monkeypatch.setenv(NOW_ENV, "2026-03-02T10:00:00+01:00")  # inside the window: no scaling to 0 at once
    with Sandbox(ambient=False, rollout_seconds=0.5, warmup_seconds=0.3) as sandbox:
        opened = DeploymentBackend(target_on(sandbox), settings=FAST)
        yield opened
        opened.close()


def test_a_schedule_job_holds_the_row_in_its_status_and_the_next_action_follows(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend, refresh_ms=(300, 300))
    cell = window.table_model.index_for(MODEL, Column.STATUS)
    seen: set[str] = set()
    ended: list[JobEnd] = []
    window.jobs.signals.event.connect(lambda _event: seen.add(str(cell.data())))
    window.jobs.signals.ended.connect(ended.append)
    schedule = {
        "scheduleType": "RECURRING",
        "timezone": "Europe/Berlin",
        "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
    }
    ticket = backend.submit(
        JobKind.SCHEDULE,
        MODEL,
        on_event=window.jobs.signals.event.emit,
        on_end=window.jobs.signals.ended.emit,
        payload={"scheduling": schedule},
    )
    window.jobs.track(ticket, f"Schedule {MODEL}")
    qtbot.waitUntil(lambda: bool(ended), timeout=60_000)
    assert ended[0].ok, ended[0].message
    assert ended[0].kind is JobKind.SCHEDULE
    assert any(text.startswith("InService · ") for text in seen), seen  # held, its status unchanged
    tip = str(window.table_model.index_for(MODEL, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole))
    assert "Schedule job" not in tip  # the note went with the job
    qtbot.waitUntil(
        lambda: window.table_model.index_for(MODEL, Column.NEXT_ACTION).data().endswith("CET"), timeout=30_000
    )
