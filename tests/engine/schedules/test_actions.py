"""The scheduled actions LISA's schedule management makes: names, cron, time zone, capacities, ARNs."""

from __future__ import annotations

from engine.schedules.actions import (
    STOPPED,
    Capacity,
    action_arn,
    actions_for,
    arn_parts,
    baseline_capacity,
    is_model_action,
)
from engine.schedules.record import parse_schedule

BASELINE = Capacity(1, 3, 2)


def test_a_recurring_schedule_is_one_daily_pair() -> None:
    schedule = parse_schedule(
        {
            "scheduleType": "RECURRING",
            "timezone": "Europe/Berlin",
            "recurringSchedule": {"startTime": "08:00", "stopTime": "18:30"},
        }
    )
    start, stop = actions_for("m", schedule, BASELINE)
    assert (start.name, start.recurrence, start.time_zone, start.capacity) == (
        "m-daily-start",
        "0 8 * * *",
        "Europe/Berlin",
        BASELINE,
    )
    assert (stop.name, stop.recurrence, stop.time_zone, stop.capacity) == (
        "m-daily-stop",
        "30 18 * * *",
        "Europe/Berlin",
        STOPPED,
    )
    assert (start.action, stop.action) == ("START", "STOP")


def test_a_daily_schedule_is_a_pair_per_weekday_in_lisas_numbering() -> None:
    window = {"startTime": "9:05", "stopTime": "17:00"}
    schedule = parse_schedule(
        {"scheduleType": "DAILY", "dailySchedule": {"sunday": window, "monday": window, "saturday": window}}
    )
    actions = actions_for("m", schedule, BASELINE)
    assert [(a.name, a.recurrence) for a in actions] == [
        ("m-monday-start", "5 9 * * 1"),
        ("m-monday-stop", "0 17 * * 1"),
        ("m-saturday-start", "5 9 * * 6"),
        ("m-saturday-stop", "0 17 * * 6"),
        ("m-sunday-start", "5 9 * * 0"),
        ("m-sunday-stop", "0 17 * * 0"),
    ]
    assert {a.time_zone for a in actions} == {"UTC"}


def test_the_baseline_capacity_is_read_as_lisa_reads_it() -> None:
    assert baseline_capacity({"autoScalingConfig": {"minCapacity": 2, "maxCapacity": 4, "desiredCapacity": 3}}) == (
        Capacity(2, 4, 3)
    )
    assert baseline_capacity({"autoScalingConfig": {"minCapacity": 2, "maxCapacity": 4, "desiredCapacity": None}}) == (
        Capacity(2, 4, 2)
    )
    assert baseline_capacity({"autoScalingConfig": {"minCapacity": 2, "maxCapacity": 4}}) == Capacity(2, 4, 1)
    assert baseline_capacity({}) == Capacity(1, 1, 1)


def test_arns_and_names_as_lisa_makes_and_reads_them() -> None:
    arn = action_arn("us-east-1", "111122223333", "grp", "m-daily-stop")
    assert arn == (
        "arn:aws:autoscaling:us-east-1:111122223333:scheduledUpdateGroupAction:*:"
        "autoScalingGroupName/grp:scheduledActionName/m-daily-stop"
    )
    assert arn_parts(arn) == ("grp", "m-daily-stop")
    assert is_model_action("m-friday-start", "m")
    assert not is_model_action("m2-daily-start", "m")
    assert not is_model_action("other-daily-start", "m")
