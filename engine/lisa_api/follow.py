"""Following a change LISA runs: poll `GET /models/{id}` every few seconds until the model settles.

LISA's handlers only start a Step Functions execution and answer; the execution writes the record. So a model
may still show its old status for a moment after LISA accepted the change: it has settled once it shows a status
of the change in progress and then a resting one, or once the change shows in its configuration with a resting
status, or (for a change too quick to catch) after a few polls that show a resting status. LISA cannot cancel an
execution: the follower only stops watching. Watchers (`engine.lisa_api.live`, `engine.lisa_api.executions`) read
what AWS shows beside it when the credentials allow, and can tell a failure LISA's status does not show.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from engine.aws.errors import DeploymentUnreachable
from engine.clock import WALL_CLOCK, Clock
from engine.errors import ModelNotFound
from engine.jobs.events import JobEvent, StepState
from engine.lisa_api.client import LisaApi
from engine.lisa_api.errors import LisaApiRefused
from engine.lisa_api.live import Watcher
from engine.schema.enums import ModelStatus

RUN_BY: Final = "LISA"
STEP: Final = "lisa"
POLL_S: Final = 5.0
FAILURE_GRACE_S: Final = 30.0
"""How long a resting status that would mean the change failed must hold before the follower says so: LISA's status
monitor writes the status of each instance launch and termination a few seconds late, unconditionally, so a start
sent right after a stop can read Stopped for a moment while LISA's execution goes on."""
QUIET_POLLS: Final = 3
"""Resting polls after which a change that never showed as in progress counts as done."""

Listener = Callable[[JobEvent], None]


@dataclass(frozen=True)
class Expectation:
    """What the model looks like once LISA's execution of one change has ended."""

    operation: str
    """update, start, stop, create or delete (for the events)."""
    settled: frozenset[ModelStatus]
    """The resting statuses that mean it worked."""
    gone_is_done: bool = False
    """Delete: the model's 404 is the end."""
    absent_is_pending: bool = False
    """Create: a 404 before the execution's first write is not yet an answer."""
    applied: Callable[[Mapping[str, Any]], bool] | None = None
    """Whether the change shows in the model (LISA's intake wrote it)."""
    failure: Callable[[ModelStatus, bool], str | None] = field(default=lambda status, seen: None)
    """A resting status that is not `settled`: why the change failed (given whether a status of the change in
    progress was seen), or None when it is only not there yet."""


def update_expected(original: ModelStatus, applied: Callable[[Mapping[str, Any]], bool] | None) -> Expectation:
    """LISA's UpdateModel restores the model's status (a failed ECS rollout too: LISA does not roll it back)."""
    return Expectation("update", frozenset({original}), applied=applied)


def start_expected() -> Expectation:
    def failure(status: ModelStatus, seen: bool) -> str | None:
        if status is ModelStatus.STOPPED and seen:
            return "LISA stopped the model again: its instances did not become healthy in time (LISA's capacity poll)"
        return None

    return Expectation("start", frozenset({ModelStatus.IN_SERVICE}), failure=failure)


def stop_expected() -> Expectation:
    return Expectation("stop", frozenset({ModelStatus.STOPPED}))


def create_expected() -> Expectation:
    return Expectation(
        "create", frozenset({ModelStatus.IN_SERVICE}), absent_is_pending=True, applied=lambda model: True
    )


def delete_expected() -> Expectation:
    return Expectation("delete", frozenset(), gone_is_done=True)


@dataclass(frozen=True)
class FollowResult:
    ok: bool
    model_id: str
    operation: str
    message: str
    final_status: ModelStatus | None
    """None when the model is gone (deleted) or was never seen."""
    model: dict[str, Any] | None = None
    timed_out: bool = False


