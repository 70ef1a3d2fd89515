"""The window's `Backend` over one deployment: rows from the inventory, changes through the engine's jobs."""

from __future__ import annotations

import argparse
import logging
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.aws.configuration_table import ConfigurationTable
from engine.aws.discovery import caller_identity
from engine.aws.guardrails import Guardrail, with_guardrails
from engine.aws.inventory_process import InventoryReader, ReaderConfig, shared_reader
from engine.aws.models_table import HOLDER_ATTRIBUTE
from engine.errors import InvalidInput, LisaDesktopError, ModelNotFound, Problem, StatusNotAllowed
from engine.jobs.context import Gateways, JobCancelled, JobSettings
from engine.jobs.events import JobEvent
from engine.jobs.journal import FILE_NAME as JOURNAL_FILE
from engine.jobs.journal import JobState, Journal
from engine.jobs.lease import DEFAULT_LEASE_S
from engine.jobs.recovery import KIND_OF_STATUS, RECOVERY, Recovered, Stage, recover_dead_jobs, take_over
from engine.jobs.runner import JobHandle, JobRunner, new_job_id
from engine.jobs.update_job import JobResult
from engine.model_row import ModelRow
from engine.model_settings import set_context_window, set_default_model
from engine.schedules.record import parse_schedule
from engine.schema.requests import UpdateModelRequest
from engine.schema.validate import parse_create, parse_update
from lisa_desktop.cli.changes import SANDBOX_POLLING
from lisa_desktop.connections import ConnectionStore
from lisa_desktop.deployment_choice import cache_key_for
from lisa_desktop.messages import describe
from lisa_desktop.target import Target, open_target
from ui.backend import (
    SANDBOX_LABEL,
    CurrentModel,
    DefaultModelChange,
    EndCallback,
    EventCallback,
    InterruptedJob,
    JobEnd,
    JobKind,
    JobTicket,
    JournalEntry,
    RecoveredJob,
    Takeover,
)

__all__ = ["DeploymentBackend", "cache_key_for"]

log = logging.getLogger(__name__)

SANDBOX_SETTINGS = JobSettings(**SANDBOX_POLLING)
"""The sandbox's rollouts and warm-ups take seconds: poll often so a job ends soon after."""
REFUSALS = (StatusNotAllowed, InvalidInput, ModelNotFound)
"""Validation said no and nothing was written (StatusChanged and ModelAlreadyExists are among these)."""


class JournalUnavailable(LisaDesktopError):
    """The job journal could not be opened: jobs still run, but one whose process dies cannot be recovered."""


