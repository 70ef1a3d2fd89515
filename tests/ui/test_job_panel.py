from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QMainWindow
from pytestqt.qtbot import QtBot

from engine.jobs.events import JobEvent, Source, StepState
from ui.backend import JobEnd, JobKind, JobTicket, RecoveredJob
from ui.job_model import ECS_COLOUR, ORANGE, EventColumn, JobColumn, outcome_text
from ui.job_panel import JobPanel
from ui.job_recovery import recovery_end, recovery_title

MODEL = "bge-large-en"


def stop_events(job_id: str) -> list[JobEvent]:
    """What `lisa-desktop --sandbox models stop bge-large-en --wait` reports, in order."""
    steps = [
        ("validate", StepState.SUCCEEDED, "stop of bge-large-en: enabled; steps intake → litellm → capacity"),
        ("intake", StepState.STARTED, "InService → Stopping"),
        ("intake", StepState.SUCCEEDED, f"model is Stopping, held by job {job_id}"),
        ("litellm", StepState.SUCCEEDED, "removed LiteLLM entry 94e9abce"),
        ("capacity", StepState.SUCCEEDED, "Auto Scaling group lisa-bge-large-en-asg set to 0/0/0"),
        ("finalize", StepState.SUCCEEDED, "bge-large-en is Stopped"),
    ]
    return [JobEvent(job_id, MODEL, step, state, message) for step, state, message in steps]


def stopped(job_id: str, outcome: str = "succeeded", message: str = "stopped") -> JobEnd:
    return JobEnd(job_id, MODEL, JobKind.STOP, outcome, message, "Stopped")


def make_ticket(job_id: str, kind: JobKind = JobKind.STOP) -> tuple[JobTicket, threading.Event]:
    cancelled = threading.Event()
    return JobTicket(job_id, MODEL, kind, cancelled.set), cancelled


def report_from_worker(panel: JobPanel, events: Sequence[JobEvent], end: JobEnd | None) -> None:
    """Send the reports as the engine does: from a worker thread, through the callbacks; return once it is done."""
    on_event, on_end = panel.signals.callbacks()

    def work() -> None:
        for item in events:
            on_event(item)
        if end is not None:
            on_end(end)

    worker = threading.Thread(target=work, name="lisa-job-test")
    worker.start()
    worker.join()


def shown(panel: JobPanel, job_id: str, column: JobColumn) -> object:
    return panel.model.data(panel.model.index_of(job_id).siblingAtColumn(column))


def event_messages(panel: JobPanel) -> list[str]:
    model = panel.events_model
    return [model.data(model.index(row, EventColumn.MESSAGE)) for row in range(model.rowCount())]


@pytest.fixture
def window(qtbot: QtBot) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    return window


