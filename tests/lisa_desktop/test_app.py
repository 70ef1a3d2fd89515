"""The composition root: which deployment opens, off the GUI thread, with the last snapshot shown meanwhile."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow
from lisa_desktop import app as app_module
from lisa_desktop.app import (
    FIRST_PAINT_WAIT_MS,
    LAST_CHOICE,
    LAST_KEY,
    Shell,
    args_for,
    choice_of,
    start_after_first_paint,
    wants_sandbox,
)
from lisa_desktop.connections import ConnectionStore, new_connection
from lisa_desktop.deployment_choice import cache_key_for
from lisa_desktop.options import window_arguments
from lisa_desktop.snapshot import SnapshotStore
from ui.background import Background
from ui.main_window import MainWindow, Page
from ui.model_table import FIRST_FILL


def namespace(**values: object) -> argparse.Namespace:
    base = {"sandbox": False, "connection": None, "endpoint_url": None, "region": None, "deployment_prefix": None}
    return argparse.Namespace(**(base | values))


def test_sandbox_is_chosen_only_when_nothing_else_is() -> None:
    store = ConnectionStore()
    assert wants_sandbox(namespace(), store)
    assert not wants_sandbox(namespace(endpoint_url="http://127.0.0.1:1"), store)
    store.add(
        new_connection(name="prod", auth="profile", profile="p", region="eu-west-1", deployment_prefix="/prod/lisa")
    )
    assert not wants_sandbox(namespace(), store)
    assert wants_sandbox(namespace(sandbox=True), store)


def test_only_a_bare_launch_opens_the_window() -> None:
    opened = window_arguments(["--connection", "prod", "--region", "eu-west-1"])
    assert opened is not None and opened.connection == "prod" and opened.region == "eu-west-1"
    assert window_arguments([]) is not None
    assert window_arguments(["models", "list"]) is None
    assert window_arguments(["--sandbox", "models", "list"]) is None
    assert window_arguments(["--version"]) is None
    assert window_arguments(["--help"]) is None
    assert window_arguments(["--no-such-option"]) is None  # the full CLI says what is wrong with it


def test_the_switcher_choice_becomes_the_options_that_open_it() -> None:
    base = namespace(sandbox=True, region="eu-west-1", endpoint_url=None)
    chosen = args_for("prod", base)
    assert (chosen.sandbox, chosen.connection, chosen.region) == (False, "prod", "eu-west-1")
    back = args_for("sandbox", chosen)
    assert (back.sandbox, back.connection) == (True, None)


def make_shell(qtbot: QtBot, background: Background, tmp_path: Path) -> tuple[MainWindow, Shell, SnapshotStore]:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    window.show()
    snapshots = SnapshotStore(tmp_path / "snapshots")
    return window, Shell(window, background, snapshots, ConnectionStore()), snapshots


def test_opens_the_sandbox_off_the_gui_thread_and_keeps_a_snapshot(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path
) -> None:
    window, shell, snapshots = make_shell(qtbot, background, tmp_path)
    args = namespace(sandbox=True)
    task = asyncio.ensure_future(shell.open(args))
    assert window.pages.currentIndex() == Page.LOADING
    try:
        qtbot.waitUntil(task.done, timeout=60_000)
        qtbot.waitUntil(lambda: window.table_model.rowCount() >= 14, timeout=60_000)
        assert shell.backend is not None and shell.backend.is_sandbox
        assert window.connection_label.text().startswith("SANDBOX")
        qtbot.waitUntil(lambda: snapshots.load(cache_key_for(args)) is not None, timeout=10_000)
    finally:
        window.close()
        shell.close()
    snapshot = snapshots.load(cache_key_for(args))
    assert snapshot is not None
    assert {row.model_id for row in snapshot.rows} >= {"bge-large-en", "claude-3-5-sonnet"}
    # Saved in the table's order, so the next start can read only its first screenful.
    head = snapshots.load_faces(cache_key_for(args), first=3, order=window.table_model.ordering.name)
    assert head is not None and head.more == len(snapshot.rows) - 3
    assert [row.model_id for row in head.rows] == sorted(row.model_id for row in snapshot.rows)[:3]


def test_shows_the_snapshot_before_the_deployment_answers(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path
) -> None:
    window, shell, snapshots = make_shell(qtbot, background, tmp_path)
    args = namespace(endpoint_url="http://127.0.0.1:9")
    cached = ModelRow("cached-model", "org/cached", "third_party", "textgen", "InService")
    snapshots.save(cache_key_for(args), [cached])
    shell.show_snapshot(args)
    assert window.table_model.row_for("cached-model") == cached
    assert window.pages.currentIndex() == Page.TABLE
    assert "cached data" in window.refresh_label.text()
    task = asyncio.ensure_future(shell.open(args))
    qtbot.waitUntil(task.done, timeout=60_000)
    # Unreachable: the cached rows stay, with the reason above them.
    assert window.banner.isVisible()
    assert "EndpointUnreachable" in window.banner.message.text()
    assert window.table_model.row_for("cached-model") is not None
    assert window.connection_label.text() == "Not connected"


def test_an_unreachable_deployment_with_nothing_cached_shows_the_error_page(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path
) -> None:
    window, shell, _ = make_shell(qtbot, background, tmp_path)
    task = asyncio.ensure_future(shell.open(namespace(endpoint_url="http://127.0.0.1:9")))
    qtbot.waitUntil(task.done, timeout=60_000)
    assert window.pages.currentIndex() == Page.ERROR
    assert "Cannot open the deployment" in window.error_label.text()
    assert not window.banner.isVisible()  # the page says it; no second copy above it
    window.retry()  # "Retry now" opens the deployment again
    assert window.pages.currentIndex() == Page.LOADING
    qtbot.waitUntil(lambda: window.pages.currentIndex() == Page.ERROR, timeout=60_000)


def shown_window(qtbot: QtBot, background: Background, tmp_path: Path) -> tuple[MainWindow, QSettings, SnapshotStore]:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, background)
    qtbot.addWidget(window)
    window.show()
    return window, settings, SnapshotStore(tmp_path / "snapshots")


def test_paints_the_last_deployment_early_and_corrects_it_once_the_connections_are_read(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path
) -> None:
    window, settings, snapshots = shown_window(qtbot, background, tmp_path)
    last = "connection:old|/old/lisa|eu-west-1"
    snapshots.save(last, [ModelRow("old-model", "org/old", "third_party", "textgen", "InService")])
    settings.setValue(LAST_CHOICE, "")
    settings.setValue(LAST_KEY, last)
    shell = Shell(window, background, snapshots, settings=settings)
    shell.paint_early(namespace())
    assert window.table_model.row_for("old-model") is not None  # before any connection was read
    task = asyncio.ensure_future(shell.start(namespace()))
    try:
        # No connection is configured any more: the sandbox opens, and the old rows go at once.
        qtbot.waitUntil(lambda: window.table_model.row_for("old-model") is None, timeout=10_000)
        qtbot.waitUntil(task.done, timeout=60_000)
        assert shell.backend is not None and shell.backend.is_sandbox
        assert settings.value(LAST_KEY) == "sandbox"
        assert window.switcher.currentData() == "sandbox"
    finally:
        window.close()
        shell.close()


def test_paints_the_first_screenful_of_a_large_snapshot_then_reads_the_rest(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path
) -> None:
    window, settings, snapshots = shown_window(qtbot, background, tmp_path)
    args = namespace(endpoint_url="http://127.0.0.1:9")
    key = cache_key_for(args)
    rows = [ModelRow(f"m-{number:04d}", "org/m", "third_party", "textgen", "InService") for number in range(1000)]
    snapshots.save(key, rows, order=window.table_model.ordering.name)
    settings.setValue(LAST_CHOICE, choice_of(args))
    settings.setValue(LAST_KEY, key)
    shell = Shell(window, background, snapshots, ConnectionStore(), settings=settings)
    shell.paint_early(args)
    assert window.table_model.rowCount() == FIRST_FILL
    assert window.count_label.text() == "1000 models"  # the rows still to read are counted
    task = asyncio.ensure_future(shell.start(args))
    try:
        qtbot.waitUntil(lambda: window.table_model.rowCount() == 1000, timeout=10_000)
        assert [row.model_id for row in window.table_model.rows()] == [row.model_id for row in rows]
        assert window.count_label.text() == "1000 models"
        qtbot.waitUntil(task.done, timeout=60_000)
    finally:
        window.close()
        shell.close()


def unshown_window(qtbot: QtBot, background: Background, tmp_path: Path) -> MainWindow:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    return window


def test_start_up_work_waits_for_the_first_paint_and_runs_once(
    qtbot: QtBot, background: Background, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = unshown_window(qtbot, background, tmp_path)
    fallbacks: list[tuple[int, Callable[[], None]]] = []
    # The fallback timer is kept to be fired below, rather than waited for on the wall clock.
    monkeypatch.setattr(app_module, "QTimer", SimpleNamespace(singleShot=lambda ms, call: fallbacks.append((ms, call))))
    painted: list[bool] = []
    window.first_painted.connect(lambda: painted.append(True))
    started: list[bool] = []
    start_after_first_paint(window, lambda: started.append(bool(painted)))
    assert [ms for ms, _ in fallbacks] == [FIRST_PAINT_WAIT_MS]
    QApplication.processEvents()
    assert started == []  # not shown, not painted: nothing yet
    window.show()
    qtbot.waitUntil(lambda: bool(started), timeout=5_000)
    assert started == [True]
    fallbacks[0][1]()
    assert started == [True]  # the fallback timer does not start it twice


def test_start_up_work_runs_without_a_paint_after_a_while(qtbot: QtBot, background: Background, tmp_path: Path) -> None:
    window = unshown_window(qtbot, background, tmp_path)
    started: list[int] = []
    start_after_first_paint(window, lambda: started.append(1))
    qtbot.waitUntil(lambda: bool(started), timeout=FIRST_PAINT_WAIT_MS + 2_000)
    assert started == [1]


def test_the_first_paint_needs_no_asyncio_boto3_or_pydantic_models() -> None:
    """Importing them takes hundreds of milliseconds, which start-up spends after the first paint (run_app). Only
    pydantic's validators load before it, and before PySide6: loaded later, on a worker, PySide6's import hook now
    and then left them partly initialised and the deployment never opened."""
    code = (
        "import sys, lisa_desktop.app, lisa_desktop.startup_probe\n"
        "heavy = {'asyncio', 'qasync', 'boto3', 'botocore', 'pydantic.main', 'pydantic.fields'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "names = list(sys.modules)\n"
        "print(names.index('pydantic._internal._validators') < names.index('PySide6.QtCore'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["[]", "True"]
