"""What the window needs from a deployment, as an interface: the composition root (lisa_desktop) provides it.

The window never talks to AWS: it calls these methods, the blocking ones on a worker thread (never the GUI
thread), and receives job progress through callbacks that arrive on the engine's worker threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from engine.jobs.events import JobEvent
from engine.model_row import ModelRow

if TYPE_CHECKING:  # sqlite3 and platformdirs: not on the first paint's path
    from engine.aws.guardrails import Guardrail
    from engine.jobs.journal import JournalJob


SANDBOX_LABEL = "SANDBOX — changes are discarded on exit"
"""What the window and the backend call the built-in sandbox (its deployment label)."""


class JobKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    START = "start"
    STOP = "stop"
    DELETE = "delete"
    SCHEDULE = "schedule"
    """Set or remove a LISA-hosted model's schedule (the model keeps its status while the job holds it)."""


@dataclass(frozen=True)
class JobEnd:
    job_id: str
    model_id: str
    kind: JobKind
    outcome: str
    """succeeded, rolled-back, failed, cancelled — or refused (validation said no; nothing was written)."""
    message: str
    final_status: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "succeeded"


@dataclass(frozen=True)
class JobTicket:
    """A submitted job: its id, and how to ask it to stop (it rolls back what it did)."""

    job_id: str
    model_id: str
    kind: JobKind
    cancel: Callable[[], None]
    cancellable: bool = True
    """False for a recovery: it brings an interrupted job's model back to a settled state and cannot stop halfway;
    and for a change LISA runs (LISA cannot cancel its executions)."""
    run_by: str | None = None
    """Who runs the change: None for this console's own job, `LISA` for one sent to LISA's API (team mode)."""


@dataclass(frozen=True)
class InterruptedJob:
    """A job of this workstation on this deployment whose process died before the job ended."""

    job_id: str
    model_id: str
    kind: JobKind


@dataclass(frozen=True)
class RecoveredJob:
    """What recovery did with an interrupted job: `action` is resumed, rolled back or settled already."""

    job_id: str
    model_id: str
    kind: JobKind
    action: str
    outcome: str
    message: str
    final_status: str | None
    """The model's status afterwards (None: it does not exist, as after a delete)."""

    @property
    def settled(self) -> bool:
        return self.final_status != "Failed"


@dataclass(frozen=True)
class Takeover:
    """What taking over a model does, for the status a dead job left it in: that job's kind, and how the model is
    settled from what AWS holds (no journal needed)."""

    kind: JobKind
    how: str


@dataclass(frozen=True)
class JournalEntry:
    """One job of the audit log, and its state now: running, interrupted (its process is gone), ended or
    recovered."""

    job: JournalJob
    state: str


@dataclass(frozen=True)
class CurrentModel:
    """A model as it is now, read for a change about to be submitted: its configuration, and what its record says
    of who changed it last."""

    config: Mapping[str, Any]
    """As LISA's API returns it (with "status", and `guardrailsConfig` when the model has guardrails)."""
    holder: str | None = None
    """The desktop job holding it now (`job-… (caller ARN on host, since …)`), as its record names it."""
    status_reason: str | None = None
    """LISA's own last note on the model (`statusReason`), with its time (`lastStatusUpdate`, ISO 8601)."""
    status_updated: str | None = None
    last_modified: int | None = None
    """Epoch milliseconds of the record's last change."""


@dataclass(frozen=True)
class DefaultModelChange:
    """What "Set as default" did: `written` False when the model was the default already (nothing written)."""

    model_id: str
    previous: str | None
    written: bool


EventCallback = Callable[[JobEvent], None]
EndCallback = Callable[[JobEnd], None]


