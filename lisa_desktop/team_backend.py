"""The window's `Backend` in team mode: changes go through LISA's REST API and are run by LISA's state machines.

Rows come from `GET /models` when the connection has no AWS access (no live columns), else from the inventory as in
workstation mode. Each change is checked by the console (validation and plan, on the model as the API answers it),
sent to LISA's route and followed on the job runner's threads; LISA cannot cancel it, and it is not journaled
(LISA's execution runs on whatever happens to this process), so there is nothing to recover or take over.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, Final

from engine.aws.errors import DeploymentUnreachable
from engine.aws.guardrails import Guardrail, with_guardrails
from engine.aws.inventory import ModelView
from engine.aws.inventory_process import InventoryReader
from engine.aws.rows import row_of
from engine.clock import WALL_CLOCK, Clock
from engine.errors import LisaDesktopError, ModelNotFound, StatusNotAllowed
from engine.jobs.journal import new_job_id
from engine.jobs.lease import DEFAULT_LEASE_S
from engine.jobs.runner import JobRunner
from engine.lisa_api.client import LisaApi
from engine.lisa_api.configuration import console_user, default_model
from engine.lisa_api.configuration import set_default_model as set_default_through_api
from engine.lisa_api.follow import RUN_BY, Follower
from engine.lisa_api.live import Watcher
from engine.lisa_api.records import guardrails_from_api, record_from_api
from engine.model_row import ModelRow
from engine.model_settings import parse_context_window
from lisa_desktop.cli.team import poll_interval, watchers_for
from lisa_desktop.connections import ConnectionStore
from lisa_desktop.deployment_backend import DeploymentBackend
from lisa_desktop.target import Target, open_target
from lisa_desktop.team_jobs import TeamJob, describe_error
from ui.backend import (
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

__all__ = ["NO_AWS_ACCESS", "TeamBackend", "open_backend"]

log = logging.getLogger(__name__)

NO_AWS_ACCESS: Final = "no AWS access: LISA's API gives no live ECS or Auto Scaling facts"
"""What a LISA-hosted row read through the API says of its live facts."""


class TeamBackend:
    """`ui.backend.Backend` over `target.lisa_api`; `reads`: the workstation backend whose inventory gives the rows
    (with live columns) when the connection has AWS access."""

    def __init__(
        self,
        target: Target,
        *,
        reads: DeploymentBackend | None = None,
        max_workers: int = 4,
        clock: Clock = WALL_CLOCK,
        deadline_s: float = 1800.0,
    ) -> None:
        assert target.lisa_api is not None
        self.target = target
        self.api: LisaApi = target.lisa_api
        self.reads = reads
        self.clock = clock
        self.interval_s = poll_interval(self.api)
        self.deadline_s = deadline_s
        self._runner = JobRunner(max_workers=max_workers)
        self._lock = threading.Lock()
        self._followers: set[Follower] = set()
        self._default_model: str | None = None
        """LISA's default model as last read or set (rows read without the AWS inventory)."""

    # -- what the window shows -------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        target = self.target
        where = target.connection or f"LISA API {self.api.base_url}"
        access = "" if self.aws_access else ", no AWS access"
        return f"{where} — {target.region} — changes run by LISA{access}"

    @property
    def is_sandbox(self) -> bool:
        return self.reads is not None and self.reads.is_sandbox

    @property
    def cache_key(self) -> str:
        return self.reads.cache_key if self.reads is not None else self.target.cache_key

    @property
    def aws_access(self) -> bool:
        return self.reads is not None

    @property
    def run_by(self) -> str | None:
        return RUN_BY

    def list_rows(self) -> list[ModelRow]:
        """`GET /models`, and LISA's default model from `GET /configuration` (kept for the rows read one by one)."""
        if self.reads is not None:
            return self.reads.list_rows()
        models = self.api.list_models()
        try:
            default = default_model(self.api)
        except LisaDesktopError as error:
            log.warning("the default model was not read: %s", error)
            default = None
        with self._lock:
            self._default_model = default
        return [api_row(model, default) for model in models]

    def rows_of(self, model_ids: Iterable[str]) -> list[ModelRow]:
        """One `GET /models/{id}` per model asked for (the few that are changing), those that still exist."""
        if self.reads is not None:
            return self.reads.rows_of(model_ids)
        rows = []
        for model_id in model_ids:
            try:
                rows.append(api_row(self.api.get_model(model_id), self._known_default()))
            except ModelNotFound:
                continue
        return rows

    def model_row(self, model_id: str) -> ModelRow:
        if self.reads is not None:
            return self.reads.model_row(model_id)
        return api_row(self.api.get_model(model_id), self._known_default())

    def _known_default(self) -> str | None:
        with self._lock:
            return self._default_model

    def write_refusal(self) -> str | None:
        """LISA decides, route by route (its admin group): a refusal shows at the change, with LISA's text."""
        return None

    def current_model(self, model_id: str) -> CurrentModel:
        if self.reads is not None:
            return self.reads.current_model(model_id)
        model = self.api.get_model(model_id)
        shape = with_guardrails(record_from_api(model).to_api(), guardrails_from_api(model))
        return CurrentModel(shape)

    def model_guardrails(self, model_id: str) -> list[Guardrail]:
        if self.reads is not None:
            return self.reads.model_guardrails(model_id)
        return guardrails_from_api(self.api.get_model(model_id))

    def describe_error(self, error: BaseException) -> str:
        return describe_error(error)

    # -- single writes ---------------------------------------------------------------------------------------

    def set_default_model(self, model_id: str) -> DefaultModelChange:
        """LISA's `PUT /configuration/global`, as LISA's UI "Set Default" (an InService textgen model only)."""
        result = set_default_through_api(self.api, model_id, changed_by=console_user())
        with self._lock:
            self._default_model = result.model_id
        return DefaultModelChange(result.model_id, result.previous, result.written)

    def set_context_window(self, model_id: str, tokens: object) -> int:
        """LISA's `PUT /models/{id}/context-window`, once the value passed LISA's own rule here."""
        model = self.api.update_context_window(model_id, parse_context_window(tokens))
        written = model.get("contextWindow")
        if not isinstance(written, int):
            raise DeploymentUnreachable("LisaApiError", f"LISA's API answered without a contextWindow: {model!r:.200}")
        return written

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
        """Returns at once; the checks, LISA's route and the follow run on the job runner's threads."""
        job_id = new_job_id()
        if kind is JobKind.CREATE and payload is not None and not model_id:
            model_id = str(payload.get("modelId") or "")
        follower = Follower(
            self.api,
            clock=self.clock,
            interval_s=self.interval_s,
            deadline_s=self.deadline_s,
            listeners=(_guarded(on_event),),
            job_id=job_id,
        )
        target = self.target

        def watchers(machine: str) -> tuple[Watcher, ...]:
            return watchers_for(target, model_id, machine) if target.aws_access else ()

        job = TeamJob(self.api, job_id, kind, model_id, payload, ack_restart, follower, describe_error, watchers)
        with self._lock:
            self._followers.add(follower)

        def finished(future: Future[JobEnd]) -> None:
            with self._lock:
                self._followers.discard(follower)
            error = None if future.cancelled() else future.exception()
            if future.cancelled() or error is not None:
                end = JobEnd(job_id, model_id, kind, "failed", f"the job did not run: {error or 'cancelled'}")
            else:
                end = future.result()
            try:
                on_end(end)
            except Exception:
                log.exception("a job end callback failed")

        self._runner.submit_call(job.run).add_done_callback(finished)
        return JobTicket(job_id, model_id, kind, lambda: None, cancellable=False, run_by=RUN_BY)

    # -- no journal: nothing to recover or take over ---------------------------------------------------------

    @property
    def journaled(self) -> bool:
        return False

    def interrupted_jobs(self) -> list[InterruptedJob]:
        return []

    def recover_interrupted(self, on_event: EventCallback) -> list[RecoveredJob]:
        return []

    @property
    def lease_s(self) -> float:
        return self.reads.lease_s if self.reads is not None else DEFAULT_LEASE_S

    def takeover_of(self, status: str) -> Takeover | None:
        return None

    def take_over(self, model_id: str, on_event: EventCallback) -> RecoveredJob:
        raise StatusNotAllowed(
            f"cannot take over '{model_id}' in team mode: LISA's executions run the changes, and finish on their own"
        )

    def job_history(self, model_id: str | None = None, *, with_steps: bool = True) -> list[JournalEntry]:
        return []

    def close(self) -> None:
        """Stop watching (LISA's executions go on), wait for the job threads, and close the inventory's backend."""
        with self._lock:
            followers = list(self._followers)
        for follower in followers:
            follower.stop.set()
        self._runner.shutdown(cancel=False)
        if self.reads is not None:
            self.reads.close()


