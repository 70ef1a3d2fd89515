"""plan(current record, update request): what would change, what would run, and what is not allowed.

The wizard's review page, the CLI's --dry-run and the update engine all use this one function.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.aws.guardrails import Guardrail
from engine.errors import Problem
from engine.guardrail_changes import GuardrailAction, GuardrailChange, guardrail_problems, update_changes
from engine.rules.capabilities import (
    Capability,
    Category,
    Impact,
    capability,
    capability_for_feature,
)
from engine.rules.status import Operation, refusal
from engine.schema.enums import FeatureName, ModelHostingType, ModelStatus, ModelType
from engine.schema.record import ModelRecord
from engine.schema.requests import MARKED_FOR_DELETION, UpdateModelRequest


class Step(StrEnum):
    METADATA = "metadata"
    """One conditional write of the model record; no infrastructure is touched."""
    INTAKE = "intake"
    ECS = "ecs"
    GUARDRAILS = "guardrails"
    """LISA's HandleUpdateGuardrails: LiteLLM guardrails and guardrails-table rows; no container restarts."""
    CAPACITY = "capacity"
    LITELLM_UNREGISTER = "litellm-unregister"
    LITELLM_REGISTER = "litellm-register"
    FINALIZE = "finalize"


GUARDRAILS = capability("guardrails")

