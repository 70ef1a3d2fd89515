"""The table's "Next action" column: when a scheduled model next starts or stops ("stops 18:00 CET"), from the
row's short schedule (`ModelRow.schedule_json`), as the engine's `engine.schedules.timing` computes it.

Computed here, without the engine's schema: the table is drawn before pydantic is imported (the first paint), and
the column is worked out again every minute for the scheduled rows only. tests/ui/test_next_action.py checks that
it agrees with the engine's `next_action_text`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from engine.schedules.names import CRON_WEEKDAY, RECURRING_PREFIX, START, STOP

NOW_ENV: Final = "LISA_DESKTOP_NOW"
"""As `engine.schedules.timing.NOW_ENV`: an ISO 8601 instant with its offset that the clock answers instead."""

_CLOCK: Final = re.compile(r"\d\d:\d\d")
Window = tuple[str, str, str]
"""(day, startTime, stopTime): day is `daily` or a weekday."""


def wall_now() -> datetime:
    """The current instant (aware, UTC), or LISA_DESKTOP_NOW's."""
    fixed = os.environ.get(NOW_ENV, "").strip()
    if fixed:
        moment = datetime.fromisoformat(fixed)
        return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


clock: Callable[[], datetime] = wall_now
"""What the table's minute timer reads (tests replace it)."""
_shown_at: list[datetime] = []
"""The instant the column's texts are computed for (set by `set_now`, one per minute tick)."""


def set_now(moment: datetime) -> None:
    _shown_at[:] = [moment]


def shown_at() -> datetime:
    if not _shown_at:
        _shown_at.append(clock())
    return _shown_at[0]


@lru_cache(maxsize=256)
def _parsed(schedule_json: str) -> tuple[ZoneInfo, tuple[Window, ...]] | None:
    try:
        data = json.loads(schedule_json)
        zone = ZoneInfo(str(data["timezone"]))
        windows = tuple((str(day), str(start), str(stop)) for day, start, stop in data["windows"])
    except (ValueError, KeyError, TypeError, OSError):
        return None
    return zone, windows


def _local(day: date, time_of_day: str, zone: ZoneInfo) -> datetime:
    hours, minutes = time_of_day.split(":")
    naive = datetime.combine(day, time(int(hours), int(minutes)))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def upcoming(schedule_json: str | None, after: datetime, count: int = 1) -> list[tuple[str, datetime]]:
    """The next `count` (START|STOP, when in the model's zone) strictly after `after`, oldest first."""
    parsed = _parsed(schedule_json) if schedule_json else None
    if parsed is None or count <= 0:
        return []
    zone, windows = parsed
    if not windows:
        return []
    first = after.astimezone(zone).date() - timedelta(days=1)
    found: list[tuple[str, datetime]] = []
    for offset in range(7 * (count // len(windows) + 2)):
        day = first + timedelta(days=offset)
        for prefix, start, stop in windows:
            if prefix != RECURRING_PREFIX and day.isoweekday() % 7 != CRON_WEEKDAY.get(prefix, -1):
                continue
            for action, time_of_day in ((START, start), (STOP, stop)):
                moment = _local(day, time_of_day, zone)
                if moment > after:
                    found.append((action, moment))
        if len(found) >= count:
            break
    found.sort(key=lambda item: item[1])
    return found[:count]


def next_action_text(schedule_json: str | None, now: datetime | None = None) -> str:
    """`stops 18:00 CET` today (in the model's zone), `starts Tue 08:00 CET` on another day; empty without a
    schedule."""
    moment = shown_at() if now is None else now
    found = upcoming(schedule_json, moment)
    if not found:
        return ""
    action, at = found[0]
    verb = "starts" if action == START else "stops"
    same_day = at.date() == moment.astimezone(at.tzinfo).date()
    return f"{verb} {at.strftime('%H:%M %Z') if same_day else at.strftime('%a %H:%M %Z')}"


def next_action_at(schedule_json: str | None) -> datetime | None:
    """When the next action comes (the column's sort key)."""
    found = upcoming(schedule_json, shown_at())
    return found[0][1] if found else None


def compact_text(text: str) -> str:
    """The column's text where it is cut (a narrow window): the verb, the day when not today, the time and the
    zone, in fewer letters: `stops 18:00 CET` → `stop 18:00 CET`, `starts Mon 09:00 CET` → `start Mon 9:00 CET`."""
    verb, _, rest = text.partition(" ")
    if not rest:
        return text
    words = [word.removeprefix("0") if _CLOCK.fullmatch(word) else word for word in rest.split(" ")]
    return " ".join([verb.removesuffix("s"), *words])
