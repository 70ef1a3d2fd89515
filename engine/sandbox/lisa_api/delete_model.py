"""LISA's DeleteModel state machine (`lib/models/state-machine/delete-model.ts`,
`lambda/models/state_machine/delete_model.py`): Deleting, LiteLLM, guardrails, the stack (polled with no limit),
then the record."""

from __future__ import annotations

import uuid
from typing import Final

from engine.sandbox.lisa_api.executions import Execution, Machine, Wait, World, fail_model
from engine.sandbox.lisa_api.guardrails import delete_all
from engine.sandbox.lisa_api.store import now_ms


def set_model_to_deleting(world: World, execution: Execution) -> str:
    event = execution.event
    model_id = event["modelId"]
    item = world.tables.get(model_id, consistent=True)
    if item is None:
        raise RuntimeError(f"Requested model '{model_id}' was not found in DynamoDB table.")
    event["cloudformation_stack_arn"] = item.get("cloudformation_stack_arn")
    event["litellm_id"] = item.get("litellm_id")
    world.tables.update(model_id, {"last_modified_date": now_ms(), "model_status": "Deleting"})
    return "DeleteFromLitellm"


def delete_from_litellm(world: World, execution: Execution) -> str:
    if execution.event["litellm_id"]:
        world.litellm.delete_model(execution.event["litellm_id"])
    return "DeleteGuardrails"


def delete_guardrails(world: World, execution: Execution) -> str:
    execution.event["deleted_guardrails"] = delete_all(world, execution.event["modelId"])
    return "DeleteStack" if execution.event["cloudformation_stack_arn"] else "DeleteFromDdb"


def delete_stack(world: World, execution: Execution) -> str:
    world.cloudformation.delete_stack(
        StackName=execution.event["cloudformation_stack_arn"], ClientRequestToken=str(uuid.uuid4())
    )
    return "MonitorDeleteStack"


def monitor_delete_stack(world: World, execution: Execution) -> str | Wait:
    stacks = world.cloudformation.describe_stacks(StackName=execution.event["cloudformation_stack_arn"])["Stacks"]
    status = stacks[0]["StackStatus"]
    if status == "DELETE_COMPLETE":
        return "DeleteFromDdb"
    if status.endswith("COMPLETE") or status.endswith("FAILED"):
        raise RuntimeError(f"Stack entered unexpected terminal state '{status}'.")
    return Wait(world.poll_seconds, "MonitorDeleteStack")


def delete_from_ddb(world: World, execution: Execution) -> None:
    world.tables.delete(execution.event["modelId"])


def _failure(world: World, execution: Execution, error: Exception) -> None:
    fail_model(world, execution.event.get("modelId"), error, "Delete model state machine failed.")


DELETE_MODEL: Final = Machine(
    name="DeleteModel",
    first="SetModelToDeleting",
    states={
        "SetModelToDeleting": set_model_to_deleting,
        "DeleteFromLitellm": delete_from_litellm,
        "DeleteGuardrails": delete_guardrails,
        "DeleteStack": delete_stack,
        "MonitorDeleteStack": monitor_delete_stack,
        "DeleteFromDdb": delete_from_ddb,
    },
    failure=_failure,
)
