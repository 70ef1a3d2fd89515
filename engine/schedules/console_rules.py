"""The rule LISA's web console adds to its API's schedule rules (ScheduleConfig.tsx, validateTimePair): a window's
stop must be later than its start on the same day. LISA's API takes a stop at or before the start (a stop past
midnight, which its cron puts on the start's weekday), so the console applies the rule only where it plays LISA's
web console (the wizard's Schedule page, `models schedule --recurring/--daily`); stored records and request files
keep the API's rules."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.errors import Problem
from engine.schedules.names import RECURRING_PREFIX
from engine.schema.config import DAYS

SAME_DAY_RULE: Final = "must be later than startTime on the same day, as LISA's web console requires"
_HH_MM: Final = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Window:
    day: str
    """A weekday, or `daily` for a RECURRING schedule's window."""
    start: str
    stop: str

    @property
    def field(self) -> str:
        """The window's stopTime in LISA's names: `scheduling.dailySchedule.monday.stopTime`."""
        where = "recurringSchedule" if self.day == RECURRING_PREFIX else f"dailySchedule.{self.day}"
        return f"scheduling.{where}.stopTime"


def stops_not_after_start(given: Mapping[str, Any], keep: Mapping[str, Any] | None = None) -> list[Window]:
    """The windows of a schedule as given (LISA's SchedulingConfig shape) whose stop is not later than their start,
    as LISA's console compares them: times of one day, a window with a time that is not HH:MM left to the schema's
    rules. A window that `keep` (the schedule the model has) holds on the same day is left out: LISA's API set it,
    and the console shows what LISA accepts."""
    kept = set(_windows(keep)) if keep is not None else set()
    return [
        window
        for window in _windows(given)
        if window not in kept
        and (start := _minutes(window.start)) is not None
        and (stop := _minutes(window.stop)) is not None
        and stop <= start
    ]


def same_day_problems(given: Mapping[str, Any], keep: Mapping[str, Any] | None = None) -> list[Problem]:
    """`stops_not_after_start`, each a problem at its stopTime."""
    return [Problem(window.field, SAME_DAY_RULE) for window in stops_not_after_start(given, keep)]


def _windows(given: Mapping[str, Any]) -> Iterator[Window]:
    kind = given.get("scheduleType")
    if kind == "RECURRING":
        yield from _window(RECURRING_PREFIX, given.get("recurringSchedule"))
    elif kind == "DAILY" and isinstance(daily := given.get("dailySchedule"), Mapping):
        for day in DAYS:
            yield from _window(day, daily.get(day))


def _window(day: str, window: Any) -> Iterator[Window]:
    if isinstance(window, Mapping):
        yield Window(day, str(window.get("startTime") or "").strip(), str(window.get("stopTime") or "").strip())


def _minutes(text: str) -> int | None:
    matched = _HH_MM.match(text)
    return int(matched.group(1)) * 60 + int(matched.group(2)) if matched else None