@pytest.fixture
def panel(window: QMainWindow) -> JobPanel:
    """The panel docked in a main window, as the app hosts it."""
    panel = JobPanel(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
    return panel


def test_the_panel_is_the_jobs_dock(qtbot: QtBot, panel: JobPanel) -> None:
    assert panel.objectName() == "jobPanel"
    assert panel.windowTitle() == "Jobs"
    assert not panel.cancel_button.isEnabled()
    assert panel.running_count() == 0


def test_reports_from_a_worker_thread_are_shown_on_the_gui_thread(qtbot: QtBot, panel: JobPanel) -> None:
    ticket, _ = make_ticket("job-1")
    panel.track(ticket, "Stop bge-large-en")
    finished_on: list[threading.Thread] = []
    panel.job_finished.connect(lambda _end: finished_on.append(threading.current_thread()))

    events = stop_events("job-1")
    report_from_worker(panel, events, stopped("job-1"))
    job = panel.model.job("job-1")
    assert job is not None
    assert job.events == [], "queued to the GUI thread, not applied on the worker"

    qtbot.waitUntil(lambda: panel.running_count() == 0)
    assert finished_on == [threading.main_thread()]
    assert job.events == events
    assert shown(panel, "job-1", JobColumn.STATUS) == "Succeeded"
    assert shown(panel, "job-1", JobColumn.STEP) == "finalize"
    assert shown(panel, "job-1", JobColumn.MESSAGE) == "stopped"
    assert panel.shown_job() == "job-1", "the first job is selected when nothing else is"
    assert event_messages(panel) == [e.message for e in events]
    assert panel.outcome.text() == "Succeeded: stopped"


def test_reports_that_arrive_before_track_are_attached_to_the_job(qtbot: QtBot, panel: JobPanel) -> None:
    finished: list[JobEnd] = []
    panel.job_finished.connect(finished.append)
    events = stop_events("job-1")
    with qtbot.waitSignal(panel.signals.ended):
        report_from_worker(panel, events, stopped("job-1"))
    assert panel.model.rowCount() == 0
    assert finished == []

    ticket, _ = make_ticket("job-1")
    panel.track(ticket, "Stop bge-large-en")
    assert finished == [stopped("job-1")]
    assert shown(panel, "job-1", JobColumn.STATUS) == "Succeeded"
    assert event_messages(panel) == [e.message for e in events]
    assert not panel.cancel_button.isEnabled()


def test_step_and_message_follow_the_latest_event_and_ecs_events_are_marked(qtbot: QtBot, panel: JobPanel) -> None:
    ticket, _ = make_ticket("job-1", JobKind.UPDATE)
    panel.track(ticket, "Update bge-large-en")
    ours = JobEvent("job-1", MODEL, "ecs", StepState.STARTED, "updating service lisa-bge to revision 8")
    ecs = JobEvent(
        "job-1", MODEL, "ecs", StepState.PROGRESS, "(service lisa-bge) has started 1 tasks.", source=Source.ECS
    )
    report_from_worker(panel, [ours, ecs], None)
    qtbot.waitUntil(lambda: panel.events_model.rowCount() == 2)

    assert shown(panel, "job-1", JobColumn.STEP) == "ecs"
    assert shown(panel, "job-1", JobColumn.MESSAGE) == "ECS: (service lisa-bge) has started 1 tasks."
    assert event_messages(panel) == [ours.message, "ECS: (service lisa-bge) has started 1 tasks."]
    foreground = Qt.ItemDataRole.ForegroundRole
    events = panel.events_model
    assert events.data(events.index(1, EventColumn.MESSAGE), foreground) == ECS_COLOUR
    assert events.data(events.index(0, EventColumn.MESSAGE), foreground) is None


def test_a_rolled_back_job_shows_its_outcome(qtbot: QtBot, panel: JobPanel) -> None:
    ticket, _ = make_ticket("job-1", JobKind.UPDATE)
    panel.track(ticket, "Update bge-large-en")
    rollback = JobEvent("job-1", MODEL, "rollback", StepState.ROLLED_BACK, "rolled back to revision 7")
    report_from_worker(panel, [rollback], stopped("job-1", "rolled-back", "rolled back to revision 7"))
    qtbot.waitUntil(lambda: panel.running_count() == 0)
    assert shown(panel, "job-1", JobColumn.STATUS) == "Rolled back"
    assert shown(panel, "job-1", JobColumn.MESSAGE) == "rolled back to revision 7"
    assert panel.outcome.isVisibleTo(panel)
    assert panel.outcome.text() == "Rolled back: rolled back to revision 7"


def test_cancel_asks_the_selected_running_job_once_and_says_cancelling_until_it_ends(
    qtbot: QtBot, panel: JobPanel
) -> None:
    done, _ = make_ticket("job-done")
    panel.track(done, "Start bge-large-en")
    panel.signals.ended.emit(stopped("job-done"))
    running, cancelled = make_ticket("job-1")
    panel.track(running, "Stop bge-large-en")
    assert panel.shown_job() == "job-done"
    assert not panel.cancel_button.isEnabled(), "a finished job cannot be cancelled"

    assert panel.focus_job("job-1")
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert cancelled.is_set()
    assert not panel.cancel_button.isEnabled()
    assert panel.cancel_button.text() == "Cancelling…"
    assert shown(panel, "job-1", JobColumn.STATUS) == "Cancelling…"

    undo = JobEvent("job-1", MODEL, "rollback", StepState.ROLLED_BACK, "Auto Scaling group back to 1/1/2")
    report_from_worker(panel, [undo], stopped("job-1", "cancelled", "stop cancelled and rolled back"))
    qtbot.waitUntil(lambda: panel.running_count() == 0)
    assert shown(panel, "job-1", JobColumn.STATUS) == "Cancelled"
    assert not panel.cancel_button.isEnabled()
    assert panel.cancel_button.text() == "Cancel job"


def test_focus_job_selects_the_job_and_shows_its_events(qtbot: QtBot, panel: JobPanel) -> None:
    for job_id in ("job-1", "job-2"):
        ticket, _ = make_ticket(job_id)
        panel.track(ticket, f"Stop {job_id}")
        panel.signals.event.emit(JobEvent(job_id, MODEL, "intake", StepState.STARTED, f"{job_id} intake"))
    assert panel.shown_job() == "job-1"
    assert panel.focus_job("job-2")
    assert panel.shown_job() == "job-2"
    assert event_messages(panel) == ["job-2 intake"]
    assert panel.events_title.text() == "Events of Stop job-2"
    assert not panel.focus_job("job-unknown")
    assert panel.shown_job() == "job-2"


def test_running_changed_job_finished_and_history(qtbot: QtBot, panel: JobPanel) -> None:
    counts: list[int] = []
    finished: list[JobEnd] = []
    panel.running_changed.connect(counts.append)
    panel.job_finished.connect(finished.append)
    first, _ = make_ticket("job-1", JobKind.START)
    second, _ = make_ticket("job-2")
    panel.track(first, "Start bge-large-en")
    panel.track(second, "Stop bge-large-en")
    report_from_worker(panel, stop_events("job-2"), stopped("job-2"))
    report_from_worker(panel, [], stopped("job-2", "failed", "a second end is ignored"))
    qtbot.waitUntil(lambda: panel.running_count() == 1)

    assert counts == [1, 2, 1]
    assert finished == [stopped("job-2")]
    newest, oldest = panel.history(MODEL)
    assert (newest.job_id, newest.state, newest.message, len(newest.events)) == ("job-2", "Succeeded", "stopped", 6)
    assert (oldest.job_id, oldest.kind, oldest.state, oldest.ended) == ("job-1", JobKind.START, "Running", None)
    assert panel.history("mistral-7b-instruct") == []


def test_events_view_follows_the_newest_event_unless_scrolled_up(
    qtbot: QtBot, window: QMainWindow, panel: JobPanel
) -> None:
    window.resize(500, 400)
    window.show()
    qtbot.waitExposed(window)
    ticket, _ = make_ticket("job-1", JobKind.UPDATE)
    panel.track(ticket, "Update bge-large-en")
    bar = panel.events_view.verticalScrollBar()

    def report(count: int) -> None:
        for number in range(count):
            panel.signals.event.emit(JobEvent("job-1", MODEL, "ecs", StepState.PROGRESS, f"tick {number}"))

    report(30)
    qtbot.waitUntil(lambda: 0 < bar.maximum() == bar.value())
    bar.setValue(0)
    grown_from = bar.maximum()
    report(5)
    qtbot.waitUntil(lambda: bar.maximum() > grown_from)  # the new events are laid out
    assert bar.value() == 0, "reading older events: the view stays put"
    bar.setValue(bar.maximum())
    before = bar.maximum()
    report(5)
    qtbot.waitUntil(lambda: before < bar.maximum() == bar.value())
    assert panel.events_view.selectionMode() is QAbstractItemView.SelectionMode.ExtendedSelection


def test_a_recovery_cannot_be_cancelled_and_ends_saying_what_recovery_did(qtbot: QtBot, panel: JobPanel) -> None:
    recovery = JobTicket("job-dead", MODEL, JobKind.UPDATE, lambda: None, cancellable=False)
    running, cancelled = make_ticket("job-live")
    panel.track(recovery, recovery_title(JobKind.UPDATE, MODEL))
    panel.track(running, "Stop bge-large-en")
    panel.focus_job("job-dead")
    assert shown(panel, "job-dead", JobColumn.JOB) == "Recover update of bge-large-en"
    assert shown(panel, "job-dead", JobColumn.STATUS) == "Recovering"
    assert not panel.cancel_button.isEnabled()
    assert "cannot be cancelled" in panel.cancel_button.toolTip()
    assert panel.cancel_all() == 1  # the stop only
    assert cancelled.is_set()
    assert panel.running_count() == 2

    item = RecoveredJob("job-dead", MODEL, JobKind.UPDATE, "rolled back", "rolled-back", "on revision 3", "InService")
    report_from_worker(panel, [], recovery_end(item))
    qtbot.waitUntil(lambda: panel.running_count() == 1)
    assert shown(panel, "job-dead", JobColumn.STATUS) == "Recovered: rolled back"
    status = panel.model.index_of("job-dead").siblingAtColumn(JobColumn.STATUS)
    assert status.data(Qt.ItemDataRole.ForegroundRole) == ORANGE
    assert panel.outcome.text() == "Recovered: rolled back: on revision 3"

    failed = RecoveredJob("job-dead", MODEL, JobKind.UPDATE, "rolled back", "failed", "group gone", "Failed")
    assert recovery_end(failed).outcome == "recovery-failed"
    assert outcome_text(recovery_end(failed).outcome) == "Recovery failed"
