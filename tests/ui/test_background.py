"""The window's one way to work off the GUI thread: results come back from a worker, failures are never silent,
and closing cancels what still runs."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
import qasync
from pytestqt.qtbot import QtBot

from lisa_desktop.unexpected import UnexpectedErrors
from ui.background import Background
from ui.banner import Banner

Reported = list[tuple[BaseException, str]]


def reporting(background: Background) -> Reported:
    reported: Reported = []
    background.reporter = lambda error, what: reported.append((error, what))
    return reported


def test_a_run_returns_the_workers_result_and_the_gui_thread_does_not_run_it(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    gui_thread = threading.get_ident()
    got: list[tuple[int, str]] = []

    def blocking(word: str) -> tuple[int, str]:
        return threading.get_ident(), word.upper()

    async def work() -> None:
        got.append(await background.run(blocking, "done"))

    task = background.start(work(), what="a run")
    assert background.running == 1  # kept: the loop alone holds tasks only weakly
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    worker, result = got[0]
    assert result == "DONE"
    assert worker != gui_thread
    qtbot.waitUntil(task.done)
    assert background.running == 0


def test_a_failed_task_is_reported_with_what_it_was_doing(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    reported = reporting(background)

    async def broken() -> None:
        await background.run(lambda: None)
        raise KeyError("the task broke")

    background.start(broken(), what="reading the job history")
    qtbot.waitUntil(lambda: bool(reported), timeout=10_000)
    [(error, what)] = reported
    assert isinstance(error, KeyError) and what == "reading the job history"


def test_without_a_reporter_a_failed_task_is_logged(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise ValueError("nobody looks")

    with caplog.at_level(logging.ERROR, logger="ui.background"):
        background.start(broken(), what="checking write access")
        qtbot.waitUntil(lambda: any(r.name == "ui.background" for r in caplog.records), timeout=10_000)
    [record] = [r for r in caplog.records if r.name == "ui.background"]
    assert "checking write access" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_in_the_app_a_failure_is_logged_and_shown_in_the_error_banner(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, caplog: pytest.LogCaptureFixture
) -> None:
    banner = Banner(None, object_name="errorBanner")
    qtbot.addWidget(banner)
    errors = UnexpectedErrors(banner)  # as lisa_desktop.app wires it
    background.reporter = errors.report
    shown: list[str] = []
    errors.caught.connect(lambda summary, _details: shown.append(summary))

    async def broken() -> None:
        raise RuntimeError("a bug in opening")

    with caplog.at_level(logging.ERROR):
        background.start(broken(), what="opening the deployment")
        qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == ["RuntimeError: a bug in opening"]
    assert banner.message.text().startswith("Unexpected error: RuntimeError: a bug in opening.")
    assert any("opening the deployment" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_submitted_calls_failure_is_reported(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    reported = reporting(background)
    ran: list[str] = []

    def broken() -> None:
        ran.append(threading.current_thread().name)
        raise OSError("disk full")

    background.submit(broken, what="saving the snapshot")
    qtbot.waitUntil(lambda: bool(reported), timeout=10_000)
    [(error, what)] = reported
    assert isinstance(error, OSError) and what == "saving the snapshot"
    assert ran and ran[0] != threading.current_thread().name


def test_a_submitted_call_that_succeeds_reports_nothing(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    reported = reporting(background)
    done = threading.Event()
    background.submit(done.set, what="a quick call")
    qtbot.waitUntil(done.is_set, timeout=10_000)
    assert reported == []


def test_close_cancels_the_tasks_still_running_and_reports_no_failure(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background
) -> None:
    reported = reporting(background)
    never = asyncio.Event()

    async def waiting() -> None:
        await never.wait()

    tasks = [background.start(waiting(), what=f"waiting {n}") for n in range(2)]
    assert background.running == 2
    background.close()
    qtbot.waitUntil(lambda: all(task.done() for task in tasks), timeout=10_000)
    assert all(task.cancelled() for task in tasks)
    assert background.running == 0
    assert reported == []
