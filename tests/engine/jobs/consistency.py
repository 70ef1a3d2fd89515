"""What a settled model looks like: its record, ECS service and task definitions, Auto Scaling group and LiteLLM
entries agree, nothing is held, nothing was made twice. And the look-alike models the job-recovery tests use."""

from __future__ import annotations

import weakref
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from engine.aws.ecs import ServiceRef
from engine.aws.guardrails import GuardrailsTable
from engine.aws.models_table import HOLDER_ATTRIBUTE
from engine.errors import ModelNotFound
from engine.jobs.context import Gateways
from engine.sandbox.catalog import Capacity, CatalogModel, hosted
from engine.sandbox.server import Sandbox
from engine.schedules.actions import arn_parts
from engine.schedules.gateway import ScheduledActions
from engine.schedules.record import stored_arns
from engine.schema.enums import ModelStatus
from engine.stack_template import stack_name
from tests.engine.jobs.sandbox_world import gateways_on
from tests.waiting import poll

SETTLED = (ModelStatus.IN_SERVICE, ModelStatus.STOPPED)
SETTLE_S = 15.0

_GATEWAYS: weakref.WeakKeyDictionary[Sandbox, tuple[str, Gateways]] = weakref.WeakKeyDictionary()
"""The engine's gateways on each sandbox checked, with the endpoint they were made for (a kill test checks scores of
models on one sandbox)."""


def _gateways(sandbox: Sandbox) -> Gateways:
    endpoint, gateways = _GATEWAYS.get(sandbox, ("", None))
    if gateways is None or endpoint != sandbox.endpoint_url:
        gateways = gateways_on(sandbox)  # not a World: it holds the sandbox, which must not outlive its key here
        _GATEWAYS[sandbox] = (sandbox.endpoint_url, gateways)
    return gateways


def fast_hosted_config(model_id: str) -> dict[str, Any]:
    """A LISA-hosted model whose warm-up is a second (a start waits for it)."""
    config = hosted(
        model_id,
        "Qwen/Qwen2.5-7B-Instruct",
        container="vllm",
        instance_type="g5.xlarge",
        min_capacity=1,
        max_capacity=2,
        desired_capacity=1,
        description="recovery test model",
        environment={"MAX_TOTAL_TOKENS": "4096"},
    )
    config["autoScalingConfig"]["metricConfig"]["estimatedInstanceWarmup"] = 1
    return config


def pool(prefix: str, count: int, status: ModelStatus) -> list[CatalogModel]:
    stopped = status is ModelStatus.STOPPED
    return [
        CatalogModel(
            config=fast_hosted_config(f"{prefix}-{index:02d}"),
            status=status,
            live_capacity=Capacity(0, 0, 0) if stopped else None,
        )
        for index in range(count)
    ]


def third_party_request(model_id: str) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "modelName": "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "modelType": "textgen",
        "streaming": True,
    }


@dataclass
class Consistency:
    """What is true of one model after recovery, with every disagreement named."""

    model_id: str
    status: ModelStatus | None
    problems: list[str]


def check_model(
    sandbox: Sandbox, model_id: str, guardrail_sets: Collection[frozenset[str]] | None = None
) -> Consistency:
    """The model is settled and its record, service, task definitions, group, LiteLLM entries and guardrails agree
    (the guardrails table's rows and LiteLLM's guardrails `<name>-<modelId>`, name for name and id for id; none for a
    model that does not exist). `guardrail_sets`: the sets of guardrail names an existing model may end with."""
    aws = _gateways(sandbox)
    problems: list[str] = []
    names = _guardrail_problems(aws, model_id, problems)
    entries = [e for e in aws.litellm.list_models() if e.get("model_name") == model_id]
    entry_ids = sorted(str((e.get("model_info") or {}).get("id")) for e in entries)
    try:
        record = aws.models.get(model_id)
    except ModelNotFound:
        if entry_ids:
            problems.append(f"no record, yet LiteLLM entries {entry_ids}")
        stack = aws.stacks.describe_or_none(stack_name(sandbox.deployment_name, model_id))
        if stack is not None and stack.status != "DELETE_COMPLETE":
            problems.append(f"no record, yet stack {stack.name} is {stack.status}")
        if names:
            problems.append(f"no record, yet guardrails {sorted(names)}")
        return Consistency(model_id, None, problems)
    if guardrail_sets is not None and frozenset(names) not in guardrail_sets:
        problems.append(f"guardrails {sorted(names)}, expected one of {[sorted(s) for s in guardrail_sets]}")
    item = record.to_item()
    if record.model_status not in SETTLED:
        problems.append(f"status {record.model_status}")
    if HOLDER_ATTRIBUTE in item:
        problems.append(f"still held: {item[HOLDER_ATTRIBUTE]}")
    if record.model_status is ModelStatus.IN_SERVICE:
        if entry_ids != [str(record.litellm_id)]:
            problems.append(f"record's litellm_id {record.litellm_id}, LiteLLM entries {entry_ids}")
    elif entry_ids:
        problems.append(f"{record.model_status}, yet LiteLLM entries {entry_ids}")
    if record.is_lisa_hosted:
        problems.extend(_hosted_problems(aws, record))
    return Consistency(model_id, record.model_status, problems)


