"""The sandbox's scheduled models, stored as LISA's schedule management stores them: the `scheduling` map with its
metadata, and the model's Auto Scaling scheduled actions in moto.

Their status and capacity are the catalog's, and stay so whenever the sandbox runs: a status that followed the wall
clock would change under every test that starts, stops or updates these models. The schedules and the instant LISA
set them (`SCHEDULED_AT`) are chosen so that the catalog's status is what LISA leaves then: a schedule set outside
its window scales the model to 0 (llama3-8b-tgi, Stopped: no window on that Monday), one set inside it leaves a
running model running (llama3-1-70b-instruct, InService: within its New York hours). The sandbox fires no
scheduled action by itself (`sandbox --fire-scheduled-action` does), so the seeds stay as LISA left them then."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from engine.schedules.actions import ScheduledAction, action_arn, actions_for, baseline_capacity
from engine.schedules.record import parse_schedule, stored_scheduling

SCHEDULED_AT: Final = datetime(2026, 11, 30, 14, 12, 44, 118204, tzinfo=UTC)
"""When LISA set the seeded schedules (their lastScheduleUpdate, the instant their nextScheduledAction is from and
the one LISA's immediate scaling looked at): a Monday afternoon in Berlin, morning in New York."""
WEEKDAY_SCHEDULES: Final[Mapping[str, Mapping[str, Any]]] = {
    "llama3-8b-tgi": {
        "scheduleType": "DAILY",
        "timezone": "Europe/Berlin",
        "dailySchedule": {
            day: {"startTime": "09:00", "stopTime": "17:00"} for day in ("tuesday", "wednesday", "thursday", "friday")
        },
    },
}
"""Per-weekday schedules of seeded models whose catalog entry has none: llama3-8b-tgi runs in the research sprint,
Tuesday to Friday."""


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
