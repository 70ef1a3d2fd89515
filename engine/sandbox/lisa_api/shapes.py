"""LISA's API objects as its models API parses and answers them (`lambda/models/domain_objects.py`): the same
fields, defaults and validation messages, so the sandbox's 422s and response bodies read as LISA's. Unknown keys are
ignored, as pydantic's default does for LISA."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from engine.schema.enums import GuardrailMode, InferenceContainer, ModelHostingType, ModelStatus, ModelType
from engine.schema.instance_types import is_instance_type

HOSTED_FIELDS = ("autoScalingConfig", "containerConfig", "inferenceContainer", "instanceType", "loadBalancerConfig")
TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"


def _instance_type(value: str) -> str:
    if not is_instance_type(value):
        raise ValueError("Invalid EC2 instance type.")
    return value


def _environment_keys(environment: dict[str, str] | None) -> dict[str, str] | None:
    if environment and not all(environment):
        raise ValueError("Empty strings are not allowed for environment variable key names.")
    return environment


def _health_check_command(command: str | list[str]) -> str | list[str]:
    """LISA's `utilities/healthcheck_validator.py`."""
    if isinstance(command, str):
        if not command.strip():
            raise ValueError("Healthcheck command cannot be an empty string")
        return command
    if not command:
        raise ValueError("Healthcheck command array cannot be empty")
    example = "Example: ['CMD-SHELL', 'curl -f http://localhost:8080/health']"
    if command[0] not in ("CMD", "CMD-SHELL"):
        raise ValueError(f"Healthcheck array must start with 'CMD' or 'CMD-SHELL', got: '{command[0]}'. {example}")
    if len(command) < 2:
        raise ValueError(f"Healthcheck array must contain a command after '{command[0]}'. {example}")
    if not command[1].strip():
        raise ValueError("Healthcheck command cannot be empty after CMD/CMD-SHELL prefix")
    return command


class GuardrailConfig(BaseModel):
    guardrailName: str = Field(min_length=1)
    guardrailIdentifier: str = Field(min_length=1)
    guardrailVersion: str = "DRAFT"
    mode: GuardrailMode = GuardrailMode.PRE_CALL
    description: str | None = None
    allowedGroups: list[str] = Field(default_factory=list)
    markedForDeletion: bool | None = False


class MetricConfig(BaseModel):
    albMetricName: str = Field(default="RequestCountPerTarget", min_length=1)
    targetValue: NonNegativeInt = 30
    duration: PositiveInt
    estimatedInstanceWarmup: PositiveInt


class LoadBalancerHealthCheckConfig(BaseModel):
    path: str = Field(min_length=1)
    interval: PositiveInt
    timeout: PositiveInt
    healthyThresholdCount: PositiveInt
    unhealthyThresholdCount: PositiveInt


class LoadBalancerConfig(BaseModel):
    healthCheckConfig: LoadBalancerHealthCheckConfig


class DaySchedule(BaseModel):
    startTime: str = Field(pattern=TIME_PATTERN)
    stopTime: str = Field(pattern=TIME_PATTERN)

    @field_validator("startTime", "stopTime")
    @classmethod
    def _format(cls, value: str) -> str:
        try:
            datetime.strptime(value, "%H:%M")
        except ValueError:
            raise ValueError("Time must be in HH:MM format") from None
        return value

    @model_validator(mode="after")
    def _two_hours(self) -> Self:
        start = datetime.strptime(self.startTime, "%H:%M")
        stop = datetime.strptime(self.stopTime, "%H:%M")
        if stop <= start:
            stop += timedelta(days=1)
        if stop - start < timedelta(hours=2) or self.startTime == self.stopTime:
            raise ValueError("Stop time must be at least 2 hours after start time")
        return self


class WeeklySchedule(BaseModel):
    monday: DaySchedule | None = None
    tuesday: DaySchedule | None = None
    wednesday: DaySchedule | None = None
    thursday: DaySchedule | None = None
    friday: DaySchedule | None = None
    saturday: DaySchedule | None = None
    sunday: DaySchedule | None = None

    @model_validator(mode="after")
    def _one_day(self) -> Self:
        if all(getattr(self, day) is None for day in type(self).model_fields):
            raise ValueError("At least one day must have a schedule configured")
        return self


class NextScheduledAction(BaseModel):
    action: str = Field(pattern=r"^(START|STOP)$")
    scheduledTime: str


class ScheduleFailure(BaseModel):
    timestamp: str
    error: str
    retryCount: int


