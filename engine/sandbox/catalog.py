"""The models the sandbox deployment is seeded with, as data.

Each entry is a LISA CreateModelRequest (camelCase, exactly what LISA stores as `model_config`) plus the
state the deployment is in: the model's status, the live Auto Scaling group sizes where they differ from the
stored configuration (a stopped model's group is 0/0/0 while its config keeps min/max), whether LiteLLM has
it, and for the transitional statuses how long the sandbox's "ambient" state machine takes to move it on.

`synthetic_models(n)` makes the extra models used for benchmarks (`Sandbox(extra_models=n)`).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from engine.schema.enums import ModelStatus

StackState = Literal["none", "complete", "rolled_back", "direct"]
"""`none`: no CloudFormation stack (third party, or a create still building its image);
`complete`: the model's stack exists with all its resources; `rolled_back`: the create failed and
CloudFormation rolled the stack back (ROLLBACK_COMPLETE, no resources); `direct`: the ECS and Auto Scaling
resources are created straight in moto for speed, without CloudFormation (synthetic benchmark models; the
sandbox records each one's resources in a stack of its own, as LISA's would be, so they are found the same
way)."""


@dataclass(frozen=True)
class Capacity:
    """Live Auto Scaling group sizes."""

    min: int
    max: int
    desired: int


@dataclass(frozen=True)
class CatalogModel:
    config: Mapping[str, Any]
    """The CreateModelRequest as LISA stores it in `model_config` (guardrails removed)."""
    status: ModelStatus
    description: str = ""
    live_capacity: Capacity | None = None
    """The Auto Scaling group as it is now, when it is not the configured min/max/desired."""
    stack: StackState = "complete"
    failure_reason: str | None = None
    context_window: int | None = None
    ambient_seconds: float | None = None
    """For a transitional status: seconds after start-up at which the ambient simulation completes it."""
    lisa_attributes: Mapping[str, Any] = field(default_factory=dict)
    """Attributes only LISA's server side writes (its status monitor's `lastStatusUpdate`/`statusReason`), as it
    left them on the item."""
    previous_environment: Mapping[str, str] = field(default_factory=dict)
    """For `Updating`: the container environment of the revision running before the update (`config` already
    holds the new one, as LISA edits `model_config` in place when the update starts)."""

    @property
    def model_id(self) -> str:
        return str(self.config["modelId"])

    @property
    def is_hosted(self) -> bool:
        return self.config.get("containerConfig") is not None

    @property
    def registered_in_litellm(self) -> bool:
        """LiteLLM holds InService models (and an Updating one, which was InService when the update began)."""
        return self.status in (ModelStatus.IN_SERVICE, ModelStatus.UPDATING)

    def capacity(self) -> Capacity:
        """The group's sizes now: `live_capacity`, else the configured min/max/desired."""
        if self.live_capacity is not None:
            return self.live_capacity
        scaling = self.config["autoScalingConfig"]
        minimum = int(scaling["minCapacity"])
        return Capacity(minimum, int(scaling["maxCapacity"]), int(scaling.get("desiredCapacity") or minimum))


# -- building blocks ---------------------------------------------------------------------------------------

_HEALTH_CHECK: Final[dict[str, Any]] = {
    "command": ["CMD-SHELL", "exit 0"],
    "interval": 10,
    "startPeriod": 300,
    "timeout": 5,
    "retries": 3,
}
_LB_HEALTH_CHECK: Final[dict[str, Any]] = {
    "path": "/health",
    "interval": 60,
    "timeout": 30,
    "healthyThresholdCount": 2,
    "unhealthyThresholdCount": 10,
}
_IMAGES: Final = {
    "vllm": "vllm/vllm-openai:v0.6.3",
    "tgi": "ghcr.io/huggingface/text-generation-inference:2.4.0",
    "tei": "ghcr.io/huggingface/text-embeddings-inference:1.5",
}


