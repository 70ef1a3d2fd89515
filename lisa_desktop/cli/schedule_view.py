"""The text view of `models schedule ID`, written once for both modes: workstation mode (`schedule_cli._show`) from
the model's record and its group's scheduled actions, team mode (`team.show_schedule`) from what LISA's schedule
routes answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from engine.errors import InvalidInput
from engine.schedules.actions import ScheduledAction
from engine.schedules.record import parse_schedule
from engine.schedules.timing import NextAction, describe_window
from engine.schema.config import SchedulingConfig


def schedule_in(scheduling: Mapping[str, Any] | None) -> SchedulingConfig | None:
    """The schedule of a `scheduling` map as `GET /models/{id}/schedule` answers it (None when it has none or it
    cannot be read), as `engine.schedules.record.schedule_of` reads the record's."""
    if not scheduling or not scheduling.get("scheduleType"):
        return None
    try:
        return parse_schedule(scheduling)
    except InvalidInput:
        return None


def write_schedule(
    out: TextIO,
    *,
    model_id: str,
    model_status: str,
    status: Mapping[str, Any],
    schedule: SchedulingConfig | None,
    hosted: bool,
    upcoming: Sequence[NextAction],
    group: str,
    actions: Sequence[ScheduledAction],
) -> None:
    """`status`: LISA's schedule status (GET /models/{id}/schedule/status); `group` and `actions`: the model's Auto
    Scaling group and its scheduled actions when they were read (else "" and none)."""
    out.write(f"{model_id} ({model_status}): schedule {status.get('scheduleStatus')}\n")
    if schedule is None:
        out.write(f"  no schedule{'' if hosted else ' (not LISA-hosted: it cannot have one)'}\n")
    else:
        out.write(f"  type: {schedule.scheduleType}, time zone: {schedule.timezone}\n")
        for window in describe_window(schedule):
            out.write(f"  {window['day']:<10} start {window['startTime']:>5}  stop {window['stopTime']:>5}\n")
    failure = status.get("lastScheduleFailure")
    if status.get("lastScheduleFailed") and isinstance(failure, Mapping):
        out.write(f"  last failure: {failure.get('timestamp')}: {failure.get('error')}\n")
    if upcoming:
        out.write("Next actions:\n")
        for item in upcoming:
            out.write(f"  {item.action:<5}  {item.at:%a %Y-%m-%d %H:%M %Z}\n")
    if actions:
        out.write(f"Scheduled actions on {group}:\n")
        for action in actions:
            sizes = f"{action.capacity.min_size}/{action.capacity.max_size}/{action.capacity.desired}"
            out.write(f"  {action.name}  {action.recurrence}  {action.time_zone}  min/max/desired {sizes}\n")
