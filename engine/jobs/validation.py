"""Validate an update before anything is written: the plan's rules, the live Auto Scaling group, the account's
instance quota (where the API answers), and the restart acknowledgement."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from engine.aws.autoscaling import ScalingGroup
from engine.errors import InvalidInput, LisaDesktopError, Problem, StatusNotAllowed
from engine.jobs.context import Gateways
from engine.jobs.guardrails_step import model_guardrails
from engine.jobs.lease import hold_of
from engine.plan import Plan, plan
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from engine.schema.requests import UpdateModelRequest

# Service Quotas codes of EC2's "Running On-Demand <family> instances" quotas (counted in vCPUs).
_QUOTA_BY_FAMILY: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("g", "vt"), ("L-DB2E81BA", "Running On-Demand G and VT instances")),
    "p": ("L-417A185B", "Running On-Demand P instances"),
    **dict.fromkeys(("inf", "trn"), ("L-1945791B", "Running On-Demand Inf instances")),
    "x": ("L-7295265B", "Running On-Demand X instances"),
    "f": ("L-74FC7D96", "Running On-Demand F instances"),
}
_STANDARD_QUOTA = ("L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances")


class RestartNotAcknowledged(InvalidInput):
    """The change restarts the model's containers and the operator has not acknowledged the outage."""

    def __init__(self) -> None:
        super().__init__(
            [
                Problem(
                    "containerConfig",
                    "this change restarts the model's containers (a temporary outage): "
                    "acknowledge the restart with --ack-restart",
                )
            ],
            "update",
        )


@dataclass(frozen=True)
class ValidatedUpdate:
    record: ModelRecord
    plan: Plan
    notes: tuple[str, ...] = field(default=())
    """Checks that could not be made (an unreadable quota) and other things the operator should know."""
    group: ScalingGroup | None = None


def held_text(aws: Gateways, record: ModelRecord) -> str:
    """` (held by job-… (…), last heartbeat … (95 s ago))` for a model a desktop job holds, else ``."""
    hold = hold_of(record)
    if hold is None or not record.model_status.is_transitional:
        return ""
    return f" ({hold.describe(aws.models.now_ms())})"


def validate_update(
    aws: Gateways, model_id: str, change: UpdateModelRequest, *, ack_restart: bool, check_ack: bool = True
) -> ValidatedUpdate:
    """Everything that can be checked before the first write. Raises StatusNotAllowed (status), InvalidInput
    (rules, live capacity, restart not acknowledged); nothing is written either way."""
    record = aws.models.get(model_id)
    result = plan(record, change, model_guardrails(aws, model_id) if change.guardrailsConfig is not None else None)
    status_problems = [p for p in result.violations if p.field == "status"]
    if status_problems:
        raise StatusNotAllowed(status_problems[0].rule + held_text(aws, record))
    if result.violations:
        raise InvalidInput(result.violations, f"update of '{model_id}'")
    notes: list[str] = list(result.deferred)
    group: ScalingGroup | None = None
    scaling = change.autoScalingInstanceConfig
    if scaling is not None and record.is_lisa_hosted and record.auto_scaling_group:
        group = aws.autoscaling.describe_one(record.auto_scaling_group)
        if group is None:
            raise InvalidInput(
                [Problem("autoScalingInstanceConfig", f"the Auto Scaling group {record.auto_scaling_group} is gone")]
            )
        if record.model_status is ModelStatus.IN_SERVICE:
            live = list(_live_capacity_problems(change, group))
            if live:
                raise InvalidInput(live, f"update of '{model_id}'")
        notes.extend(_quota_notes(aws, record, result))
    if check_ack and result.requires_ack and not ack_restart:
        raise RestartNotAcknowledged()
    return ValidatedUpdate(record, result, tuple(notes), group)


def _live_capacity_problems(change: UpdateModelRequest, group: ScalingGroup) -> list[Problem]:
    """LISA's four checks against the live group, each only when the request does not set the bound too."""
    scaling = change.autoScalingInstanceConfig
    assert scaling is not None
    field_name = "autoScalingInstanceConfig"
    problems = []
    if scaling.desiredCapacity is not None and scaling.maxCapacity is None and scaling.desiredCapacity > group.max_size:
        problems.append(Problem(f"{field_name}.desiredCapacity", f"cannot exceed the group's max of {group.max_size}"))
    if scaling.desiredCapacity is not None and scaling.minCapacity is None and scaling.desiredCapacity < group.min_size:
        problems.append(
            Problem(f"{field_name}.desiredCapacity", f"cannot be less than the group's min of {group.min_size}")
        )
    if scaling.minCapacity is not None and scaling.maxCapacity is None and scaling.minCapacity > group.max_size:
        problems.append(Problem(f"{field_name}.minCapacity", f"cannot exceed the group's max of {group.max_size}"))
    if scaling.maxCapacity is not None and scaling.minCapacity is None and scaling.maxCapacity < group.min_size:
        problems.append(
            Problem(f"{field_name}.maxCapacity", f"cannot be less than the group's min of {group.min_size}")
        )
    return problems


def _quota_notes(aws: Gateways, record: ModelRecord, result: Plan) -> list[str]:
    """Compare the new maximum's vCPUs with the account's On-Demand quota for the instance family."""
    instance_type = str(record.config.get("instanceType") or "")
    new_max = (result.new_config.get("autoScalingConfig") or {}).get("maxCapacity")
    if not instance_type or not isinstance(new_max, int):
        return []
    letters = re.match(r"[a-z]+", instance_type)
    family = letters.group(0) if letters else instance_type
    code, name = next(
        (value for prefix, value in _QUOTA_BY_FAMILY.items() if family.startswith(prefix)), _STANDARD_QUOTA
    )
    try:
        described = aws.clients.ec2().describe_instance_types(InstanceTypes=[instance_type])  # type: ignore[list-item]
        vcpus = int(described["InstanceTypes"][0]["VCpuInfo"]["DefaultVCpus"])
        quota: Any = aws.clients.service_quotas().get_service_quota(ServiceCode="ec2", QuotaCode=code)
        limit = float(quota["Quota"]["Value"])
    except (ClientError, BotoCoreError, LisaDesktopError, KeyError, IndexError, ValueError) as error:
        return [f"instance quota not checked: the account's '{name}' quota could not be read ({_short(error)})"]
    needed = new_max * vcpus
    if needed > limit:
        return [
            f"instance quota: max {new_max} × {instance_type} needs {needed} vCPUs, more than the account's "
            f"'{name}' quota of {math.floor(limit)} (other instances count against it too)"
        ]
    return [f"instance quota: max {new_max} × {instance_type} needs {needed} of {math.floor(limit)} vCPUs allowed"]


def _short(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 160 else text[:157] + "..."
