"""A create carrying `autoScalingConfig.scheduling`: LISA's CreateSchedule step sets the schedule once the capacity
is up (its actions on the new group, the record's schedule in LISA's shape), scaling at once outside its window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.jobs.runner import JobRunner
from engine.sandbox.server import Sandbox
from engine.schedules.gateway import ScheduledActions
from engine.schedules.record import schedule_status, scheduling_of
from engine.schedules.timing import NOW_ENV
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_create
from tests.engine.jobs.consistency import fast_hosted_config
from tests.engine.jobs.sandbox_world import FAST, World, sandbox_on_skipping_clock, world_on


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_on_skipping_clock(ambient=False, lisa_actors=False) as running:
        yield running


def create_scheduled(world: World, model_id: str, now: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(NOW_ENV, now)
    request = fast_hosted_config(model_id)
    request["autoScalingConfig"]["scheduling"] = {
        "scheduleType": "RECURRING",
        "timezone": "Europe/Berlin",
        "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
    }
    runner = JobRunner(1)
    try:
        handle = runner.submit_create(world.aws, parse_create(request), settings=FAST, listeners=(world.listen,))
        return handle.result(timeout=120)
    finally:
        runner.shutdown()


def test_a_create_sets_its_schedule_as_lisas_create_schedule_step(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_on(sandbox)
    result = create_scheduled(world, "scheduled-noon", "2026-12-07T12:00:00+00:00", monkeypatch)
    assert result.ok, result.message
    record = world.aws.models.get("scheduled-noon")
    group = record.auto_scaling_group or ""
    actions = {a.name: a for a in ScheduledActions(world.aws.clients).of_model(group, "scheduled-noon")}
    assert sorted(actions) == ["scheduled-noon-daily-start", "scheduled-noon-daily-stop"]
    assert (actions["scheduled-noon-daily-start"].recurrence, actions["scheduled-noon-daily-start"].time_zone) == (
        "0 8 * * *",
        "Europe/Berlin",
    )
    stored = scheduling_of(record)
    assert stored is not None
    assert [arn.rsplit("/", 1)[1] for arn in stored["scheduledActionArns"]] == sorted(actions)
    assert schedule_status(record)["scheduleStatus"] == "ACTIVE"
    assert record.model_status is ModelStatus.IN_SERVICE
    sizes = world.aws.autoscaling.describe_one(group)
    assert sizes is not None and sizes.desired_capacity == 1  # inside the window: left running


def test_created_outside_its_window_the_group_goes_to_zero(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    world = world_on(sandbox)
    result = create_scheduled(world, "scheduled-night", "2026-12-07T22:00:00+00:00", monkeypatch)
    assert result.ok, result.message
    record = world.aws.models.get("scheduled-night")
    sizes = world.aws.autoscaling.describe_one(record.auto_scaling_group or "")
    assert sizes is not None and (sizes.min_size, sizes.max_size, sizes.desired_capacity) == (0, 0, 0)
    assert [e.step for e in world.events if e.step == "schedule"]
