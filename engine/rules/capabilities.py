"""What an update may change, per hosting type, and what it costs the running service.

One row per capability of LISA's documented table (shared reference: update-capabilities.md).
The wizard, the CLI and the engine all read this table; nothing else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.schema.enums import FeatureName, ModelHostingType


class Category(StrEnum):
    METADATA = "Metadata"
    FEATURES = "Model features"
    AUTO_SCALING = "Auto-scaling"
    CONTAINER = "Container"
    LIFECYCLE = "Lifecycle"
    GUARDRAILS = "Guardrails"


class Impact(StrEnum):
    NONE = "No interruption"
    ECS_RESTART = "ECS restart required"
    SERVICE_INTERRUPTION = "Service interruption"


@dataclass(frozen=True)
class Capability:
    key: str
    label: str
    category: Category
    third_party: bool
    lisa_hosted: bool
    impact: Impact
    update_field: str
    """Where the capability sits in an UpdateModelRequest (dotted; `features[name]` for a feature)."""
    documented: bool = True
    """False for a row LISA's table lacks but its UI and UpdateModel offer (reasoning, guardrails); kept apart so
    tests can tell."""

    def allowed_for(self, hosting: ModelHostingType) -> bool:
        return self.lisa_hosted if hosting is ModelHostingType.LISA_HOSTED else self.third_party

    def refusal_for(self, hosting: ModelHostingType) -> str | None:
        """None when a model of this hosting type may change the capability; else why not, in words."""
        if self.allowed_for(hosting):
            return None
        return f"{self.label} cannot be changed on a {hosting} model (only lisa_hosted models allow it)"


def _row(
    key: str,
    label: str,
    category: Category,
    third_party: bool,
    impact: Impact,
    update_field: str,
    documented: bool = True,
) -> Capability:
    return Capability(key, label, category, third_party, True, impact, update_field, documented)


_M, _F, _A, _C, _L = Category.METADATA, Category.FEATURES, Category.AUTO_SCALING, Category.CONTAINER, Category.LIFECYCLE
_G = Category.GUARDRAILS
_NONE, _RESTART, _OUTAGE = Impact.NONE, Impact.ECS_RESTART, Impact.SERVICE_INTERRUPTION

CAPABILITIES: tuple[Capability, ...] = (
    _row("model_description", "Model description", _M, True, _NONE, "modelDescription"),
    _row("allowed_groups", "Allowed groups", _M, True, _NONE, "allowedGroups"),
    _row(
        "summarization_capabilities", "Summarization capabilities", _M, True, _NONE, "features[summarization].overview"
    ),
    _row("streaming", "Streaming", _F, True, _NONE, "streaming"),
    _row("tool_calls", "Tool calls", _F, True, _NONE, f"features[{FeatureName.TOOL_CALLS}]"),
    _row("image_input", "Image input", _F, True, _NONE, f"features[{FeatureName.IMAGE_INPUT}]"),
    _row("summarization", "Summarization", _F, True, _NONE, f"features[{FeatureName.SUMMARIZATION}]"),
    _row("reasoning", "Reasoning", _F, True, _NONE, f"features[{FeatureName.REASONING}]", documented=False),
    _row("min_capacity", "Min capacity", _A, False, _NONE, "autoScalingInstanceConfig.minCapacity"),
    _row("max_capacity", "Max capacity", _A, False, _NONE, "autoScalingInstanceConfig.maxCapacity"),
    _row("desired_capacity", "Desired capacity", _A, False, _NONE, "autoScalingInstanceConfig.desiredCapacity"),
    _row("cooldown", "Cooldown", _A, False, _NONE, "autoScalingInstanceConfig.cooldown"),
    _row(
        "default_instance_warmup",
        "Default instance warmup",
        _A,
        False,
        _NONE,
        "autoScalingInstanceConfig.defaultInstanceWarmup",
    ),
    _row("environment", "Environment variables", _C, False, _RESTART, "containerConfig.environment"),
    _row("shared_memory_size", "Shared memory size", _C, False, _RESTART, "containerConfig.sharedMemorySize"),
    _row("health_check_command", "Health check command", _C, False, _RESTART, "containerConfig.healthCheckCommand"),
    _row("health_check_interval", "Health check interval", _C, False, _RESTART, "containerConfig.healthCheckInterval"),
    _row(
        "health_check_start_period",
        "Health check start period",
        _C,
        False,
        _RESTART,
        "containerConfig.healthCheckStartPeriod",
    ),
    _row("health_check_timeout", "Health check timeout", _C, False, _RESTART, "containerConfig.healthCheckTimeout"),
    _row("health_check_retries", "Health check retries", _C, False, _RESTART, "containerConfig.healthCheckRetries"),
    _row("start_stop", "Start / stop", _L, False, _OUTAGE, "enabled"),
    # UpdateModel's guardrailsConfig: its state machine registers and removes them with LiteLLM, no restart.
    _row("guardrails", "Guardrails", _G, True, _NONE, "guardrailsConfig", documented=False),
)

BY_KEY: dict[str, Capability] = {capability.key: capability for capability in CAPABILITIES}
BY_UPDATE_FIELD: dict[str, Capability] = {capability.update_field: capability for capability in CAPABILITIES}


def capability(key: str) -> Capability:
    return BY_KEY[key]


def capability_for_feature(name: FeatureName) -> Capability:
    return BY_UPDATE_FIELD[f"features[{name}]"]
