"""LISA's CreateModel state machine (`lib/models/state-machine/create-model.ts`,
`lambda/models/state_machine/create_model.py`).

Third-party and internal-hosted models: SetModelToCreating → AddModelToLitellm → EnrichContextWindow →
AddGuardrailsToLitellm, InService within a tick or two. LISA-hosted models: the image counts as prebuilt (the sandbox
builds no images), the model's stack is deployed from the engine's template in moto (as the sandbox's seeded
stacks), then PollModelReady waits for healthy instances (30 polls; on their timeout LISA carries on), and the same
registration follows. A schedule in the request is not set up (LISA's CreateSchedule step is not played).
"""

from __future__ import annotations

from typing import Any, Final

from engine.litellm_params import litellm_params_for
from engine.sandbox.lisa_api.executions import MAX_POLLS, Execution, Machine, Wait, World, fail_model
from engine.sandbox.lisa_api.guardrails import add_guardrails
from engine.sandbox.lisa_api.shapes import CreateModelRequest
from engine.sandbox.lisa_api.store import now_ms


def set_model_to_creating(world: World, execution: Execution) -> str:
    event = execution.event
    request = CreateModelRequest.model_validate(event)
    config = {key: value for key, value in event.items() if key != "guardrailsConfig"}
    world.tables.update(
        request.modelId,
        {
            "model_status": "Creating",
            "model_config": config,
            "model_description": request.modelDescription,
            "last_modified_date": now_ms(),
        },
    )
    event["create_infra"] = request.is_lisa_managed
    return "StartCreateStack" if event["create_infra"] else "AddModelToLitellm"


def start_create_stack(world: World, execution: Execution) -> str:
    event = execution.event
    if world.create_stack is None:
        raise RuntimeError("the sandbox cannot deploy LISA-hosted models (no stack deployer)")
    config = {key: value for key, value in event.items() if key not in ("guardrailsConfig", "create_infra")}
    stack_name, stack_arn, group, endpoint = world.create_stack(config)
    world.tables.update(
        event["modelId"],
        {
            "cloudformation_stack_name": stack_name,
            "cloudformation_stack_arn": stack_arn,
            "last_modified_date": now_ms(),
        },
    )
    event.update(stack_name=stack_name, stack_arn=stack_arn, autoScalingGroup=group, modelUrl=endpoint)
    return "PollCreateStack"


def poll_create_stack(world: World, execution: Execution) -> str | Wait:
    event = execution.event
    status = world.cloudformation.describe_stacks(StackName=event["stack_arn"])["Stacks"][0]["StackStatus"]
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return "PollModelReady"
    if status.endswith("COMPLETE") or status.endswith("FAILED"):
        raise RuntimeError(f"Stack {event['stack_name']} entered unexpected terminal state '{status}'.")
    return Wait(world.poll_seconds, "PollCreateStack")


def poll_model_ready(world: World, execution: Execution) -> str | Wait:
    event = execution.event
    groups = world.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[event["autoScalingGroup"]])
    info = groups["AutoScalingGroups"][0]
    healthy = sum(1 for i in info["Instances"] if i["HealthStatus"] == "Healthy" and i["LifecycleState"] == "InService")
    remaining = event.get("remaining_capacity_polls", MAX_POLLS) - 1
    event["remaining_capacity_polls"] = remaining
    if healthy < info["DesiredCapacity"] and remaining > 0:
        return Wait(world.poll_seconds, "PollModelReady")
    return "AddModelToLitellm"


def add_model_to_litellm(world: World, execution: Execution) -> str:
    event = execution.event
    model_url = f"{event['modelUrl']}/v1" if event["create_infra"] else None
    params = litellm_params_for(event, model_url, world.litellm_settings)
    answer = world.litellm.add_model(event["modelId"], params)
    litellm_id = (answer.get("model_info") or {}).get("id") or answer.get("id") or answer.get("model_id")
    if not litellm_id:
        raise KeyError(f"Could not find model ID in LiteLLM response: {answer}")
    event["litellm_id"] = litellm_id
    world.tables.update(
        event["modelId"],
        {
            "model_status": "InService",
            "litellm_id": litellm_id,
            "last_modified_date": now_ms(),
            "model_url": params.get("api_base", ""),
            "auto_scaling_group": event.get("autoScalingGroup", ""),
        },
    )
    return "EnrichContextWindow"


def enrich_context_window(world: World, execution: Execution) -> str:
    """Never fails the machine: the container's VLLM_MAX_MODEL_LEN / MAX_TOTAL_TOKENS for a hosted model, else
    LiteLLM's `max_input_tokens` for the registration."""
    event = execution.event
    window: int | None = None
    try:
        if event["create_infra"]:
            environment = (event.get("containerConfig") or {}).get("environment") or {}
            length = environment.get("VLLM_MAX_MODEL_LEN") or environment.get("MAX_TOTAL_TOKENS")
            window = int(length) if length else None
        else:
            info = world.litellm.get_model(event["litellm_id"]).get("model_info", {})
            window = int(info["max_input_tokens"]) if info.get("max_input_tokens") is not None else None
        if window is not None:
            world.tables.update(event["modelId"], {"context_window": window, "last_modified_date": now_ms()})
    except Exception:  # non-blocking, as LISA's
        pass
    return "AddGuardrailsToLitellm"


def add_guardrails_to_litellm(world: World, execution: Execution) -> None:
    event = execution.event
    configs: dict[str, Any] = event.get("guardrailsConfig") or {}
    event["guardrail_ids"] = add_guardrails(world, event["modelId"], configs) if configs else []


def _failure(world: World, execution: Execution, error: Exception) -> None:
    fail_model(world, execution.event.get("modelId"), error, "Create model state machine failed.")


CREATE_MODEL: Final = Machine(
    name="CreateModel",
    first="SetModelToCreating",
    states={
        "SetModelToCreating": set_model_to_creating,
        "StartCreateStack": start_create_stack,
        "PollCreateStack": poll_create_stack,
        "PollModelReady": poll_model_ready,
        "AddModelToLitellm": add_model_to_litellm,
        "EnrichContextWindow": enrich_context_window,
        "AddGuardrailsToLitellm": add_guardrails_to_litellm,
    },
    failure=_failure,
)
