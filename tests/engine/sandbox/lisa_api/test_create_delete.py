"""POST /models (CreateModel), DELETE /models/{id} (DeleteModel) and PUT /models/{id}/context-window through the
sandbox's LISA API: what LISA's handlers answer and write, and what its machines do next."""

from __future__ import annotations

import copy
import json
from typing import Any

from engine.sandbox.catalog import CATALOG
from tests.engine.sandbox.lisa_api.conftest import Api

THIRD_PARTY: dict[str, Any] = {
    "modelId": "haiku-3",
    "modelName": "bedrock/anthropic.claude-3-haiku",
    "modelType": "textgen",
    "streaming": True,
    "apiKey": "sk-third-party",
    "guardrailsConfig": {"g": {"guardrailName": "pii", "guardrailIdentifier": "gr-1", "description": "no PII"}},
}


def _hosted_request(model_id: str) -> dict[str, Any]:
    """A LISA-hosted create request made from a seeded model's stored configuration."""
    seeded = next(m for m in CATALOG if m.model_id == "mistral-7b-instruct")
    request = copy.deepcopy(dict(seeded.config))
    request.update(modelId=model_id, hostingType="lisa_hosted")
    request["containerConfig"]["environment"] = {"VLLM_MAX_MODEL_LEN": "4096"}
    return request


def test_a_third_party_create_is_in_service_with_its_litellm_registration(api: Api) -> None:
    api.sandbox.litellm.knows_model(THIRD_PARTY["modelName"], 200000)
    status, body = api.call("POST", "/models", THIRD_PARTY)
    assert status == 200
    assert body["model"]["status"] == "Creating"
    assert body["model"]["guardrailsConfig"]["g"]["guardrailName"] == "pii"
    written = api.record("haiku-3")
    assert written is not None
    assert written["model_status"] == "Creating"
    assert written["model_config"] == {
        "autoScalingConfig": None,
        "containerConfig": None,
        "inferenceContainer": None,
        "instanceType": None,
        "loadBalancerConfig": None,
        "modelId": "haiku-3",
        "modelName": "bedrock/anthropic.claude-3-haiku",
        "modelDescription": None,
        "modelType": "textgen",
        "modelUrl": None,
        "streaming": True,
        "features": None,
        "allowedGroups": None,
        "apiKey": "sk-third-party",
        "hostingType": "third_party",
    }
    execution = api.run_to_end("haiku-3")
    assert execution.states == [
        "SetModelToCreating",
        "AddModelToLitellm",
        "EnrichContextWindow",
        "AddGuardrailsToLitellm",
    ]
    record = api.record("haiku-3")
    assert record is not None
    assert record["model_status"] == "InService"
    assert (record["model_url"], record["auto_scaling_group"], record["context_window"]) == ("", "", 200000)
    entry = api.sandbox.litellm.get(record["litellm_id"])
    assert entry is not None and entry.model_name == "haiku-3"
    assert entry.litellm_params == {"drop_params": True, "api_key": "sk-third-party", "model": THIRD_PARTY["modelName"]}
    _, body = api.call("GET", "/models/haiku-3")
    assert body["model"]["guardrailsConfig"]["guardrail-pii"]["guardrailIdentifier"] == "gr-1"
    assert any(g.guardrail_name == "pii-haiku-3" for g in api.sandbox.litellm.guardrails())


def test_create_refusals(api: Api) -> None:
    assert api.call("POST", "/models", {**THIRD_PARTY, "modelId": "nova-pro"}) == (
        409,
        {"detail": "Model 'nova-pro' already exists. Please select another name."},
    )
    assert api.call("POST", "/models", {**THIRD_PARTY, "modelId": "by-user"}, token="user") == (
        403,
        {"detail": "User does not have permission to create models."},
    )
    status, body = api.call("POST", "/models", {**THIRD_PARTY, "modelId": "half", "instanceType": "g5.xlarge"})
    assert status == 422
    assert body["detail"][0]["msg"] == (
        "Value error, All of the following fields must be defined if creating a LISA-hosted model: "
        "autoScalingConfig, containerConfig, inferenceContainer, instanceType, and loadBalancerConfig"
    )
    status, body = api.call("POST", "/models", {"modelName": "x", "modelType": "textgen"})
    assert status == 422 and body["detail"][0]["loc"] == ["body", "modelId"]
    assert api.record("by-user") is None and api.record("half") is None


