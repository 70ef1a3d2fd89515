from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.jobs.events import JobEvent, Source, StepState
from ui.backend import JobEnd, JobKind, JobTicket
from ui.job_model import (
    ECS_COLOUR,
    GREEN,
    MAX_UNTRACKED,
    EventColumn,
    JobColumn,
    JobEventModel,
    JobListModel,
)

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
DISPLAY = Qt.ItemDataRole.DisplayRole


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def ticket(job_id: str, model_id: str = "bge-large-en", kind: JobKind = JobKind.STOP) -> JobTicket:
    return JobTicket(job_id, model_id, kind, threading.Event().set)


def event(
    job_id: str,
    step: str,
    state: StepState,
    message: str,
    source: Source = Source.ENGINE,
    model_id: str = "bge-large-en",
) -> JobEvent:
    return JobEvent(job_id, model_id, step, state, message, source=source)


def end(job_id: str, outcome: str = "succeeded", message: str = "stopped", model_id: str = "bge-large-en") -> JobEnd:
    return JobEnd(job_id, model_id, JobKind.STOP, outcome, message, "Stopped")


def cell(model: JobListModel, job_id: str, column: JobColumn, role: int = DISPLAY) -> object:
    return model.data(model.index_of(job_id).siblingAtColumn(column), role)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def model(qapp: QApplication, clock: FakeClock) -> JobListModel:
    return JobListModel(clock=clock)


@pytest.fixture
def tester(model: JobListModel) -> QAbstractItemModelTester:
    """Checks every change the test makes; a broken invariant is a Qt warning, and warnings fail the test."""
    return QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)


def test_a_job_row_shows_title_status_step_elapsed_and_message(model: JobListModel, clock: FakeClock) -> None:
    model.track(ticket("job-1"), "Stop bge-large-en")
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in JobColumn] == [
        "Job",
        "Status",
        "Step",
        "Elapsed",
        "Message",
    ]
    assert cell(model, "job-1", JobColumn.JOB) == "Stop bge-large-en"
    assert cell(model, "job-1", JobColumn.STATUS) == "Running"
    assert cell(model, "job-1", JobColumn.STEP) == ""
    assert cell(model, "job-1", JobColumn.ELAPSED) == "0:00"

    model.add_event(event("job-1", "intake", StepState.STARTED, "InService → Stopping"))
    model.add_event(event("job-1", "litellm", StepState.STARTED, "removing LiteLLM entry 94e9"))
    clock.advance(65)
    assert cell(model, "job-1", JobColumn.STEP) == "litellm"
    assert cell(model, "job-1", JobColumn.MESSAGE) == "removing LiteLLM entry 94e9"
    assert cell(model, "job-1", JobColumn.ELAPSED) == "1:05"

    clock.advance(5)
    model.finish(end("job-1", "succeeded", "stopped"))
    clock.advance(600)
    assert cell(model, "job-1", JobColumn.STATUS) == "Succeeded"
    assert cell(model, "job-1", JobColumn.MESSAGE) == "stopped"
    assert cell(model, "job-1", JobColumn.ELAPSED) == "1:10", "a finished job's time stops"
    assert cell(model, "job-1", JobColumn.STEP) == "litellm"


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        ("succeeded", "Succeeded"),
        ("rolled-back", "Rolled back"),
        ("failed", "Failed"),
        ("cancelled", "Cancelled"),
        ("refused", "Refused"),
    ],
)
def test_each_outcome_reads_as_a_status(model: JobListModel, outcome: str, text: str) -> None:
    model.track(ticket("job-1"), "Update bge-large-en")
    model.finish(end("job-1", outcome, "rolled back to revision 7"))
    assert cell(model, "job-1", JobColumn.STATUS) == text
    assert cell(model, "job-1", JobColumn.MESSAGE) == "rolled back to revision 7"


