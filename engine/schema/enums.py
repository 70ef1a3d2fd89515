"""LISA's enumerations, with the values its API uses."""

from enum import StrEnum


class ModelStatus(StrEnum):
    CREATING = "Creating"
    IN_SERVICE = "InService"
    STARTING = "Starting"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    UPDATING = "Updating"
    DELETING = "Deleting"
    FAILED = "Failed"

    @property
    def is_transitional(self) -> bool:
        return self in TRANSITIONAL_STATUSES


TRANSITIONAL_STATUSES = frozenset(
    {
        ModelStatus.CREATING,
        ModelStatus.STARTING,
        ModelStatus.STOPPING,
        ModelStatus.UPDATING,
        ModelStatus.DELETING,
    }
)


class ModelType(StrEnum):
    TEXTGEN = "textgen"
    IMAGEGEN = "imagegen"
    VIDEOGEN = "videogen"
    EMBEDDING = "embedding"


class InferenceContainer(StrEnum):
    TGI = "tgi"
    TEI = "tei"
    VLLM = "vllm"


class ModelHostingType(StrEnum):
    THIRD_PARTY = "third_party"
    LISA_HOSTED = "lisa_hosted"
    INTERNAL_HOSTED = "internal_hosted"


class GuardrailMode(StrEnum):
    PRE_CALL = "pre_call"
    DURING_CALL = "during_call"
    POST_CALL = "post_call"


class ScheduleType(StrEnum):
    DAILY = "DAILY"
    RECURRING = "RECURRING"


class ImageType(StrEnum):
    ASSET = "asset"
    ECR = "ecr"
    REGISTRY = "registry"
    TARBALL = "tarball"
    EXTERNAL = "external"


class FeatureName(StrEnum):
    SUMMARIZATION = "summarization"
    IMAGE_INPUT = "imageInput"
    TOOL_CALLS = "toolCalls"
    REASONING = "reasoning"


class AlbMetricName(StrEnum):
    REQUEST_COUNT_PER_TARGET = "RequestCountPerTarget"
    TARGET_RESPONSE_TIME = "TargetResponseTime"
