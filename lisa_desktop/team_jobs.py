"""One change in team mode, on a job thread: the console's validation and plan on the model as LISA's API answers
it, then LISA's route, then the model followed until it settles. LISA's state machine runs the change: nothing is
journaled here, and nothing can cancel it (closing the window only stops watching)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.errors import InvalidInput, LisaDesktopError, ModelNotFound, Problem, StatusNotAllowed
from engine.jobs.events import JobEvent, StepState
from engine.lisa_api.client import LisaApi
from engine.lisa_api.errors import LisaApiRefused
from engine.lisa_api.follow import (
    RUN_BY,
    Expectation,
    Follower,
    create_expected,
    delete_expected,
    start_expected,
    stop_expected,
    update_expected,
)
from engine.lisa_api.live import Watcher
from engine.lisa_api.records import record_from_api
from engine.rules.status import Operation, refusal
from engine.schedules.record import parse_schedule
from engine.schema.requests import UpdateModelRequest
from engine.schema.validate import parse_create, parse_update
from lisa_desktop.cli.team import applied_check, request_body, validate_update
from lisa_desktop.messages import describe
from ui.backend import JobEnd, JobKind

log = logging.getLogger(__name__)

CHECK_STEP: Final = "validate"
LISA_STEP: Final = "lisa"
REFUSED: Final = (StatusNotAllowed, InvalidInput, ModelNotFound, LisaApiRefused)
"""The console's checks or LISA said no: LISA started nothing (a 403, 409, 404, 400 or 422 answer)."""
MACHINES: Final = {
    JobKind.CREATE: "CreateModel",
    JobKind.DELETE: "DeleteModel",
    JobKind.UPDATE: "UpdateModel",
    JobKind.START: "UpdateModel",
    JobKind.STOP: "UpdateModel",
}
"""LISA's state machine that runs each kind of change."""


@dataclass(frozen=True)
class Accepted:
    """LISA took the change: the route it answered, and how to tell that its execution has ended (None when
    LISA's handler applied it before answering, as its schedule routes do)."""

    route: str
    expected: Expectation | None
    message: str = ""


@dataclass(frozen=True)
class TeamJob:
    api: LisaApi
    job_id: str
    kind: JobKind
    model_id: str
    payload: Mapping[str, Any] | None
    ack_restart: bool
    follower: Follower
    describe: Callable[[BaseException], str]
    watchers: Callable[[str], tuple[Watcher, ...]] = lambda machine: ()
    """What is read beside LISA's API while following (given LISA's state machine): with AWS access, the model's
    live ECS and Auto Scaling state and LISA's execution; read on the job's thread."""

    def emit(self, state: StepState, message: str, step: str = LISA_STEP) -> None:
        event = JobEvent(self.job_id, self.model_id, step, state, message, data={"runBy": RUN_BY})
        for listener in self.follower.listeners:
            listener(event)

    def end(self, outcome: str, message: str, final_status: str | None = None) -> JobEnd:
        return JobEnd(self.job_id, self.model_id, self.kind, outcome, message, final_status)

    def run(self) -> JobEnd:
        """Never raises: every failure is the job's end."""
        try:
            self.emit(StepState.STARTED, "checking the change on the model as LISA's API answers it", CHECK_STEP)
            if self.kind in MACHINES:
                self.follower.watchers = self.watchers(MACHINES[self.kind])
                self.follower.begin()
            accepted = self._send()
        except REFUSED as error:
            message = self.describe(error)
            self.emit(StepState.FAILED, message, CHECK_STEP)
            return self.end("refused", message)
        except Exception as error:
            log.exception("team-mode job %s failed before LISA accepted it", self.job_id)
            return self.end("failed", self.describe(error))
        if accepted.expected is None:
            self.emit(StepState.SUCCEEDED, accepted.message)
            return self.end("succeeded", accepted.message)
        machine = MACHINES[self.kind]
        self.emit(
            StepState.PROGRESS,
            f"LISA accepted {accepted.route}: its {machine} execution runs the change (LISA cannot cancel it)",
        )
        try:
            result = self.follower.follow(self.model_id, accepted.expected)
        except Exception as error:
            log.exception("following %s failed", self.model_id)
            message = f"{self.describe(error)}; LISA's {machine} execution goes on"
            return self.end("failed", message)
        final = str(result.final_status) if result.final_status is not None else None
        return self.end("succeeded" if result.ok else "failed", result.message, final)

    def _send(self) -> Accepted:
        """The console's checks, then LISA's route (raises what either refused)."""
        api, model_id, kind = self.api, self.model_id, self.kind
        if kind in (JobKind.UPDATE, JobKind.START, JobKind.STOP):
            if kind is JobKind.UPDATE:
                change = parse_update(dict(_required(self.payload, kind)))
            else:
                change = UpdateModelRequest(enabled=kind is JobKind.START)
            planned = validate_update(api, model_id, change, check_ack=True, ack=self.ack_restart)
            self._checked(f"PUT /models/{model_id}")
            api.update_model(model_id, request_body(change, planned))
            if kind is JobKind.START:
                expected = start_expected()
            elif kind is JobKind.STOP:
                expected = stop_expected()
            else:
                expected = update_expected(planned.from_status, applied_check(change, planned))
            return Accepted(f"PUT /models/{model_id}", expected)
        if kind is JobKind.CREATE:
            request = parse_create(dict(_required(self.payload, kind)))
            if model_id and request.modelId != model_id:
                problem = Problem("modelId", f"the request creates '{request.modelId}', not '{model_id}'")
                raise InvalidInput([problem], "create")
            self._checked("POST /models")
            api.create_model(request.dump())
            return Accepted("POST /models", create_expected())
        if kind is JobKind.DELETE:
            self._refuse_unless(Operation.DELETE)
            self._checked(f"DELETE /models/{model_id}")
            api.delete_model(model_id)
            return Accepted(f"DELETE /models/{model_id}", delete_expected())
        return self._schedule()

    def _schedule(self) -> Accepted:
        """LISA's schedule routes apply the schedule in the handler, before they answer."""
        given = _required(self.payload, self.kind).get("scheduling")
        schedule = parse_schedule(given) if isinstance(given, Mapping) else None
        self._refuse_unless(Operation.UPDATE)
        route = f"{'PUT' if schedule is not None else 'DELETE'} /models/{self.model_id}/schedule"
        self._checked(route)
        if schedule is None:
            answer = self.api.delete_schedule(self.model_id)
        else:
            answer = self.api.update_schedule(self.model_id, schedule.dump())
        return Accepted(route, None, f"LISA: {answer.get('message', answer)} (run by LISA)")

    def _refuse_unless(self, operation: Operation) -> None:
        record = record_from_api(self.api.get_model(self.model_id))
        reason = refusal(operation, self.model_id, record.model_status)
        if reason is not None:
            raise StatusNotAllowed(reason)

    def _checked(self, route: str) -> None:
        self.emit(StepState.SUCCEEDED, f"the console's checks passed; sending {route} to LISA's API", CHECK_STEP)


def _required(payload: Mapping[str, Any] | None, kind: JobKind) -> Mapping[str, Any]:
    if payload is None:
        raise InvalidInput([Problem("payload", f"a {kind} needs the request (LISA's API shape)")], str(kind))
    return payload


def describe_error(error: BaseException) -> str:
    """One line, as the window's backends describe errors."""
    if isinstance(error, LisaDesktopError):
        return describe(error)
    return f"{type(error).__name__}: {error}"
