"""The schedule job on the sandbox: actions and record as LISA's schedule management leaves them, LISA's immediate
scaling, a fired stop seen by LISA's status monitor, refusals, and a failure at every journal point rolled back."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InvalidInput, StatusNotAllowed
from engine.jobs.journal import Journal
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.sandbox.server import Sandbox
from engine.schedules.gateway import ScheduledActions
from engine.schedules.record import parse_schedule, schedule_status, scheduling_of
from engine.schema.config import SchedulingConfig
from engine.schema.enums import ModelStatus
from tests.engine.jobs.sandbox_world import FAST, World, sandbox_on_skipping_clock, world_on
from tests.waiting import wait_for

MONDAY_NOON = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
"""12:00 in Berlin, inside 08:00-18:00."""
MONDAY_NIGHT = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
"""23:00 in Berlin, outside it."""
OFFICE_HOURS = {
    "scheduleType": "RECURRING",
    "timezone": "Europe/Berlin",
    "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_on_skipping_clock(ambient=False) as running:
        yield running


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    return world_on(sandbox)


def schedule(
    world: World,
    model_id: str,
    config: dict[str, Any] | None,
    *,
    now: datetime = MONDAY_NOON,
    journal: Journal | None = None,
) -> JobResult:
    runner = JobRunner(1, journal=journal, deployment="sandbox")
    try:
        parsed: SchedulingConfig | None = parse_schedule(config) if config is not None else None
        handle = runner.submit_schedule(
            world.aws, model_id, parsed, now=lambda: now, settings=FAST, listeners=(world.listen,)
        )
        return handle.result(timeout=60)
    finally:
        runner.shutdown()


def actions_of(world: World, model_id: str) -> dict[str, tuple[str, str, tuple[int, int, int]]]:
    group = world.aws.models.get(model_id).auto_scaling_group or ""
    return {
        a.name: (a.recurrence, a.time_zone, (a.capacity.min_size, a.capacity.max_size, a.capacity.desired))
        for a in ScheduledActions(world.aws.clients).of_model(group, model_id)
    }


def test_a_recurring_schedule_as_lisa_sets_it(world: World) -> None:
    before = world.aws.models.get("mistral-7b-instruct")
    result = schedule(world, "mistral-7b-instruct", OFFICE_HOURS)
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert actions_of(world, "mistral-7b-instruct") == {
        "mistral-7b-instruct-daily-start": ("0 8 * * *", "Europe/Berlin", (1, 3, 1)),
        "mistral-7b-instruct-daily-stop": ("0 18 * * *", "Europe/Berlin", (0, 0, 0)),
    }
    record = world.aws.models.get("mistral-7b-instruct")
    stored = scheduling_of(record)
    assert stored is not None
    group = record.auto_scaling_group
    account = world.sandbox.client("sts").get_caller_identity()["Account"]
    assert stored["scheduledActionArns"] == [
        f"arn:aws:autoscaling:{world.sandbox.region}:{account}:scheduledUpdateGroupAction:*:"
        f"autoScalingGroupName/{group}:scheduledActionName/mistral-7b-instruct-daily-{end}"
        for end in ("start", "stop")
    ]
    assert stored["nextScheduledAction"] == {"action": "STOP", "scheduledTime": "2026-12-07T18:00:00+01:00"}
    assert stored["lastScheduleUpdate"] == MONDAY_NOON.isoformat()
    assert schedule_status(record)["scheduleStatus"] == "ACTIVE"
    assert record.model_status is ModelStatus.IN_SERVICE  # the group runs: inside the window, nothing scaled
    assert "lisa_desktop_job" not in record.to_item()
    assert record.to_item()["last_modified_date"] == before.to_item()["last_modified_date"]  # as LISA: untouched


def test_a_daily_schedule_replaces_it_then_off_removes_everything(world: World) -> None:
    days = {
        "monday": {"startTime": "08:00", "stopTime": "18:00"},
        "tuesday": {"startTime": "09:00", "stopTime": "17:00"},
    }
    daily = {"scheduleType": "DAILY", "timezone": "Europe/Berlin", "dailySchedule": days}
    assert schedule(world, "bge-large-en", OFFICE_HOURS).ok
    assert schedule(world, "bge-large-en", daily).ok
    assert actions_of(world, "bge-large-en") == {
        "bge-large-en-monday-start": ("0 8 * * 1", "Europe/Berlin", (1, 2, 1)),
        "bge-large-en-monday-stop": ("0 18 * * 1", "Europe/Berlin", (0, 0, 0)),
        "bge-large-en-tuesday-start": ("0 9 * * 2", "Europe/Berlin", (1, 2, 1)),
        "bge-large-en-tuesday-stop": ("0 17 * * 2", "Europe/Berlin", (0, 0, 0)),
    }
    stored = scheduling_of(world.aws.models.get("bge-large-en"))
    assert stored is not None and stored["dailySchedule"]["wednesday"] is None
    result = schedule(world, "bge-large-en", None)
    assert result.ok, result.message
    assert actions_of(world, "bge-large-en") == {}
    record = world.aws.models.get("bge-large-en")
    assert record.config["autoScalingConfig"]["scheduling"] is None  # as LISA's delete_schedule leaves it
    assert schedule_status(record)["scheduleStatus"] == "DISABLED"


def test_set_outside_its_window_the_model_stops_at_once_then_a_fired_start_brings_it_back(
    sandbox: Sandbox, world: World
) -> None:
    result = schedule(world, "llama3-1-70b-instruct", OFFICE_HOURS, now=MONDAY_NIGHT)
    assert result.ok, result.message
    group = world.aws.models.get("llama3-1-70b-instruct").auto_scaling_group or ""
    sizes = world.aws.autoscaling.describe_one(group)
    assert sizes is not None and (sizes.min_size, sizes.max_size, sizes.desired_capacity) == (0, 0, 0)
    monitor = sandbox.status_monitor
    assert monitor is not None
    wait_for(lambda: world.aws.models.get("llama3-1-70b-instruct").model_status is ModelStatus.STOPPED, timeout=30)
    assert sandbox.simulator.fire_scheduled_action("llama3-1-70b-instruct-daily-start")
    wait_for(lambda: world.aws.models.get("llama3-1-70b-instruct").model_status is ModelStatus.IN_SERVICE, timeout=30)


def test_refusals(world: World) -> None:
    with pytest.raises(InvalidInput, match="not LISA-hosted"):
        schedule(world, "claude-3-5-sonnet", OFFICE_HOURS)
    with pytest.raises(StatusNotAllowed, match="InService or Stopped"):
        schedule(world, "broken-model", OFFICE_HOURS)
    with pytest.raises(StatusNotAllowed, match="InService or Stopped"):
        schedule(world, "gemma-2-9b-it", None)


def test_the_seeded_schedules_are_stored_as_lisa_stores_them(world: World) -> None:
    every_day = world.aws.models.get("llama3-8b-tgi")
    stored = scheduling_of(every_day)
    assert stored is not None and stored["scheduleType"] == "DAILY"
    assert set(actions_of(world, "llama3-8b-tgi")) == {
        f"llama3-8b-tgi-{day}-{end}"
        for day in ("tuesday", "wednesday", "thursday", "friday")
        for end in ("start", "stop")
    }
    assert every_day.model_status is ModelStatus.STOPPED
    assert [arn.rsplit("/", 1)[1] for arn in stored["scheduledActionArns"]][:2] == [
        "llama3-8b-tgi-tuesday-start",
        "llama3-8b-tgi-tuesday-stop",
    ]


def test_a_failure_at_every_journal_point_leaves_record_and_actions_as_before(tmp_path: Path) -> None:
    daily = {
        "scheduleType": "DAILY",
        "timezone": "Asia/Tokyo",
        "dailySchedule": {"friday": {"startTime": "10:00", "stopTime": "20:00"}},
    }
    model = "llama3-1-70b-instruct"  # seeded with a recurring schedule: its actions are deleted, then put back
    with sandbox_on_skipping_clock(ambient=False, lisa_actors=False) as sandbox:
        world = world_on(sandbox)

        def state() -> tuple[dict[str, Any], dict[str, Any], tuple[int, int, int]]:
            record = world.aws.models.get(model)
            group = world.aws.autoscaling.describe_one(record.auto_scaling_group or "")
            assert group is not None
            return record.to_item(), actions_of(world, model), (group.min_size, group.max_size, group.desired_capacity)

        before = state()
        assert len(before[1]) == 2
        faulted = []
        for point in itertools.count(1):
            journal = Journal(tmp_path / f"fail-{point}.sqlite3", fail_after_point=point)
            # a Monday, outside Friday's window: the job also scales the group to 0 at once
            result = schedule(world, model, daily, now=MONDAY_NOON, journal=journal)
            (job,) = journal.jobs()
            if result.ok:  # the fault came after the final write (or the job has fewer points)
                assert point >= len(job.points) - 1, (point, result.message)
                break
            step = job.points[point - 1]
            assert result.outcome is Outcome.ROLLED_BACK, (point, step.step, result.message)
            assert state() == before, (point, step.step, step.phase)
            faulted.append(f"{step.step} {step.phase}")
        assert len(faulted) >= 8, faulted
        assert {"intake intent", "schedule.delete done", "schedule.put done", "capacity.resize done"} <= set(faulted)
        assert actions_of(world, model) == {
            f"{model}-friday-start": ("0 10 * * 5", "Asia/Tokyo", (2, 4, 2)),
            f"{model}-friday-stop": ("0 20 * * 5", "Asia/Tokyo", (0, 0, 0)),
        }