def test_newest_job_is_on_top(model: JobListModel) -> None:
    model.track(ticket("job-1"), "Stop bge-large-en")
    model.track(ticket("job-2", "mistral-7b-instruct", JobKind.START), "Start mistral-7b-instruct")
    assert [model.job_at(row).job_id for row in range(model.rowCount())] == ["job-2", "job-1"]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.UserRole + 2) == "mistral-7b-instruct"
    assert model.rowCount(model.index(0, 0)) == 0, "a flat list: jobs have no children"


def test_elapsed_cells_tick_only_while_a_job_runs(qtbot: QtBot, model: JobListModel) -> None:
    assert not model.timer.isActive()
    model.track(ticket("job-1"), "Stop bge-large-en")
    model.track(ticket("job-2"), "Start bge-large-en")
    model.finish(end("job-2"))
    assert model.timer.isActive()

    def only_the_running_elapsed_cell(top_left: QModelIndex, bottom_right: QModelIndex, _roles: object) -> bool:
        assert (top_left.row(), top_left.column()) == (bottom_right.row(), bottom_right.column())
        assert top_left.column() == JobColumn.ELAPSED
        assert model.job_at(top_left.row()).job_id == "job-1"
        return True

    with qtbot.waitSignal(model.dataChanged, timeout=3000, check_params_cb=only_the_running_elapsed_cell):
        pass
    model.finish(end("job-1"))
    assert not model.timer.isActive()


@pytest.mark.usefixtures("tester")
def test_events_and_end_that_arrive_before_track_join_the_job(model: JobListModel, clock: FakeClock) -> None:
    finished: list[JobEnd] = []
    model.job_finished.connect(finished.append)
    early = [
        event("job-1", "validate", StepState.SUCCEEDED, "stop of bge-large-en: enabled"),
        event("job-1", "intake", StepState.STARTED, "InService → Stopping"),
    ]
    for item in early:
        model.add_event(item)
    model.finish(end("job-1"))
    assert model.rowCount() == 0
    assert finished == []

    clock.advance(3)
    model.track(ticket("job-1"), "Stop bge-large-en")
    job = model.job("job-1")
    assert job is not None
    assert job.events == early
    assert cell(model, "job-1", JobColumn.STATUS) == "Succeeded"
    assert cell(model, "job-1", JobColumn.ELAPSED) == "0:00", "ended when the end arrived, before track()"
    assert finished == [end("job-1")]
    assert model.running_count() == 0


def test_early_events_count_towards_elapsed_and_a_later_end_still_lands(model: JobListModel, clock: FakeClock) -> None:
    model.add_event(event("job-1", "validate", StepState.SUCCEEDED, "ok"))
    clock.advance(4)
    model.track(ticket("job-1"), "Stop bge-large-en")
    assert cell(model, "job-1", JobColumn.ELAPSED) == "0:04"
    assert cell(model, "job-1", JobColumn.STATUS) == "Running"
    model.add_event(event("job-1", "intake", StepState.STARTED, "InService → Stopping"))
    model.finish(end("job-1", "failed", "stop failed"))
    job = model.job("job-1")
    assert job is not None
    assert [e.step for e in job.events] == ["validate", "intake"]
    assert cell(model, "job-1", JobColumn.STATUS) == "Failed"


def test_the_early_buffer_is_bounded(model: JobListModel) -> None:
    for number in range(MAX_UNTRACKED + 1):
        model.add_event(event(f"job-{number}", "validate", StepState.SUCCEEDED, "ok"))
    model.track(ticket("job-0"), "never tracked in time")
    model.track(ticket(f"job-{MAX_UNTRACKED}"), "the newest")
    forgotten, kept = model.job("job-0"), model.job(f"job-{MAX_UNTRACKED}")
    assert forgotten is not None
    assert kept is not None
    assert forgotten.events == []
    assert [e.job_id for e in kept.events] == [f"job-{MAX_UNTRACKED}"]


