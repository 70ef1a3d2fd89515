"""What every step of a job gets: the gateways, the deadlines, a way to report, and cancellation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.aws.autoscaling import AutoScalingGateway
from engine.aws.clients import AwsClients
from engine.aws.cloudformation import StackGateway
from engine.aws.discovery import DeploymentInfo
from engine.aws.ecs import EcsGateway
from engine.aws.litellm import LiteLLMClient
from engine.aws.models_table import ModelsTable
from engine.errors import LisaDesktopError
from engine.jobs.events import JobEvent, Source, StepState


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


@dataclass
class JobContext:
    job_id: str
    model_id: str
    aws: Gateways
    settings: JobSettings
    emit: Callable[[JobEvent], None]
    cancelled: threading.Event = field(default_factory=threading.Event)
    monotonic: Callable[[], float] = time.monotonic

    def report(self, step: str, state: StepState, message: str, *, source: Source = Source.ENGINE, **data: Any) -> None:
        self.emit(JobEvent(self.job_id, self.model_id, step, state, message, source=source, data=data))

    def check_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def sleep(self, seconds: float) -> None:
        """Wait, waking at once (and raising JobCancelled) if the job is cancelled meanwhile."""
        if self.cancelled.wait(max(0.0, seconds)):
            raise JobCancelled(f"job {self.job_id} was cancelled")
