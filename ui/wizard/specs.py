"""The wizard's fields, page by page: where each sits in the configuration, how it is edited, and which row
of the update capability table (engine.rules.capabilities) decides whether an update may change it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from engine.rules.capabilities import BY_KEY, Capability
from engine.schema.enums import (
    AlbMetricName,
    FeatureName,
    ImageType,
    InferenceContainer,
    ModelHostingType,
    ModelType,
)
from ui.wizard import features


class Editor(Enum):
    TEXT = "text"
    SECRET = "secret"
    MULTILINE = "multiline"
    INT = "int"
    OPTIONAL_INT = "optional int"
    BOOL = "bool"
    CHOICE = "choice"
    GROUPS = "groups"
    """A list of names, typed comma-separated."""
    ENVIRONMENT = "environment"
    COMMAND = "command"


class PageId(StrEnum):
    BASE = "Base configuration"
    CONTAINER = "Container"
    AUTO_SCALING = "Auto scaling"
    SCHEDULE = "Schedule"
    LOAD_BALANCER = "Load balancer"
    GUARDRAILS = "Guardrails"
    REVIEW = "Review"


HOSTED_PAGES = (PageId.CONTAINER, PageId.AUTO_SCALING, PageId.LOAD_BALANCER)


@dataclass(frozen=True)
class FieldSpec:
    path: str
    label: str
    editor: Editor
    capability_key: str | None = None
    """The capability row that lets an update change this field; None: set at creation only."""
    choices: tuple[str, ...] = ()
    hosted_only: bool = False
    third_party_only: bool = False
    minimum: int = 0
    maximum: int = 1_000_000
    suffix: str = ""
    placeholder: str = ""
    help: str = ""
    separate_write: bool = False
    """Not part of the update request: an update writes it on its own, as LISA's own route for it does (the context
    window). Shown in an update only."""

    @property
    def capability(self) -> Capability | None:
        return BY_KEY[self.capability_key] if self.capability_key else None

    @property
    def object_name(self) -> str:
        """A stable Qt object name for the field's editor (tests and accessibility find it by this)."""
        return "field:" + self.path

    def applies_to(self, hosting: ModelHostingType) -> bool:
        if self.hosted_only:
            return hosting is ModelHostingType.LISA_HOSTED
        if self.third_party_only:
            return hosting is not ModelHostingType.LISA_HOSTED
        return True


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


HOSTING_CHOICES = _values(ModelHostingType)
CONTEXT_WINDOW = "contextWindow"
"""The record's `context_window` as LISA's API shows it, set by LISA's `PUT /models/{id}/context-window`."""
_FEATURE_CAPABILITIES = {
    FeatureName.TOOL_CALLS: "tool_calls",
    FeatureName.REASONING: "reasoning",
    FeatureName.IMAGE_INPUT: "image_input",
    FeatureName.SUMMARIZATION: "summarization",
}

BASE_FIELDS = (
    FieldSpec(
        "hostingType",
        "Hosting type",
        Editor.CHOICE,
        choices=HOSTING_CHOICES,
        help="lisa_hosted: containers on ECS in this deployment; third_party: reached through LiteLLM; "
        "internal_hosted: your own service behind an internal load balancer",
    ),
    FieldSpec(
        "modelId",
        "Model ID",
        Editor.TEXT,
        placeholder="e.g. mistral-7b-instruct",
        help="lowercase letters, digits and '-'; the model's permanent name in LISA",
    ),
    FieldSpec(
        "modelName",
        "Model name",
        Editor.TEXT,
        placeholder="e.g. mistralai/Mistral-7B-Instruct-v0.2 or bedrock/anthropic.claude-3-haiku",
    ),
    FieldSpec("modelDescription", "Description", Editor.MULTILINE, "model_description"),
    FieldSpec("modelType", "Model type", Editor.CHOICE, choices=_values(ModelType)),
    FieldSpec(
        "modelUrl",
        "Model URL",
        Editor.TEXT,
        third_party_only=True,
        help="where LiteLLM reaches the model (internal_hosted: an internal load balancer URL)",
    ),
    FieldSpec("apiKey", "API key", Editor.SECRET, third_party_only=True, help="sent to LiteLLM; never shown again"),
    FieldSpec("instanceType", "Instance type", Editor.TEXT, hosted_only=True, placeholder="e.g. g5.xlarge"),
    FieldSpec(
        "inferenceContainer",
        "Inference container",
        Editor.CHOICE,
        hosted_only=True,
        choices=_values(InferenceContainer),
    ),
    FieldSpec("streaming", "Streaming", Editor.BOOL, "streaming"),
    *(
        FieldSpec(f"features[{name}]", label, Editor.BOOL, _FEATURE_CAPABILITIES[name], help=features.OVERVIEWS[name])
        for name, label in features.LABELS.items()
    ),
    FieldSpec(
        f"features[{FeatureName.SUMMARIZATION}].overview",
        "Summarization capabilities",
        Editor.TEXT,
        "summarization_capabilities",
        placeholder=features.SUMMARIZATION_PLACEHOLDER,
        help=features.SUMMARIZATION_CAPABILITIES,
    ),
    FieldSpec(
        CONTEXT_WINDOW,
        "Context window",
        Editor.TEXT,
        placeholder="e.g. 8192",
        help="The most tokens the model takes in one request (LISA's contextWindow; LISA's chat shows how much of it "
        "a session uses). Written on its own when the update is submitted, as LISA's context-window route writes "
        "it; empty leaves it as it is.",
        separate_write=True,
    ),
    FieldSpec(
        "allowedGroups",
        "Allowed groups",
        Editor.GROUPS,
        "allowed_groups",
        placeholder="Enter group name",
        help="Restrict model access to specific groups. Leave empty to allow access to all users. "
        "Enter or a comma adds the group; Backspace removes the last one.",
    ),
)