class DeploymentBackend:
    """`ui.backend.Backend` for one `Target`. Blocking methods are called off the GUI thread; `close()` at
    exit cancels running jobs (each rolls back what it did) and waits for them."""

    def __init__(
        self,
        target: Target,
        *,
        settings: JobSettings | None = None,
        max_workers: int = 4,
        lease_s: float = DEFAULT_LEASE_S,
        reader: InventoryReader | None = None,
    ) -> None:
        """`reader`: the inventory reader to list models through (its owner closes it); else the process's
        shared one."""
        self.target = target
        self.lease_s = lease_s
        """How long a holder may go without a heartbeat before its model can be taken over (`--lease-minutes`)."""
        self.reader = reader or shared_reader()
        self.reader.start()
        discover = lambda: self.reader.discover(  # noqa: E731
            ReaderConfig.of(target.clients, None), target.prefix, target.expected_account
        )
        self.aws = Gateways.for_deployment(target.clients, target.deployment(discover))
        self.settings = settings or (SANDBOX_SETTINGS if target.is_sandbox else JobSettings())
        self._warmup_cap_s = target.model_warmup_cap_s()
        self._scratch = (
            tempfile.TemporaryDirectory(prefix="lisa-desktop-sandbox-", ignore_cleanup_errors=True)
            if target.sandbox
            else None
        )
        self.journal, self.journal_problem = _journal_for(self._scratch)
        self._history_lock = threading.Lock()
        self._settings_lock = threading.Lock()
        self._configuration: ConfigurationTable | None = None
        """LISA's configuration table, looked for on the first "Set as default"."""
        self._runner = JobRunner(max_workers=max_workers, journal=self.journal, deployment=self.cache_key)

    @classmethod
    @contextmanager
    def open(
        cls, args: argparse.Namespace, *, store: ConnectionStore | None = None, reader: InventoryReader | None = None
    ) -> Iterator[DeploymentBackend]:
        """The backend of the deployment the options name (blocking: discovery reads SSM and Secrets Manager;
        a sandbox starts), with their `lease_minutes` when they have one. Closed, and an in-process sandbox
        stopped, when the context ends."""
        minutes = getattr(args, "lease_minutes", None)
        lease_s = DEFAULT_LEASE_S if minutes is None else float(minutes) * 60
        with open_target(args, store=store) as target:
            backend = cls(target, lease_s=lease_s, reader=reader)
            try:
                yield backend
            finally:
                backend.close()

    # -- what the window shows -------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        target = self.target
        if target.sandbox is not None:
            return SANDBOX_LABEL
        where = target.connection or f"endpoint {target.clients.endpoint_url}"
        return f"{where} — {target.region}"

    @property
    def is_sandbox(self) -> bool:
        return self.target.is_sandbox

    @property
    def cache_key(self) -> str:
        """What `cache_key_for` says of the options that opened the target."""
        target = self.target
        return target.cache_key or f"endpoint:{target.clients.endpoint_url}|{target.prefix}|{target.region}"

    @property
    def aws_access(self) -> bool:
        return True

    @property
    def run_by(self) -> str | None:
        return None

    def list_rows(self) -> list[ModelRow]:
        """Every model's row, read by the inventory reader's helper process."""
        return self.reader.listing(self._reader_config())

    def rows_of(self, model_ids: Iterable[str]) -> list[ModelRow]:
        """Just these models (those that still exist), summarised: a refresh of the transitional rows that
        costs one BatchGetItem per 100 and their own ECS and Auto Scaling reads, not a Scan of every model."""
        return self.reader.some(self._reader_config(), model_ids)

    def _reader_config(self) -> ReaderConfig:
        return ReaderConfig.of(self.aws.clients, self.aws.deployment)

    def model_row(self, model_id: str) -> ModelRow:
        return self.reader.row(self._reader_config(), model_id)

    def write_refusal(self) -> str | None:
        return self.reader.write_refusal(self._reader_config())

    def current_model(self, model_id: str) -> CurrentModel:
        record = self.aws.models.get(model_id)
        extra = record.model_extra or {}
        return CurrentModel(
            with_guardrails(record.to_api(), self.model_guardrails(model_id)),
            holder=_text(extra.get(HOLDER_ATTRIBUTE)),
            status_reason=_text(extra.get("statusReason")),
            status_updated=_text(extra.get("lastStatusUpdate")),
            last_modified=record.last_modified_date,
        )

    def model_guardrails(self, model_id: str) -> list[Guardrail]:
        return self.reader.guardrails(self._reader_config(), model_id)

    def describe_error(self, error: BaseException) -> str:
        if isinstance(error, LisaDesktopError):
            return describe(error)
        return f"{type(error).__name__}: {error}"

    # -- single writes (no job) ------------------------------------------------------------------------------

    def set_default_model(self, model_id: str) -> DefaultModelChange:
        with self._settings_lock:
            if self._configuration is None:
                self._configuration = ConfigurationTable(self.aws.clients, self.aws.deployment.prefix)
            configuration = self._configuration
        who = caller_identity(self.aws.clients).arn
        result = set_default_model(configuration, self.aws.models, model_id, changed_by=who)
        return DefaultModelChange(result.model_id, result.previous, result.written)

    def set_context_window(self, model_id: str, tokens: object) -> int:
        record = set_context_window(self.aws.models, model_id, tokens)
        assert record.context_window is not None
        return record.context_window

    # -- jobs ------------------------------------------------------------------------------------------------

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
        listeners = (_guarded(on_event),)
        try:
            handle = self._start(kind, model_id, payload, ack_restart, listeners)
        except REFUSALS as error:  # the request itself is malformed: no job ran
            job_id = new_job_id()
            end = JobEnd(job_id, model_id, kind, "refused", self.describe_error(error))
            self._runner.call_soon(_call_once(on_end), end)  # after this returns, as a job's end would be
            return JobTicket(job_id, model_id, kind, lambda: None)
        finish = _call_once(on_end)
        handle.future.add_done_callback(lambda future: finish(self._end(handle, kind, future)))
        return JobTicket(handle.job_id, handle.model_id, kind, handle.cancel)

    def _start(
        self,
        kind: JobKind,
        model_id: str,
        payload: Mapping[str, Any] | None,
        ack_restart: bool,
        listeners: tuple[Callable[[JobEvent], None], ...],
    ) -> JobHandle:
        aws, runner, settings = self.aws, self._runner, self.settings
        if kind in (JobKind.START, JobKind.STOP, JobKind.UPDATE):
            if kind is JobKind.UPDATE:
                change = parse_update(dict(_required(payload, kind)))
            else:
                change = UpdateModelRequest(enabled=kind is JobKind.START)
            return runner.submit_update(
                aws,
                model_id,
                change,
                ack_restart=ack_restart,
                settings=settings,
                listeners=listeners,
                model_warmup_cap_s=self._warmup_cap_s,
            )
        if kind is JobKind.SCHEDULE:
            given = _required(payload, kind).get("scheduling")
            schedule = parse_schedule(given) if isinstance(given, Mapping) else None
            return runner.submit_schedule(aws, model_id, schedule, settings=settings, listeners=listeners)
        if kind is JobKind.CREATE:
            request = parse_create(dict(_required(payload, kind)))
            if model_id and request.modelId != model_id:
                problem = Problem("modelId", f"the request creates '{request.modelId}', not '{model_id}'")
                raise InvalidInput([problem], "create")
            return runner.submit_create(aws, request, settings=settings, listeners=listeners)
        return runner.submit_delete(aws, model_id, settings=settings, listeners=listeners)

    def _end(self, handle: JobHandle, kind: JobKind, future: Future[JobResult]) -> JobEnd:
        job_id, model_id = handle.job_id, handle.model_id
        if future.cancelled():
            return JobEnd(job_id, model_id, kind, "cancelled", "the job was cancelled before it started")
        error = future.exception()
        if error is None:
            result = future.result()
            final = str(result.final_status) if result.final_status is not None else None
            return JobEnd(job_id, model_id, kind, str(result.outcome), result.message, final)
        outcome = "refused" if isinstance(error, REFUSALS) else "failed"
        if isinstance(error, JobCancelled):
            outcome = "cancelled"
        return JobEnd(job_id, model_id, kind, outcome, self.describe_error(error))

    # -- the journal: interrupted jobs and the audit log -------------------------------------------------------

    @property
    def journaled(self) -> bool:
        return self.journal is not None and self._scratch is None

    def _journal(self) -> Journal | None:
        """Raises when the journal could not be opened."""
        if self.journal_problem is not None:
            raise JournalUnavailable(self.journal_problem)
        return self.journal

    def interrupted_jobs(self) -> list[InterruptedJob]:
        journal = self._journal()
        if journal is None or self._scratch is not None:
            return []
        return [
            InterruptedJob(job.job_id, job.model_id, JobKind(job.kind))
            for job in journal.dead_jobs(deployment=self.cache_key)
        ]

    def recover_interrupted(self, on_event: EventCallback) -> list[RecoveredJob]:
        journal = self._journal()
        if journal is None or self._scratch is not None:
            return []
        recovered = recover_dead_jobs(
            self.aws, journal, self.cache_key, settings=self.settings, emit=_guarded(on_event)
        )
        return [_recovered_job(item) for item in recovered]

    def takeover_of(self, status: str) -> Takeover | None:
        kind = _KIND_OF_STATUS.get(status)
        if kind is None:
            return None
        return Takeover(JobKind(kind), RECOVERY[(kind, Stage.TAKEN_OVER)].how)

    def take_over(self, model_id: str, on_event: EventCallback) -> RecoveredJob:
        journal = self._journal()
        if journal is None:
            raise JournalUnavailable("the job journal is not open")
        taken = take_over(
            self.aws,
            journal,
            self.cache_key,
            model_id,
            lease_s=self.lease_s,
            settings=self.settings,
            emit=_guarded(on_event),
        )
        return _recovered_job(taken)

    def job_history(self, model_id: str | None = None, *, with_steps: bool = True) -> list[JournalEntry]:
        with self._history_lock:  # close() removes a sandbox's journal under it
            journal = self._journal()
            if journal is None:
                return []
            entries = []
            for job in journal.jobs(deployment=self.cache_key, model_id=model_id, with_points=with_steps):
                state = str(job.state)
                if job.state is JobState.RUNNING and not journal.is_alive(job):
                    state = "interrupted"
                entries.append(JournalEntry(job, state))
            return entries

    def close(self) -> None:
        """Cancel the running jobs and wait for them to end (each rolls back what it did)."""
        self._runner.shutdown(cancel=True)
        if self._scratch is not None:
            with self._history_lock:  # the details pane may be reading the history on a worker thread
                self.journal = None
                self._scratch.cleanup()
            if Path(self._scratch.name).exists():
                log.warning("the sandbox's scratch folder %s could not be removed entirely", self._scratch.name)