def test_job_finished_is_emitted_once_and_running_count_follows(model: JobListModel) -> None:
    finished: list[JobEnd] = []
    counts: list[int] = []
    model.job_finished.connect(finished.append)
    model.running_changed.connect(counts.append)
    model.track(ticket("job-1"), "Stop bge-large-en")
    model.track(ticket("job-2"), "Start bge-large-en")
    model.track(ticket("job-1"), "tracked twice")
    model.finish(end("job-1"))
    model.finish(end("job-1", "failed", "a second end"))
    model.finish(end("job-2", "cancelled", "cancelled"))
    assert finished == [end("job-1"), end("job-2", "cancelled", "cancelled")]
    assert counts == [1, 2, 1, 0]
    assert cell(model, "job-1", JobColumn.JOB) == "Stop bge-large-en"


def test_request_cancel_calls_the_ticket_once_and_shows_cancelling(model: JobListModel) -> None:
    cancelled = threading.Event()
    model.track(JobTicket("job-1", "bge-large-en", JobKind.STOP, cancelled.set), "Stop bge-large-en")
    assert model.request_cancel("job-1")
    assert cancelled.is_set()
    assert cell(model, "job-1", JobColumn.STATUS) == "Cancelling…"
    assert not model.request_cancel("job-1")
    model.finish(end("job-1", "cancelled", "cancelled; nothing had changed yet"))
    assert cell(model, "job-1", JobColumn.STATUS) == "Cancelled"
    assert not model.request_cancel("job-1")
    assert not model.request_cancel("job-unknown")


def test_history_lists_a_models_jobs_newest_first_with_their_events(model: JobListModel, clock: FakeClock) -> None:
    stop = event("job-1", "finalize", StepState.SUCCEEDED, "bge-large-en is Stopped")
    model.track(ticket("job-1"), "Stop bge-large-en")
    model.add_event(stop)
    clock.advance(10)
    model.finish(end("job-1"))
    model.track(ticket("job-2", "mistral-7b-instruct", JobKind.START), "Start mistral-7b-instruct")
    model.track(ticket("job-3", kind=JobKind.START), "Start bge-large-en")

    running, stopped = model.history("bge-large-en")
    assert (running.job_id, running.kind, running.state, running.ended, running.message, running.events) == (
        "job-3",
        JobKind.START,
        "Running",
        None,
        "",
        (),
    )
    assert (stopped.title, stopped.state, stopped.message, stopped.events) == (
        "Stop bge-large-en",
        "Succeeded",
        "stopped",
        (stop,),
    )
    assert (stopped.started, stopped.ended) == (T0, T0 + timedelta(seconds=10))
    assert [summary.job_id for summary in model.history("mistral-7b-instruct")] == ["job-2"]
    assert model.history("nobody") == []


def test_the_default_cap_is_200_finished_jobs(qapp: QApplication, clock: FakeClock) -> None:
    model = JobListModel(clock=clock)
    for number in range(201):
        model.track(ticket(f"job-{number}"), f"Stop {number}")
        clock.advance(1)
        model.finish(end(f"job-{number}"))

    assert model.rowCount() == 200
    assert model.job("job-0") is None, "the first to finish went first"
    assert model.job("job-1") is not None and model.job("job-200") is not None


def test_only_the_most_recently_finished_jobs_are_kept(qapp: QApplication, clock: FakeClock) -> None:
    # A small cap: every Python-side emit costs PySide 6.12 on CPython 3.11 a reference to True (see the report).
    model = JobListModel(clock=clock, max_finished=3)
    checker = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.track(ticket("job-running"), "Update bge-large-en")
    for number in range(5):
        model.track(ticket(f"job-{number}"), f"Stop {number}")
    for number in (4, 0, 3, 1, 2):
        clock.advance(1)
        model.finish(end(f"job-{number}"))

    assert [model.job_at(row).job_id for row in range(model.rowCount())] == ["job-3", "job-2", "job-1", "job-running"]
    assert model.job("job-4") is None
    assert model.job("job-0") is None
    assert model.running_count() == 1
    assert checker is not None


