"""A model as LISA's `GET /models` returns it, built as LISA builds it (`lambda/models/handler/utils.py`
`to_lisa_model`, `attach_guardrails_to_model`, and FastAPI's dump of `domain_objects.LISAModel`): the record's
`model_config` with `status`, `modelUrl` and `contextWindow` laid over it, validated as `LISAModel` (keys it does
not know, `apiKey` among them, dropped; every field present, null when unset, nested objects with their
defaults), and `guardrailsConfig` rebuilt from the model's rows of the guardrails table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

_REQUIRED: Final = object()

# LISA's pydantic models, field by field in their order, with their defaults (_REQUIRED: no default).
_METRIC: Final = {
    "albMetricName": "RequestCountPerTarget",
    "targetValue": 30,
    "duration": _REQUIRED,
    "estimatedInstanceWarmup": _REQUIRED,
}
_DAY: Final = {"startTime": _REQUIRED, "stopTime": _REQUIRED}
_SCHEDULE_BASE: Final = {
    "timezone": "UTC",
    "scheduleEnabled": False,
    "lastScheduleUpdate": None,
    "scheduledActionArns": None,
    "scheduleConfigured": False,
    "lastScheduleFailed": False,
    "nextScheduledAction": None,
    "lastScheduleFailure": None,
}
_WEEK: Final = {day: None for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
_AUTO_SCALING: Final = {
    "blockDeviceVolumeSize": 50,
    "minCapacity": _REQUIRED,
    "maxCapacity": _REQUIRED,
    "desiredCapacity": None,
    "cooldown": _REQUIRED,
    "defaultInstanceWarmup": _REQUIRED,
    "metricConfig": _METRIC,
    "scheduling": None,
}
_CONTAINER: Final = {
    "image": {"baseImage": _REQUIRED, "type": _REQUIRED},
    "sharedMemorySize": _REQUIRED,
    "healthCheckConfig": {
        "command": _REQUIRED,
        "interval": _REQUIRED,
        "startPeriod": _REQUIRED,
        "timeout": _REQUIRED,
        "retries": _REQUIRED,
    },
    "environment": {},
    "memoryReservation": None,
}
_LOAD_BALANCER: Final = {
    "healthCheckConfig": {
        "path": _REQUIRED,
        "interval": _REQUIRED,
        "timeout": _REQUIRED,
        "healthyThresholdCount": _REQUIRED,
        "unhealthyThresholdCount": _REQUIRED,
    }
}
_FEATURE: Final = {"name": _REQUIRED, "overview": _REQUIRED}
_GUARDRAIL: Final = {
    "guardrailName": _REQUIRED,
    "guardrailIdentifier": _REQUIRED,
    "guardrailVersion": "DRAFT",
    "mode": "pre_call",
    "description": None,
    "allowedGroups": [],
    "markedForDeletion": False,
}
_LISA_MODEL: Final = {
    "autoScalingConfig": None,
    "containerConfig": None,
    "inferenceContainer": None,
    "instanceType": None,
    "loadBalancerConfig": None,
    "modelId": _REQUIRED,
    "modelName": _REQUIRED,
    "modelDescription": None,
    "modelType": _REQUIRED,
    "modelUrl": None,
    "status": _REQUIRED,
    "streaming": _REQUIRED,
    "features": None,
    "allowedGroups": None,
    "guardrailsConfig": None,
    "contextWindow": None,
    "hostingType": "third_party",
}
_NESTED: Final[dict[str, Any]] = {
    "autoScalingConfig": _AUTO_SCALING,
    "containerConfig": _CONTAINER,
    "loadBalancerConfig": _LOAD_BALANCER,
    "metricConfig": _METRIC,
    "image": _CONTAINER["image"],
    "nextScheduledAction": {"action": _REQUIRED, "scheduledTime": _REQUIRED},
    "lastScheduleFailure": {"timestamp": _REQUIRED, "error": _REQUIRED, "retryCount": _REQUIRED},
}


def _dump(spec: Mapping[str, Any], given: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """`given` validated as the model `spec` describes and dumped: every field, in order, the default where not
    given; keys the model does not know are dropped."""
    dumped: dict[str, Any] = {}
    for name, default in spec.items():
        if name in given:
            dumped[name] = _value(name, spec, given[name], f"{path}{name}")
        elif default is _REQUIRED:
            raise AssertionError(f"LISA's model needs {path}{name}")
        elif isinstance(default, Mapping):
            dumped[name] = _dump(default, {}, f"{path}{name}.")
        else:
            dumped[name] = default
    return dumped


def _value(name: str, spec: Mapping[str, Any], value: Any, path: str) -> Any:
    if value is None:
        return None
    if name == "features":
        return [_dump(_FEATURE, feature, f"{path}[].") for feature in value]
    if name == "scheduling":
        kind = value["scheduleType"]
        body = {"recurringSchedule": _DAY} if kind == "RECURRING" else {"dailySchedule": _WEEK}
        if kind == "DAILY":
            week = {day: (None if v is None else _dump(_DAY, v)) for day, v in value["dailySchedule"].items()}
            value = {**value, "dailySchedule": {**_WEEK, **week}}
        return _dump({**_SCHEDULE_BASE, "scheduleType": kind, **body}, value, f"{path}.")
    if name == "healthCheckConfig" and isinstance(spec.get(name), Mapping):
        return _dump(spec[name], value, f"{path}.")
    nested = _NESTED.get(name)
    if nested is not None and isinstance(value, Mapping):
        return _dump(nested, value, f"{path}.")
    return value


def lisa_model(item: Mapping[str, Any], guardrail_rows: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The `GET /models` object of one record (`item` as DynamoDB stores it, deserialized)."""
    config = dict(item.get("model_config") or {})
    config["status"] = item.get("model_status", "Unknown")
    if "model_url" in item:
        config["modelUrl"] = item["model_url"]
    if "context_window" in item:
        config["contextWindow"] = int(item["context_window"])
    model = _dump(_LISA_MODEL, config)
    if guardrail_rows:
        model["guardrailsConfig"] = {
            f"guardrail-{row['guardrailName']}": _dump(_GUARDRAIL, row) for row in guardrail_rows
        }
    return _numbers_as_json(model)


def _numbers_as_json(value: Any) -> Any:
    """DynamoDB's Decimals as JSON numbers."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: _numbers_as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_json(item) for item in value]
    return value