class BaseSchedulingConfig(BaseModel):
    timezone: str = "UTC"
    scheduleEnabled: bool = False
    lastScheduleUpdate: str | None = None
    scheduledActionArns: list[str] | None = None
    scheduleConfigured: bool = False
    lastScheduleFailed: bool = False
    nextScheduledAction: NextScheduledAction | None = None
    lastScheduleFailure: ScheduleFailure | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"Invalid timezone: {value}, timezone must be a valid IANA timezone identifier") from None
        return value


class DailySchedulingConfig(BaseSchedulingConfig):
    scheduleType: Literal["DAILY"] = "DAILY"
    dailySchedule: WeeklySchedule


class RecurringSchedulingConfig(BaseSchedulingConfig):
    scheduleType: Literal["RECURRING"] = "RECURRING"
    recurringSchedule: DaySchedule


SchedulingConfig = Annotated[DailySchedulingConfig | RecurringSchedulingConfig, Field(discriminator="scheduleType")]


class AutoScalingConfig(BaseModel):
    blockDeviceVolumeSize: NonNegativeInt | None = 50
    minCapacity: PositiveInt
    maxCapacity: PositiveInt
    desiredCapacity: PositiveInt | None = None
    cooldown: PositiveInt
    defaultInstanceWarmup: Annotated[int, Field(gt=0, le=3600)]
    metricConfig: MetricConfig
    scheduling: SchedulingConfig | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.minCapacity > self.maxCapacity:
            raise ValueError("minCapacity must be less than or equal to the maxCapacity.")
        if self.blockDeviceVolumeSize is not None and self.blockDeviceVolumeSize < 30:
            raise ValueError("blockDeviceVolumeSize must be greater than or equal to 30.")
        if self.desiredCapacity and self.desiredCapacity > self.maxCapacity:
            raise ValueError("Desired capacity must be less than or equal to max capacity.")
        if self.desiredCapacity and self.desiredCapacity < self.minCapacity:
            raise ValueError("Desired capacity must be greater than or equal to minimum capacity.")
        return self


class AutoScalingInstanceConfig(BaseModel):
    minCapacity: PositiveInt | None = None
    maxCapacity: PositiveInt | None = None
    desiredCapacity: PositiveInt | None = None
    cooldown: PositiveInt | None = None
    defaultInstanceWarmup: Annotated[int, Field(gt=0, le=3600)] | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("At least one option of autoScalingInstanceConfig must be defined.")
        if self.desiredCapacity and self.maxCapacity and self.desiredCapacity > self.maxCapacity:
            raise ValueError("Desired capacity must be less than or equal to max capacity.")
        if self.desiredCapacity and self.minCapacity and self.desiredCapacity < self.minCapacity:
            raise ValueError("Desired capacity must be greater than or equal to minimum capacity.")
        return self


class ContainerHealthCheckConfig(BaseModel):
    command: str | list[str]
    interval: PositiveInt
    startPeriod: PositiveInt
    timeout: PositiveInt
    retries: PositiveInt

    _command = field_validator("command")(_health_check_command)


class ContainerConfigImage(BaseModel):
    baseImage: str = Field(min_length=1)
    type: str = Field(min_length=1)


class ContainerConfig(BaseModel):
    image: ContainerConfigImage
    sharedMemorySize: PositiveInt
    healthCheckConfig: ContainerHealthCheckConfig
    environment: dict[str, str] | None = Field(default_factory=dict)
    memoryReservation: int | None = Field(default=None, ge=0)

    _environment = field_validator("environment")(_environment_keys)


class ContainerConfigUpdatable(BaseModel):
    environment: dict[str, str] | None = None
    sharedMemorySize: PositiveInt | None = None
    healthCheckCommand: str | list[str] | None = None
    healthCheckInterval: PositiveInt | None = None
    healthCheckTimeout: PositiveInt | None = None
    healthCheckStartPeriod: PositiveInt | None = None
    healthCheckRetries: PositiveInt | None = None

    _environment = field_validator("environment")(_environment_keys)


class ModelFeature(BaseModel):
    name: str
    overview: str


