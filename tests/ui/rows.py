"""Table rows for the ui tests: a LISA-hosted InService model unless told otherwise (`config` and `live` may be
given as mappings)."""

from __future__ import annotations

from typing import Any

from engine.model_row import ModelRow


def make_row(model_id: str, **overrides: Any) -> ModelRow:
    values: dict[str, Any] = {
        "model_id": model_id,
        "model_name": f"org/{model_id}",
        "hosting": "lisa_hosted",
        "model_type": "textgen",
        "status": "InService",
        "instance_type": "g5.xlarge",
        "min_capacity": 1,
        "desired_capacity": 1,
        "max_capacity": 2,
        "running_tasks": 1,
        "healthy_instances": 1,
        "streaming": True,
        "config": {"modelId": model_id, "autoScalingConfig": {"minCapacity": 1, "maxCapacity": 2}},
    }
    values.update(overrides)
    return ModelRow.of(**values)
