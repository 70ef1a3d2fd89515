"""The jobs the window started, as Qt models: one row per job, and the events of the job on show.

Jobs report through `add_event`/`finish`, always on the GUI thread (JobSignals queues them there). A job's events
and end can arrive before `track()` names it, because the job starts the moment it is submitted: they wait in a
buffer and join the job when it is tracked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from engine.jobs.events import JobEvent, Source, StepState
from ui.backend import JobEnd, JobKind, JobTicket

MAX_FINISHED: Final = 200
MAX_UNTRACKED: Final = 100
"""Job ids whose events wait for track(); a job that is never tracked must not grow the buffer for ever."""

RUNNING: Final = "Running"
CANCELLING: Final = "Cancelling…"
RECOVERING: Final = "Recovering"
RUN_BY_PREFIX: Final = "Run by "
"""A running job of a change another system runs (team mode: `Run by LISA`): it cannot be cancelled."""
RECOVERED_PREFIX: Final = "recovered: "
"""A recovered job's outcome: `recovered: ` and what recovery did (resumed, rolled back, settled already)."""
RECOVERY_FAILED: Final = "recovery-failed"
TAKEN_OVER_PREFIX: Final = "taken over: "
"""A takeover's outcome: `taken over: ` and what it did (resumed, rolled back)."""
TAKEOVER_FAILED: Final = "takeover-failed"
OUTCOME_TEXT: Final = {
    "succeeded": "Succeeded",
    "rolled-back": "Rolled back",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "refused": "Refused",
    RECOVERY_FAILED: "Recovery failed",
    TAKEOVER_FAILED: "Takeover failed",
}

JOB_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1
MODEL_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 2
KIND_ROLE: Final = Qt.ItemDataRole.UserRole + 3

GREEN: Final = QColor("#2e7d32")
ORANGE: Final = QColor("#b35c00")
RED: Final = QColor("#c62828")
BLUE: Final = QColor("#1565c0")
GREY: Final = QColor("#757575")
ECS_COLOUR: Final = QColor("#00838f")

STATUS_COLOURS: Final = {
    RUNNING: BLUE,
    RECOVERING: BLUE,
    f"{RUN_BY_PREFIX}LISA": BLUE,
    CANCELLING: ORANGE,
    "Succeeded": GREEN,
    "Rolled back": ORANGE,
    "Failed": RED,
    "Cancelled": GREY,
    "Refused": ORANGE,
    "Recovery failed": RED,
    "Recovered: resumed": GREEN,
    "Recovered: settled already": GREEN,
    "Recovered: rolled back": ORANGE,
    "Taken over: resumed": GREEN,
    "Taken over: rolled back": ORANGE,
    "Takeover failed": RED,
}
STATE_COLOURS: Final = {
    StepState.SUCCEEDED: GREEN,
    StepState.SKIPPED: GREY,
    StepState.FAILED: RED,
    StepState.ROLLING_BACK: ORANGE,
    StepState.ROLLED_BACK: ORANGE,
}

RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def outcome_text(outcome: str) -> str:
    """`Succeeded`, `Rolled back`, ...; a recovered job's `Recovered: rolled back` keeps what recovery did, a
    takeover's `Taken over: resumed` what it did."""
    if outcome.startswith((RECOVERED_PREFIX, TAKEN_OVER_PREFIX)):
        return outcome.capitalize()
    return OUTCOME_TEXT.get(outcome, outcome.replace("-", " ").capitalize())


def event_text(event: JobEvent) -> str:
    """The event's message, marked when ECS wrote it (verbatim) rather than the engine."""
    return f"ECS: {event.message}" if event.source is Source.ECS else event.message


