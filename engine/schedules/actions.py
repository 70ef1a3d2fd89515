"""The Auto Scaling scheduled actions LISA's schedule management makes for a schedule
(`lambda/models/scheduling/schedule_management.py`): names, cron expressions, time zone and capacities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.schedules.names import CRON_WEEKDAY, RECURRING_PREFIX, START, STOP
from engine.schema.config import DAYS, DaySchedule, SchedulingConfig
from engine.schema.enums import ScheduleType


@dataclass(frozen=True)
class Capacity:
    min_size: int
    max_size: int
    desired: int


STOPPED: Final = Capacity(0, 0, 0)


@dataclass(frozen=True)
class ScheduledAction:
    """One PutScheduledUpdateGroupAction of a model's schedule."""

    name: str
    recurrence: str
    time_zone: str
    capacity: Capacity

    @property
    def action(self) -> str:
        """START or STOP."""
        return STOP if self.capacity == STOPPED else START

    def put_arguments(self, group: str) -> dict[str, Any]:
        return {
            "AutoScalingGroupName": group,
            "ScheduledActionName": self.name,
            "Recurrence": self.recurrence,
            "TimeZone": self.time_zone,
            "MinSize": self.capacity.min_size,
            "MaxSize": self.capacity.max_size,
            "DesiredCapacity": self.capacity.desired,
        }

    def to_json(self) -> dict[str, Any]:
        """What the journal keeps to put the action back."""
        return {
            "name": self.name,
            "recurrence": self.recurrence,
            "timeZone": self.time_zone,
            "min": self.capacity.min_size,
            "max": self.capacity.max_size,
            "desired": self.capacity.desired,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScheduledAction:
        capacity = Capacity(int(data["min"]), int(data["max"]), int(data["desired"]))
        return cls(str(data["name"]), str(data["recurrence"]), str(data["timeZone"]), capacity)

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ScheduledAction:
        """An action as DescribeScheduledActions answers it (sizes it leaves out read as 0)."""
        capacity = Capacity(
            int(raw.get("MinSize") or 0), int(raw.get("MaxSize") or 0), int(raw.get("DesiredCapacity") or 0)
        )
        return cls(
            str(raw.get("ScheduledActionName", "")),
            str(raw.get("Recurrence") or ""),
            str(raw.get("TimeZone") or "UTC"),
            capacity,
        )


def hh_mm(value: str) -> tuple[int, int]:
    hours, minutes = value.split(":")
    return int(hours), int(minutes)


def cron(time_of_day: str, weekday: int | None = None) -> str:
    """LISA's `M H * * *` (time_to_cron) or `M H * * D` (time_to_cron_with_day)."""
    hour, minute = hh_mm(time_of_day)
    return f"{minute} {hour} * * {'*' if weekday is None else weekday}"


def baseline_capacity(model_config: Mapping[str, Any]) -> Capacity:
    """What a start action restores, as LISA's get_model_baseline_capacity reads it from the record:
    minCapacity and maxCapacity (1 when missing), desiredCapacity (1 when missing, minCapacity when null)."""
    scaling = model_config.get("autoScalingConfig")
    config: Mapping[str, Any] = scaling if isinstance(scaling, Mapping) else {}
    low = int(config.get("minCapacity", 1))
    high = int(config.get("maxCapacity", 1))
    desired = config.get("desiredCapacity", 1)
    return Capacity(low, high, low if desired is None else int(desired))


def day_schedules(config: SchedulingConfig) -> list[tuple[str, DaySchedule]]:
    """(prefix, window) of each pair of actions: ("daily", the window) for RECURRING, (weekday, its window) for
    each day a DAILY schedule gives, Monday first as LISA makes them."""
    if config.scheduleType is ScheduleType.RECURRING:
        return [(RECURRING_PREFIX, config.recurringSchedule)] if config.recurringSchedule is not None else []
    daily = config.dailySchedule
    if daily is None:
        return []
    return [(day, window) for day in DAYS if (window := getattr(daily, day)) is not None]


def actions_for(model_id: str, config: SchedulingConfig, baseline: Capacity) -> list[ScheduledAction]:
    """The actions LISA's create_recurring_scheduled_actions / create_daily_scheduled_actions put, in its order:
    per pair the start (baseline capacity) then the stop (0/0/0), zoned in the schedule's time zone."""
    actions: list[ScheduledAction] = []
    for prefix, window in day_schedules(config):
        weekday = None if prefix == RECURRING_PREFIX else CRON_WEEKDAY[prefix]
        actions.append(
            ScheduledAction(f"{model_id}-{prefix}-start", cron(window.startTime, weekday), config.timezone, baseline)
        )
        actions.append(
            ScheduledAction(f"{model_id}-{prefix}-stop", cron(window.stopTime, weekday), config.timezone, STOPPED)
        )
    return actions


def is_model_action(name: str, model_id: str) -> bool:
    """Whether an action of the group is one of the model's, by LISA's naming pattern
    (cleanup_scheduled_actions_by_name_pattern)."""
    return any(name.startswith(f"{model_id}-{prefix}-") for prefix in (RECURRING_PREFIX, *DAYS))


def action_arn(region: str, account_id: str, group: str, name: str) -> str:
    """The ARN LISA stores for an action (construct_scheduled_action_arn: `*` where AWS puts the action's id)."""
    return (
        f"arn:aws:autoscaling:{region}:{account_id}:scheduledUpdateGroupAction:*:"
        f"autoScalingGroupName/{group}:scheduledActionName/{name}"
    )


def arn_parts(arn: str) -> tuple[str, str] | None:
    """(group, action name) of a stored action ARN, as LISA's delete_scheduled_actions splits it."""
    if ":scheduledActionName/" not in arn or ":autoScalingGroupName/" not in arn:
        return None
    name = arn.split(":scheduledActionName/")[-1]
    group = arn.split(":autoScalingGroupName/")[-1].split(":")[0]
    return group, name
