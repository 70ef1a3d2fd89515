"""A row tells of this window's job on it at once (the status the job holds it in, and its step), and of a change
that was rolled back until the model's next successful change or a dismiss, also after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from engine.sandbox.server import Sandbox
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.lisa_desktop.test_deployment_backend import FAST, target_on
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from ui.backend import JobKind
from ui.main_window import MainWindow
from ui.model_table import Column

MODEL = "mistral-7b-instruct"


@pytest.fixture
def backend() -> Iterator[DeploymentBackend]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.3) as sandbox:
        sandbox.faults.fail_rollout.add(MODEL)
        opened = DeploymentBackend(target_on(sandbox), settings=FAST)
        yield opened
        opened.close()


def status_cell(window: MainWindow, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> str:
    return str(window.table_model.index_for(MODEL, Column.STATUS).data(role))


def test_the_row_follows_the_job_and_keeps_a_mark_of_its_rollback(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot, tmp_path: Path
) -> None:
    settings_file = tmp_path / "settings.ini"
    window = make_window(backend, settings_file=settings_file)
    assert status_cell(window) == "InService"
    ticket = backend.submit(
        JobKind.UPDATE,
        MODEL,
        on_event=window.jobs.signals.event.emit,
        on_end=window.jobs.signals.ended.emit,
        payload={"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "4096"}}},
        ack_restart=True,
    )
    window.jobs.track(ticket, f"Update {MODEL}")
    seen: set[str] = set()
    qtbot.waitUntil(lambda: seen.add(status_cell(window)) or "Updating · rollout" in seen, timeout=30_000)
    assert window.table_model.row_for(MODEL).status == "InService"  # the stored row has not caught up yet
    qtbot.waitUntil(lambda: status_cell(window) == "InService · reverted", timeout=60_000)
    assert "Last change rolled back: update of mistral-7b-instruct failed" in status_cell(
        window, Qt.ItemDataRole.ToolTipRole
    )

    second = make_window(backend, settings_file=settings_file)  # a restart keeps the mark
    assert status_cell(second) == "InService · reverted"
    select(second, MODEL)
    [dismiss] = [action for action in second.row_menu().actions() if action.objectName() == "dismissMarkAction"]
    dismiss.trigger()
    assert status_cell(second) == "InService"
    third = make_window(backend, settings_file=settings_file)
    assert status_cell(third) == "InService"
    assert not [key for key in QSettings(str(settings_file), QSettings.Format.IniFormat).allKeys() if "rolled" in key]
