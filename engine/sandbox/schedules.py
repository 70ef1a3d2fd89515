"""The sandbox's scheduled models, stored as LISA's schedule management stores them: the `scheduling` map with its
metadata, and the model's Auto Scaling scheduled actions in moto. Seeded without touching status or capacity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from engine.schedules.actions import ScheduledAction, action_arn, actions_for, baseline_capacity
from engine.schedules.record import parse_schedule, stored_scheduling

SCHEDULED_AT: Final = datetime(2026, 11, 30, 9, 12, 44, 118204, tzinfo=UTC)
"""When LISA set the seeded schedules (their lastScheduleUpdate and the instant their next action is from)."""
WEEKDAY_SCHEDULES: Final[Mapping[str, Mapping[str, Any]]] = {
    "llama3-8b-tgi": {
        "scheduleType": "DAILY",
        "timezone": "Europe/Berlin",
        "dailySchedule": {
            day: {"startTime": "09:00", "stopTime": "17:00"}
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
    },
}
"""Per-weekday schedules of seeded models whose catalog entry has none."""


def seed_schedule(
    model_id: str, config: dict[str, Any], group: str | None, region: str, account_id: str
) -> list[ScheduledAction]:
    """Rewrite `config`'s schedule (the catalog's, or this module's for the model) in the shape LISA stores, with the
    ARNs of the actions on `group`; returns the actions to put. Nothing for a model without a schedule or a group."""
    scaling = config.get("autoScalingConfig")
    if not group or not isinstance(scaling, dict):
        return []
    given = scaling.get("scheduling") or WEEKDAY_SCHEDULES.get(model_id)
    if not given:
        return []
    schedule = parse_schedule(given)
    actions = actions_for(model_id, schedule, baseline_capacity(config))
    arns = [action_arn(region, account_id, group, action.name) for action in actions]
    scaling["scheduling"] = stored_scheduling(schedule, arns, SCHEDULED_AT)
    return actions
