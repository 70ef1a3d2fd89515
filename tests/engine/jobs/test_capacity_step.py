"""The capacity step: resize an Auto Scaling group and wait for healthy instances (scripted and in the sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from types import SimpleNamespace
from typing import Any

import pytest

from engine.aws.autoscaling import ScalingGroup, ScalingInstance
from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.errors import InvalidInput
from engine.jobs.capacity_step import (
    CapacityNotHealthy,
    capacity_reached,
    progress_message,
    resize,
    restore,
    scale_to_zero,
    snapshot,
    wait_for_capacity,
)
from engine.jobs.context import Gateways, JobCancelled, JobContext, JobSettings
from engine.jobs.events import JobEvent, StepState
from engine.sandbox.server import Sandbox
from tests.engine.jobs.sandbox_world import sandbox_on_skipping_clock

MISTRAL = "mistral-7b-instruct"
BGE = "bge-large-en"


# -- helpers -----------------------------------------------------------------------------------------------------


def instance(n: int, state: str = "InService", health: str = "Healthy") -> ScalingInstance:
    return ScalingInstance(f"i-{n}", state, health)


def group(desired: int, *states: tuple[str, str], min_size: int = 0, max_size: int = 3) -> ScalingGroup:
    return ScalingGroup(
        name="asg",
        min_size=min_size,
        max_size=max_size,
        desired_capacity=desired,
        default_cooldown=300,
        default_instance_warmup=None,
        instances=tuple(instance(n, state, health) for n, (state, health) in enumerate(states)),
    )


HEALTHY = ("InService", "Healthy")
PENDING = ("Pending", "Healthy")
UNHEALTHY = ("InService", "Unhealthy")
TERMINATING = ("Terminating", "Healthy")


class ScriptedAutoScaling:
    """Answers describe_one from a script (the last answer repeats)."""

    def __init__(self, answers: list[ScalingGroup]) -> None:
        self.answers = answers
        self.calls = 0

    def describe_one(self, name: str) -> ScalingGroup | None:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 4))
        self.now += seconds


def scripted_context(answers: list[ScalingGroup], **settings: Any) -> tuple[JobContext, list[JobEvent], FakeClock]:
    events: list[JobEvent] = []
    clock = FakeClock()
    aws: Any = SimpleNamespace(autoscaling=ScriptedAutoScaling(answers))
    ctx = JobContext("job-1", MISTRAL, aws, JobSettings(**settings), emit=events.append, monotonic=clock.monotonic)
    ctx.sleep = clock.sleep  # type: ignore[method-assign]
    return ctx, events, clock


def gateways_for(sandbox: Sandbox) -> Gateways:
    clients = AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)
    return Gateways.for_deployment(clients, discover_deployment(clients, sandbox.prefix))


def sandbox_context(
    sandbox: Sandbox, model_id: str = MISTRAL, **settings: Any
) -> tuple[JobContext, list[JobEvent], Gateways]:
    events: list[JobEvent] = []
    gateways = gateways_for(sandbox)
    options: dict[str, Any] = {"poll_initial_s": 0.2, "poll_max_s": 1.0, **settings}
    return JobContext("job-1", model_id, gateways, JobSettings(**options), emit=events.append), events, gateways


def group_name(gateways: Gateways, model_id: str) -> str:
    name = gateways.models.get(model_id).auto_scaling_group
    assert name
    return name


def sizes(found: ScalingGroup | None) -> tuple[int, int, int]:
    assert found is not None
    return found.min_size, found.max_size, found.desired_capacity


def new_sandbox(**options: Any) -> AbstractContextManager[Sandbox]:
    """On a skipping clock: the wait for an instance's warm-up moves the clock, so the first poll always finds the
    new instance still warming up, however slow the machine."""
    return sandbox_on_skipping_clock(
        ambient=False, rollout_seconds=1.0, warmup_seconds=1.0, tick_seconds=0.05, **options
    )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with new_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def still_sandbox() -> Iterator[Sandbox]:
    """For tests that change nothing."""
    with new_sandbox() as running:
        yield running


# -- when capacity is reached ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "states", "reached"),
    [
        (2, (HEALTHY, HEALTHY), True),
        (2, (HEALTHY, PENDING), False),
        (2, (HEALTHY, UNHEALTHY), False),
        (1, (HEALTHY, HEALTHY), False),  # scaling in: one still to leave
        (1, (HEALTHY, TERMINATING), True),
        (0, (), True),
        (0, (TERMINATING, TERMINATING), True),
        (0, (HEALTHY,), False),
        (0, (UNHEALTHY,), False),
        (0, (("Pending:Wait", "Healthy"),), False),
    ],
)
def test_capacity_reached(desired: int, states: tuple[tuple[str, str], ...], reached: bool) -> None:
    assert capacity_reached(group(desired, *states)) is reached


def test_progress_message_counts_healthy_pending_and_unhealthy() -> None:
    assert progress_message(group(2, HEALTHY, PENDING)) == "1/2 instances healthy, 1 pending"
    assert progress_message(group(3, HEALTHY, UNHEALTHY)) == "1/3 instances healthy, 1 unhealthy"
    assert progress_message(group(2, HEALTHY, HEALTHY)) == "2/2 instances healthy"


def test_capacity_not_healthy_names_the_counts_and_the_deadline() -> None:
    error = CapacityNotHealthy("lisa-asg", 2, 3, 1800)
    assert (error.group, error.healthy, error.wanted, error.deadline_s) == ("lisa-asg", 2, 3, 1800)
    assert str(error).startswith("2 of 3 instances healthy after 1800 s")
    assert "lisa-asg" in str(error)


# -- polling (scripted clock: no real waiting) -------------------------------------------------------------------


def test_backoff_restarts_when_the_counts_move() -> None:
    answers = [group(2, PENDING, PENDING)] * 4 + [group(2, HEALTHY, PENDING)] * 3 + [group(2, HEALTHY, HEALTHY)]
    ctx, events, clock = scripted_context(answers, poll_initial_s=1.0, poll_max_s=15.0, poll_factor=1.5)

    found = wait_for_capacity(ctx, "asg")

    assert found.healthy_in_service_count == 2
    assert clock.sleeps == [1.0, 1.5, 2.25, 3.375, 1.0, 1.5, 2.25]
    assert [e.message for e in events if e.state is StepState.PROGRESS] == [
        "0/2 instances healthy, 2 pending",
        "1/2 instances healthy, 1 pending",
        "2/2 instances healthy",
    ]
    assert events[-1].data == {"group": "asg", "desired": 2, "healthy": 2, "pending": 0, "inService": 2}


def test_deadline_raises_capacity_not_healthy_with_the_last_counts() -> None:
    ctx, events, clock = scripted_context([group(2, HEALTHY, UNHEALTHY)], capacity_deadline_s=10, poll_initial_s=1)

    with pytest.raises(CapacityNotHealthy) as raised:
        wait_for_capacity(ctx, "asg")

    assert (raised.value.healthy, raised.value.wanted, raised.value.deadline_s) == (1, 2, 10)
    assert str(raised.value).startswith("1 of 2 instances healthy after 10 s")
    assert clock.now == pytest.approx(10)
    assert events[-1].state is StepState.FAILED


def test_cancel_stops_the_wait() -> None:
    ctx, _, _ = scripted_context([group(1, PENDING)])
    ctx.cancelled.set()
    with pytest.raises(JobCancelled):
        wait_for_capacity(ctx, "asg")


# -- against the sandbox -----------------------------------------------------------------------------------------


def test_resize_up_waits_until_the_new_instances_are_healthy(sandbox: Sandbox) -> None:
    ctx, events, gateways = sandbox_context(sandbox)
    name = group_name(gateways, MISTRAL)

    found = resize(ctx, name, desired=2)

    assert sizes(found) == (1, 3, 2)
    assert found.healthy_in_service_count == 2
    assert capacity_reached(found)
    progress = [e for e in events if e.state is StepState.PROGRESS]
    assert progress[0].message == "1/2 instances healthy, 1 pending"  # it waited out the new instance's warm-up
    assert progress[-1].message == "2/2 instances healthy"
    assert events[0].state is StepState.STARTED
    assert events[-1].state is StepState.SUCCEEDED
    assert {e.step for e in events} == {"capacity"}


def test_resize_without_desired_follows_the_group_auto_scaling_moved(sandbox: Sandbox) -> None:
    ctx, _, gateways = sandbox_context(sandbox, BGE)
    name = group_name(gateways, BGE)

    found = resize(ctx, name, min_size=2)  # bge is 1/2/1: Auto Scaling moves desired up to the new min

    assert sizes(found) == (2, 2, 2)
    assert found.healthy_in_service_count == 2


def test_capacity_that_never_turns_healthy_times_out_and_is_left_as_set() -> None:
    with new_sandbox(fail_capacity=[MISTRAL]) as sandbox:
        ctx, events, gateways = sandbox_context(sandbox, capacity_deadline_s=1.5)
        name = group_name(gateways, MISTRAL)

        with pytest.raises(CapacityNotHealthy) as raised:
            resize(ctx, name, desired=2)

        assert (raised.value.group, raised.value.healthy, raised.value.wanted) == (name, 1, 2)
        assert raised.value.deadline_s == 1.5
        assert str(raised.value).startswith("1 of 2 instances healthy after 1.5 s")
        assert sizes(gateways.autoscaling.describe_one(name)) == (1, 3, 2)  # no scale-down: the caller decides
        assert events[-1].state is StepState.FAILED
        assert events[-1].message == str(raised.value)


def test_desired_outside_min_max_is_refused_and_nothing_changes(still_sandbox: Sandbox) -> None:
    ctx, events, gateways = sandbox_context(still_sandbox)
    name = group_name(gateways, MISTRAL)
    before = gateways.autoscaling.describe_one(name)

    with pytest.raises(InvalidInput) as raised:
        resize(ctx, name, desired=5)
    assert [p.field for p in raised.value.problems] == ["desiredCapacity"]

    with pytest.raises(InvalidInput) as raised:
        resize(ctx, name, min_size=3, max_size=2, wait=False)
    assert [p.field for p in raised.value.problems] == ["minSize"]

    assert gateways.autoscaling.describe_one(name) == before
    assert not [e for e in events if e.state is StepState.SUCCEEDED]


def test_an_instance_that_already_left_its_group_is_not_terminated_again(sandbox: Sandbox) -> None:
    """A rollback ends the instances that never became healthy; Auto Scaling may have replaced one meanwhile. AWS
    then refuses the termination (ValidationError "Instance Id not found"), and the rollback goes on."""
    ctx, _, gateways = sandbox_context(sandbox)
    name = group_name(gateways, MISTRAL)
    resize(ctx, name, desired=2, wait=False)
    grown = gateways.autoscaling.describe_one(name)
    assert grown is not None
    new = next(instance for instance in grown.instances if not instance.is_healthy_in_service)

    assert gateways.autoscaling.terminate_and_decrement(new.instance_id) is True
    after = gateways.autoscaling.describe_one(name)
    assert after is not None and after.desired_capacity == 1
    assert gateways.autoscaling.terminate_and_decrement(new.instance_id) is False
    again = gateways.autoscaling.describe_one(name)
    assert again is not None and again.desired_capacity == 1


def test_snapshot_and_restore_put_the_group_back(sandbox: Sandbox) -> None:
    ctx, events, gateways = sandbox_context(sandbox)
    name = group_name(gateways, MISTRAL)
    saved = snapshot(ctx, name)
    assert (saved.min_size, saved.max_size, saved.desired_capacity) == (1, 3, 1)
    assert (saved.default_cooldown, saved.default_instance_warmup) == (420, 180)

    changed = resize(ctx, name, min_size=2, max_size=3, desired=3, cooldown=60, warmup=30, wait=False)
    assert sizes(changed) == (2, 3, 3)
    assert (changed.default_cooldown, changed.default_instance_warmup) == (60, 30)

    ctx.cancelled.set()  # a cancel is what asks for the rollback: it must not stop it
    events.clear()
    restore(ctx, saved, wait=True)

    back = gateways.autoscaling.describe_one(name)
    assert back is not None
    assert sizes(back) == (1, 3, 1)
    assert (back.default_cooldown, back.default_instance_warmup) == (420, 180)
    assert back.healthy_in_service_count == 1
    assert capacity_reached(back)
    assert events[0].state is StepState.ROLLING_BACK
    assert events[-1].state is StepState.ROLLED_BACK
    assert {e.step for e in events} == {"rollback"}


def test_scale_to_zero_does_not_wait_and_desired_zero_is_reached_without_instances(sandbox: Sandbox) -> None:
    ctx, events, gateways = sandbox_context(sandbox)
    mistral, bge = group_name(gateways, MISTRAL), group_name(gateways, BGE)

    scale_to_zero(ctx, mistral)
    assert sizes(gateways.autoscaling.describe_one(mistral)) == (0, 0, 0)
    assert [e.state for e in events] == [StepState.STARTED, StepState.SUCCEEDED]
    assert "0/0/0" in events[-1].message

    found = resize(ctx, bge, min_size=0, desired=0)
    assert sizes(found) == (0, 2, 0)
    assert capacity_reached(found)