def _guardrail_problems(aws: Gateways, model_id: str, problems: list[str]) -> set[str]:
    """The names of the model's guardrails; what the table and LiteLLM disagree on goes to `problems`."""
    rows = GuardrailsTable(aws.clients, aws.deployment.guardrails_table_name).of_model(model_id)
    in_table = sorted((row.name, row.guardrail_id) for row in rows)
    suffix = f"-{model_id}"
    in_litellm = sorted(
        (str(g["guardrail_name"]).removesuffix(suffix), str(g["guardrail_id"]))
        for g in aws.litellm.list_guardrails()
        if str(g.get("guardrail_name", "")).endswith(suffix)
    )
    if in_table != in_litellm:
        problems.append(f"guardrails table {in_table}, LiteLLM guardrails {in_litellm}")
    if len({name for name, _ in in_table}) != len(in_table):
        problems.append(f"a guardrail name twice in the table: {in_table}")
    return {name for name, _ in in_table} | {name for name, _ in in_litellm}


def _schedule_problems(aws: Gateways, record: Any) -> list[str]:
    """The model's scheduled actions on its group are those its record's `scheduledActionArns` name."""
    group = record.auto_scaling_group or ""
    named = sorted(parts[1] for arn in stored_arns(record) if (parts := arn_parts(arn)) is not None)
    on_group = sorted(action.name for action in ScheduledActions(aws.clients).of_model(group, record.model_id))
    return [] if named == on_group else [f"the record names scheduled actions {named}, the group has {on_group}"]


def _hosted_problems(aws: Gateways, record: Any) -> list[str]:
    problems: list[str] = []
    group = aws.autoscaling.describe_one(record.auto_scaling_group or "")
    scaling = record.config.get("autoScalingConfig") or {}
    if group is None:
        return [f"no Auto Scaling group {record.auto_scaling_group}"]
    sizes = (group.min_size, group.max_size, group.desired_capacity)
    if record.model_status is ModelStatus.STOPPED:
        if sizes != (0, 0, 0):
            problems.append(f"Stopped, yet the group is {sizes} (min, max, desired)")
    else:
        wanted = (scaling.get("minCapacity"), scaling.get("maxCapacity"), scaling.get("desiredCapacity"))
        if sizes != wanted:
            problems.append(f"group {sizes} but the record says {wanted} (min, max, desired)")
    problems.extend(_schedule_problems(aws, record))
    stack = record.cloudformation_stack_name
    if not stack:
        return [*problems, "no stack recorded"]
    ref = aws.stacks.model_resources(stack, record.cloudformation_stack_arn).service_ref
    assert isinstance(ref, ServiceRef)
    service = aws.ecs.describe_service(ref)
    definition = aws.ecs.describe_task_definition(service.task_definition_arn)
    running_env = {
        str(e.get("name")): str(e.get("value"))
        for e in (definition.registration_input()["containerDefinitions"][0].get("environment") or ())
    }
    stored_env = (record.config.get("containerConfig") or {}).get("environment") or {}
    differing = {
        key: (value, running_env.get(key)) for key, value in stored_env.items() if running_env.get(key) != value
    }
    if differing:
        problems.append(f"the service runs another environment than the record's: {differing} (record, ECS)")
    active = aws.ecs.active_revisions(definition.family)
    if active != [service.task_definition_arn]:
        problems.append(f"ACTIVE revisions {active}, service on {service.task_definition_arn}")
    # A service created a moment ago (a create ends once its capacity is healthy, as LISA's does) may still be
    # settling its first deployment: it must reach one deployment on its own, with nothing more done to it.
    deployments = [len(service.deployments)]

    def settled() -> bool:
        deployments.append(len(aws.ecs.describe_service(ref).deployments))
        return deployments[-1] == 1

    if deployments[-1] != 1 and not poll(settled, timeout=SETTLE_S, interval=0.1):
        problems.append(f"{deployments[-1]} ECS deployments after {SETTLE_S:.0f} s: not stable")
    return problems