CONTAINER_FIELDS = (
    FieldSpec(
        "containerConfig.image.baseImage",
        "Base image",
        Editor.TEXT,
        hosted_only=True,
        placeholder="e.g. vllm/vllm-openai:v0.5.0 or an ECR URI",
    ),
    FieldSpec("containerConfig.image.type", "Image type", Editor.CHOICE, hosted_only=True, choices=_values(ImageType)),
    FieldSpec(
        "containerConfig.sharedMemorySize",
        "Shared memory",
        Editor.INT,
        "shared_memory_size",
        hosted_only=True,
        suffix=" MiB",
    ),
    FieldSpec(
        "containerConfig.healthCheckConfig.command",
        "Health check command",
        Editor.COMMAND,
        "health_check_command",
        hosted_only=True,
    ),
    FieldSpec(
        "containerConfig.healthCheckConfig.interval",
        "Health check interval",
        Editor.INT,
        "health_check_interval",
        hosted_only=True,
        suffix=" s",
    ),
    FieldSpec(
        "containerConfig.healthCheckConfig.startPeriod",
        "Health check start period",
        Editor.INT,
        "health_check_start_period",
        hosted_only=True,
        suffix=" s",
    ),
    FieldSpec(
        "containerConfig.healthCheckConfig.timeout",
        "Health check timeout",
        Editor.INT,
        "health_check_timeout",
        hosted_only=True,
        suffix=" s",
    ),
    FieldSpec(
        "containerConfig.healthCheckConfig.retries",
        "Health check retries",
        Editor.INT,
        "health_check_retries",
        hosted_only=True,
    ),
    FieldSpec(
        "containerConfig.environment", "Environment variables", Editor.ENVIRONMENT, "environment", hosted_only=True
    ),
)

AUTO_SCALING_FIELDS = (
    FieldSpec(
        "autoScalingConfig.minCapacity",
        "Min capacity",
        Editor.INT,
        "min_capacity",
        hosted_only=True,
    ),
    FieldSpec(
        "autoScalingConfig.desiredCapacity",
        "Desired capacity",
        Editor.OPTIONAL_INT,
        "desired_capacity",
        hosted_only=True,
    ),
    FieldSpec(
        "autoScalingConfig.maxCapacity",
        "Max capacity",
        Editor.INT,
        "max_capacity",
        hosted_only=True,
    ),
    FieldSpec("autoScalingConfig.cooldown", "Cooldown", Editor.INT, "cooldown", hosted_only=True, suffix=" s"),
    FieldSpec(
        "autoScalingConfig.defaultInstanceWarmup",
        "Default instance warmup",
        Editor.INT,
        "default_instance_warmup",
        hosted_only=True,
        suffix=" s",
    ),
    FieldSpec(
        "autoScalingConfig.blockDeviceVolumeSize", "Block device volume", Editor.INT, hosted_only=True, suffix=" GB"
    ),
    FieldSpec(
        "autoScalingConfig.metricConfig.albMetricName",
        "Scaling metric",
        Editor.CHOICE,
        hosted_only=True,
        choices=_values(AlbMetricName),
    ),
    FieldSpec("autoScalingConfig.metricConfig.targetValue", "Metric target value", Editor.INT, hosted_only=True),
    FieldSpec("autoScalingConfig.metricConfig.duration", "Metric duration", Editor.INT, hosted_only=True, suffix=" s"),
    FieldSpec(
        "autoScalingConfig.metricConfig.estimatedInstanceWarmup",
        "Estimated instance warmup",
        Editor.INT,
        hosted_only=True,
        suffix=" s",
    ),
)

