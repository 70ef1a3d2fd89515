"""When a schedule fires: the next actions (across DST changes), the nextScheduledAction LISA's own calculation
stores (pinned to what LISA's `_calculate_next_recurring_action` and `_calculate_next_daily_action` return where it
differs from the firing), its immediate-scaling window check, and the schedule status as LISA's status route
reports it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.schedules.record import parse_schedule, schedule_status, stored_scheduling
from engine.schedules.timing import next_action_text, next_actions, next_scheduled_action, within_window
from engine.schema.record import ModelRecord


def berlin_office_hours() -> Any:
    return parse_schedule(
        {
            "scheduleType": "RECURRING",
            "timezone": "Europe/Berlin",
            "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
        }
    )


def shown(actions: list[Any]) -> list[tuple[str, str]]:
    return [(item.action, item.at.isoformat()) for item in actions]


def test_next_actions_keep_local_times_across_the_spring_dst_change() -> None:
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Berlin goes to summer time on Sunday 29 March 2026
    assert shown(next_actions(berlin_office_hours(), after, 4)) == [
        ("STOP", "2026-03-28T18:00:00+01:00"),
        ("START", "2026-03-29T08:00:00+02:00"),
        ("STOP", "2026-03-29T18:00:00+02:00"),
        ("START", "2026-03-30T08:00:00+02:00"),
    ]


def test_next_actions_across_the_autumn_change_and_a_time_that_does_not_exist() -> None:
    night = parse_schedule(
        {
            "scheduleType": "RECURRING",
            "timezone": "Europe/Berlin",
            "recurringSchedule": {"startTime": "02:30", "stopTime": "06:00"},
        }
    )
    spring = next_actions(night, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 2)
    # 02:30 does not exist on 29 March: it fires at the instant it would have been in winter time
    assert shown(spring) == [("START", "2026-03-29T03:30:00+02:00"), ("STOP", "2026-03-29T06:00:00+02:00")]
    autumn = next_actions(night, datetime(2026, 10, 24, 12, 0, tzinfo=UTC), 2)
    # 02:30 happens twice on 25 October: the first one (summer time)
    assert shown(autumn) == [("START", "2026-10-25T02:30:00+02:00"), ("STOP", "2026-10-25T06:00:00+01:00")]


def test_a_daily_schedule_fires_on_its_weekdays_only() -> None:
    schedule = parse_schedule(
        {
            "scheduleType": "DAILY",
            "timezone": "America/New_York",
            "dailySchedule": {
                "monday": {"startTime": "09:00", "stopTime": "17:00"},
                "wednesday": {"startTime": "22:00", "stopTime": "02:00"},
            },
        }
    )
    after = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
    upcoming = next_actions(schedule, after, 5)
    assert [(a.action, a.at.strftime("%a %H:%M %Z"), a.day) for a in upcoming] == [
        ("STOP", "Mon 17:00 EST", "monday"),
        ("STOP", "Wed 02:00 EST", "wednesday"),  # LISA's cron puts the stop on the same weekday as the start
        ("START", "Wed 22:00 EST", "wednesday"),
        ("START", "Mon 09:00 EST", "monday"),
        ("STOP", "Mon 17:00 EST", "monday"),
    ]
    assert next_scheduled_action(schedule, after) == {"action": "STOP", "scheduledTime": "2026-12-07T17:00:00-05:00"}


def next_fired(schedule: Any, now: datetime) -> dict[str, str]:
    return next_actions(schedule, now, 1)[0].to_json()


def test_lisas_next_scheduled_action_for_a_window_past_midnight() -> None:
    night = parse_schedule(
        {
            "scheduleType": "RECURRING",
            "timezone": "Europe/Berlin",
            "recurringSchedule": {"startTime": "22:00", "stopTime": "02:00"},
        }
    )
    one_at_night = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # Monday 01:00 in Berlin
    assert next_fired(night, one_at_night) == {"action": "STOP", "scheduledTime": "2026-12-07T02:00:00+01:00"}
    # LISA reads the stop as today's, before the start: it stores the start
    assert next_scheduled_action(night, one_at_night) == {
        "action": "START",
        "scheduledTime": "2026-12-07T22:00:00+01:00",
    }
    eleven_at_night = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
    assert next_fired(night, eleven_at_night) == {"action": "STOP", "scheduledTime": "2026-12-08T02:00:00+01:00"}
    assert next_scheduled_action(night, eleven_at_night) == {
        "action": "START",
        "scheduledTime": "2026-12-08T22:00:00+01:00",
    }


def test_lisas_next_scheduled_action_at_the_spring_change_in_berlin() -> None:
    night = parse_schedule(
        {
            "scheduleType": "RECURRING",
            "timezone": "Europe/Berlin",
            "recurringSchedule": {"startTime": "02:30", "stopTime": "06:00"},
        }
    )
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert next_fired(night, saturday) == {"action": "START", "scheduledTime": "2026-03-29T03:30:00+02:00"}
    # LISA keeps the wall time the change skips, with the winter offset
    assert next_scheduled_action(night, saturday) == {
        "action": "START",
        "scheduledTime": "2026-03-29T02:30:00+01:00",
    }
    after_the_change = datetime(2026, 3, 29, 1, 15, tzinfo=UTC)  # 03:15 summer time: 02:30 has not fired yet
    assert next_fired(night, after_the_change) == {"action": "START", "scheduledTime": "2026-03-29T03:30:00+02:00"}
    # LISA compares wall times: 03:15 is past 02:30, so the stop is next
    assert next_scheduled_action(night, after_the_change) == {
        "action": "STOP",
        "scheduledTime": "2026-03-29T06:00:00+02:00",
    }
    office = berlin_office_hours()
    saturday_evening = datetime(2026, 3, 28, 18, 0, tzinfo=UTC)
    assert next_scheduled_action(office, saturday_evening) == {
        "action": "START",
        "scheduledTime": "2026-03-29T08:00:00+02:00",
    }


def test_lisas_next_scheduled_action_for_a_daily_schedule_with_no_window_today() -> None:
    wednesday_night = parse_schedule(
        {
            "scheduleType": "DAILY",
            "timezone": "America/New_York",
            "dailySchedule": {"wednesday": {"startTime": "22:00", "stopTime": "02:00"}},
        }
    )
    tuesday_noon = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    assert next_fired(wednesday_night, tuesday_noon) == {
        "action": "STOP",
        "scheduledTime": "2026-12-09T02:00:00-05:00",
    }
    # LISA looks at the next days for a window and stores its start
    assert next_scheduled_action(wednesday_night, tuesday_noon) == {
        "action": "START",
        "scheduledTime": "2026-12-09T22:00:00-05:00",
    }
    thursday = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
    assert next_scheduled_action(wednesday_night, thursday) == {
        "action": "START",
        "scheduledTime": "2026-12-16T22:00:00-05:00",
    }


def test_the_stored_next_action_is_lisas() -> None:
    night = parse_schedule(
        {"scheduleType": "RECURRING", "recurringSchedule": {"startTime": "22:00", "stopTime": "02:00"}}
    )
    stored = stored_scheduling(night, [], datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    assert stored["nextScheduledAction"] == {"action": "START", "scheduledTime": "2026-12-07T22:00:00+00:00"}


def test_lisas_window_check_for_immediate_scaling() -> None:
    schedule = berlin_office_hours()
    assert within_window(schedule, datetime(2026, 12, 7, 7, 0, tzinfo=UTC))  # 08:00 CET: the start itself
    assert within_window(schedule, datetime(2026, 12, 7, 16, 59, tzinfo=UTC))
    assert not within_window(schedule, datetime(2026, 12, 7, 17, 0, 30, tzinfo=UTC))  # 18:00:30 CET
    assert not within_window(schedule, datetime(2026, 12, 7, 6, 59, tzinfo=UTC))
    past_midnight = parse_schedule(
        {"scheduleType": "RECURRING", "recurringSchedule": {"startTime": "22:00", "stopTime": "02:00"}}
    )
    assert not within_window(past_midnight, datetime(2026, 12, 7, 23, 0, tzinfo=UTC))  # as LISA compares times
    daily = parse_schedule(
        {"scheduleType": "DAILY", "dailySchedule": {"tuesday": {"startTime": "08:00", "stopTime": "18:00"}}}
    )
    assert not within_window(daily, datetime(2026, 12, 7, 12, 0, tzinfo=UTC))  # a Monday: no window today


def record_with(scheduling: dict[str, Any] | None) -> ModelRecord:
    return ModelRecord.model_validate(
        {
            "model_id": "m",
            "model_status": "InService",
            "model_config": {"autoScalingConfig": {"minCapacity": 1, "maxCapacity": 1, "scheduling": scheduling}},
        }
    )


def test_the_stored_shape_and_the_status_as_lisa_reports_it() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    stored = stored_scheduling(berlin_office_hours(), ["arn:a", "arn:b"], now)
    assert stored == {
        "timezone": "Europe/Berlin",
        "scheduleEnabled": True,
        "lastScheduleUpdate": "2026-12-07T12:00:00+00:00",
        "scheduledActionArns": ["arn:a", "arn:b"],
        "scheduleConfigured": True,
        "lastScheduleFailed": False,
        "nextScheduledAction": {"action": "STOP", "scheduledTime": "2026-12-07T18:00:00+01:00"},
        "lastScheduleFailure": None,
        "scheduleType": "RECURRING",
        "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
    }
    assert schedule_status(record_with(stored))["scheduleStatus"] == "ACTIVE"
    failed = {**stored, "lastScheduleFailed": True, "lastScheduleFailure": {"error": "x"}}
    assert schedule_status(record_with(failed))["scheduleStatus"] == "FAILED"
    assert schedule_status(record_with(None)) == {
        "modelId": "m",
        "scheduleEnabled": False,
        "scheduleConfigured": False,
        "lastScheduleFailed": False,
        "scheduleStatus": "DISABLED",
        "scheduleType": None,
        "timezone": "UTC",
        "nextScheduledAction": None,
        "lastScheduleUpdate": None,
        "lastScheduleFailure": None,
    }


def test_the_next_action_column_text() -> None:
    schedule = berlin_office_hours()
    assert next_action_text(schedule, datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) == "stops 18:00 CET"
    assert next_action_text(schedule, datetime(2026, 12, 7, 20, 0, tzinfo=UTC)) == "starts Tue 08:00 CET"
    assert next_action_text(schedule, datetime(2026, 7, 7, 4, 0, tzinfo=UTC)) == "starts 08:00 CEST"
