"""The nested configuration objects of a LISA model (container, auto scaling, load balancer, ...)."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from engine.schema.base import LisaShape, RuleViolations
from engine.schema.enums import AlbMetricName, FeatureName, GuardrailMode, ImageType, ScheduleType

AUTO_SCALING_MAX_SIZE = 2_147_483_647
"""The largest size Auto Scaling's API takes (an Integer): a capacity above it can only fail, after the job began."""


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number, not {str(value).lower()}")
    return value


Capacity = Annotated[PositiveInt, Field(le=AUTO_SCALING_MAX_SIZE), BeforeValidator(_not_a_boolean)]

HEALTH_CHECK_PREFIXES = ("CMD", "CMD-SHELL")
MIN_BLOCK_DEVICE_GB = 30
MIN_SCHEDULE_WINDOW_MINUTES = 120
_HH_MM = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
"""LISA's time pattern: 08:00 and 8:00 alike."""
DEFAULT_TARGET_VALUE = 30
"""LISA's metricConfig.targetValue when a request leaves it out."""

WarmupSeconds = Annotated[int, Field(ge=1, le=3600)]


def check_health_check_command(command: str | list[str]) -> str | list[str]:
    """A health-check command is a non-empty string, or a list ["CMD"|"CMD-SHELL", command...]."""
    if isinstance(command, str):
        if not command.strip():
            raise ValueError("must not be empty")
        return command
    if not command or command[0] not in HEALTH_CHECK_PREFIXES:
        raise ValueError('a list command must start with "CMD" or "CMD-SHELL"')
    if len(command) < 2 or not any(part.strip() for part in command[1:]):
        raise ValueError(f'"{command[0]}" must be followed by a non-empty command')
    return command


def check_environment(environment: dict[str, str]) -> dict[str, str]:
    for key in environment:
        if not key.strip():
            raise ValueError("variable names must not be empty")
    return environment


class ContainerImage(LisaShape):
    baseImage: str = Field(min_length=1)
    type: ImageType


class ContainerHealthCheckConfig(LisaShape):
    command: str | list[str]
    interval: PositiveInt
    startPeriod: PositiveInt
    timeout: PositiveInt
    retries: PositiveInt

    _command = field_validator("command")(check_health_check_command)


class ContainerConfig(LisaShape):
    image: ContainerImage
    sharedMemorySize: PositiveInt
    healthCheckConfig: ContainerHealthCheckConfig
    environment: dict[str, str] = Field(default_factory=dict)
    memoryReservation: NonNegativeInt | None = None

    _environment = field_validator("environment")(check_environment)


class MetricConfig(LisaShape):
    albMetricName: AlbMetricName = AlbMetricName.REQUEST_COUNT_PER_TARGET
    targetValue: NonNegativeInt = DEFAULT_TARGET_VALUE
    duration: PositiveInt
    estimatedInstanceWarmup: PositiveInt


class DaySchedule(LisaShape):
    startTime: str
    stopTime: str

    @field_validator("startTime", "stopTime")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HH_MM.match(value):
            raise ValueError("must be a time as HH:MM or H:MM (00:00 to 23:59)")
        return value

    @model_validator(mode="after")
    def _window(self) -> Self:
        start = _minutes(self.startTime)
        stop = _minutes(self.stopTime)
        if (stop - start) % (24 * 60) < MIN_SCHEDULE_WINDOW_MINUTES:
            violations = RuleViolations("DaySchedule")
            violations.add(
                ("stopTime",),
                "must be at least 2 hours after startTime",
                self.stopTime,
            )
            violations.raise_any()
        return self


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


class DailySchedule(LisaShape):
    monday: DaySchedule | None = None
    tuesday: DaySchedule | None = None
    wednesday: DaySchedule | None = None
    thursday: DaySchedule | None = None
    friday: DaySchedule | None = None
    saturday: DaySchedule | None = None
    sunday: DaySchedule | None = None

    @model_validator(mode="after")
    def _at_least_one_day(self) -> Self:
        if not any(getattr(self, day) for day in DAYS):
            violations = RuleViolations("DailySchedule")
            violations.add((), "must give at least one day (monday..sunday) with startTime and stopTime")
            violations.raise_any()
        return self


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class NextScheduledAction(LisaShape):
    action: Literal["START", "STOP"]
    scheduledTime: str


class ScheduleFailure(LisaShape):
    timestamp: str
    error: str
    retryCount: int


