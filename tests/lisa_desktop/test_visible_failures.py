"""Failures the window used to hide: a corrupt connections, settings or drafts file (a page naming it, Start fresh),
an unavailable keychain (the error page, not "Loading…" for ever), and unexpected exceptions (logged, shown in a
banner whose Copy details gives the traceback). The About box names the log file and does not block."""

from __future__ import annotations

import argparse
import logging
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

import ui.about
from engine.drafts.store import default_path
from lisa_desktop.app import Shell
from lisa_desktop.connections import ConnectionStore, new_connection
from lisa_desktop.logs import SecretFilter, add_secret, log_file
from lisa_desktop.snapshot import SnapshotStore
from lisa_desktop.unexpected import UnexpectedErrors
from ui.background import Background
from ui.file_problem import FileProblemPage
from ui.main_window import MainWindow, Page


def namespace(**values: object) -> argparse.Namespace:
    base = {"sandbox": False, "connection": None, "endpoint_url": None, "region": None, "deployment_prefix": None}
    return argparse.Namespace(**(base | values))


@pytest.fixture
def shell(qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path) -> Iterator[Shell]:
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    window.show()
    opened = Shell(window, background, SnapshotStore(tmp_path / "snapshots"))
    yield opened
    window.close()
    opened.close()


def the_problem_page(qtbot: QtBot, shell: Shell) -> FileProblemPage:
    qtbot.waitUntil(lambda: shell.problem_page is not None, timeout=30_000)
    page = shell.problem_page
    assert isinstance(page, FileProblemPage)
    assert shell.window.pages.currentWidget() is page
    return page


def start_fresh_opens_the_sandbox(qtbot: QtBot, shell: Shell, page: FileProblemPage, broken: Path) -> Path:
    """Start fresh: the file is moved aside, and the console goes on to open the sandbox."""
    qtbot.mouseClick(page.fresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shell.window.table_model.rowCount() >= 14, timeout=60_000)
    assert shell.problem_page is None and shell.window.pages.currentIndex() == Page.TABLE
    (aside,) = broken.parent.glob(f"{broken.name}.broken-*")
    return aside


