"""LISA's model state machines (CreateModel, UpdateModel, DeleteModel) played on the sandbox simulator's clock.

A machine is a set of named states; each takes the execution's payload (the event LISA's Lambdas pass on) and names
the next state, a `Wait` (LISA's 60-second poll waits, here `poll_seconds` of the simulator's clock), or None at the
end. Any exception is what LISA's `Catch States.ALL → HandleFailure` does: the machine's failure state runs (the
record `Failed` with `failure_reason`) and the execution ends FAILED. The first state runs in the API request that
starts the execution (the model's status has moved when the client gets its answer); the others on the simulator's
thread, from `step_seconds` of its clock later.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from engine.sandbox.lisa_api.litellm import LiteLLMClient
from engine.sandbox.lisa_api.store import Tables, now_ms

log = logging.getLogger(__name__)

FAILURE_REASON_MAX: Final = 1000
STEP_SECONDS: Final = 0.5
MAX_POLLS: Final = 30
"""LISA's poll limit for ECS deployments, capacity and model readiness."""


@dataclass(frozen=True)
class Wait:
    seconds: float
    then: str


Outcome = str | Wait | None
State = Callable[["World", "Execution"], Outcome]


@dataclass(frozen=True)
class Machine:
    name: str
    first: str
    states: Mapping[str, State]
    failure: Callable[[World, Execution, Exception], None]


@dataclass
class Execution:
    """One run of a machine: its input, the payload as it goes, the states entered, and how it ended."""

    name: str
    machine: str
    input: dict[str, Any]
    event: dict[str, Any]
    started_ms: int
    status: str = "RUNNING"
    states: list[str] = field(default_factory=list)
    entered_ms: list[int] = field(default_factory=list)
    """When each of `states` was entered (epoch ms)."""
    error: str | None = None
    stopped_ms: int | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)


@dataclass
class World:
    """What LISA's Lambdas reach: the tables, AWS clients, LiteLLM, and the sandbox's clock and timings."""

    tables: Tables
    autoscaling: Any
    ecs: Any
    cloudformation: Any
    litellm: LiteLLMClient
    litellm_settings: Mapping[str, Any] | None
    schedule: Callable[[str, Callable[[], bool], float], None]
    """Run a callable on the simulator's thread after some seconds of its clock (it returns True when done)."""
    poll_seconds: float
    warmup_seconds: float
    """The sandbox's model warm-up: LISA waits `metricConfig.estimatedInstanceWarmup`, at most this here."""
    step_seconds: float = STEP_SECONDS
    """How long after the request's first state the machine goes on (Step Functions and a Lambda start)."""
    create_stack: Callable[[Mapping[str, Any]], tuple[str, str, str, str]] | None = None
    """Deploy a LISA-hosted model's stack from its `model_config`: (stack name, stack ARN, ASG name, endpoint
    URL). None: the sandbox cannot host new models."""


def fail_model(world: World, model_id: str | None, error: Exception, default: str) -> None:
    """LISA's HandleFailure: the record `Failed`, with the error as `failure_reason` (cut to 1000 characters)."""
    if not model_id:
        return
    reason = str(error) or default
    world.tables.update(
        model_id,
        {"model_status": "Failed", "last_modified_date": now_ms(), "failure_reason": reason[:FAILURE_REASON_MAX]},
    )


class Executions:
    """Starts executions and keeps every one (oldest first) for tests and the Step Functions view."""

    def __init__(
        self,
        world: World,
        machines: Mapping[str, Machine],
        listeners: Sequence[Callable[[Execution], None]] = (),
    ) -> None:
        """`listeners` hear of each execution as it starts (status RUNNING) and as it ends."""
        self.world = world
        self.machines = dict(machines)
        self.listeners = list(listeners)
        self._lock = threading.Lock()
        self._all: list[Execution] = []

    def all(self) -> list[Execution]:
        with self._lock:
            return list(self._all)

    def of_model(self, model_id: str) -> list[Execution]:
        return [e for e in self.all() if model_id in (e.input.get("model_id"), e.input.get("modelId"))]

    def start(self, machine_name: str, payload: Mapping[str, Any]) -> Execution:
        machine = self.machines[machine_name]
        execution = Execution(
            name=str(uuid.uuid4()),
            machine=machine_name,
            input=copy.deepcopy(dict(payload)),
            event=copy.deepcopy(dict(payload)),
            started_ms=now_ms(),
        )
        with self._lock:
            self._all.append(execution)
        self._tell(execution)
        self._step(execution, machine.first, then_schedule=True)
        return execution

    def _step(self, execution: Execution, state: str, *, then_schedule: bool = False) -> None:
        """Run `state` and the states after it, until a wait or the end (`then_schedule`: only `state`, the rest
        on the simulator's thread)."""
        machine = self.machines[execution.machine]
        next_state: str | None = state
        while next_state is not None:
            execution.states.append(next_state)
            execution.entered_ms.append(now_ms())
            try:
                outcome = machine.states[next_state](self.world, execution)
            except Exception as error:
                log.info("sandbox LISA %s %s failed in %s: %s", execution.machine, execution.name, next_state, error)
                execution.error = str(error)
                try:
                    machine.failure(self.world, execution, error)
                finally:
                    self._end(execution, "FAILED")
                return
            if isinstance(outcome, Wait):
                self._later(execution, outcome.then, outcome.seconds)
                return
            if outcome is not None and then_schedule:
                self._later(execution, outcome, self.world.step_seconds)
                return
            next_state = outcome
        self._end(execution, "SUCCEEDED")

    def _later(self, execution: Execution, state: str, seconds: float) -> None:
        claimed = threading.Event()

        def run() -> bool:
            # the simulator ticks on its own thread and on every skip of a SkippingClock: a due action can be
            # picked up by two ticks at once, and a state must run once
            with self._lock:
                if claimed.is_set():
                    return True
                claimed.set()
            self._step(execution, state)
            return True

        self.world.schedule(f"LISA {execution.machine} {execution.name} {state}", run, seconds)

    def _end(self, execution: Execution, status: str) -> None:
        execution.status = status
        execution.stopped_ms = now_ms()
        self._tell(execution)
        execution.finished.set()

    def _tell(self, execution: Execution) -> None:
        for listener in self.listeners:
            try:
                listener(execution)
            except Exception:  # a view of the executions must not stop them
                log.warning("sandbox LISA: execution listener failed", exc_info=True)