_KIND_OF_STATUS = {str(status): kind for status, kind in KIND_OF_STATUS.items()}


def _recovered_job(item: Recovered) -> RecoveredJob:
    return RecoveredJob(
        item.job_id, item.model_id, JobKind(item.kind), str(item.action), item.outcome, item.message, item.final_status
    )


def _journal_for(scratch: tempfile.TemporaryDirectory[str] | None) -> tuple[Journal | None, str | None]:
    """The workstation's journal, and why there is none when it cannot be opened. An in-process sandbox ends with
    the process, and with it anything to recover: its jobs are journaled in a `scratch` folder that goes with it
    (the job history of the session, and a job's last-resort rollback, still have their journal)."""
    try:
        return Journal(Path(scratch.name) / JOURNAL_FILE if scratch is not None else None), None
    except (OSError, sqlite3.Error) as error:
        log.exception("the job journal cannot be opened")
        return None, (
            f"the job journal cannot be opened ({type(error).__name__}: {error}): jobs still run, but one whose "
            "process dies is not recorded for recovery; check that the user data directory (LISA_DESKTOP_DATA_DIR) "
            "is writable"
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _required(payload: Mapping[str, Any] | None, kind: JobKind) -> Mapping[str, Any]:
    if payload is None:
        raise InvalidInput([Problem("payload", f"a {kind} needs the request (LISA's API shape)")], str(kind))
    return payload


def _guarded(on_event: EventCallback) -> Callable[[JobEvent], None]:
    """A listener that cannot break the job it listens to."""

    def listener(event: JobEvent) -> None:
        try:
            on_event(event)
        except Exception:
            log.exception("a job event listener failed")

    return listener


def _call_once(on_end: EndCallback) -> EndCallback:
    lock = threading.Lock()
    called = False

    def call(end: JobEnd) -> None:
        nonlocal called
        with lock:
            if called:
                return
            called = True
        try:
            on_end(end)
        except Exception:
            log.exception("a job end callback failed")

    return call