def test_a_corrupt_connections_file_gets_a_page_and_start_fresh(qtbot: QtBot, shell: Shell) -> None:
    path = ConnectionStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"connections": [{"name": ')
    shell.begin(namespace())
    page = the_problem_page(qtbot, shell)
    assert "connections.json cannot be read" in page.title.text()
    assert str(path) in page.message.text() and "not valid JSON" in page.message.text()
    assert shell.window.connection_label.text() == "Not connected"
    shell.window.resize(1280, 800)
    shell.window.grab().save("/tmp/visible-failures-connections.png")
    aside = start_fresh_opens_the_sandbox(qtbot, shell, page, path)
    assert aside.read_text() == '{"connections": [{"name": '
    assert not path.exists() or ConnectionStore().all() == []


def test_retry_after_fixing_the_file_goes_on(qtbot: QtBot, shell: Shell) -> None:
    path = ConnectionStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ broken")
    shell.begin(namespace())
    page = the_problem_page(qtbot, shell)
    path.write_text('{"connections": []}')
    page.retry.emit()
    qtbot.waitUntil(lambda: shell.window.table_model.rowCount() >= 14, timeout=60_000)
    assert path.read_text() == '{"connections": []}'


def test_a_corrupt_settings_file_gets_a_page_and_start_fresh(qtbot: QtBot, shell: Shell) -> None:
    settings_path = Path(shell.window.settings.fileName())
    settings_path.write_text("[window\ngeometry=@ByteArray(x)\n[[[\n")
    shell.window.settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    assert shell.window.settings.status() == QSettings.Status.FormatError
    shell.begin(namespace())
    page = the_problem_page(qtbot, shell)
    assert "settings.ini cannot be read" in page.title.text()
    assert "not a valid settings (INI) file" in page.message.text()
    aside = start_fresh_opens_the_sandbox(qtbot, shell, page, settings_path)
    assert "[[[" in aside.read_text()


def test_a_corrupt_drafts_database_gets_a_page_and_start_fresh(qtbot: QtBot, shell: Shell) -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all " * 200)
    shell.begin(namespace())
    page = the_problem_page(qtbot, shell)
    assert "drafts.sqlite3 cannot be read" in page.title.text()
    assert "the drafts database" in page.message.text() and "no drafts" in page.message.text()
    start_fresh_opens_the_sandbox(qtbot, shell, page, path)
    assert not path.exists()


def test_an_unavailable_keychain_shows_the_error_page_not_loading(qtbot: QtBot, shell: Shell, no_keyring: None) -> None:
    ConnectionStore().add(
        new_connection(
            name="keyed", auth="access-key", access_key_id="AKIDEXAMPLE", region="eu-west-1", deployment_prefix="/p/l"
        ),
        make_default=True,
    )
    shell.begin(namespace())
    qtbot.waitUntil(lambda: shell.window.pages.currentIndex() == Page.ERROR, timeout=30_000)
    assert "no OS keychain is available here" in shell.window.error_label.text()
    assert not shell.window.error_banner.isVisible()


def test_an_unexpected_error_is_logged_and_shown_with_copy_details(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, shell: Shell, caplog: pytest.LogCaptureFixture
) -> None:
    banner = shell.window.error_banner
    errors = UnexpectedErrors(banner, "/logs/lisa-desktop.log").install()
    errors.watch_loop(qt_loop)

    def slot() -> None:
        raise ValueError("the slot broke apiKey=sk-canary-1234")

    def callback() -> None:
        raise KeyError("the callback broke")

    try:
        with caplog.at_level(logging.ERROR):
            QTimer.singleShot(0, slot)
            qtbot.waitUntil(banner.isVisible, timeout=10_000)
            assert "Unexpected error: ValueError: the slot broke apiKey=***" in banner.message.text()
            assert "logged in /logs/lisa-desktop.log" in banner.message.text()
            assert banner.copy_details.isVisible() and not banner.retry.isVisible()
            qt_loop.call_soon(callback)
            qtbot.waitUntil(lambda: "KeyError" in banner.message.text(), timeout=10_000)
            assert "(2 so far)" in banner.message.text()
    finally:
        errors.uninstall()
    qtbot.mouseClick(banner.copy_details, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert copied.startswith("LISA Desktop: unexpected error in Exception in callback")
    assert "Traceback (most recent call last)" in copied and 'raise KeyError("the callback broke")' in copied
    logged = [r for r in caplog.records if r.name == "lisa_desktop.unexpected"]
    assert [r.getMessage().split(" callback")[0] for r in logged] == [
        "unexpected error in the window",
        "unexpected error in Exception in",
    ]
    assert all(r.exc_info or r.exc_text for r in logged)
    shell.window.resize(1280, 800)
    shell.window.grab().save("/tmp/visible-failures-banner.png")


def test_a_failed_task_of_the_shell_is_reported_not_left_on_loading(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[str] = []
    errors = UnexpectedErrors(shell.window.error_banner)
    shell.background.reporter = errors.report
    errors.caught.connect(lambda summary, _details: reported.append(summary))

    def broken_open(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in opening")

    monkeypatch.setattr("lisa_desktop.team_backend.open_backend", broken_open)
    shell.begin(namespace(sandbox=True))
    qtbot.waitUntil(lambda: reported == ["RuntimeError: a bug in opening"], timeout=30_000)
    assert shell.window.pages.currentIndex() == Page.ERROR
    assert "RuntimeError: a bug in opening" in shell.window.error_label.text()
    assert shell.window.error_banner.isVisible()


def test_the_about_box_names_the_log_file_and_does_not_block(
    qtbot: QtBot, shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.about, "log_file", Path("/var/log/lisa/lisa-desktop.log"))
    shell.window.show_about()  # returns at once: exec() would not return until the box is closed
    box = shell.window.findChild(QMessageBox, "aboutBox")
    assert box is not None and box.isVisible() and box.isModal()
    assert "/var/log/lisa/lisa-desktop.log" in box.text()
    box.grab().save("/tmp/visible-failures-about.png")
    box.accept()
    qtbot.waitUntil(lambda: shell.window.findChild(QMessageBox, "aboutBox") is None, timeout=5_000)


def test_the_log_masks_secrets(tmp_path: Path) -> None:
    add_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
    body = '{"apiKey": "sk-live-123", "Authorization": "Bearer t0k"}'
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key %s, body %s", (secret, body), None)
    SecretFilter().filter(record)
    assert record.getMessage() == 'key ***, body {"apiKey": "***", "Authorization": "***"}'


def test_logging_goes_to_a_private_rotating_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a child process: logging is configured once per process."""
    monkeypatch.setenv("LISA_DESKTOP_LOG_DIR", str(tmp_path / "logs"))
    code = (
        "import logging; from lisa_desktop.logs import configure_logging\n"
        "print(configure_logging()); logging.getLogger('x').warning('apiKey=sk-canary-42 was used')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    path = tmp_path / "logs" / "lisa-desktop.log"
    assert done.stdout.strip() == str(path)
    assert "WARNING x [MainThread] apiKey=***" in path.read_text() and "canary" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert log_file() == path