class LISAModel(BaseModel):
    """What every route answers a model with (`handler/utils.py:to_lisa_model`)."""

    autoScalingConfig: AutoScalingConfig | None = None
    containerConfig: ContainerConfig | None = None
    inferenceContainer: InferenceContainer | None = None
    instanceType: str | None = None
    loadBalancerConfig: LoadBalancerConfig | None = None
    modelId: str
    modelName: str
    modelDescription: str | None = None
    modelType: ModelType
    modelUrl: str | None = None
    status: ModelStatus
    streaming: bool
    features: list[ModelFeature] | None = None
    allowedGroups: list[str] | None = None
    guardrailsConfig: dict[str, GuardrailConfig] | None = None
    contextWindow: int | None = None
    hostingType: ModelHostingType | None = ModelHostingType.THIRD_PARTY


class CreateModelRequest(BaseModel):
    autoScalingConfig: AutoScalingConfig | None = None
    containerConfig: ContainerConfig | None = None
    inferenceContainer: InferenceContainer | None = None
    instanceType: str | None = None
    loadBalancerConfig: LoadBalancerConfig | None = None
    modelId: str = Field(min_length=1)
    modelName: str = Field(min_length=1)
    modelDescription: str | None = None
    modelType: ModelType
    modelUrl: str | None = None
    streaming: bool | None = False
    features: list[ModelFeature] | None = None
    allowedGroups: list[str] | None = None
    apiKey: str | None = None
    guardrailsConfig: dict[str, GuardrailConfig] | None = None
    hostingType: ModelHostingType | None = ModelHostingType.THIRD_PARTY

    @field_validator("instanceType")
    @classmethod
    def _instance_type(cls, value: str | None) -> str | None:
        return None if value is None else _instance_type(value)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.modelType == ModelType.EMBEDDING and self.streaming:
            raise ValueError("Embedding model cannot be set with streaming enabled.")
        given = [getattr(self, name) is not None for name in HOSTED_FIELDS]
        if any(given) and not all(given):
            raise ValueError(
                "All of the following fields must be defined if creating a LISA-hosted model: "
                "autoScalingConfig, containerConfig, inferenceContainer, instanceType, and loadBalancerConfig"
            )
        if self.hostingType == ModelHostingType.INTERNAL_HOSTED:
            if not self.modelUrl:
                raise ValueError("modelUrl is required for INTERNAL_HOSTED models.")
            host = urlparse(self.modelUrl).hostname
            if not host or not host.lower().endswith(".elb.amazonaws.com"):
                raise ValueError("modelUrl for INTERNAL_HOSTED models must target an AWS load balancer hostname.")
        return self

    @property
    def is_lisa_managed(self) -> bool:
        """`create_infra`: all five hosted fields given (LISA does not look at hostingType)."""
        return all(getattr(self, name) for name in HOSTED_FIELDS)


class UpdateModelRequest(BaseModel):
    autoScalingInstanceConfig: AutoScalingInstanceConfig | None = None
    enabled: bool | None = None
    modelType: ModelType | None = None
    modelDescription: str | None = None
    streaming: bool | None = None
    allowedGroups: list[str] | None = None
    features: list[ModelFeature] | None = None
    containerConfig: ContainerConfigUpdatable | None = None
    guardrailsConfig: dict[str, GuardrailConfig] | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError(
                "At least one field out of autoScalingInstanceConfig, containerConfig, enabled, modelType, "
                "modelDescription, streaming, allowedGroups, features, or guardrailsConfig must be "
                "defined in request payload."
            )
        if self.modelType == ModelType.EMBEDDING and self.streaming:
            raise ValueError("Embedding model cannot be set with streaming enabled.")
        return self

    @field_validator("autoScalingInstanceConfig")
    @classmethod
    def _asg_not_null(cls, config: AutoScalingInstanceConfig | None) -> AutoScalingInstanceConfig | None:
        if not config:
            raise ValueError("The autoScalingInstanceConfig must not be null if defined in request payload.")
        return config

    @field_validator("containerConfig")
    @classmethod
    def _container_not_null(cls, config: ContainerConfigUpdatable | None) -> ContainerConfigUpdatable | None:
        if not config:
            raise ValueError("The containerConfig must not be null if defined in request payload.")
        return config


class UpdateContextWindowRequest(BaseModel):
    contextWindow: int = Field(gt=0)


def lisa_model(item: dict[str, Any]) -> LISAModel:
    """`to_lisa_model`: the record's `model_config` with `status`, `modelUrl` and `contextWindow` added."""
    config = dict(item.get("model_config") or {})
    config["status"] = item.get("model_status", "Unknown")
    if "model_url" in item:
        config["modelUrl"] = item["model_url"]
    if "context_window" in item:
        config["contextWindow"] = item["context_window"]
    return LISAModel.model_validate(config)
