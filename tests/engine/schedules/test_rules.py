"""LISA's validation rules for schedules (domain_objects.py: DaySchedule, WeeklySchedule, BaseSchedulingConfig and
the SchedulingConfig union; the CLI's options): each rule refused with the field named, nothing else refused."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InvalidInput, Problem
from engine.schedules.console_rules import SAME_DAY_RULE, same_day_problems, stops_not_after_start
from engine.schedules.record import parse_schedule
from lisa_desktop.cli.schedule_cli import schedule_from_options


def recurring(start: str, stop: str, **extra: Any) -> dict[str, Any]:
    return {"scheduleType": "RECURRING", "recurringSchedule": {"startTime": start, "stopTime": stop}, **extra}


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        parse_schedule(data)
    return {problem.field: problem.rule for problem in raised.value.problems}


@pytest.mark.parametrize("bad", ["24:00", "08:60", "0800", "8h00", "ab:cd", "", "08:00:00"])
def test_times_are_hh_mm(bad: str) -> None:
    found = problems(recurring(bad, "20:00"))
    assert "HH:MM" in found["scheduling.recurringSchedule.startTime"]


@pytest.mark.parametrize(("start", "stop"), [("8:00", "18:00"), ("00:00", "23:59"), ("08:00", "10:00")])
def test_valid_windows_including_h_mm_and_exactly_two_hours(start: str, stop: str) -> None:
    assert parse_schedule(recurring(start, stop)).recurringSchedule is not None


def test_stop_equal_to_start_is_refused() -> None:
    assert "at least 2 hours" in problems(recurring("08:00", "08:00"))["scheduling.recurringSchedule.stopTime"]


def test_stop_less_than_two_hours_after_start_is_refused() -> None:
    assert "at least 2 hours" in problems(recurring("08:00", "09:59"))["scheduling.recurringSchedule.stopTime"]


def test_a_stop_past_midnight_counts_from_the_start() -> None:
    assert parse_schedule(recurring("22:00", "01:00")).recurringSchedule is not None
    assert "at least 2 hours" in problems(recurring("23:00", "00:30"))["scheduling.recurringSchedule.stopTime"]


def test_lisas_web_console_rule_a_stop_later_than_the_start_on_the_same_day() -> None:
    night = recurring("22:00", "02:00")
    assert parse_schedule(night).recurringSchedule is not None  # LISA's API takes it: stored records, request files
    assert same_day_problems(night) == [Problem("scheduling.recurringSchedule.stopTime", SAME_DAY_RULE)]
    assert same_day_problems(recurring("8:00", "08:00")) == [
        Problem("scheduling.recurringSchedule.stopTime", SAME_DAY_RULE)
    ]
    assert same_day_problems(recurring("08:00", "09:00")) == []  # the 2-hour rule is the schema's
    assert same_day_problems(recurring("8h00", "02:00")) == []  # a time that is not HH:MM is the schema's
    daily = {
        "scheduleType": "DAILY",
        "dailySchedule": {
            "monday": {"startTime": "08:00", "stopTime": "18:00"},
            "tuesday": {"startTime": "23:00", "stopTime": "01:00"},
            "sunday": {"startTime": "21:00", "stopTime": "03:00"},
        },
    }
    assert [problem.field for problem in same_day_problems(daily)] == [
        "scheduling.dailySchedule.tuesday.stopTime",
        "scheduling.dailySchedule.sunday.stopTime",
    ]
    stored = {"scheduleType": "DAILY", "dailySchedule": {"sunday": {"startTime": "21:00", "stopTime": "03:00"}}}
    assert [window.day for window in stops_not_after_start(daily, keep=stored)] == ["tuesday"]
    assert stops_not_after_start(night, keep=night) == []


@pytest.mark.parametrize(
    ("recurring_option", "daily_option", "field"),
    [("22:00-02:00", None, "--recurring"), (None, "mon=08:00-18:00,sun=21:00-03:00", "--daily sunday")],
)
def test_the_options_refuse_a_stop_not_later_than_the_start(
    recurring_option: str | None, daily_option: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        schedule_from_options(recurring_option, daily_option, "UTC")
    [problem] = raised.value.problems
    assert problem.field == field
    assert "the stop must be later than the start on the same day, as LISA's web console requires" in problem.rule


def test_a_daily_schedule_needs_at_least_one_day() -> None:
    found = problems({"scheduleType": "DAILY", "dailySchedule": {}})
    assert any("at least one day" in rule for rule in found.values()), found


def test_each_day_of_a_daily_schedule_is_checked() -> None:
    daily = {
        "monday": {"startTime": "08:00", "stopTime": "18:00"},
        "friday": {"startTime": "17:00", "stopTime": "18:00"},
    }
    found = problems({"scheduleType": "DAILY", "dailySchedule": daily})
    assert list(found) == ["scheduling.dailySchedule.friday.stopTime"]


def test_the_timezone_must_be_an_iana_zone() -> None:
    rule = problems(recurring("08:00", "18:00", timezone="Mars/Olympus"))["scheduling.timezone"]
    assert "Invalid timezone: Mars/Olympus, timezone must be a valid IANA timezone identifier" in rule


def test_the_timezone_defaults_to_utc() -> None:
    assert parse_schedule(recurring("08:00", "18:00")).timezone == "UTC"


@pytest.mark.parametrize("kind", ["NONE", "WEEKLY", ""])
def test_the_type_is_daily_or_recurring(kind: str) -> None:
    assert "scheduling.scheduleType" in problems({"scheduleType": kind})


@pytest.mark.parametrize(("kind", "field"), [("RECURRING", "recurringSchedule"), ("DAILY", "dailySchedule")])
def test_each_type_needs_its_schedule(kind: str, field: str) -> None:
    assert f"scheduling.{field}" in problems({"scheduleType": kind})


def test_the_metadata_lisa_maintains_is_not_taken_from_the_caller() -> None:
    parsed = parse_schedule(recurring("08:00", "18:00", scheduleEnabled=True, scheduledActionArns=["arn:x"]))
    assert "scheduledActionArns" not in parsed.dump()


@pytest.mark.parametrize(
    ("daily", "says"),
    [
        ("mon=08:00-18:00,xyz=09:00-17:00", "one of mon..sun"),
        ("mon=08:00-18:00,monday=09:00-17:00", "monday is given twice"),
        ("mon", "DAY=HH:MM-HH:MM"),
        ("mon=08:00", "START-STOP"),
        ("", "At least one day"),
    ],
)
def test_the_daily_option_names_its_mistake(daily: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        schedule_from_options(None, daily, "UTC")
    assert raised.value.problems[0].field == "--daily"
    assert says in raised.value.problems[0].rule


def test_the_options_make_lisa_schedules() -> None:
    daily = schedule_from_options(None, "mon=08:00-18:00,Tue=9:00-17:00", "Europe/Berlin")
    assert daily.dump()["dailySchedule"] == {
        "monday": {"startTime": "08:00", "stopTime": "18:00"},
        "tuesday": {"startTime": "9:00", "stopTime": "17:00"},
    }
    assert schedule_from_options("08:00-18:00", None, None).timezone  # the workstation's zone, or UTC
