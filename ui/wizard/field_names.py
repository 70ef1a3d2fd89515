"""Fields named as the form labels them, wherever the wizard names one (review, conflict, problems); the API
path goes in a tooltip.

Paths come in three dialects: the configuration's (`autoScalingConfig.minCapacity`), UpdateModelRequest's
(`autoScalingInstanceConfig.minCapacity`, `containerConfig.healthCheckInterval`) and leaves of either
(`containerConfig.environment.KEY`); all name the same form fields.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from ui.wizard.specs import ALL_FIELDS, BY_PATH, PAGE_FIELDS, FieldSpec

ENVIRONMENT: Final = "containerConfig.environment"
_REQUEST_HEALTH_CHECK: Final = {
    "healthCheckCommand": "command",
    "healthCheckInterval": "interval",
    "healthCheckStartPeriod": "startPeriod",
    "healthCheckTimeout": "timeout",
    "healthCheckRetries": "retries",
}
_OTHER_LABELS: Final = {
    "features": "Features",
    "enabled": "Running (start / stop)",
    "status": "Status",
    "guardrailsConfig": "Guardrails",
    "contextWindow": "Context window",
    "autoScalingConfig": "Auto scaling",
    "containerConfig": "Container",
    "loadBalancerConfig": "Load balancer",
}
_REPEATED: Final = {label for label, count in Counter(spec.label for spec in ALL_FIELDS).items() if count > 1}
_PAGE_OF: Final = {spec.path: page for page, specs in PAGE_FIELDS.items() for spec in specs}


def config_path(path: str) -> str:
    """The configuration's path of a field named in UpdateModelRequest terms (others unchanged)."""
    if path.startswith("autoScalingInstanceConfig"):
        path = "autoScalingConfig" + path.removeprefix("autoScalingInstanceConfig")
    for flat, nested in _REQUEST_HEALTH_CHECK.items():
        if path == f"containerConfig.{flat}" or path.startswith(f"containerConfig.{flat}."):
            path = f"containerConfig.healthCheckConfig.{nested}" + path.removeprefix(f"containerConfig.{flat}")
    return path


def label_of(path: str) -> str:
    """`Min capacity`, `Environment variable MAX_TOTAL_TOKENS`, `Health check interval (load balancer)`."""
    path = config_path(path)
    spec = BY_PATH.get(path)
    if spec is not None:
        return _label(spec)
    if path.startswith(ENVIRONMENT + "."):
        return f"Environment variable {path.removeprefix(ENVIRONMENT + '.')}"
    if path in _OTHER_LABELS:
        return _OTHER_LABELS[path]
    owner = _owner(path)
    if owner is not None:
        return f"{_label(owner)} › {_words(path.removeprefix(owner.path).lstrip('.'))}"
    head, _, rest = path.partition(".")
    if head in _OTHER_LABELS:
        return f"{_OTHER_LABELS[head]} › {_words(rest)}"
    return _words(path)


def tooltip_of(path: str) -> str:
    return f"API field: {path}"


def _label(spec: FieldSpec) -> str:
    if spec.label in _REPEATED:
        return f"{spec.label} ({_PAGE_OF[spec.path].value.lower()})"
    return spec.label


def _owner(path: str) -> FieldSpec | None:
    candidates = [spec for spec in ALL_FIELDS if path.startswith(spec.path + ".") or path.startswith(spec.path + "[")]
    return max(candidates, key=lambda spec: len(spec.path)) if candidates else None


def _words(path: str) -> str:
    """`metricConfig.albMetricName` → `Metric config › Alb metric name`."""
    parts = [re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", part).lower() for part in path.split(".") if part]
    return " › ".join(part[:1].upper() + part[1:] for part in parts)