class Backend(Protocol):
    @property
    def label(self) -> str:
        """For the status bar: 'SANDBOX — changes are discarded on exit' or 'prod — eu-west-1'."""
        ...

    @property
    def is_sandbox(self) -> bool: ...

    @property
    def cache_key(self) -> str:
        """Names this deployment's on-disk snapshot (connection + prefix); stable across runs."""
        ...

    @property
    def aws_access(self) -> bool:
        """False when the connection reaches LISA's API only: the rows carry no live ECS and Auto Scaling facts."""
        ...

    @property
    def run_by(self) -> str | None:
        """Who runs the changes: None for this console's own jobs, `LISA` when they go through LISA's API (team
        mode: LISA's state machines run them, and cannot cancel them)."""
        ...

    def list_rows(self) -> list[ModelRow]:
        """Every model with its live facts (blocking: call off the GUI thread). Raises on failure."""
        ...

    def rows_of(self, model_ids: Iterable[str]) -> list[ModelRow]:
        """Just these models, those that still exist (blocking): the fast poll of the changing ones."""
        ...

    def model_row(self, model_id: str) -> ModelRow:
        """One model, with full live facts (recent ECS events) for the details pane (blocking)."""
        ...

    def write_refusal(self) -> str | None:
        """None when the caller may change models; else why not (AccessDenied), blocking."""
        ...

    def current_model(self, model_id: str) -> CurrentModel:
        """The model's record as it is now, read consistently (blocking): what a draft is compared with."""
        ...

    def model_guardrails(self, model_id: str) -> list[Guardrail]:
        """The model's guardrails as LISA's guardrails table holds them (blocking: one Query of its ModelIdIndex);
        none on a deployment without the table."""
        ...

    def describe_error(self, error: BaseException) -> str:
        """One readable line for an error raised by the methods above."""
        ...

    def set_default_model(self, model_id: str) -> DefaultModelChange:
        """Make the model LISA's default model: a new version of LISA's configuration, as LISA's UI writes it
        (blocking). Raises when refused (not InService, not textgen, no configuration table): nothing written."""
        ...

    def set_context_window(self, model_id: str, tokens: object) -> int:
        """Override the model's context window as LISA's handler does (blocking); returns the value written.
        Raises InvalidInput naming `contextWindow` for anything but an integer above 0: nothing written."""
        ...

    def submit(
        self,
        kind: JobKind,
        model_id: str,
        *,
        on_event: EventCallback,
        on_end: EndCallback,
        payload: Mapping[str, Any] | None = None,
        ack_restart: bool = False,
    ) -> JobTicket:
        """Start a job without waiting (validation runs in the job). `payload` is the create/update request in
        LISA's API shape; for a schedule job `{"scheduling": LISA's SchedulingConfig}`, or
        `{"scheduling": None}` to remove the schedule. Callbacks arrive on a worker thread; `on_end` is called
        exactly once."""
        ...

    @property
    def journaled(self) -> bool:
        """Whether jobs are written to this workstation's journal (an in-process sandbox's are not: they end with
        the process)."""
        ...

    def interrupted_jobs(self) -> list[InterruptedJob]:
        """This deployment's jobs of this workstation whose process died (blocking: reads the journal)."""
        ...

    def recover_interrupted(self, on_event: EventCallback) -> list[RecoveredJob]:
        """Resume or roll back every interrupted job (blocking, calls AWS, may take minutes). Events arrive on the
        calling thread."""
        ...

    @property
    def lease_s(self) -> float:
        """How long a job may go without a heartbeat before its lease has expired and its model can be taken over."""
        ...

    def takeover_of(self, status: str) -> Takeover | None:
        """What taking over a model in `status` does; None for a status no job leaves a model in (not blocking)."""
        ...

    def take_over(self, model_id: str, on_event: EventCallback) -> RecoveredJob:
        """Take the model over from the job holding it, whose lease has expired, and settle it from AWS's truth
        (blocking, calls AWS, may take minutes). Events arrive on the calling thread. Raises StatusNotAllowed,
        naming the holder and its heartbeat, while the lease runs or when no job holds the model."""
        ...

    def job_history(self, model_id: str | None = None, *, with_steps: bool = True) -> list[JournalEntry]:
        """The audit log of this deployment (of one model when given), oldest first, with each job's steps unless
        told otherwise (blocking: reads the journal). Raises when the journal cannot be read."""
        ...