def api_row(model: Mapping[str, Any], default: str | None = None) -> ModelRow:
    """The row of a model as `GET /models` answers it: its configuration, no live facts; `default`: LISA's
    default model, as its configuration API names it."""
    try:
        record = record_from_api(model)
    except DeploymentUnreachable as error:
        return ModelRow(
            model_id=str(model.get("modelId") or "?"),
            model_name=str(model.get("modelName") or ""),
            hosting="",
            model_type=str(model.get("modelType") or ""),
            status=str(model.get("status") or "?"),
            unreadable=str(error),
        )
    row = row_of(ModelView(record, None, None), default)
    return dataclasses.replace(row, live_error=NO_AWS_ACCESS) if row.lisa_hosted else row


@contextmanager
def open_backend(
    args: argparse.Namespace, *, store: ConnectionStore | None = None, reader: InventoryReader | None = None
) -> Iterator[DeploymentBackend | TeamBackend]:
    """The window's backend for the deployment the options name: team mode when the target has LISA's API
    (blocking: discovery, a sandbox starting). Closed when the context ends."""
    minutes = getattr(args, "lease_minutes", None)
    lease_s = DEFAULT_LEASE_S if minutes is None else float(minutes) * 60
    with open_target(args, store=store) as target:
        backend: DeploymentBackend | TeamBackend
        if target.lisa_api is None:
            backend = DeploymentBackend(target, lease_s=lease_s, reader=reader)
        else:
            reads = DeploymentBackend(target, lease_s=lease_s, reader=reader) if target.aws_access else None
            backend = TeamBackend(target, reads=reads)
        try:
            yield backend
        finally:
            backend.close()


def _guarded(on_event: EventCallback) -> EventCallback:
    """A listener that cannot break the follow it listens to."""

    def listener(event: Any) -> None:
        try:
            on_event(event)
        except Exception:
            log.exception("a job event listener failed")

    return listener