def test_a_lisa_hosted_create_deploys_its_stack(api: Api) -> None:
    status, _ = api.call("POST", "/models", _hosted_request("mistral-copy"))
    assert status == 200
    execution = api.run_to_end("mistral-copy")
    assert execution.status == "SUCCEEDED", execution.error
    assert execution.states[:3] == ["SetModelToCreating", "StartCreateStack", "PollCreateStack"]
    record = api.record("mistral-copy")
    assert record is not None
    assert record["model_status"] == "InService"
    assert record["cloudformation_stack_name"] == "lisa-mistral-copy"
    assert record["auto_scaling_group"] and record["model_url"].endswith("/v1")
    assert record["context_window"] == 4096
    stack = api.sandbox.client("cloudformation").describe_stacks(StackName=record["cloudformation_stack_arn"])
    assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    entry = api.sandbox.litellm.get(record["litellm_id"])
    assert entry is not None
    assert entry.litellm_params["api_base"] == record["model_url"]
    assert entry.litellm_params["model"] == "hosted_vllm/mistralai/Mistral-7B-Instruct-v0.2"


def test_delete_of_a_third_party_model(api: Api) -> None:
    registered = api.record("claude-3-5-sonnet")["litellm_id"]  # type: ignore[index]
    status, body = api.call("DELETE", "/models/claude-3-5-sonnet")
    assert status == 200 and body["model"]["modelId"] == "claude-3-5-sonnet"
    assert api.record("claude-3-5-sonnet")["model_status"] == "Deleting"  # type: ignore[index]
    execution = api.run_to_end("claude-3-5-sonnet")
    assert execution.states == ["SetModelToDeleting", "DeleteFromLitellm", "DeleteGuardrails", "DeleteFromDdb"]
    assert api.record("claude-3-5-sonnet") is None
    assert api.sandbox.litellm.get(registered) is None


def test_delete_of_a_hosted_model_removes_its_stack(api: Api) -> None:
    stack_arn = api.record("gemma-2-9b-it")["cloudformation_stack_arn"]  # type: ignore[index]
    assert api.call("DELETE", "/models/gemma-2-9b-it")[0] == 200  # any status: LISA's delete does not check it
    execution = api.run_to_end("gemma-2-9b-it")
    assert execution.states[-3:] == ["DeleteStack", "MonitorDeleteStack", "DeleteFromDdb"]
    assert api.record("gemma-2-9b-it") is None
    stacks = api.sandbox.client("cloudformation").describe_stacks(StackName=stack_arn)["Stacks"]
    assert stacks[0]["StackStatus"] == "DELETE_COMPLETE"


def test_delete_refusals(api: Api) -> None:
    assert api.call("DELETE", "/models/cohere-embed-english-v3") == (
        409,
        {
            "detail": "Model 'cohere-embed-english-v3' is currently in use by: repository 'engineering-docs' "
            "(repository), collection 'design-notes' in repository 'engineering-docs'. Please remove the model "
            "from all resources before deleting."
        },
    )
    assert api.call("DELETE", "/models/ghost") == (404, {"detail": "Model 'ghost' was not found"})
    assert api.call("DELETE", "/models/nova-pro", token="user") == (
        403,
        {"detail": "User does not have permission to delete models"},
    )
    assert api.record("cohere-embed-english-v3")["model_status"] == "InService"  # type: ignore[index]


def test_context_window(api: Api) -> None:
    status, body = api.call("PUT", "/models/titan-embed-v2/context-window", {"contextWindow": 8000})
    assert status == 200 and body["model"]["contextWindow"] == 8000
    assert api.record("titan-embed-v2")["context_window"] == 8000  # type: ignore[index]
    assert api.call("PUT", "/models/ghost/context-window", {"contextWindow": 8000}) == (
        404,
        {"detail": "Model ghost not found"},
    )
    assert api.call("PUT", "/models/titan-embed-v2/context-window", {"contextWindow": 0})[0] == 422
    assert api.call("PUT", "/models/titan-embed-v2/context-window", {"contextWindow": 9}, token="user") == (
        403,
        {"detail": "User does not have permission to update context window"},
    )


def test_each_change_is_an_execution_of_the_deployments_state_machine(api: Api) -> None:
    sfn = api.sandbox.client("stepfunctions")
    machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    assert set(machines) == {"CreateModelSM-lisa", "UpdateModelSM-lisa", "DeleteModelSM-lisa"}
    assert api.call("PUT", "/models/nova-pro", {"streaming": False})[0] == 200
    execution = api.run_to_end("nova-pro")
    listed = sfn.list_executions(stateMachineArn=machines["UpdateModelSM-lisa"])["executions"]
    found = next(e for e in listed if e["name"] == execution.name)
    described = sfn.describe_execution(executionArn=found["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == {
        "model_id": "nova-pro",
        "update_payload": execution.input["update_payload"],
    }
    assert json.loads(described["output"])["initial_model_status"] == "InService"
    history = sfn.get_execution_history(executionArn=found["executionArn"])["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"] == "TaskStateEntered"]
    assert entered == ["HandleJobIntake", "HandleFinishUpdate"]
    assert history[-1]["type"] == "ExecutionSucceeded"
