"""Leaving a deployment with jobs still running asks first: closing the window keeps them running in the background
or cancels them (each rolls back) before it closes; switching cancels them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory, sandbox_args
from tests.ui.test_main_window import select
from ui.backend import JobEnd, JobKind
from ui.close_question import CloseChoice, CloseWhileRunningBox
from ui.dialogs import ConfirmDialog
from ui.main_window import MainWindow


@pytest.fixture(scope="module")
def backend() -> Iterator[DeploymentBackend]:
    with DeploymentBackend.open(sandbox_args()) as opened:
        yield opened


def start_a_job(window: MainWindow, model_id: str, kind: JobKind = JobKind.STOP) -> list[JobEnd]:
    """Start the job as the toolbar does; the list receives its end."""
    ends: list[JobEnd] = []
    window.jobs.job_finished.connect(ends.append)
    select(window, model_id)
    window.submission.submit(kind, window.selected_rows())
    assert window.jobs.running_count() == 1
    return ends


def close_box(window: MainWindow) -> CloseWhileRunningBox:
    box = window.close_box
    assert box is not None and box.isVisible()
    return box


def test_closing_with_no_job_running_asks_nothing(make_window: WindowFactory, backend: DeploymentBackend) -> None:
    window = make_window(backend)
    left: list[bool] = []
    window.left.connect(lambda: left.append(True))
    assert window.close()
    assert window.close_box is None
    assert left == [True]


def test_closing_with_a_running_job_asks_and_escape_or_dont_close_keep_the_window(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    start_a_job(window, "claude-3-5-sonnet")
    assert not window.close()
    box = close_box(window)
    assert "1 job is still running" in box.text()
    assert [box.keep.text(), box.roll_back.text(), box.stay.text()] == [
        "Keep running in the background",
        "Cancel and roll back",
        "Don't close",
    ]
    assert box.defaultButton() is box.keep
    assert box.escapeButton() is box.stay
    chosen: list[CloseChoice] = []
    box.chosen.connect(chosen.append)
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert chosen == [CloseChoice.STAY]
    assert not box.isVisible()
    assert window.isVisible() and window.leaving is None
    window.close()  # asked again, and answered with the button this time
    again = close_box(window)
    assert again is not box
    again.stay.click()
    assert window.isVisible() and window.leaving is None
    qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=60_000)
    assert window.isVisible()  # the job's end closes nothing when no close was chosen


def test_keep_running_hides_the_window_and_quits_once_the_job_has_ended(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    ends = start_a_job(window, "bge-large-en")
    window.close()
    with qtbot.waitSignal(window.left, timeout=120_000):
        close_box(window).keep.click()
        assert window.leaving is CloseChoice.KEEP_RUNNING
        assert not window.isVisible()
        assert window.jobs.running_count() == 1  # still running, with no window
    [end] = ends
    assert (end.outcome, end.final_status) == ("succeeded", "Stopped")
    assert backend.model_row("bge-large-en").status == "Stopped"


def test_cancel_and_roll_back_shows_the_rollback_then_closes(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    ends = start_a_job(window, "llama3-8b-tgi", JobKind.START)
    job_id = window.jobs.shown_job()
    assert job_id is not None
    window.close()
    with qtbot.waitSignal(window.left, timeout=120_000):
        close_box(window).roll_back.click()
        assert window.leaving is CloseChoice.ROLL_BACK
        assert window.isVisible()  # showing the rollback in the Jobs panel meanwhile
        assert window.jobs.isVisible()
        job = window.jobs.model.job(job_id)
        assert job is not None and job.cancelling
        assert not window.commands.start.isEnabled()
        assert "closes once the running jobs have ended" in window.commands.start.toolTip()
        assert "Cancelling 1 job(s)" in window.statusBar().currentMessage()
    assert not window.isVisible()
    [end] = ends
    assert end.outcome == "cancelled"
    assert backend.model_row("llama3-8b-tgi").status == "Stopped"


def test_switching_deployment_with_a_running_job_asks_first(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    window.set_connections(["prod"], "sandbox")
    requested: list[str] = []
    window.connection_requested.connect(requested.append)
    start_a_job(window, "mistral-7b-instruct")
    window.switcher.setCurrentIndex(1)
    window.switcher.activated.emit(1)
    assert requested == []
    assert window.switcher.currentData() == "sandbox"
    dialog = window.findChild(ConfirmDialog, "switchConfirmDialog")
    assert dialog is not None
    dialog.confirm.click()
    assert requested == ["prod"]
    assert window.switcher.currentData() == "prod"
    qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=120_000)
    window.switcher.setCurrentIndex(0)
    window.switcher.activated.emit(0)  # nothing running: no question
    assert requested == ["prod", "sandbox"]
