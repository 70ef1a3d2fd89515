"""What every step of a job gets: the gateways, the deadlines, a way to report, and cancellation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from engine.aws.autoscaling import AutoScalingGateway
from engine.aws.clients import AwsClients
from engine.aws.cloudformation import StackGateway
from engine.aws.discovery import DeploymentInfo
from engine.aws.ecs import EcsGateway
from engine.aws.litellm import LiteLLMClient
from engine.aws.litellm_settings import read_litellm_settings
from engine.aws.models_table import ModelsTable
from engine.clock import WALL_CLOCK, Clock
from engine.errors import LisaDesktopError
from engine.jobs.events import JobEvent, Source, StepState
from engine.jobs.journal import JobRecorder
from engine.jobs.lease import LeaseLost


class JobCancelled(LisaDesktopError):
    """The operator cancelled the job; what it had done is rolled back."""


class StepTimeout(LisaDesktopError):
    """A step did not reach its goal before its deadline."""


@dataclass(frozen=True)
class JobSettings:
    ecs_deadline_s: float = 30 * 60
    """How long a rollout (and, separately, a rollback) may take."""
    capacity_deadline_s: float = 30 * 60
    """How long instances may take to become healthy."""
    heartbeat_s: float = 60.0
    """How often a job renews its lease on the model it holds (0: never, for tests of one step)."""
    lease_s: float = 10 * 60
    """How long a job may go without renewing before it counts as lost (and may be taken over)."""
    rollback_deadline_s: float = 30 * 60
    """How long undoing a step may take, counted from when the undoing starts: a rollout that missed a short
    deadline still gets the time ECS needs to put the previous revision back."""
    poll_initial_s: float = 2.0
    poll_max_s: float = 15.0
    poll_factor: float = 1.5


@dataclass(frozen=True)
class Gateways:
    """One set of gateways per deployment, shared by every job (the stack cache above all)."""

    clients: AwsClients
    deployment: DeploymentInfo
    models: ModelsTable
    ecs: EcsGateway
    autoscaling: AutoScalingGateway
    stacks: StackGateway
    litellm: LiteLLMClient

    _litellm_settings: tuple[dict[str, Any], str | None] | None = field(default=None, init=False, repr=False)

    def litellm_settings(self) -> tuple[dict[str, Any], str | None]:
        """The deployment's `litellm_settings` and, when they could not be read, why (read once, then kept)."""
        if self._litellm_settings is None:
            read = read_litellm_settings(self.clients, self.deployment.models_table_name)
            object.__setattr__(self, "_litellm_settings", read)  # a cache on a frozen dataclass
        assert self._litellm_settings is not None
        return self._litellm_settings

    @classmethod
    def for_deployment(cls, clients: AwsClients, deployment: DeploymentInfo) -> Gateways:
        return cls(
            clients=clients,
            deployment=deployment,
            models=ModelsTable(clients, deployment.models_table_name),
            ecs=EcsGateway(clients),
            autoscaling=AutoScalingGateway(clients),
            stacks=StackGateway(clients),
            litellm=LiteLLMClient(deployment.litellm_base_url, deployment.management_key),
        )


_clock: Clock = WALL_CLOCK


def job_clock() -> Clock:
    """The clock new job contexts wait on and read (the wall clock, unless a test put another in place)."""
    return _clock


@contextmanager
def jobs_on_clock(clock: Clock) -> Iterator[Clock]:
    """For tests: every job context made meanwhile waits on `clock` and reads its time (a `SkippingClock`, given
    to the sandbox too, makes rollouts and warm-ups take no wall-clock time)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous


@dataclass
class JobContext:
    job_id: str
    model_id: str
    aws: Gateways
    settings: JobSettings
    emit: Callable[[JobEvent], None]
    cancelled: threading.Event = field(default_factory=threading.Event)
    clock: Clock = field(default_factory=job_clock)
    """What the job waits on (`sleep`)."""
    monotonic: Callable[[], float] = field(default_factory=lambda: job_clock().monotonic)
    """What the job reads the time from (the same clock's, unless a test gives its own)."""
    journal: JobRecorder | None = None
    """Where the job's points go (None: a job nobody can recover, as in unit tests of one step)."""
    changed: list[str] = field(default_factory=list)
    """What the job changed in AWS so far, in words, oldest first (for honest end messages)."""
    undone: list[str] = field(default_factory=list)
    """What its rollback put back, in words."""
    interruption: str = ""
    """Why recovery is finishing this job (its process died, or an error nothing else handled)."""
    holder: str | None = None
    """The holder text written on the model's item once the job holds it (its lease is renewed under it)."""
    lease_lost: threading.Event = field(default_factory=threading.Event)
    lease_reason: list[str] = field(default_factory=list)

    def report(self, step: str, state: StepState, message: str, *, source: Source = Source.ENGINE, **data: Any) -> None:
        self.emit(JobEvent(self.job_id, self.model_id, step, state, message, source=source, data=data))

    def intent(self, step: str, **data: Any) -> None:
        """Journal what is about to change in AWS (before the call)."""
        if self.journal is not None:
            self.journal.intent(step, **data)

    def done(self, step: str, **data: Any) -> None:
        """Journal that the call returned, with what it made."""
        if self.journal is not None:
            self.journal.done(step, **data)

    def note_change(self, what: str, *, undo: bool = False) -> None:
        (self.undone if undo else self.changed).append(what)

    def took_hold(self, holder: str) -> None:
        """The intake landed: the model is held under `holder` (journaled; the heartbeat renews it from now)."""
        self.holder = holder
        if self.journal is not None:
            self.journal.set_holder(holder)

    def lose_lease(self, reason: str) -> None:
        self.lease_reason.append(reason)
        self.lease_lost.set()

    def check_cancelled(self) -> None:
        if self.lease_lost.is_set():
            raise LeaseLost(f"job {self.job_id} stopped: {self.lease_reason[0]}; it changes nothing more")
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def sleep(self, seconds: float) -> None:
        """Wait, waking at once (and raising JobCancelled) if the job is cancelled meanwhile; LeaseLost after it if
        the lease was lost meanwhile."""
        if self.clock.wait(self.cancelled, max(0.0, seconds)):
            self.check_cancelled()
        if self.lease_lost.is_set():
            self.check_cancelled()
