"""When a schedule starts and stops its model: the next actions from an instant (the preview, the "Next action"
column), the `nextScheduledAction` LISA stores (its own, simpler calculation), and LISA's immediate scaling when a
schedule is set outside its window."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from engine.schedules.actions import day_schedules, hh_mm
from engine.schedules.names import CRON_WEEKDAY, RECURRING_PREFIX, START, STOP
from engine.schema.config import DAYS, DaySchedule, SchedulingConfig
from engine.schema.enums import ScheduleType

NOW_ENV: Final = "LISA_DESKTOP_NOW"
"""For tests: an ISO 8601 instant with its offset that `wall_now` answers instead of the wall clock."""

Now = Callable[[], datetime]


def wall_now() -> datetime:
    """The current instant (aware, UTC), or LISA_DESKTOP_NOW's."""
    fixed = os.environ.get(NOW_ENV, "").strip()
    if fixed:
        moment = datetime.fromisoformat(fixed)
        if moment.tzinfo is None:
            raise ValueError(f"{NOW_ENV} must carry its UTC offset: {fixed}")
        return moment.astimezone(UTC)
    return datetime.now(UTC)


@dataclass(frozen=True)
class NextAction:
    action: str
    """START or STOP."""
    at: datetime
    """When, in the model's time zone."""
    day: str
    """The schedule's day it belongs to: a weekday, or `daily`."""

    def to_json(self) -> dict[str, str]:
        """LISA's NextScheduledAction shape."""
        return {"action": self.action, "scheduledTime": self.at.isoformat()}


def _local(day: date, time_of_day: str, zone: ZoneInfo) -> datetime:
    """`time_of_day` on `day` in `zone`; a time the clocks skip (spring forward) is the instant it would have been
    in the old offset (02:30 → 03:30 CEST), a time they repeat (fall back) its first occurrence."""
    hour, minute = hh_mm(time_of_day)
    naive = datetime.combine(day, time(hour, minute))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def next_actions(config: SchedulingConfig, after: datetime, count: int = 7) -> list[NextAction]:
    """The next `count` times the schedule's scheduled actions fire strictly after `after`, oldest first, as their
    cron expressions in the schedule's time zone make them fire (a DAILY day's stop is on that same weekday, as
    LISA's cron puts it, even when it is earlier than the start)."""
    zone = ZoneInfo(config.timezone)
    pairs = day_schedules(config)
    if not pairs or count <= 0:
        return []
    start = after.astimezone(zone).date() - timedelta(days=1)
    found: list[NextAction] = []
    horizon = 7 * (count // max(1, len(pairs)) + 2)
    for offset in range(horizon):
        day = start + timedelta(days=offset)
        for prefix, window in pairs:
            if prefix != RECURRING_PREFIX and (day.isoweekday() % 7) != CRON_WEEKDAY[prefix]:
                continue
            for action, time_of_day in ((START, window.startTime), (STOP, window.stopTime)):
                moment = _local(day, time_of_day, zone)
                if moment > after:
                    found.append(NextAction(action, moment, prefix))
        if len(found) >= count:
            break
    found.sort(key=lambda item: item.at)
    return found[:count]


def next_scheduled_action(config: SchedulingConfig, now: datetime) -> dict[str, str] | None:
    """`nextScheduledAction` as LISA's calculate_next_scheduled_action writes it in the record, which is not always
    the schedule's next firing (`next_actions` is): it looks at today's window only, reading its stop as today's
    even when it is earlier than the start; a DAILY schedule without a window left today gives the start of the next
    day that has one; times are wall times of the zone, compared as such, and a time the spring change skips keeps
    the offset before the change (02:30+01:00)."""
    zone = ZoneInfo(config.timezone)
    local = now.astimezone(zone)
    if config.scheduleType is ScheduleType.RECURRING:
        window = config.recurringSchedule
        if window is None:
            return None
        return _lisa_today(window, local, zone) or _lisa_json(START, local.date() + timedelta(days=1), window, zone)
    if config.dailySchedule is None:
        return None
    windows: list[DaySchedule | None] = [getattr(config.dailySchedule, day) for day in DAYS]
    today = windows[local.weekday()]
    if today is not None and (found := _lisa_today(today, local, zone)) is not None:
        return found
    for ahead in range(1, 8):
        day = local.date() + timedelta(days=ahead)
        window = windows[day.weekday()]
        if window is not None:
            return _lisa_json(START, day, window, zone)
    return None


def _lisa_today(window: DaySchedule, local: datetime, zone: ZoneInfo) -> dict[str, str] | None:
    """LISA's _get_next_action_for_today: START before today's start, STOP before today's stop, else nothing."""
    for action in (START, STOP):
        if local < _lisa_at(local.date(), window, action, zone):  # same tzinfo: Python compares the wall times
            return _lisa_json(action, local.date(), window, zone)
    return None


def _lisa_at(day: date, window: DaySchedule, action: str, zone: ZoneInfo) -> datetime:
    """As LISA builds it: `datetime.combine(day, time).replace(tzinfo=zone)`, fold 0."""
    hour, minute = hh_mm(window.startTime if action == START else window.stopTime)
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=zone)


def _lisa_json(action: str, day: date, window: DaySchedule, zone: ZoneInfo) -> dict[str, str]:
    return {"action": action, "scheduledTime": _lisa_at(day, window, action, zone).isoformat()}


def next_action_text(config: SchedulingConfig, now: datetime) -> str | None:
    """The "Next action" column: `stops 18:00 CET` today (in the model's zone), `starts Tue 08:00 CET` on
    another day; None when the schedule never fires."""
    upcoming = next_actions(config, now, 1)
    if not upcoming:
        return None
    item = upcoming[0]
    verb = "starts" if item.action == START else "stops"
    same_day = item.at.date() == now.astimezone(item.at.tzinfo).date()
    when = item.at.strftime("%H:%M %Z") if same_day else item.at.strftime("%a %H:%M %Z")
    return f"{verb} {when}"


def todays_window(config: SchedulingConfig, now: datetime) -> DaySchedule | None:
    """The window LISA's immediate scaling checks: the recurring one, or today's (in the schedule's zone)."""
    if config.scheduleType is ScheduleType.RECURRING:
        return config.recurringSchedule
    if config.dailySchedule is None:
        return None
    today = DAYS[now.astimezone(ZoneInfo(config.timezone)).weekday()]
    window: DaySchedule | None = getattr(config.dailySchedule, today)
    return window


def within_window(config: SchedulingConfig, now: datetime) -> bool:
    """LISA's check (scale_immediately): start <= the time of day in the schedule's zone <= stop, compared as
    times of one day (a window past midnight is never "within"), and no window today is outside."""
    window = todays_window(config, now)
    if window is None:
        return False
    local = now.astimezone(ZoneInfo(config.timezone)).time()
    return time(*hh_mm(window.startTime)) <= local.replace(tzinfo=None) <= time(*hh_mm(window.stopTime))


def describe_window(config: SchedulingConfig) -> list[dict[str, Any]]:
    """The schedule's windows: [{day, startTime, stopTime}], `daily` for a RECURRING one."""
    return [
        {"day": prefix, "startTime": window.startTime, "stopTime": window.stopTime}
        for prefix, window in day_schedules(config)
    ]
