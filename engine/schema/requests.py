"""LISA's CreateModelRequest and UpdateModelRequest, with every rule LISA (and AWS behind it) applies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Self
from urllib.parse import urlparse

from pydantic import Field, PositiveInt, field_validator, model_validator

from engine.schema.base import LisaShape, RuleViolations
from engine.schema.config import (
    AutoScalingConfig,
    Capacity,
    ContainerConfig,
    Feature,
    GuardrailConfig,
    LoadBalancerConfig,
    WarmupSeconds,
    check_capacity_order,
    check_environment,
    check_health_check_command,
    check_unique_features,
)
from engine.schema.enums import InferenceContainer, ModelHostingType, ModelType
from engine.schema.instance_types import is_instance_type
from engine.secrets import MASK, MASKED_RULE

MODEL_ID_PATTERN = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
HOSTED_FIELDS = ("autoScalingConfig", "containerConfig", "inferenceContainer", "instanceType", "loadBalancerConfig")
INTERNAL_URL_SUFFIX = ".elb.amazonaws.com"
MARKED_FOR_DELETION = "LISA_MARKED_FOR_DELETION"


def check_model_id(value: str) -> str:
    if not MODEL_ID_PATTERN.match(value):
        raise ValueError(
            "must use lowercase letters, digits and '-', start with a letter and end with a letter or digit, as "
            "LISA's UI requires (its API takes any id, but the id names the model's CloudFormation stack "
            "<deploymentName>-<modelId> and its ECS service, Auto Scaling group and load balancer, whose names "
            "take no other characters)"
        )
    return value


class CreateModelRequest(LisaShape):
    modelId: str = Field(min_length=1)
    modelName: str = Field(min_length=1)
    modelType: ModelType
    modelDescription: str | None = None
    features: list[Feature] | None = None
    allowedGroups: list[str] | None = None
    streaming: bool = False
    """`null` is taken as false, as LISA's API does."""
    hostingType: ModelHostingType | None = None
    modelUrl: str | None = None
    apiKey: str | None = None
    guardrailsConfig: dict[str, GuardrailConfig] | None = None
    instanceType: str | None = None
    inferenceContainer: InferenceContainer | None = None
    containerConfig: ContainerConfig | None = None
    autoScalingConfig: AutoScalingConfig | None = None
    loadBalancerConfig: LoadBalancerConfig | None = None

    _model_id = field_validator("modelId")(check_model_id)
    _features = field_validator("features")(check_unique_features)

    @field_validator("streaming", mode="before")
    @classmethod
    def _null_streaming(cls, value: object) -> object:
        return False if value is None else value

    @field_validator("apiKey")
    @classmethod
    def _not_masked(cls, value: str | None) -> str | None:
        if value == MASK:
            raise ValueError(MASKED_RULE)
        return value

    @field_validator("instanceType")
    @classmethod
    def _real_instance_type(cls, value: str | None) -> str | None:
        if value is not None and not is_instance_type(value):
            raise ValueError(f"'{value}' is not an EC2 instance type (botocore's EC2 InstanceType list)")
        return value

    def stored_config(self) -> dict[str, Any]:
        """The record's `model_config` as LISA's create handler writes it: every field, unset ones at their defaults
        or None (so `containerConfig.environment` is there for LISA's UpdateModel to read), minus
        `guardrailsConfig` (LISA's guardrails table holds those). The hosting type is the effective one, where
        LISA would store its default `third_party` for a hosted model whose request left it out."""
        config = self.dump(defaults=True)
        config.pop("guardrailsConfig", None)
        config["hostingType"] = self.effective_hosting_type.value
        return config

    @property
    def effective_hosting_type(self) -> ModelHostingType:
        """LISA treats a model as LISA-hosted exactly when all five hosted fields are given."""
        if all(getattr(self, name) is not None for name in HOSTED_FIELDS):
            return ModelHostingType.LISA_HOSTED
        return self.hostingType or ModelHostingType.THIRD_PARTY

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        violations = RuleViolations("CreateModelRequest")
        check_create_rules(violations, {name: getattr(self, name) for name in type(self).model_fields})
        violations.raise_any()
        return self


def check_create_rules(violations: RuleViolations, values: Mapping[str, Any]) -> None:
    """Cross-field rules of a create request; `values` may be the parsed fields or the raw mapping."""
    if values.get("modelType") == ModelType.EMBEDDING and values.get("streaming") is True:
        violations.add(("streaming",), "embedding models cannot stream; set streaming to false", True)
    given = [name for name in HOSTED_FIELDS if values.get(name) is not None]
    if given and len(given) < len(HOSTED_FIELDS):
        for name in HOSTED_FIELDS:
            if name not in given:
                violations.add(
                    (name,),
                    "is required for a LISA-hosted model: give all of "
                    f"{', '.join(HOSTED_FIELDS)} or none of them (given: {', '.join(given)})",
                )
    hosting = values.get("hostingType")
    if hosting == ModelHostingType.LISA_HOSTED and not given:
        for name in HOSTED_FIELDS:
            violations.add((name,), "is required when hostingType is lisa_hosted")
    if hosting is not None and hosting != ModelHostingType.LISA_HOSTED and len(given) == len(HOSTED_FIELDS):
        violations.add(
            ("hostingType",),
            f"is {hosting} but all LISA-hosted fields are given; use lisa_hosted or remove them",
        )
    if hosting == ModelHostingType.INTERNAL_HOSTED:
        _check_internal_url(violations, values.get("modelUrl"))
    elif values.get("modelUrl") and not given:
        _check_third_party_url(violations, values.get("modelUrl"))