TRANSITIONAL_STATUS = {
    Operation.UPDATE: ModelStatus.UPDATING,
    Operation.START: ModelStatus.STARTING,
    Operation.STOP: ModelStatus.STOPPING,
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    """Where the change sits, in UpdateModelRequest terms (`containerConfig.environment.KEY`)."""
    capability: Capability | None
    old: Any
    new: Any
    removed: bool = False
    derived: bool = False
    """True for a change that follows from another (desired capacity pulled into new min..max)."""

    @property
    def impact(self) -> Impact:
        return self.capability.impact if self.capability else Impact.NONE

    def describe(self) -> str:
        new = "(removed)" if self.removed else _show(self.new)
        return f"{self.field}: {_show(self.old)} → {new}"


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return repr(value)
    return str(value).replace("True", "true").replace("False", "false")


@dataclass(frozen=True)
class Plan:
    model_id: str
    operation: Operation
    from_status: ModelStatus
    changes: tuple[FieldChange, ...]
    steps: tuple[Step, ...]
    restarts_containers: bool
    interrupts_service: bool
    deferred: tuple[str, ...]
    violations: tuple[Problem, ...]
    new_config: dict[str, Any] = field(repr=False)
    guardrails: tuple[GuardrailChange, ...] = ()
    """Each guardrail added, changed or removed (their `changes` too, as `guardrailsConfig.<name>`)."""

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def requires_ack(self) -> bool:
        """Containers restart (a temporary outage): the operator must acknowledge before submitting."""
        return self.restarts_containers

    @property
    def is_noop(self) -> bool:
        return self.operation is Operation.UPDATE and not self.changes

    @property
    def categories(self) -> tuple[Category, ...]:
        touched = {change.capability.category for change in self.changes if change.capability}
        return tuple(category for category in Category if category in touched)

    @property
    def transitional_status(self) -> ModelStatus:
        return TRANSITIONAL_STATUS[self.operation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "modelId": self.model_id,
            "operation": str(self.operation),
            "fromStatus": str(self.from_status),
            "changes": [
                {
                    "field": change.field,
                    "capability": change.capability.label if change.capability else None,
                    "category": str(change.capability.category) if change.capability else None,
                    "impact": str(change.impact),
                    "old": change.old,
                    "new": None if change.removed else change.new,
                    "removed": change.removed,
                    "derived": change.derived,
                }
                for change in self.changes
            ],
            "categories": [str(category) for category in self.categories],
            "steps": [str(step) for step in self.steps],
            "restartsContainers": self.restarts_containers,
            "requiresAcknowledgement": self.requires_ack,
            "interruptsService": self.interrupts_service,
            "deferred": list(self.deferred),
            "violations": [{"field": p.field, "rule": p.rule} for p in self.violations],
            "guardrails": [change.to_dict() for change in self.guardrails],
        }


def plan(record: ModelRecord, change: UpdateModelRequest, guardrails: Sequence[Guardrail] | None = None) -> Plan:
    """Work out an update (or start/stop) of `record` without touching anything. `guardrails`: the model's
    guardrails as its guardrails table holds them (what a `guardrailsConfig` is compared with; none if not given)."""
    operation = _operation(change)
    current = record.config
    new_config = copy.deepcopy(current)
    changes = list(_changes(current, new_config, change, record.model_status))
    violations: list[Problem] = []
    guardrail_changes: list[GuardrailChange] = []
    if change.guardrailsConfig is not None:
        guardrail_changes = update_changes(guardrails or (), change.guardrailsConfig)
        changes.extend(_guardrail_field_changes(guardrail_changes))
        violations.extend(guardrail_problems(change.guardrailsConfig, create=False))
        if operation is not Operation.UPDATE:
            violations.append(
                Problem("guardrailsConfig", "cannot be combined with a start or stop; send them as separate updates")
            )

    status_reason = refusal(operation, record.model_id, record.model_status)
    if status_reason:
        violations.append(Problem("status", status_reason))
    hosting = record.hosting_type
    for item in changes:
        reason = item.capability.refusal_for(hosting) if item.capability else None
        if reason:
            violations.append(Problem(item.field, reason))
    violations.extend(_unsupported(change, current))
    violations.extend(_merged_rules(current, new_config, change))

    hosted = record.is_lisa_hosted
    in_service = record.model_status is ModelStatus.IN_SERVICE
    container_changed = any(c.capability and c.capability.category is Category.CONTAINER for c in changes)
    capacity_changed = any(c.capability and c.capability.category is Category.AUTO_SCALING for c in changes)
    deferred: list[str] = []
    if hosted and record.model_status is ModelStatus.STOPPED and operation is Operation.UPDATE:
        if container_changed:
            deferred.append("containerConfig: saved now, applied to the ECS service at the next start")
        if capacity_changed:
            deferred.append("autoScalingInstanceConfig: saved now, applied to the Auto Scaling group at the next start")

    restarts = hosted and in_service and container_changed and operation is Operation.UPDATE
    steps = _steps(operation, restarts, hosted and in_service and capacity_changed, bool(changes))
    if guardrail_changes and operation is Operation.UPDATE:
        steps = _with_guardrails(steps)
    return Plan(
        model_id=record.model_id,
        operation=operation,
        from_status=record.model_status,
        changes=tuple(changes),
        steps=steps,
        restarts_containers=restarts,
        interrupts_service=operation is Operation.STOP,
        deferred=tuple(deferred),
        violations=tuple(sorted(set(violations), key=violations.index)),
        new_config=new_config,
        guardrails=tuple(guardrail_changes),
    )


def _guardrail_field_changes(guardrails: Sequence[GuardrailChange]) -> Iterator[FieldChange]:
    """A guardrail added or removed as a whole; a changed one attribute by attribute."""
    for item in guardrails:
        old, new = item.old_config(), item.new_config()
        if item.action is GuardrailAction.CHANGE and old is not None and new is not None:
            for key, value in new.items():
                if old.get(key) != value:
                    yield FieldChange(f"{item.field}.{key}", GUARDRAILS, old.get(key), value)
        else:
            yield FieldChange(item.field, GUARDRAILS, old, new, removed=item.action is GuardrailAction.REMOVE)


def _with_guardrails(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """LISA's order: intake → ECS → guardrails → capacity → finish. Guardrails write more than the record, so a
    metadata-only update becomes a held one."""
    middle = tuple(step for step in steps if step in (Step.ECS, Step.CAPACITY))
    ecs = tuple(step for step in middle if step is Step.ECS)
    capacity = tuple(step for step in middle if step is Step.CAPACITY)
    return (Step.INTAKE, *ecs, Step.GUARDRAILS, *capacity, Step.FINALIZE)


def create_steps(hosting: ModelHostingType) -> tuple[str, ...]:
    """The steps a create job runs for a model of this hosting type (the wizard's review page shows them)."""
    if hosting is ModelHostingType.LISA_HOSTED:
        return ("intake", "network", "stack", "capacity", "litellm", "finalize")
    return ("intake", "litellm", "finalize")


def _operation(change: UpdateModelRequest) -> Operation:
    if change.enabled is True:
        return Operation.START
    if change.enabled is False:
        return Operation.STOP
    return Operation.UPDATE


def _steps(operation: Operation, ecs: bool, capacity: bool, any_change: bool) -> tuple[Step, ...]:
    if operation is Operation.START:
        return (Step.INTAKE, Step.CAPACITY, Step.LITELLM_REGISTER, Step.FINALIZE)
    if operation is Operation.STOP:
        return (Step.INTAKE, Step.LITELLM_UNREGISTER, Step.CAPACITY, Step.FINALIZE)
    if ecs or capacity:
        middle = ((Step.ECS,) if ecs else ()) + ((Step.CAPACITY,) if capacity else ())
        return (Step.INTAKE, *middle, Step.FINALIZE)
    return (Step.METADATA,) if any_change else ()


def _changes(
    current: Mapping[str, Any], new: dict[str, Any], change: UpdateModelRequest, status: ModelStatus
) -> Iterator[FieldChange]:
    given = change.model_fields_set
    for name, key in (
        ("modelDescription", "model_description"),
        ("allowedGroups", "allowed_groups"),
        ("streaming", "streaming"),
    ):
        if name in given and getattr(change, name) is not None:
            value = getattr(change, name)
            if current.get(name) != value:
                yield FieldChange(name, capability(key), current.get(name), value)
            new[name] = value
    if change.modelType is not None and change.modelType != current.get("modelType"):
        yield FieldChange("modelType", None, current.get("modelType"), str(change.modelType))
    if change.features is not None:
        yield from _feature_changes(current.get("features") or [], change)
        new["features"] = [feature.dump() for feature in change.features]
    if change.autoScalingInstanceConfig is not None:
        yield from _scaling_changes(current, new, change)
    if change.containerConfig is not None:
        yield from _container_changes(current, new, change)
    if change.enabled is not None:
        running = status in (ModelStatus.IN_SERVICE, ModelStatus.STARTING)
        if running != change.enabled:
            yield FieldChange("enabled", capability("start_stop"), running, change.enabled)


def _feature_changes(old_list: list[dict[str, Any]], change: UpdateModelRequest) -> Iterator[FieldChange]:
    old = {item.get("name"): item for item in old_list if isinstance(item, dict)}
    new = {str(item.name): item.dump() for item in change.features or []}
    for name in FeatureName:
        was, now = name.value in old, name.value in new
        if was != now:
            yield FieldChange(f"features[{name}]", capability_for_feature(name), was, now)
    summary = FeatureName.SUMMARIZATION.value
    old_overview = old.get(summary, {}).get("overview") or None
    new_overview = new.get(summary, {}).get("overview") or None
    if summary in new and old_overview != new_overview:
        yield FieldChange(
            "features[summarization].overview", capability("summarization_capabilities"), old_overview, new_overview
        )


_SCALING_CAPABILITIES = {
    "minCapacity": "min_capacity",
    "maxCapacity": "max_capacity",
    "desiredCapacity": "desired_capacity",
    "cooldown": "cooldown",
    "defaultInstanceWarmup": "default_instance_warmup",
}


def _scaling_changes(
    current: Mapping[str, Any], new: dict[str, Any], change: UpdateModelRequest
) -> Iterator[FieldChange]:
    scaling = change.autoScalingInstanceConfig
    assert scaling is not None
    old_scaling: Mapping[str, Any] = current.get("autoScalingConfig") or {}
    new_scaling = new.get("autoScalingConfig")
    for name, key in _SCALING_CAPABILITIES.items():
        value = getattr(scaling, name)
        if value is None or old_scaling.get(name) == value:
            continue
        yield FieldChange(f"autoScalingInstanceConfig.{name}", capability(key), old_scaling.get(name), value)
        if isinstance(new_scaling, dict):
            new_scaling[name] = value
    if isinstance(new_scaling, dict) and scaling.desiredCapacity is None:
        yield from _clamp_stored_desired(new_scaling)


def _clamp_stored_desired(scaling: dict[str, Any]) -> Iterator[FieldChange]:
    """As Auto Scaling does: new bounds pull a desired capacity that falls outside them back inside."""
    desired, low, high = scaling.get("desiredCapacity"), scaling.get("minCapacity"), scaling.get("maxCapacity")
    if not isinstance(desired, int) or not isinstance(low, int) or not isinstance(high, int) or low > high:
        return
    clamped = min(max(desired, low), high)
    if clamped != desired:
        scaling["desiredCapacity"] = clamped
        yield FieldChange(
            "autoScalingInstanceConfig.desiredCapacity", capability("desired_capacity"), desired, clamped, derived=True
        )


_HEALTH_CHECK_FIELDS = {
    "healthCheckCommand": ("command", "health_check_command"),
    "healthCheckInterval": ("interval", "health_check_interval"),
    "healthCheckStartPeriod": ("startPeriod", "health_check_start_period"),
    "healthCheckTimeout": ("timeout", "health_check_timeout"),
    "healthCheckRetries": ("retries", "health_check_retries"),
}


def _container_changes(
    current: Mapping[str, Any], new: dict[str, Any], change: UpdateModelRequest
) -> Iterator[FieldChange]:
    container = change.containerConfig
    assert container is not None
    old_container: Mapping[str, Any] = current.get("containerConfig") or {}
    new_container = new.get("containerConfig")
    target = new_container if isinstance(new_container, dict) else {}
    old_env: Mapping[str, str] = old_container.get("environment") or {}
    env = target.setdefault("environment", dict(old_env))
    for key, value in (container.environment or {}).items():
        if value == MARKED_FOR_DELETION:
            if key in old_env:
                yield FieldChange(
                    f"containerConfig.environment.{key}", capability("environment"), old_env[key], None, removed=True
                )
                env.pop(key, None)
        elif old_env.get(key) != value:
            yield FieldChange(f"containerConfig.environment.{key}", capability("environment"), old_env.get(key), value)
            env[key] = value
    if container.sharedMemorySize is not None and container.sharedMemorySize != old_container.get("sharedMemorySize"):
        yield FieldChange(
            "containerConfig.sharedMemorySize",
            capability("shared_memory_size"),
            old_container.get("sharedMemorySize"),
            container.sharedMemorySize,
        )
        target["sharedMemorySize"] = container.sharedMemorySize
    old_check: Mapping[str, Any] = old_container.get("healthCheckConfig") or {}
    new_check = target.setdefault("healthCheckConfig", dict(old_check))
    for name, (stored, key) in _HEALTH_CHECK_FIELDS.items():
        value = getattr(container, name)
        if value is not None and value != old_check.get(stored):
            yield FieldChange(f"containerConfig.{name}", capability(key), old_check.get(stored), value)
            new_check[stored] = value


def _unsupported(change: UpdateModelRequest, current: Mapping[str, Any]) -> Iterator[Problem]:
    if change.modelType is not None and change.modelType != current.get("modelType"):
        yield Problem("modelType", "cannot be changed after creation (not an update capability); create a new model")


def _merged_rules(current: Mapping[str, Any], new: Mapping[str, Any], change: UpdateModelRequest) -> Iterator[Problem]:
    model_type = new.get("modelType")
    if model_type == ModelType.EMBEDDING and new.get("streaming") is True and change.streaming is True:
        yield Problem("streaming", "embedding models cannot stream; set streaming to false")
    scaling = change.autoScalingInstanceConfig
    merged = new.get("autoScalingConfig")
    if scaling is None or not isinstance(merged, Mapping):
        return
    low, high, desired = merged.get("minCapacity"), merged.get("maxCapacity"), scaling.desiredCapacity
    if isinstance(low, int) and isinstance(high, int) and low > high:
        name = "minCapacity" if scaling.minCapacity is not None else "maxCapacity"
        yield Problem(
            f"autoScalingInstanceConfig.{name}",
            f"minCapacity must not exceed maxCapacity after the update ({low} > {high})",
        )
    if desired is not None and isinstance(high, int) and desired > high:
        yield Problem(
            "autoScalingInstanceConfig.desiredCapacity",
            f"must not exceed maxCapacity after the update ({desired} > {high})",
        )
    if desired is not None and isinstance(low, int) and desired < low:
        yield Problem(
            "autoScalingInstanceConfig.desiredCapacity",
            f"must not be below minCapacity after the update ({desired} < {low})",
        )
