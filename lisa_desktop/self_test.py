"""`lisa-desktop --self-test`: does this installation work? For ops after installing, and the installer's smoke test.

It runs the real application path, offscreen unless a Qt platform is set: the QApplication with its icon, the
main window, a fresh in-process sandbox opened by the Shell as at start-up, the window's first refresh, and one
metadata update job (a new model description) submitted as the console submits jobs and followed to its end.
Each check is printed with its time; the exit code is 0 when all passed, 1 with the reason otherwise. Nothing
of the user's is read or written: settings, snapshots and connections live in a scratch folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lisa_desktop import __version__

if TYPE_CHECKING:
    from lisa_desktop.app import Shell
    from ui.backend import JobEnd
    from ui.background import Background
    from ui.main_window import MainWindow

SELF_TEST_FLAG = "--self-test"
TIMEOUT_S = 120.0
"""The whole self-test; a sandbox opens in seconds and the update job ends in a few more on a slow machine."""
PREFERRED_MODEL = "mistral-7b-instruct"
"""A seeded LISA-hosted model that is InService from the start (any InService model serves otherwise)."""
EXIT_FAILED = 1


class CheckFailed(Exception):
    """A check did not pass; the message says why, for the person reading the output."""


class SelfTest:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()
        self.current = "starting"

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def passed(self, check: str, began: float, detail: str) -> None:
        self.say(f"  ok    {check:<11} {time.monotonic() - began:6.2f} s   {detail}")

    async def wait_for(self, condition: Callable[[], bool], what: str, *, poll_s: float = 0.05) -> None:
        """Let the event loop run until `condition()` holds (the overall timeout bounds the wait)."""
        self.current = what
        while not condition():
            await asyncio.sleep(poll_s)

    async def run(self, window: MainWindow, shell: Shell, background: Background) -> None:
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtGui import QGuiApplication

        from lisa_desktop.startup_probe import seconds_since_process_start
        from resources import resource

        began = time.monotonic()
        self.current = "the window icon"
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        icon_file = resource("icons/lisa-desktop.svg")
        if not icon_file.is_file():
            raise CheckFailed(f"the icon file is not installed: {icon_file}")
        if app.windowIcon().pixmap(64, 64).isNull():
            raise CheckFailed(
                f"the window icon {icon_file} does not render: Qt's svg icon engine or image format plugin is missing"
            )
        self.passed("icon", began, f"{Path(str(icon_file)).name} renders (Qt platform '{app.platformName()}')")

        began = time.monotonic()
        painted = threading.Event()

        class PaintWatch(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    painted.set()
                return False

        watch = PaintWatch(window)
        window.installEventFilter(watch)
        window.show()
        await self.wait_for(painted.is_set, "the main window's first paint")
        window.removeEventFilter(watch)
        since_start = seconds_since_process_start()
        self.passed("window", began, f"main window painted, {since_start:.2f} s after the process started")

        began = time.monotonic()
        self.current = "opening the built-in sandbox"
        args = argparse.Namespace(sandbox=True, connection=None, endpoint_url=None, deployment_prefix=None, region=None)
        await shell.start(args)
        backend = shell.backend
        if backend is None:
            raise CheckFailed(f"the sandbox did not open: {plain(window.error_label.text())}")
        if not backend.is_sandbox:
            raise CheckFailed(f"the window opened {backend.label}, not the built-in sandbox")
        self.passed("sandbox", began, f"opened: {window.connection_label.text()}")

        began = time.monotonic()
        await self.wait_for(
            lambda: window.refresher.last_success is not None or window.stale, "the window's first refresh"
        )
        if window.refresher.last_success is None:
            raise CheckFailed(f"the refresh failed: {plain(window.banner.message.text())}")
        rows = window.table_model.rows()
        if not rows:
            raise CheckFailed("the refresh listed no models; the sandbox seeds 14")
        self.passed("refresh", began, f"{len(rows)} models in the table")

        began = time.monotonic()
        in_service = sorted(row.model_id for row in rows if row.status == "InService")
        if not in_service:
            raise CheckFailed("no model is InService to update")
        model_id = PREFERRED_MODEL if PREFERRED_MODEL in in_service else in_service[0]
        description = f"self-test {time.strftime('%Y-%m-%dT%H:%M:%S')}"
        ended: list[JobEnd] = []

        def on_end(end: JobEnd) -> None:  # a job-runner thread: the panel's signal crosses to the GUI thread
            window.jobs.signals.ended.emit(end)
            ended.append(end)

        from ui.backend import JobKind

        ticket = backend.submit(
            JobKind.UPDATE,
            model_id,
            on_event=window.jobs.signals.event.emit,
            on_end=on_end,
            payload={"modelDescription": description},
        )
        window.jobs.track(ticket, f"Update {model_id} (self-test)")
        await self.wait_for(lambda: bool(ended), f"the update job on {model_id}")
        end = ended[0]
        if not end.ok:
            raise CheckFailed(f"the update job on {model_id} ended {end.outcome}: {end.message}")
        row = await background.run(backend.model_row, model_id)
        if row.config.get("modelDescription") != description:
            raise CheckFailed(f"the update job succeeded but {model_id}'s description is not the new one")
        self.passed("update job", began, f"{model_id}: {end.outcome}, now {row.status} with the new description")

        began = time.monotonic()
        from ui.about import LICENCE, about_text

        about = about_text(window.connection_label.text())
        if __version__ not in about or LICENCE not in about:
            raise CheckFailed(f"the About box does not show the version and licence: {plain(about)}")
        tray = "tray icon shown" if window.notifier.tray is not None else "no system tray on this platform"
        self.passed("about", began, f"LISA Desktop {__version__}, {LICENCE}; {tray}")


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").strip()


def run_self_test(timeout_s: float = TIMEOUT_S, out: TextIO | None = None) -> int:
    """Run every check in this process; returns the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = out or sys.stdout
    test = SelfTest(out)
    where = getattr(sys, "_MEIPASS", None) or str(Path(__file__).resolve().parents[1])
    test.say(f"lisa-desktop {__version__} self-test ({'bundle' if hasattr(sys, '_MEIPASS') else 'python'}: {where})")
    with tempfile.TemporaryDirectory(prefix="lisa-desktop-self-test-") as scratch:
        try:
            run_in_app(test, Path(scratch), timeout_s)
        except CheckFailed as failure:
            test.say(f"FAILED after {time.monotonic() - test.started:.1f} s: {failure}")
            return EXIT_FAILED
        except TimeoutError:
            test.say(f"FAILED: timed out after {timeout_s:.0f} s waiting for {test.current}")
            return EXIT_FAILED
        except Exception as error:
            test.say(f"FAILED while {test.current}: {type(error).__name__}: {error}")
            return EXIT_FAILED
    test.say(f"self-test passed in {time.monotonic() - test.started:.1f} s")
    return 0