class SchedulingConfig(LisaShape):
    """LISA's SchedulingConfig (DailySchedulingConfig | RecurringSchedulingConfig) with the metadata its schedule
    management maintains next to it (BaseSchedulingConfig), so that a stored schedule reads back without warnings."""

    scheduleType: ScheduleType
    timezone: str = "UTC"
    dailySchedule: DailySchedule | None = None
    recurringSchedule: DaySchedule | None = None
    scheduleEnabled: bool = False
    lastScheduleUpdate: str | None = None
    scheduledActionArns: list[str] | None = None
    scheduleConfigured: bool = False
    lastScheduleFailed: bool = False
    nextScheduledAction: NextScheduledAction | None = None
    lastScheduleFailure: ScheduleFailure | None = None

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" names a folder of zones
            raise ValueError(
                f"Invalid timezone: {value}, timezone must be a valid IANA timezone identifier (e.g. UTC, Europe/Paris)"
            ) from None
        return value

    @model_validator(mode="after")
    def _schedule_matches_type(self) -> Self:
        violations = RuleViolations("SchedulingConfig")
        if self.scheduleType is ScheduleType.DAILY and self.dailySchedule is None:
            violations.add(("dailySchedule",), "is required when scheduleType is DAILY")
        if self.scheduleType is ScheduleType.RECURRING and self.recurringSchedule is None:
            violations.add(("recurringSchedule",), "is required when scheduleType is RECURRING")
        violations.raise_any()
        return self


class AutoScalingConfig(LisaShape):
    blockDeviceVolumeSize: int = Field(default=50, ge=MIN_BLOCK_DEVICE_GB)
    minCapacity: Capacity
    maxCapacity: Capacity
    desiredCapacity: Capacity | None = None
    cooldown: PositiveInt
    defaultInstanceWarmup: WarmupSeconds
    metricConfig: MetricConfig
    scheduling: SchedulingConfig | None = None

    @model_validator(mode="after")
    def _capacity_order(self) -> Self:
        violations = RuleViolations("AutoScalingConfig")
        check_capacity_order(violations, self.minCapacity, self.desiredCapacity, self.maxCapacity)
        violations.raise_any()
        return self


def check_capacity_order(
    violations: RuleViolations, minimum: int | None, desired: int | None, maximum: int | None
) -> None:
    """min ≤ desired ≤ max, each part checked only when both of its bounds are known."""
    if minimum is not None and maximum is not None and minimum > maximum:
        violations.add(("minCapacity",), f"must be less than or equal to maxCapacity ({minimum} > {maximum})")
    if desired is not None and maximum is not None and desired > maximum:
        violations.add(("desiredCapacity",), f"must not exceed maxCapacity ({desired} > {maximum})")
    if desired is not None and minimum is not None and desired < minimum:
        violations.add(("desiredCapacity",), f"must not be below minCapacity ({desired} < {minimum})")


class LoadBalancerHealthCheckConfig(LisaShape):
    """ALB target-group health check; the ranges are those AWS enforces when the stack is built."""

    path: str = Field(min_length=1)
    interval: int = Field(ge=5, le=300)
    timeout: int = Field(ge=2, le=120)
    healthyThresholdCount: int = Field(ge=2, le=10)
    unhealthyThresholdCount: int = Field(ge=2, le=10)

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/' (e.g. /health)")
        return value

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> Self:
        if self.timeout >= self.interval:
            violations = RuleViolations("LoadBalancerHealthCheckConfig")
            violations.add(("timeout",), f"must be less than interval ({self.timeout} ≥ {self.interval})", self.timeout)
            violations.raise_any()
        return self


class LoadBalancerConfig(LisaShape):
    healthCheckConfig: LoadBalancerHealthCheckConfig


class Feature(LisaShape):
    name: FeatureName
    overview: str = ""


class GuardrailConfig(LisaShape):
    guardrailName: str = Field(min_length=1)
    guardrailIdentifier: str = Field(min_length=1)
    guardrailVersion: str = "DRAFT"
    mode: GuardrailMode = GuardrailMode.PRE_CALL
    description: str | None = None
    allowedGroups: list[str] = Field(default_factory=list)
    markedForDeletion: bool = False


def check_unique_features(features: list[Feature] | None) -> list[Feature] | None:
    if features:
        names = [feature.name for feature in features]
        duplicates = sorted({str(name) for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"each feature may appear once; repeated: {', '.join(duplicates)}")
    return features


def as_plain(value: Any) -> Any:
    """A shape or a list of shapes as plain JSON-ready data."""
    if isinstance(value, LisaShape):
        return value.dump()
    if isinstance(value, list):
        return [as_plain(item) for item in value]
    return value