def _check_third_party_url(violations: RuleViolations, url: object) -> None:
    """A third-party model's modelUrl is registered as LiteLLM's api_base: it must be an http(s) URL."""
    if not _http_host(url):
        violations.add(("modelUrl",), "must be an http(s) URL (it is registered as LiteLLM's api_base)", url)


def _http_host(url: object) -> str | None:
    """The host of an http(s) URL; None for anything else (urlparse raises on some malformed ones)."""
    try:
        parsed = urlparse(str(url))
        host = parsed.hostname
    except ValueError:
        return None
    return host if parsed.scheme in ("http", "https") and host else None


def _check_internal_url(violations: RuleViolations, url: str | None) -> None:
    if not url:
        violations.add(("modelUrl",), "is required when hostingType is internal_hosted")
        return
    host = _http_host(url)
    if host is None:
        violations.add(("modelUrl",), "must be an http(s) URL", url)
    elif not host.endswith(INTERNAL_URL_SUFFIX):
        violations.add(("modelUrl",), f"host must end with {INTERNAL_URL_SUFFIX} (an internal load balancer)", url)


class AutoScalingInstanceConfig(LisaShape):
    minCapacity: Capacity | None = None
    maxCapacity: Capacity | None = None
    desiredCapacity: Capacity | None = None
    cooldown: PositiveInt | None = None
    defaultInstanceWarmup: WarmupSeconds | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        violations = RuleViolations("AutoScalingInstanceConfig")
        if not self.model_fields_set or all(getattr(self, name) is None for name in self.model_fields_set):
            violations.add(
                (),
                "must set at least one of minCapacity, maxCapacity, desiredCapacity, cooldown, defaultInstanceWarmup",
            )
        check_capacity_order(violations, self.minCapacity, self.desiredCapacity, self.maxCapacity)
        violations.raise_any()
        return self


class UpdateContainerConfig(LisaShape):
    """The flattened container configuration an update request carries."""

    environment: dict[str, str] | None = None
    sharedMemorySize: PositiveInt | None = None
    healthCheckCommand: str | list[str] | None = None
    healthCheckInterval: PositiveInt | None = None
    healthCheckTimeout: PositiveInt | None = None
    healthCheckStartPeriod: PositiveInt | None = None
    healthCheckRetries: PositiveInt | None = None

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else check_environment(value)

    @field_validator("healthCheckCommand")
    @classmethod
    def _command(cls, value: str | list[str] | None) -> str | list[str] | None:
        return None if value is None else check_health_check_command(value)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            violations = RuleViolations("UpdateContainerConfig")
            violations.add((), f"must set at least one of {', '.join(type(self).model_fields)}")
            violations.raise_any()
        return self


UPDATE_FIELDS = (
    "enabled",
    "autoScalingInstanceConfig",
    "modelType",
    "modelDescription",
    "streaming",
    "allowedGroups",
    "features",
    "containerConfig",
    "guardrailsConfig",
)


class UpdateModelRequest(LisaShape):
    enabled: bool | None = None
    autoScalingInstanceConfig: AutoScalingInstanceConfig | None = None
    modelType: ModelType | None = None
    modelDescription: str | None = None
    streaming: bool | None = None
    allowedGroups: list[str] | None = None
    features: list[Feature] | None = None
    containerConfig: UpdateContainerConfig | None = None
    guardrailsConfig: dict[str, GuardrailConfig] | None = None

    _features = field_validator("features")(check_unique_features)

    @property
    def given_fields(self) -> list[str]:
        return [name for name in UPDATE_FIELDS if name in self.model_fields_set]

    @model_validator(mode="after")
    def _rules(self) -> Self:
        violations = RuleViolations("UpdateModelRequest")
        values = {name: getattr(self, name) for name in self.model_fields_set}
        check_update_rules(violations, values)
        violations.raise_any()
        return self


def check_update_rules(violations: RuleViolations, values: Mapping[str, Any]) -> None:
    """Cross-field rules of an update request; `values` holds only the fields that were given."""
    if not any(name in values for name in UPDATE_FIELDS):
        violations.add((), f"must set at least one of {', '.join(UPDATE_FIELDS)}")
    if "autoScalingInstanceConfig" in values and values["autoScalingInstanceConfig"] is None:
        violations.add(("autoScalingInstanceConfig",), "must not be null when given")
    if values.get("enabled") is not None and values.get("autoScalingInstanceConfig") is not None:
        violations.add(
            ("enabled",),
            "start/stop cannot be combined with autoScalingInstanceConfig; send them as separate updates",
        )
    if values.get("modelType") == ModelType.EMBEDDING and values.get("streaming") is True:
        violations.add(("streaming",), "embedding models cannot stream; set streaming to false", True)