def hosted(
    model_id: str,
    model_name: str,
    *,
    container: str,
    instance_type: str,
    min_capacity: int = 1,
    max_capacity: int = 1,
    desired_capacity: int | None = None,
    model_type: str = "textgen",
    description: str,
    features: list[dict[str, str]] | None = None,
    allowed_groups: list[str] | None = None,
    environment: Mapping[str, str] | None = None,
    shared_memory: int = 2048,
    streaming: bool | None = None,
    scheduling: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A LISA-hosted CreateModelRequest with the UI's defaults for everything not given."""
    scaling: dict[str, Any] = {
        "blockDeviceVolumeSize": 50 if container == "tei" else 100,
        "minCapacity": min_capacity,
        "maxCapacity": max_capacity,
        "cooldown": 420,
        "defaultInstanceWarmup": 180,
        "metricConfig": {
            "albMetricName": "RequestCountPerTarget",
            "targetValue": 30,
            "duration": 60,
            "estimatedInstanceWarmup": 180,
        },
    }
    if desired_capacity is not None:
        scaling["desiredCapacity"] = desired_capacity
    if scheduling is not None:
        scaling["scheduling"] = dict(scheduling)
    return {
        "modelId": model_id,
        "modelName": model_name,
        "modelType": model_type,
        "modelDescription": description,
        "hostingType": "lisa_hosted",
        "streaming": (model_type == "textgen") if streaming is None else streaming,
        "features": copy.deepcopy(features or []),
        "allowedGroups": list(allowed_groups or []),
        "instanceType": instance_type,
        "inferenceContainer": container,
        "containerConfig": {
            "image": {"baseImage": _IMAGES[container], "type": "asset"},
            "sharedMemorySize": shared_memory,
            "healthCheckConfig": copy.deepcopy(_HEALTH_CHECK),
            "environment": dict(environment or {}),
        },
        "autoScalingConfig": scaling,
        "loadBalancerConfig": {"healthCheckConfig": copy.deepcopy(_LB_HEALTH_CHECK)},
    }


def third_party(
    model_id: str,
    model_name: str,
    *,
    description: str,
    model_type: str = "textgen",
    features: list[dict[str, str]] | None = None,
    allowed_groups: list[str] | None = None,
    streaming: bool | None = None,
) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "modelName": model_name,
        "modelType": model_type,
        "modelDescription": description,
        "hostingType": "third_party",
        "streaming": (model_type == "textgen") if streaming is None else streaming,
        "features": copy.deepcopy(features or []),
        "allowedGroups": list(allowed_groups or []),
    }


def _feature(name: str, overview: str = "") -> dict[str, str]:
    return {"name": name, "overview": overview}


# -- the seeded deployment -----------------------------------------------------------------------------------

DEFAULT_MODEL_ID: Final = "mistral-7b-instruct"
"""The seeded default model (LISA's configuration `global.defaultModel`): an InService textgen seed."""