def elapsed_text(seconds: float) -> str:
    """`0:07`, `12:05`, `1:02:03`."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


@dataclass(frozen=True)
class JobSummary:
    """One job of a model as the details pane shows it."""

    job_id: str
    kind: JobKind
    title: str
    state: str
    started: datetime
    ended: datetime | None
    message: str
    """The outcome message; '' while the job runs."""
    events: tuple[JobEvent, ...]


@dataclass(eq=False)
class JobRecord:
    ticket: JobTicket
    title: str
    started: datetime
    events: list[JobEvent] = field(default_factory=list)
    end: JobEnd | None = None
    ended: datetime | None = None
    cancelling: bool = False

    @property
    def job_id(self) -> str:
        return self.ticket.job_id

    @property
    def running(self) -> bool:
        return self.end is None

    @property
    def state(self) -> str:
        if self.end is not None:
            return outcome_text(self.end.outcome)
        if self.ticket.run_by:
            return f"{RUN_BY_PREFIX}{self.ticket.run_by}"
        if not self.ticket.cancellable:
            return RECOVERING
        return CANCELLING if self.cancelling else RUNNING

    @property
    def step(self) -> str:
        return self.events[-1].step if self.events else ""

    @property
    def message(self) -> str:
        """The outcome once the job ended; until then its latest event."""
        if self.end is not None:
            return self.end.message
        return event_text(self.events[-1]) if self.events else ""

    def elapsed(self, now: datetime) -> float:
        return ((self.ended or now) - self.started).total_seconds()

    def summary(self) -> JobSummary:
        message = self.end.message if self.end is not None else ""
        return JobSummary(
            self.job_id, self.ticket.kind, self.title, self.state, self.started, self.ended, message, tuple(self.events)
        )


@dataclass
class _Untracked:
    first_seen: datetime
    events: list[JobEvent] = field(default_factory=list)
    end: tuple[JobEnd, datetime] | None = None


class JobColumn(IntEnum):
    JOB = 0
    STATUS = 1
    STEP = 2
    ELAPSED = 3
    MESSAGE = 4


JOB_HEADERS: Final = ("Job", "Status", "Step", "Elapsed", "Message")


class JobListModel(QAbstractTableModel):
    """One row per tracked job, newest first; the elapsed cells tick each second while any job runs."""

    job_finished = Signal(object)
    """JobEnd, once per job, after the row shows it."""
    running_changed = Signal(int)

    def __init__(
        self, parent: QObject | None = None, clock: Clock = utc_now, *, max_finished: int = MAX_FINISHED
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self.max_finished = max_finished
        self._jobs: list[JobRecord] = []
        self._by_id: dict[str, JobRecord] = {}
        self._finished: list[JobRecord] = []
        """In the order they ended: the first ones go when there are more than max_finished."""
        self._untracked: dict[str, _Untracked] = {}
        self._running = 0
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)

    # -- Qt model -------------------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(JobColumn)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(JOB_HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return JOB_HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == JobColumn.ELAPSED:
            return RIGHT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        job = self._jobs[index.row()]
        column = JobColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column is JobColumn.STATUS:
                return STATUS_COLOURS.get(job.state)
            if column is JobColumn.MESSAGE and job.running:
                return GREY
            return None
        if role == Qt.ItemDataRole.FontRole and column is JobColumn.STATUS and job.running:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column is JobColumn.ELAPSED:
            return RIGHT
        return {JOB_ID_ROLE: job.job_id, MODEL_ID_ROLE: job.ticket.model_id, KIND_ROLE: job.ticket.kind}.get(role)

    def _display(self, job: JobRecord, column: JobColumn) -> str:
        match column:
            case JobColumn.JOB:
                return job.title
            case JobColumn.STATUS:
                return job.state
            case JobColumn.STEP:
                return job.step
            case JobColumn.ELAPSED:
                return elapsed_text(job.elapsed(self._clock()))
            case JobColumn.MESSAGE:
                return job.message

    def _tooltip(self, job: JobRecord, column: JobColumn) -> str:
        if column is JobColumn.MESSAGE:
            return job.message
        ticket = job.ticket
        lines = [
            job.title,
            f"{ticket.kind} of {ticket.model_id}",
            f"job {job.job_id}",
            f"started {local_clock(job.started)}",
        ]
        if job.ended is not None:
            lines.append(f"ended {local_clock(job.ended)}")
        return "\n".join(lines)

    # -- jobs -----------------------------------------------------------------------------------------------

    def track(self, ticket: JobTicket, title: str) -> None:
        """Add the job at the top, with whatever it reported before now."""
        if ticket.job_id in self._by_id:
            return
        early = self._untracked.pop(ticket.job_id, None)
        started = min(self._clock(), early.first_seen) if early else self._clock()
        job = JobRecord(ticket, title, started, events=early.events if early else [])
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._jobs.insert(0, job)
        self._by_id[job.job_id] = job
        self.endInsertRows()
        if early is not None and early.end is not None:
            self._finish(job, *early.end)
        else:
            self._running_may_have_changed()

    def rename(self, old_id: str, new_id: str) -> None:
        """A job tracked before it had its id (a takeover: its entry is shown at once, its job is made on the
        worker) takes the id its events carry, with whatever arrived under that id meanwhile."""
        job = self._by_id.get(old_id)
        if job is None or new_id in self._by_id:
            return
        del self._by_id[old_id]
        job.ticket = replace(job.ticket, job_id=new_id)
        self._by_id[new_id] = job
        early = self._untracked.pop(new_id, None)
        if early is not None:
            job.events.extend(early.events)
            if early.end is not None and job.end is None:
                self._finish(job, *early.end)

    def add_event(self, event: JobEvent) -> None:
        job = self._by_id.get(event.job_id)
        if job is None:
            self._early(event.job_id).events.append(event)
            return
        job.events.append(event)
        row = self._jobs.index(job)
        self.dataChanged.emit(self.index(row, JobColumn.STEP), self.index(row, JobColumn.MESSAGE))

    def finish(self, end: JobEnd) -> None:
        """Record the job's end; a second end for the same job is ignored."""
        job = self._by_id.get(end.job_id)
        if job is None:
            early = self._early(end.job_id)
            if early.end is None:
                early.end = (end, self._clock())
        elif job.end is None:
            self._finish(job, end, self._clock())

    def request_cancel(self, job_id: str) -> bool:
        """Ask a running job to stop (it rolls back what it did); False when it is not running or already asked."""
        job = self._by_id.get(job_id)
        if job is None or not job.running or job.cancelling or not job.ticket.cancellable:
            return False
        job.cancelling = True
        row = self._jobs.index(job)
        self.dataChanged.emit(self.index(row, JobColumn.STATUS), self.index(row, JobColumn.STATUS))
        job.ticket.cancel()
        return True

    def job(self, job_id: str) -> JobRecord | None:
        return self._by_id.get(job_id)

    def job_at(self, row: int) -> JobRecord:
        return self._jobs[row]

    def index_of(self, job_id: str) -> QModelIndex:
        job = self._by_id.get(job_id)
        return self.index(self._jobs.index(job), 0) if job is not None else QModelIndex()

    def running_count(self) -> int:
        return self._running

    def running_here(self) -> int:
        """Running jobs this console runs itself: not those it only follows (run by LISA, which go on without it)."""
        return sum(1 for job in self._jobs if job.running and not job.ticket.run_by)

    def running_jobs(self) -> list[str]:
        return [job.job_id for job in self._jobs if job.running]

    def running_models(self) -> set[str]:
        """The models our running jobs are changing."""
        return {job.ticket.model_id for job in self._jobs if job.running}

    def history(self, model_id: str) -> list[JobSummary]:
        """That model's jobs, newest first."""
        return [job.summary() for job in self._jobs if job.ticket.model_id == model_id]

    # -- internals ------------------------------------------------------------------------------------------

    def _early(self, job_id: str) -> _Untracked:
        early = self._untracked.get(job_id)
        if early is None:
            early = self._untracked[job_id] = _Untracked(self._clock())
            while len(self._untracked) > MAX_UNTRACKED:
                del self._untracked[next(iter(self._untracked))]
        return early

    def _finish(self, job: JobRecord, end: JobEnd, ended: datetime) -> None:
        job.end, job.ended = end, ended
        self._finished.append(job)
        row = self._jobs.index(job)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(JobColumn) - 1))
        self._drop_oldest_finished()
        self._running_may_have_changed()
        self.job_finished.emit(end)

    def _drop_oldest_finished(self) -> None:
        while len(self._finished) > self.max_finished:
            job = self._finished.pop(0)
            row = self._jobs.index(job)
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._jobs[row]
            del self._by_id[job.job_id]
            self.endRemoveRows()

    def _running_may_have_changed(self) -> None:
        running = sum(1 for job in self._jobs if job.running)
        if running and not self.timer.isActive():
            self.timer.start()
        elif not running:
            self.timer.stop()
        if running != self._running:
            self._running = running
            self.running_changed.emit(running)

    def _tick(self) -> None:
        for row, job in enumerate(self._jobs):
            if job.running:
                cell = self.index(row, JobColumn.ELAPSED)
                self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])


