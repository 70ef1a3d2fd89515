"""Plain data builders for tests: LISA-shaped configurations and stored records."""

from __future__ import annotations

import copy
from typing import Any

from engine.schema.record import ModelRecord

HOSTED_CONFIG: dict[str, Any] = {
    "modelId": "mistral-7b-instruct",
    "modelName": "mistralai/Mistral-7B-Instruct-v0.2",
    "modelType": "textgen",
    "modelDescription": "old description",
    "streaming": True,
    "features": [{"name": "summarization", "overview": "old overview"}, {"name": "toolCalls", "overview": ""}],
    "allowedGroups": ["everyone"],
    "instanceType": "g5.xlarge",
    "inferenceContainer": "vllm",
    "containerConfig": {
        "image": {"baseImage": "vllm/vllm-openai:v0.5.0", "type": "asset"},
        "sharedMemorySize": 2048,
        "healthCheckConfig": {
            "command": ["CMD-SHELL", "exit 0"],
            "interval": 10,
            "startPeriod": 300,
            "timeout": 5,
            "retries": 3,
        },
        "environment": {"MAX_TOTAL_TOKENS": "4096", "OLD_FLAG": "1"},
    },
    "autoScalingConfig": {
        "blockDeviceVolumeSize": 50,
        "minCapacity": 1,
        "maxCapacity": 3,
        "desiredCapacity": 1,
        "cooldown": 420,
        "defaultInstanceWarmup": 180,
        "metricConfig": {
            "albMetricName": "RequestCountPerTarget",
            "targetValue": 30,
            "duration": 60,
            "estimatedInstanceWarmup": 180,
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

THIRD_PARTY_CONFIG: dict[str, Any] = {
    "modelId": "claude-3-5-sonnet",
    "modelName": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
    "modelType": "textgen",
    "modelDescription": "old description",
    "streaming": True,
    "features": [{"name": "summarization", "overview": "old overview"}, {"name": "toolCalls", "overview": ""}],
    "allowedGroups": ["everyone"],
}


def hosted_config(**overrides: Any) -> dict[str, Any]:
    config = copy.deepcopy(HOSTED_CONFIG)
    config.update(overrides)
    return config


def third_party_config(**overrides: Any) -> dict[str, Any]:
    config = copy.deepcopy(THIRD_PARTY_CONFIG)
    config.update(overrides)
    return config


def record(config: dict[str, Any], status: str = "InService", **attributes: Any) -> ModelRecord:
    item: dict[str, Any] = {
        "model_id": config["modelId"],
        "model_status": status,
        "model_config": copy.deepcopy(config),
        "last_modified_date": 1_700_000_000_000,
    }
    if "autoScalingConfig" in config:
        item["auto_scaling_group"] = f"{config['modelId']}-asg"
    item.update(attributes)
    return ModelRecord.from_item(item)