CATALOG: Final[tuple[CatalogModel, ...]] = (
    CatalogModel(
        config=hosted(
            "mistral-7b-instruct",
            "mistralai/Mistral-7B-Instruct-v0.2",
            container="vllm",
            instance_type="g5.xlarge",
            min_capacity=1,
            max_capacity=3,
            desired_capacity=1,
            description="Mistral 7B Instruct v0.2 on vLLM: the general-purpose chat model for every team.",
            features=[
                _feature("summarization", "Good at short document summaries (up to ~20 pages)."),
                _feature("toolCalls"),
            ],
            allowed_groups=[],
            environment={"VLLM_MAX_MODEL_LEN": "16384", "MAX_TOTAL_TOKENS": "16384"},
        ),
        status=ModelStatus.IN_SERVICE,
        context_window=16384,
    ),
    CatalogModel(
        config=hosted(
            "llama3-8b-tgi",
            "meta-llama/Meta-Llama-3-8B-Instruct",
            container="tgi",
            instance_type="g5.2xlarge",
            min_capacity=1,
            max_capacity=2,
            description="Llama 3 8B Instruct on TGI. Stopped outside the research sprint to save GPU hours.",
            features=[_feature("summarization")],
            allowed_groups=["research", "lisa-admins"],
            environment={"MAX_INPUT_LENGTH": "7168", "MAX_TOTAL_TOKENS": "8192", "MAX_BATCH_PREFILL_TOKENS": "8192"},
        ),
        status=ModelStatus.STOPPED,
        live_capacity=Capacity(0, 0, 0),
        context_window=8192,
    ),
    CatalogModel(
        config=hosted(
            "bge-large-en",
            "BAAI/bge-large-en-v1.5",
            container="tei",
            instance_type="g5.xlarge",
            min_capacity=1,
            max_capacity=2,
            desired_capacity=1,
            model_type="embedding",
            description="BGE large English v1.5 embeddings (1024 dimensions) for the RAG repositories.",
            allowed_groups=[],
            environment={"MAX_CLIENT_BATCH_SIZE": "256", "MAX_BATCH_TOKENS": "65536"},
            shared_memory=1024,
        ),
        status=ModelStatus.IN_SERVICE,
        context_window=512,
    ),
    CatalogModel(
        config=third_party(
            "claude-3-5-sonnet",
            "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
            description="Anthropic Claude 3.5 Sonnet through Amazon Bedrock. Strong reasoning and coding.",
            features=[
                _feature("summarization", "Long documents, up to the 200k-token context."),
                _feature("imageInput"),
                _feature("toolCalls"),
            ],
            allowed_groups=["engineering", "research", "lisa-admins"],
        ),
        status=ModelStatus.IN_SERVICE,
        stack="none",
        context_window=200000,
    ),
    CatalogModel(
        config=third_party(
            "titan-embed-v2",
            "bedrock/amazon.titan-embed-text-v2:0",
            description="Amazon Titan Text Embeddings V2 through Amazon Bedrock (1024 dimensions).",
            model_type="embedding",
        ),
        status=ModelStatus.IN_SERVICE,
        stack="none",
        context_window=8192,
    ),
    CatalogModel(
        config=hosted(
            "broken-model",
            "tiiuae/falcon-180B-chat",
            container="vllm",
            instance_type="g5.12xlarge",
            min_capacity=1,
            max_capacity=1,
            description="Falcon 180B chat: the create failed (it does not fit on a g5.12xlarge). Delete it.",
            allowed_groups=["research"],
            environment={"VLLM_TENSOR_PARALLEL_SIZE": "4"},
            shared_memory=8192,
        ),
        status=ModelStatus.FAILED,
        stack="rolled_back",
        failure_reason=(
            "UnexpectedCloudFormationStateException: Stack lisa-broken-model reached ROLLBACK_COMPLETE. "
            "Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit "
            "Breaker was triggered'.\" (RequestToken: 6a3f8c1e-5b9d-4d0e-9d61-2f7c4b1a8e90, "
            "HandlerErrorCode: GeneralServiceException)"
        ),
    ),
    CatalogModel(
        config=hosted(
            "mixtral-8x7b-instruct",
            "mistralai/Mixtral-8x7B-Instruct-v0.1",
            container="vllm",
            instance_type="g5.12xlarge",
            min_capacity=1,
            max_capacity=2,
            description="Mixtral 8x7B Instruct on vLLM (tensor parallel across 4 GPUs). Starting up.",
            features=[_feature("summarization"), _feature("toolCalls")],
            allowed_groups=["engineering"],
            environment={"VLLM_TENSOR_PARALLEL_SIZE": "4", "VLLM_MAX_MODEL_LEN": "32768"},
            shared_memory=8192,
        ),
        status=ModelStatus.STARTING,
        context_window=32768,
        ambient_seconds=20.0,
    ),
    CatalogModel(
        config=hosted(
            "qwen2-5-coder-7b",
            "Qwen/Qwen2.5-Coder-7B-Instruct",
            container="vllm",
            instance_type="g6.xlarge",
            min_capacity=1,
            max_capacity=2,
            desired_capacity=1,
            description="Qwen 2.5 Coder 7B Instruct on vLLM for the IDE plugin. Being created.",
            features=[_feature("toolCalls")],
            allowed_groups=["engineering"],
            environment={"VLLM_MAX_MODEL_LEN": "32768"},
        ),
        status=ModelStatus.CREATING,
        stack="none",
        ambient_seconds=40.0,
    ),
    CatalogModel(
        config=hosted(
            "phi-3-mini",
            "microsoft/Phi-3-mini-4k-instruct",
            container="tgi",
            instance_type="g6.xlarge",
            min_capacity=1,
            max_capacity=1,
            description="Phi-3 mini 4k on TGI: a small model for classification. Being stopped.",
            allowed_groups=["data-science"],
            environment={"MAX_TOTAL_TOKENS": "4096"},
        ),
        status=ModelStatus.STOPPING,
        live_capacity=Capacity(0, 0, 0),
        context_window=4096,
        ambient_seconds=8.0,
    ),
    CatalogModel(
        config=hosted(
            "llama3-1-70b-instruct",
            "meta-llama/Llama-3.1-70B-Instruct",
            container="vllm",
            instance_type="g5.48xlarge",
            min_capacity=2,
            max_capacity=4,
            desired_capacity=2,
            description="Llama 3.1 70B Instruct on vLLM (8 GPUs per instance). Off at night on weekdays.",
            features=[
                _feature("summarization", "Best summaries; use for long reports."),
                _feature("toolCalls"),
                _feature("reasoning"),
            ],
            allowed_groups=["research", "engineering"],
            environment={"VLLM_TENSOR_PARALLEL_SIZE": "8", "VLLM_MAX_MODEL_LEN": "65536"},
            shared_memory=16384,
            scheduling={
                "scheduleType": "RECURRING",
                "timezone": "America/New_York",
                "recurringSchedule": {"startTime": "07:00", "stopTime": "20:00"},
                # What LISA's schedule management maintains next to the schedule (BaseSchedulingConfig). The seed
                # writes all of it again (engine/sandbox/schedules.py: the action ARNs on the model's group, and
                # lastScheduleUpdate and nextScheduledAction at SCHEDULED_AT), so only what does not depend on the
                # group or the instant is here.
                "scheduleEnabled": True,
                "scheduleConfigured": True,
                "lastScheduleFailed": False,
                "lastScheduleFailure": None,
            },
        ),
        status=ModelStatus.IN_SERVICE,
        context_window=65536,
        lisa_attributes={
            "lastStatusUpdate": "2026-12-06T12:00:41.902311+00:00",
            "statusReason": "Auto Scaling completed: ASG has 2 instances in service",
        },
    ),
    CatalogModel(
        config=hosted(
            "gemma-2-9b-it",
            "google/gemma-2-9b-it",
            container="vllm",
            instance_type="g5.2xlarge",
            min_capacity=1,
            max_capacity=2,
            desired_capacity=1,
            description="Gemma 2 9B instruct on vLLM. A container update (longer context) is rolling out.",
            features=[_feature("summarization")],
            allowed_groups=["research"],
            environment={"VLLM_MAX_MODEL_LEN": "8192", "VLLM_GPU_MEMORY_UTILIZATION": "0.92"},
        ),
        status=ModelStatus.UPDATING,
        context_window=8192,
        ambient_seconds=15.0,
        previous_environment={"VLLM_MAX_MODEL_LEN": "4096"},
    ),
    CatalogModel(
        config=hosted(
            "falcon-40b-legacy",
            "tiiuae/falcon-40b-instruct",
            container="tgi",
            instance_type="g5.12xlarge",
            min_capacity=1,
            max_capacity=1,
            description="Falcon 40B instruct on TGI, replaced by Llama 3.1. Being deleted.",
            allowed_groups=["research"],
            environment={"MAX_TOTAL_TOKENS": "2048", "SHARDED": "true", "NUM_SHARD": "4"},
            shared_memory=8192,
        ),
        status=ModelStatus.DELETING,
        context_window=2048,
        ambient_seconds=25.0,
    ),
    CatalogModel(
        config=third_party(
            "nova-pro",
            "bedrock/amazon.nova-pro-v1:0",
            description="Amazon Nova Pro through Amazon Bedrock: multimodal, fast and inexpensive.",
            features=[_feature("imageInput"), _feature("toolCalls"), _feature("summarization")],
            allowed_groups=[],
        ),
        status=ModelStatus.IN_SERVICE,
        stack="none",
        context_window=300000,
    ),
    CatalogModel(
        config=third_party(
            "sdxl-image",
            "bedrock/stability.stable-diffusion-xl-v1",
            description="Stable Diffusion XL 1.0 through Amazon Bedrock for image generation.",
            model_type="imagegen",
            allowed_groups=["marketing", "lisa-admins"],
        ),
        status=ModelStatus.IN_SERVICE,
        stack="none",
    ),
    CatalogModel(
        config=third_party(
            "cohere-embed-english-v3",
            "bedrock/cohere.embed-english-v3",
            description="Cohere Embed English v3 through Amazon Bedrock: the embeddings of the engineering-docs "
            "RAG repository (LISA refuses to delete it while the repository uses it).",
            model_type="embedding",
        ),
        status=ModelStatus.IN_SERVICE,
        stack="none",
        context_window=512,
    ),
)


