"""The names LISA gives a schedule's actions and their parts, with no import beyond the standard library (the
window's first paint reads them, without pydantic)."""

from __future__ import annotations

from typing import Final

CRON_WEEKDAY: Final = {
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 0,
}
"""LISA's day numbers in a DAILY schedule's cron expressions (Sunday 0)."""
RECURRING_PREFIX: Final = "daily"
"""A RECURRING schedule's actions are `<modelId>-daily-start|stop`."""
START: Final = "START"
STOP: Final = "STOP"