LOAD_BALANCER_FIELDS = (
    FieldSpec(
        "loadBalancerConfig.healthCheckConfig.path",
        "Health check path",
        Editor.TEXT,
        hosted_only=True,
        placeholder="/health",
    ),
    FieldSpec(
        "loadBalancerConfig.healthCheckConfig.interval",
        "Health check interval",
        Editor.INT,
        hosted_only=True,
        suffix=" s",
    ),
    FieldSpec(
        "loadBalancerConfig.healthCheckConfig.timeout",
        "Health check timeout",
        Editor.INT,
        hosted_only=True,
        suffix=" s",
    ),
    FieldSpec(
        "loadBalancerConfig.healthCheckConfig.healthyThresholdCount", "Healthy threshold", Editor.INT, hosted_only=True
    ),
    FieldSpec(
        "loadBalancerConfig.healthCheckConfig.unhealthyThresholdCount",
        "Unhealthy threshold",
        Editor.INT,
        hosted_only=True,
    ),
)

PAGE_FIELDS: dict[PageId, tuple[FieldSpec, ...]] = {
    PageId.BASE: BASE_FIELDS,
    PageId.CONTAINER: CONTAINER_FIELDS,
    PageId.AUTO_SCALING: AUTO_SCALING_FIELDS,
    PageId.LOAD_BALANCER: LOAD_BALANCER_FIELDS,
}

ALL_FIELDS: tuple[FieldSpec, ...] = tuple(spec for fields in PAGE_FIELDS.values() for spec in fields)
BY_PATH: dict[str, FieldSpec] = {spec.path: spec for spec in ALL_FIELDS}

PAGE_SUBTITLES: dict[PageId, str] = {
    PageId.BASE: "What the model is and how users reach it.",
    PageId.CONTAINER: "The container ECS runs for a LISA-hosted model. Changing it restarts the containers.",
    PageId.AUTO_SCALING: "How many instances serve the model, and how the group scales.",
    PageId.SCHEDULE: (
        "When the model runs: Auto Scaling scheduled actions start it (its stored capacity) and stop it (0 "
        "instances), as LISA schedules models."
    ),
    PageId.LOAD_BALANCER: "How the load balancer checks the model's containers. Set when the model is created.",
    PageId.GUARDRAILS: (
        "Configure guardrails for this model. Guardrails help ensure safe and compliant model outputs "
        "(Amazon Bedrock guardrails, applied by LiteLLM)."
    ),
    PageId.REVIEW: "What will change, and what will run.",
}


def hosted_defaults() -> dict[str, object]:
    """A LISA-hosted model's container, scaling and load-balancer settings as a new model starts with them
    (LISA's web UI defaults; every value is editable)."""
    return {
        "containerConfig": {
            "image": {"baseImage": "", "type": ImageType.ASSET.value},
            "sharedMemorySize": 2048,
            "healthCheckConfig": {
                "command": ["CMD-SHELL", "exit 0"],
                "interval": 10,
                "startPeriod": 30,
                "timeout": 5,
                "retries": 3,
            },
            "environment": {},
        },
        "autoScalingConfig": {
            "blockDeviceVolumeSize": 50,
            "minCapacity": 1,
            "maxCapacity": 2,
            "cooldown": 420,
            "defaultInstanceWarmup": 180,
            "metricConfig": {
                "albMetricName": AlbMetricName.REQUEST_COUNT_PER_TARGET.value,
                "targetValue": 30,
                "duration": 60,
                "estimatedInstanceWarmup": 330,
            },
        },
        "loadBalancerConfig": {
            "healthCheckConfig": {
                "path": "/health",
                "interval": 60,
                "timeout": 30,
                "healthyThresholdCount": 2,
                "unhealthyThresholdCount": 10,
            }
        },
    }