@pytest.mark.usefixtures("tester")
def test_the_model_keeps_qt_invariants_through_a_jobs_life(qtbot: QtBot, model: JobListModel) -> None:
    model.track(ticket("job-1"), "Stop bge-large-en")
    model.add_event(event("job-1", "intake", StepState.STARTED, "InService → Stopping"))
    model.track(ticket("job-2"), "Start bge-large-en")
    model.request_cancel("job-2")
    model.finish(end("job-2", "cancelled", "cancelled"))
    with qtbot.waitSignal(model.dataChanged, timeout=3000):
        pass
    model.finish(end("job-1"))
    assert model.rowCount() == 2


def test_event_rows_show_local_time_step_state_and_mark_ecs_events(qtbot: QtBot) -> None:
    events = JobEventModel()
    checker = QAbstractItemModelTester(events, QAbstractItemModelTester.FailureReportingMode.Warning)
    ecs = event("job-1", "ecs", StepState.PROGRESS, "(service lisa-bge) has started 1 tasks.", Source.ECS)
    ours = event("job-1", "ecs", StepState.FAILED, "revision 8 did not become stable")
    events.show([ours])
    events.append(ecs)
    assert [events.headerData(c, Qt.Orientation.Horizontal) for c in EventColumn] == [
        "Time",
        "Step",
        "State",
        "Message",
    ]
    assert [events.data(events.index(1, c)) for c in EventColumn] == [
        ecs.timestamp.astimezone().strftime("%H:%M:%S"),
        "ecs",
        "progress",
        "ECS: (service lisa-bge) has started 1 tasks.",
    ]
    assert events.data(events.index(0, EventColumn.MESSAGE)) == "revision 8 did not become stable"
    assert events.data(events.index(1, EventColumn.MESSAGE), Qt.ItemDataRole.ForegroundRole) == ECS_COLOUR
    assert events.data(events.index(0, EventColumn.MESSAGE), Qt.ItemDataRole.ForegroundRole) is None
    assert "as ECS wrote it" in events.data(events.index(1, EventColumn.TIME), Qt.ItemDataRole.ToolTipRole)
    events.show([])
    assert events.rowCount() == 0
    assert checker is not None


def test_the_job_row_marks_a_latest_ecs_event(model: JobListModel) -> None:
    model.track(ticket("job-1"), "Update bge-large-en")
    model.add_event(event("job-1", "ecs", StepState.PROGRESS, "(service lisa-bge) has started 1 tasks.", Source.ECS))
    assert cell(model, "job-1", JobColumn.MESSAGE) == "ECS: (service lisa-bge) has started 1 tasks."


def test_a_takeover_tracked_before_its_job_had_an_id_takes_the_id_with_what_arrived_under_it(
    model: JobListModel, tester: QAbstractItemModelTester
) -> None:
    model.track(JobTicket("takeover-1", "m", JobKind.STOP, lambda: None, cancellable=False), "Take over stop of m")
    model.add_event(event("job-7", "recover", StepState.STARTED, "stop of m: resumed", model_id="m"))
    model.rename("takeover-1", "job-7")
    assert model.job("takeover-1") is None
    job = model.job("job-7")
    assert job is not None and job.ticket.job_id == "job-7" and job.title == "Take over stop of m"
    assert [e.message for e in job.events] == ["stop of m: resumed"]
    model.add_event(event("job-7", "recover", StepState.SUCCEEDED, "taken over: resumed", model_id="m"))
    model.finish(JobEnd("job-7", "m", JobKind.STOP, "taken over: resumed", "Stopped", "Stopped"))
    assert cell(model, "job-7", JobColumn.STATUS) == "Taken over: resumed"
    assert cell(model, "job-7", JobColumn.STATUS, Qt.ItemDataRole.ForegroundRole) == GREEN
    assert model.rowCount() == 1 and model.running_count() == 0
