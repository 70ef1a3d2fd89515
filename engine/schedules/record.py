"""The schedule in a model's record, as LISA's schedule management writes it
(`model_config.autoScalingConfig.scheduling`) and as its status route reports it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError

from engine.errors import InvalidInput, Problem
from engine.schedules.timing import next_scheduled_action
from engine.schema.config import DAYS, SchedulingConfig
from engine.schema.enums import ScheduleType
from engine.schema.problems import field_path, rule_text
from engine.schema.record import ModelRecord

SCHEDULING_PATH: Final[tuple[str, ...]] = ("model_config", "autoScalingConfig", "scheduling")
METADATA_FIELDS: Final = (
    "scheduledActionArns",
    "scheduleEnabled",
    "lastScheduleUpdate",
    "scheduleConfigured",
    "lastScheduleFailed",
    "nextScheduledAction",
    "lastScheduleFailure",
)
"""What LISA's merge_schedule_data drops from a schedule given to it: the server maintains these."""
ACTIVE: Final = "ACTIVE"
FAILED: Final = "FAILED"
DISABLED: Final = "DISABLED"


def parse_schedule(data: Mapping[str, Any], subject: str = "scheduling") -> SchedulingConfig:
    """A schedule as given (LISA's SchedulingConfig, the metadata ignored); InvalidInput naming each broken rule."""
    given = {key: value for key, value in data.items() if key not in METADATA_FIELDS}
    try:
        return SchedulingConfig.model_validate(given)
    except ValidationError as error:
        problems = [
            Problem(f"{subject}.{path}" if (path := field_path(detail["loc"])) else subject, rule_text(detail))
            for detail in error.errors()
        ]
        raise InvalidInput(problems, subject) from None


def stored_scheduling(config: SchedulingConfig, arns: list[str], now: datetime) -> dict[str, Any]:
    """The `scheduling` map LISA's update_model_schedule_record writes: the schedule's model_dump() (every field of
    DailySchedulingConfig or RecurringSchedulingConfig, a DAILY schedule's days without a window as null) with the
    action ARNs, scheduleEnabled and scheduleConfigured true, no failure, and the next action."""
    data: dict[str, Any] = {
        "timezone": config.timezone,
        "scheduleEnabled": True,
        "lastScheduleUpdate": now.isoformat(),
        "scheduledActionArns": list(arns),
        "scheduleConfigured": True,
        "lastScheduleFailed": False,
        "nextScheduledAction": next_scheduled_action(config, now),
        "lastScheduleFailure": None,
        "scheduleType": str(config.scheduleType),
    }
    if config.scheduleType is ScheduleType.RECURRING:
        assert config.recurringSchedule is not None
        data["recurringSchedule"] = _window(config.recurringSchedule.startTime, config.recurringSchedule.stopTime)
    else:
        assert config.dailySchedule is not None
        days: dict[str, Any] = {}
        for day in DAYS:
            window = getattr(config.dailySchedule, day)
            days[day] = _window(window.startTime, window.stopTime) if window is not None else None
        data["dailySchedule"] = days
    return data


def _window(start: str, stop: str) -> dict[str, str]:
    return {"startTime": start, "stopTime": stop}


def failure_entry(error: str, now: datetime) -> dict[str, Any]:
    """LISA's lastScheduleFailure (update_schedule_failure_status)."""
    return {"timestamp": now.isoformat(), "error": error, "retryCount": 0}


def scheduling_of(record: ModelRecord) -> dict[str, Any] | None:
    """The record's `model_config.autoScalingConfig.scheduling` map (None when absent or null)."""
    scaling = record.config.get("autoScalingConfig")
    if not isinstance(scaling, Mapping):
        return None
    scheduling = scaling.get("scheduling")
    return dict(scheduling) if isinstance(scheduling, Mapping) else None


def schedule_of(record: ModelRecord) -> SchedulingConfig | None:
    """The record's schedule, parsed (None when it has none or it cannot be read)."""
    scheduling = scheduling_of(record)
    if scheduling is None or not scheduling.get("scheduleType"):
        return None
    try:
        return parse_schedule(scheduling)
    except InvalidInput:
        return None


def stored_arns(record: ModelRecord) -> list[str]:
    arns = (scheduling_of(record) or {}).get("scheduledActionArns")
    return [str(arn) for arn in arns] if isinstance(arns, list) else []


def schedule_status(record: ModelRecord) -> dict[str, Any]:
    """What LISA's GET /models/{id}/schedule/status answers (GetScheduleStatusHandler): DISABLED unless
    scheduleConfigured, FAILED when lastScheduleFailed, else ACTIVE; a null `scheduling` reads as none."""
    scheduling = scheduling_of(record) or {}
    configured = bool(scheduling.get("scheduleConfigured", False))
    failed = bool(scheduling.get("lastScheduleFailed", False))
    status = DISABLED if not configured else (FAILED if failed else ACTIVE)
    return {
        "modelId": record.model_id,
        "scheduleEnabled": bool(scheduling.get("scheduleEnabled", False)),
        "scheduleConfigured": configured,
        "lastScheduleFailed": failed,
        "scheduleStatus": status,
        "scheduleType": scheduling.get("scheduleType"),
        "timezone": scheduling.get("timezone", "UTC"),
        "nextScheduledAction": scheduling.get("nextScheduledAction"),
        "lastScheduleUpdate": scheduling.get("lastScheduleUpdate"),
        "lastScheduleFailure": scheduling.get("lastScheduleFailure"),
    }
