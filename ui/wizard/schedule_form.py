"""The wizard's schedule without widgets: the schedule a configuration holds (LISA's SchedulingConfig at
`autoScalingConfig.scheduling`, without the metadata LISA's schedule management maintains), whether an update
changes it, what is wrong with it (the engine's schema), and how it reads in a line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from engine.errors import InvalidInput, Problem
from engine.schedules.console_rules import same_day_problems
from engine.schedules.record import METADATA_FIELDS, parse_schedule
from engine.schema.config import DAYS, SchedulingConfig

SCHEDULING_PATH: Final = "autoScalingConfig.scheduling"
RECURRING: Final = "RECURRING"
DAILY: Final = "DAILY"


def given_schedule(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The schedule `config` holds, as given to LISA's schedule route: scheduleType, timezone and the windows
    (a DAILY schedule's days without a window left out); None without a schedule."""
    scaling = config.get("autoScalingConfig")
    scheduling = scaling.get("scheduling") if isinstance(scaling, Mapping) else None
    if not isinstance(scheduling, Mapping) or not scheduling.get("scheduleType"):
        return None
    given: dict[str, Any] = {
        key: value for key, value in scheduling.items() if key not in METADATA_FIELDS and value is not None
    }
    daily = given.get("dailySchedule")
    if isinstance(daily, Mapping):
        given["dailySchedule"] = {day: window for day, window in daily.items() if window is not None}
    if given.get("scheduleType") == RECURRING:
        given.pop("dailySchedule", None)
    elif given.get("scheduleType") == DAILY:
        given.pop("recurringSchedule", None)
    return given


def schedule_changed(base: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    return given_schedule(base) != given_schedule(config)


def schedule_problems(config: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> list[Problem]:
    """LISA's schedule rules broken by the configuration's schedule, each naming its field
    (`scheduling.recurringSchedule.stopTime`), with its web console's: a stop later than its start on the same day
    (`console_problems`), shown instead of the API's rules at the same field as the console does."""
    given = given_schedule(config)
    if given is None:
        return []
    console = console_problems(config, base)
    taken = {problem.field for problem in console}
    try:
        parse_schedule(given)
    except InvalidInput as error:
        return console + [problem for problem in error.problems if problem.field not in taken]
    return console


def console_problems(config: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> list[Problem]:
    """The windows whose stop is not later than their start on the same day, which LISA's web console refuses;
    a window the model's schedule (in `base`) already has is not refused, as LISA's API set it."""
    given = given_schedule(config)
    if given is None:
        return []
    return same_day_problems(given, given_schedule(base) if base is not None else None)


def parsed_schedule(config: Mapping[str, Any]) -> SchedulingConfig | None:
    """The configuration's schedule when it keeps every rule; else None."""
    given = given_schedule(config)
    if given is None:
        return None
    try:
        return parse_schedule(given)
    except InvalidInput:
        return None


def schedule_text(schedule: Mapping[str, Any] | None) -> str:
    """`every day 08:00–18:00 (Europe/Berlin)`, `Mon 09:00–17:00, Tue 09:00–17:00 (UTC)` or `none`."""
    if not schedule:
        return "none"
    zone = schedule.get("timezone") or "UTC"
    if schedule.get("scheduleType") == RECURRING:
        window = schedule.get("recurringSchedule") or {}
        return f"every day {_window_text(window)} ({zone})"
    daily = schedule.get("dailySchedule") or {}
    days = [f"{day[:3].capitalize()} {_window_text(daily[day])}" for day in DAYS if daily.get(day)]
    return f"{', '.join(days) or 'no day'} ({zone})"


def _window_text(window: Any) -> str:
    if not isinstance(window, Mapping):
        return "?"
    return f"{window.get('startTime') or '?'}–{window.get('stopTime') or '?'}"