def run_in_app(test: SelfTest, scratch: Path, timeout_s: float) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import qasync
    from PySide6.QtCore import QMessageLogContext, QSettings, QtMsgType, qInstallMessageHandler

    from lisa_desktop.app import ENGINE_THREADS, Shell, create_application
    from lisa_desktop.connections import ConnectionStore
    from lisa_desktop.snapshot import SnapshotStore
    from ui.background import Background
    from ui.main_window import MainWindow

    def qt_message(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" not in message:  # the offscreen platform says it of every window shown
            sys.stderr.write(f"qt: {message}\n")

    qInstallMessageHandler(qt_message)
    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=ENGINE_THREADS, thread_name_prefix="lisa-engine")
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    background = Background(executor)
    window = MainWindow(settings, background)
    shell = Shell(
        window,
        background,
        SnapshotStore(scratch / "snapshots"),
        store=ConnectionStore(scratch / "connections.json"),
        settings=settings,
    )
    work: Coroutine[Any, Any, None] = asyncio.wait_for(test.run(window, shell, background), timeout_s)
    with loop:
        try:
            loop.run_until_complete(work)
        finally:
            window.close()  # cancels the window's tasks while the loop still runs them
            shell.close()  # cancels a job still running (it rolls back) and stops the sandbox
            executor.shutdown(wait=False, cancel_futures=True)
