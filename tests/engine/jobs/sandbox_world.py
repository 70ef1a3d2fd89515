"""A sandbox and the engine's gateways on it, for job tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.clock import SkippingClock
from engine.jobs.context import Gateways, JobSettings, jobs_on_clock
from engine.jobs.events import JobEvent
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult
from engine.sandbox.server import Sandbox
from engine.schema.validate import parse_update


@contextmanager
def sandbox_on_skipping_clock(**options: Any) -> Iterator[Sandbox]:
    """A sandbox whose simulator and every job made meanwhile share a `SkippingClock`: a job's wait for a rollout
    or a warm-up moves the clock and ticks the simulator instead of taking wall-clock time."""
    clock = SkippingClock()
    with Sandbox(clock=clock, **options) as sandbox, jobs_on_clock(clock):
        yield sandbox


FAST = JobSettings(ecs_deadline_s=60, capacity_deadline_s=60, poll_initial_s=0.2, poll_max_s=1.0)


@dataclass
class World:
    sandbox: Sandbox
    aws: Gateways
    calls: Counter[str] = field(default_factory=Counter)
    events: list[JobEvent] = field(default_factory=list)

    def listen(self, event: JobEvent) -> None:
        self.events.append(event)


def gateways_on(sandbox: Sandbox) -> Gateways:
    """The engine's gateways on the sandbox's deployment (they hold no reference to the sandbox)."""
    clients = AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)
    return Gateways.for_deployment(clients, discover_deployment(clients, sandbox.prefix))


def world_on(sandbox: Sandbox) -> World:
    aws = gateways_on(sandbox)
    clients = aws.clients
    world = World(sandbox, aws)

    def count(model: Any, **_: Any) -> None:
        world.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    for service in ("ecs", "autoscaling", "dynamodb", "cloudformation"):
        getattr(clients, service)().meta.events.register("before-call.*.*", count)
    return world


def run_update(
    world: World,
    runner: JobRunner,
    model_id: str,
    change: Mapping[str, Any],
    *,
    ack: bool = False,
    settings: JobSettings = FAST,
) -> JobResult:
    """An update (start, stop) of `model_id` through the runner, its events kept in `world`, run to its end."""
    handle = runner.submit_update(
        world.aws,
        model_id,
        parse_update(change),
        ack_restart=ack,
        settings=settings,
        listeners=(world.listen,),
        model_warmup_cap_s=0.5,
    )
    return handle.result(timeout=120)