class Follower:
    """Polls one model through `api` on `clock` (tests pass a clock that skips the waits), telling `listeners`
    each status it sees as a JobEvent that says the change is run by LISA."""

    def __init__(
        self,
        api: LisaApi,
        *,
        clock: Clock = WALL_CLOCK,
        interval_s: float = POLL_S,
        deadline_s: float = 1800.0,
        quiet_polls: int = QUIET_POLLS,
        listeners: Iterable[Listener] = (),
        job_id: str | None = None,
        watchers: Iterable[Watcher] = (),
    ) -> None:
        """`watchers`: read at each poll beside the model (live AWS state, LISA's execution), when the
        credentials can read them; what they tell is told as events, and a failure they see fails the change
        once LISA's execution has settled."""
        self.api = api
        self.clock = clock
        self.interval_s = interval_s
        self.deadline_s = deadline_s
        self.quiet_polls = quiet_polls
        self.listeners = tuple(listeners)
        self.job_id = job_id or f"lisa-{uuid.uuid4().hex[:8]}"
        self.watchers = tuple(watchers)
        self.stop = threading.Event()
        """Set to stop watching (the change goes on in LISA)."""
        self._failure: str | None = None

    def begin(self) -> None:
        """Called before the change is sent, so the watchers know what was there before it."""
        for watcher in self.watchers:
            watcher.begin()

    def emit(self, model_id: str, state: StepState, message: str, **data: Any) -> None:
        event = JobEvent(self.job_id, model_id, STEP, state, message, data={"runBy": RUN_BY, **data})
        for listener in self.listeners:
            listener(event)

    def follow(self, model_id: str, expected: Expectation) -> FollowResult:
        deadline = self.clock.monotonic() + self.deadline_s
        seen_change = False
        quiet = 0
        since = self.clock.monotonic()
        last: str | None = None
        model: dict[str, Any] | None = None
        while True:
            try:
                model = self.api.get_model(model_id)
            except ModelNotFound:
                model = None
            except LisaApiRefused:
                raise
            except DeploymentUnreachable as error:
                self.emit(model_id, StepState.PROGRESS, f"LISA's API did not answer: {error}; asking again")
            status_text = str(model.get("status")) if model is not None else "gone"
            if status_text != last:
                shown = "not written yet" if model is None and expected.absent_is_pending else status_text
                self.emit(model_id, StepState.PROGRESS, f"run by LISA: {shown}", status=status_text)
                last = status_text
                since = self.clock.monotonic()
            self._watch(model_id)
            held_s = self.clock.monotonic() - since
            result = self._judge(model_id, expected, model, seen_change, quiet, held_s)
            if result is not None and not self._watchers_settled():
                result = None
            if result is not None and self._failure is not None and result.ok:
                result = FollowResult(
                    False, model_id, expected.operation, self._failure, result.final_status, result.model
                )
            if result is not None:
                state = StepState.SUCCEEDED if result.ok else StepState.FAILED
                self.emit(model_id, state, result.message, status=status_text)
                return result
            status = _status(model)
            if status is not None and status.is_transitional:
                seen_change = True
                quiet = 0
            elif status is not None:
                quiet += 1
            if self.stop.is_set() or self.clock.monotonic() >= deadline:
                message = (
                    f"stopped watching {model_id} ({status_text}); LISA's execution goes on: "
                    "'models show' tells how it ends"
                )
                self.emit(model_id, StepState.FAILED, message, status=status_text)
                return FollowResult(False, model_id, expected.operation, message, status, model, timed_out=True)
            self.clock.wait(self.stop, self.interval_s)

    def _watchers_settled(self) -> bool:
        return all(watcher.settled() for watcher in self.watchers)

    def _watch(self, model_id: str) -> None:
        for watcher in self.watchers:
            observation = watcher.observe()
            for line in observation.lines:
                event = JobEvent(
                    self.job_id,
                    model_id,
                    line.step,
                    StepState.PROGRESS,
                    line.message,
                    source=line.source,
                    data={"runBy": RUN_BY},
                )
                for listener in self.listeners:
                    listener(event)
            if observation.failure is not None and self._failure is None:
                self._failure = observation.failure

    def _judge(
        self,
        model_id: str,
        expected: Expectation,
        model: dict[str, Any] | None,
        seen_change: bool,
        quiet: int,
        held_s: float,
    ) -> FollowResult | None:
        """`held_s`: how long the model has shown its status."""
        operation = expected.operation
        if model is None:
            if expected.gone_is_done:
                return FollowResult(True, model_id, operation, f"LISA deleted {model_id}", None)
            return None
        status = _status(model)
        if status is None or status.is_transitional:
            return None
        if status is ModelStatus.FAILED and not (expected.gone_is_done and not seen_change):
            return FollowResult(
                False, model_id, operation, f"LISA's {operation} of {model_id} ended Failed", status, model
            )
        if expected.gone_is_done:
            return None
        failed = expected.failure(status, seen_change)
        if failed is not None:
            if held_s < FAILURE_GRACE_S:
                return None
            return FollowResult(False, model_id, operation, failed, status, model)
        if status not in expected.settled:
            return None
        applied = expected.applied is not None and expected.applied(model)
        if seen_change or applied or quiet + 1 >= self.quiet_polls:
            return FollowResult(True, model_id, operation, f"LISA's {operation} of {model_id} is done", status, model)
        return None


def _status(model: Mapping[str, Any] | None) -> ModelStatus | None:
    if model is None:
        return None
    try:
        return ModelStatus(str(model.get("status")))
    except ValueError:
        return None
