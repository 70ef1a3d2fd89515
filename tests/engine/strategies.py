"""Hypothesis strategies for LISA-shaped data: valid requests, stored records, and junk."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from engine.schema.enums import FeatureName, ImageType, InferenceContainer, ModelStatus, ModelType

model_ids = st.from_regex(r"\A[a-z]([a-z0-9-]{0,30}[a-z0-9])?\Z")
TEXT = st.characters(exclude_categories=("Cc", "Cs"))
"""What valid text is made of: no control characters (refused) and no lone surrogates."""
text = st.text(TEXT, min_size=1, max_size=20)
positive = st.integers(min_value=1, max_value=10_000)
json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def health_check_commands(draw: st.DrawFn) -> str | list[str]:
    if draw(st.booleans()):
        return draw(st.text(TEXT, min_size=1, max_size=20).filter(str.strip))
    prefix = draw(st.sampled_from(["CMD", "CMD-SHELL"]))
    first = draw(st.text(TEXT, min_size=1, max_size=10).filter(str.strip))
    return [prefix, first, *draw(st.lists(st.text(TEXT, max_size=10), max_size=3))]


@st.composite
def hosted_parts(draw: st.DrawFn) -> dict[str, Any]:
    minimum = draw(st.integers(1, 5))
    maximum = draw(st.integers(minimum, 10))
    scaling: dict[str, Any] = {
        "blockDeviceVolumeSize": draw(st.integers(30, 2000)),
        "minCapacity": minimum,
        "maxCapacity": maximum,
        "cooldown": draw(positive),
        "defaultInstanceWarmup": draw(st.integers(1, 3600)),
        "metricConfig": {
            "albMetricName": draw(st.sampled_from(["RequestCountPerTarget", "TargetResponseTime"])),
            "targetValue": draw(st.integers(0, 1000)),
            "duration": draw(positive),
            "estimatedInstanceWarmup": draw(positive),
        },
    }
    if draw(st.booleans()):
        scaling["desiredCapacity"] = draw(st.integers(minimum, maximum))
    interval = draw(st.integers(5, 300))
    return {
        "instanceType": draw(st.sampled_from(["g5.xlarge", "g5.2xlarge", "g6.12xlarge", "p4d.24xlarge", "m5.large"])),
        "inferenceContainer": draw(st.sampled_from([c.value for c in InferenceContainer])),
        "containerConfig": {
            "image": {"baseImage": draw(text), "type": draw(st.sampled_from([t.value for t in ImageType]))},
            "sharedMemorySize": draw(positive),
            "healthCheckConfig": {
                "command": draw(health_check_commands()),
                "interval": draw(positive),
                "startPeriod": draw(positive),
                "timeout": draw(positive),
                "retries": draw(positive),
            },
            "environment": draw(
                st.dictionaries(st.text(TEXT, min_size=1, max_size=10).filter(str.strip), text, max_size=4)
            ),
        },
        "autoScalingConfig": scaling,
        "loadBalancerConfig": {
            "healthCheckConfig": {
                "path": "/" + draw(st.text(TEXT, max_size=10)),
                "interval": interval,
                "timeout": draw(st.integers(2, min(120, interval - 1))),
                "healthyThresholdCount": draw(st.integers(2, 10)),
                "unhealthyThresholdCount": draw(st.integers(2, 10)),
            }
        },
    }


@st.composite
def create_requests(draw: st.DrawFn) -> dict[str, Any]:
    model_type = draw(st.sampled_from([t.value for t in ModelType]))
    names = draw(st.lists(st.sampled_from([f.value for f in FeatureName]), unique=True, max_size=4))
    config: dict[str, Any] = {
        "modelId": draw(model_ids),
        "modelName": draw(text),
        "modelType": model_type,
        "streaming": False if model_type == "embedding" else draw(st.booleans()),
        "features": [{"name": name, "overview": draw(st.text(TEXT, max_size=15))} for name in names],
        "allowedGroups": draw(st.lists(text, max_size=3)),
    }
    if draw(st.booleans()):
        config["modelDescription"] = draw(st.text(TEXT, max_size=40))
    if draw(st.booleans()):
        config.update(draw(hosted_parts()))
    return config


@st.composite
def stored_items(draw: st.DrawFn) -> dict[str, Any]:
    """A models-table item as LISA writes it, with attributes this app does not know."""
    config = draw(create_requests())
    config.update(draw(st.dictionaries(st.sampled_from(["futureField", "apiKey", "x-extra"]), json_values)))
    item: dict[str, Any] = {
        "model_id": config["modelId"],
        "model_status": draw(st.sampled_from([s.value for s in ModelStatus])),
        "model_config": config,
    }
    optional = {
        "model_description": st.none() | st.text(TEXT, max_size=20),
        "last_modified_date": st.integers(0, 2**45),
        "litellm_id": st.none() | st.uuids().map(str),
        "model_url": st.text(TEXT, max_size=30),
        "auto_scaling_group": st.text(TEXT, max_size=30),
        "cloudformation_stack_name": st.text(TEXT, max_size=30),
        "failure_reason": st.none() | st.text(TEXT, max_size=50),
        "context_window": st.integers(1, 2**20),
        "lastStatusUpdate": st.text(TEXT, max_size=25),
        "statusReason": st.text(TEXT, max_size=25),
        "job_holder_from_a_newer_version": json_values,
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            item[key] = draw(strategy)
    return item