def catalog_by_id() -> dict[str, CatalogModel]:
    return {model.model_id: model for model in CATALOG}


# -- synthetic models for benchmarks -------------------------------------------------------------------------

_SYNTHETIC_HOSTED: Final = (
    ("vllm", "mistralai/Mistral-7B-Instruct-v0.3", "g5.xlarge", "textgen"),
    ("vllm", "meta-llama/Llama-3.2-3B-Instruct", "g6.xlarge", "textgen"),
    ("tgi", "HuggingFaceH4/zephyr-7b-beta", "g5.2xlarge", "textgen"),
    ("tei", "intfloat/e5-large-v2", "g5.xlarge", "embedding"),
)
_SYNTHETIC_THIRD_PARTY: Final = (
    ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "textgen"),
    ("bedrock/meta.llama3-1-8b-instruct-v1:0", "textgen"),
    ("bedrock/cohere.embed-english-v3", "embedding"),
    ("sagemaker/jumpstart-dft-hf-llm-mistral-7b", "textgen"),
)
_GROUPS: Final = ("engineering", "research", "data-science", "marketing", "support")


def synthetic_models(count: int, seed: int = 0) -> list[CatalogModel]:
    """`count` extra models named `bench-00001`…: 60 % LISA-hosted (one in ten of those Stopped), 40 % third
    party, all others InService. Deterministic for a given seed."""
    rng = random.Random(seed)
    width = max(5, len(str(count)))
    models: list[CatalogModel] = []
    for index in range(1, count + 1):
        model_id = f"bench-{index:0{width}d}"
        groups = rng.sample(_GROUPS, rng.randint(0, 2))
        if index % 5 in (1, 2, 3):
            container, name, instance_type, model_type = _SYNTHETIC_HOSTED[index % len(_SYNTHETIC_HOSTED)]
            config = hosted(
                model_id,
                name,
                container=container,
                instance_type=instance_type,
                min_capacity=1,
                max_capacity=rng.randint(1, 3),
                desired_capacity=1,
                model_type=model_type,
                description=f"Synthetic benchmark model {index} ({name} on {container}).",
                allowed_groups=groups,
            )
            stopped = index % 10 == 3
            models.append(
                CatalogModel(
                    config=config,
                    status=ModelStatus.STOPPED if stopped else ModelStatus.IN_SERVICE,
                    live_capacity=Capacity(0, 0, 0) if stopped else None,
                    stack="direct",
                )
            )
        else:
            name, model_type = _SYNTHETIC_THIRD_PARTY[index % len(_SYNTHETIC_THIRD_PARTY)]
            config = third_party(
                model_id,
                name,
                description=f"Synthetic benchmark model {index} ({name}).",
                model_type=model_type,
                allowed_groups=groups,
            )
            models.append(CatalogModel(config=config, status=ModelStatus.IN_SERVICE, stack="none"))
    return models
