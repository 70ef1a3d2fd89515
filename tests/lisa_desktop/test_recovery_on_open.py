"""Opening the window on a deployment finishes the jobs of this workstation whose process died: each is shown in the
Jobs panel as it is recovered, its model's row is read again, and the audit log (details pane, Job history) says
who ran it and who recovered it."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from engine.jobs.journal import DATA_DIR_ENV
from engine.sandbox.server import Sandbox
from lisa_desktop.app import Shell
from lisa_desktop.connections import ConnectionStore
from lisa_desktop.snapshot import SnapshotStore
from tests.lisa_desktop.test_deployment_backend import crashed_cli_job, endpoint_args
from tests.ui.test_main_window import select
from ui.background import Background
from ui.banner import BannerKind
from ui.job_model import JobColumn
from ui.main_window import MainWindow

MODEL = "mistral-7b-instruct"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=0.5, warmup_seconds=0.3) as running:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", running.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running.secret_key)
        yield running


@pytest.fixture
def window(qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path) -> MainWindow:
    opened = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(opened)
    opened.show()
    return opened


def open_on(window: MainWindow, args: argparse.Namespace, qtbot: QtBot, background: Background) -> Shell:
    shell = Shell(window, background, SnapshotStore(Path(str(window.settings.fileName())).parent / "snap"))
    shell._store = ConnectionStore()
    task = asyncio.ensure_future(shell.open(args))
    qtbot.waitUntil(task.done, timeout=60_000)
    assert shell.backend is not None
    return shell


def panel_row(window: MainWindow, title: str) -> int | None:
    model = window.jobs.model
    rows = [row for row in range(model.rowCount()) if model.index(row, JobColumn.JOB).data() == title]
    return rows[0] if rows else None


def test_opening_the_window_recovers_a_job_whose_process_died(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, background: Background
) -> None:
    crashed_cli_job(sandbox, "models", "stop", MODEL, "--yes", after_point=3)
    shell = open_on(window, endpoint_args(sandbox), qtbot, background)
    try:
        title = f"Recover stop of {MODEL}"
        qtbot.waitUntil(lambda: panel_row(window, title) is not None, timeout=30_000)
        row = panel_row(window, title)
        assert row is not None
        model = window.jobs.model
        qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=120_000)
        assert model.index(row, JobColumn.STATUS).data() == "Recovered: resumed"
        job = model.job_at(row)
        assert not job.ticket.cancellable
        assert job.end is not None and job.end.final_status == "Stopped"
        assert any(event.message.startswith("recovered: resumed") for event in job.events)
        qtbot.waitUntil(lambda: (found := window.table_model.row_for(MODEL)) is not None and found.status == "Stopped")
        assert not window.recovery_banner.isVisible()

        select(window, MODEL)
        lines = window.details.jobs
        qtbot.waitUntil(lambda: "recovered by" in lines.item(0).text(), timeout=10_000)
        assert lines.count() == 1  # the journal's entry, not the panel's again
        assert "stop — succeeded (Stopped) · by" in lines.item(0).text()

        window.commands.history.trigger()
        dialog = window.history_dialog
        assert dialog is not None and dialog.isVisible()
        qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1, timeout=10_000)
        item = dialog.tree.topLevelItem(0)
        assert item is not None
        assert (item.text(1), item.text(2)) == (f"stop of {MODEL}", "succeeded (Stopped)")
        assert item.text(5)  # recovered by
        lines = [item.child(index).text(0) for index in range(item.childCount())]
        assert lines[0].startswith("job job-")
        assert lines[1] == "change: enabled: True → False"  # the plan's diff
        steps = [line.split("  ")[1] for line in lines[2:]]  # `15:35:09  intake intent  fromStatus=…`
        assert steps[0] == "intake intent"
        assert "finalize done" in steps
        assert lines[-1].split("  ")[1].startswith(f"end: stop of {MODEL} finished by recovery")
        assert "1 job of this workstation" in dialog.note.text()
    finally:
        window.close()
        shell.close()


def test_a_journal_that_cannot_be_read_is_said_above_the_table(
    window: MainWindow,
    sandbox: Sandbox,
    qtbot: QtBot,
    background: Background,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(DATA_DIR_ENV, str(blocker))
    shell = open_on(window, endpoint_args(sandbox), qtbot, background)
    try:
        banner = window.recovery_banner
        qtbot.waitUntil(banner.isVisible, timeout=30_000)
        assert banner.kind is BannerKind.ERROR
        text = banner.message.text()
        assert text.startswith("Interrupted jobs cannot be looked for: the job journal cannot be opened")
        assert "LISA_DESKTOP_DATA_DIR" in text
    finally:
        window.close()
        shell.close()