class EventColumn(IntEnum):
    TIME = 0
    STEP = 1
    STATE = 2
    MESSAGE = 3


EVENT_HEADERS: Final = ("Time", "Step", "State", "Message")


class JobEventModel(QAbstractTableModel):
    """The events of one job, oldest first; ECS service events read `ECS: …` in their own colour."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: list[JobEvent] = []

    def show(self, events: Sequence[JobEvent]) -> None:
        self.beginResetModel()
        self._events = list(events)
        self.endResetModel()

    def append(self, event: JobEvent) -> None:
        row = len(self._events)
        self.beginInsertRows(QModelIndex(), row, row)
        self._events.append(event)
        self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(EventColumn)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return EVENT_HEADERS[section] if 0 <= section < len(EVENT_HEADERS) else None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        event = self._events[index.row()]
        column = EventColumn(index.column())
        ecs = event.source is Source.ECS
        if role == Qt.ItemDataRole.DisplayRole:
            return (local_clock(event.timestamp), event.step, str(event.state), event_text(event))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            origin = "ECS service event, as ECS wrote it" if ecs else "LISA Desktop"
            return f"{event.timestamp.astimezone():%Y-%m-%d %H:%M:%S %Z} · {origin}\n{event.message}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if column is EventColumn.STATE:
                return STATE_COLOURS.get(event.state)
            return ECS_COLOUR if ecs and column is EventColumn.MESSAGE else None
        return None
