"""PUT /models/{id} runs LISA's UpdateModel machine: what it writes to the record, ECS, Auto Scaling and LiteLLM,
including what LISA does differently from the console (a failed rollout is not rolled back)."""

from __future__ import annotations

import copy

from tests.engine.sandbox.lisa_api.conftest import Api


def test_a_metadata_update_answers_the_record_before_it_and_edits_model_config(api: Api) -> None:
    before = api.record("titan-embed-v2")
    assert before is not None
    status, body = api.call("PUT", "/models/titan-embed-v2", {"modelDescription": "new words", "allowedGroups": ["a"]})
    assert status == 200
    assert body["model"]["modelDescription"] == before["model_config"]["modelDescription"]
    assert body["model"]["status"] == "InService"
    assert api.record("titan-embed-v2")["model_status"] == "Updating"  # type: ignore[index]
    execution = api.run_to_end("titan-embed-v2")
    assert (execution.status, execution.states) == ("SUCCEEDED", ["HandleJobIntake", "HandleFinishUpdate"])
    assert execution.input == {
        "model_id": "titan-embed-v2",
        "update_payload": {
            "autoScalingInstanceConfig": None,
            "enabled": None,
            "modelType": None,
            "modelDescription": "new words",
            "streaming": None,
            "allowedGroups": ["a"],
            "features": None,
            "containerConfig": None,
            "guardrailsConfig": None,
        },
    }
    after = api.record("titan-embed-v2")
    assert after is not None
    expected = copy.deepcopy(before["model_config"])
    expected.update(modelDescription="new words", allowedGroups=["a"])
    assert after["model_config"] == expected
    assert after["model_status"] == "InService"
    assert after["model_description"] == before["model_description"]  # LISA's update leaves the top-level copy
    assert after["last_modified_date"] > before["last_modified_date"]
    assert {k: v for k, v in after.items() if k not in ("model_config", "last_modified_date")} == {
        k: v for k, v in before.items() if k not in ("model_config", "last_modified_date")
    }


def test_a_container_update_rolls_out_a_new_revision(api: Api) -> None:
    model_id = "mistral-7b-instruct"
    ecs = api.sandbox.client("ecs")
    resources = api.sandbox.resources(model_id)
    old = ecs.describe_services(cluster=resources.cluster, services=[resources.service])["services"][0]
    change = {"environment": {"VLLM_MAX_MODEL_LEN": "8192", "MAX_TOTAL_TOKENS": "LISA_MARKED_FOR_DELETION"}}
    status, _ = api.call("PUT", f"/models/{model_id}", {"containerConfig": {**change, "sharedMemorySize": 4096}})
    assert status == 200
    execution = api.run_to_end(model_id)
    assert execution.status == "SUCCEEDED"
    assert execution.states[:3] == ["HandleJobIntake", "HandleEcsUpdate", "HandlePollEcsDeployment"]
    assert "ecs_polling_error" not in execution.event and "ecs_update_error" not in execution.event
    record = api.record(model_id)
    assert record is not None
    assert record["model_status"] == "InService"
    assert record["model_config"]["containerConfig"]["environment"] == {"VLLM_MAX_MODEL_LEN": "8192"}
    assert record["model_config"]["containerConfig"]["sharedMemorySize"] == 4096
    assert record["context_window"] == 8192
    service = ecs.describe_services(cluster=resources.cluster, services=[resources.service])["services"][0]
    assert service["taskDefinition"] == execution.event["new_task_definition_arn"] != old["taskDefinition"]
    container = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
        "containerDefinitions"
    ][0]
    environment = {entry["name"]: entry["value"] for entry in container["environment"]}
    assert environment["VLLM_MAX_MODEL_LEN"] == "8192" and "MAX_TOTAL_TOKENS" not in environment
    assert container["linuxParameters"]["sharedMemorySize"] == 4096
    retired = ecs.describe_task_definition(taskDefinition=old["taskDefinition"])["taskDefinition"]
    assert retired["status"] == "INACTIVE"  # deregistered once the rollout was stable


def test_a_failed_rollout_is_not_rolled_back(api: Api) -> None:
    model_id = "bge-large-en"
    status, _ = api.call("PUT", f"/models/{model_id}", {"containerConfig": {"environment": {"NEW": "1"}}})
    assert status == 200
    execution = api.run_to_end(model_id)
    assert execution.status == "SUCCEEDED"
    assert execution.event["ecs_polling_error"] == f"ECS deployment failed for model '{model_id}'"
    assert execution.states[-1] == "HandleFinishUpdate"
    record = api.record(model_id)
    assert record is not None
    assert record["model_status"] == "InService"  # back to the original status, not Failed
    assert record["model_config"]["containerConfig"]["environment"] == {"NEW": "1"}  # the change stays
    assert "failure_reason" not in record


def test_stop_then_start(api: Api) -> None:
    model_id = "llama3-1-70b-instruct"
    litellm = api.sandbox.litellm
    registered = api.record(model_id)["litellm_id"]  # type: ignore[index]
    assert litellm.get(registered) is not None
    assert api.call("PUT", f"/models/{model_id}", {"enabled": False})[0] == 200
    assert api.record(model_id)["model_status"] == "Stopping"  # type: ignore[index]
    stopped = api.run_to_end(model_id)
    assert stopped.states == ["HandleJobIntake", "HandleFinishUpdate"]
    record = api.record(model_id)
    assert record is not None
    assert (record["model_status"], record["litellm_id"]) == ("Stopped", None)
    assert litellm.get(registered) is None
    group = api.group(model_id)
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 0, 0)

    assert api.call("PUT", f"/models/{model_id}", {"enabled": True})[0] == 200
    assert api.record(model_id)["model_status"] == "Starting"  # type: ignore[index]
    group = api.group(model_id)
    assert (group["MinSize"], group["MaxSize"]) == (2, 4)
    started = api.run_to_end(model_id)
    assert started.status == "SUCCEEDED" and "polling_error" not in started.event
    assert started.states[-1] == "HandleFinishUpdate" and "HandlePollCapacity" in started.states
    record = api.record(model_id)
    assert record is not None
    assert record["model_status"] == "InService"
    entry = litellm.get(record["litellm_id"])
    assert entry is not None and entry.model_name == model_id
    assert entry.litellm_params["api_base"] == record["model_url"]
    assert entry.litellm_params["model"] == f"hosted_vllm/{record['model_config']['modelName']}"


def test_a_start_trusts_auto_scalings_healthy_of_booting_instances(api: Api) -> None:
    """LISA's capacity poll counts instances whose HealthStatus is Healthy, which Auto Scaling reports while they
    boot: a model whose instances will never pass their health checks is put InService (the console waits for
    InService and healthy targets instead)."""
    model_id = "llama3-8b-tgi"
    assert api.call("PUT", f"/models/{model_id}", {"enabled": True})[0] == 200
    execution = api.run_to_end(model_id)
    assert execution.states == ["HandleJobIntake", "HandlePollCapacity", "HandleFinishUpdate"]
    assert "polling_error" not in execution.event
    record = api.record(model_id)
    assert record is not None
    assert record["model_status"] == "InService" and record["litellm_id"]
    assert record["model_config"]["inferenceContainer"] == "tgi"
    entry = api.sandbox.litellm.get(record["litellm_id"])
    assert entry is not None and entry.litellm_params["model"] == f"openai/{record['model_config']['modelName']}"


def test_guardrails_are_replaced_created_and_deleted(api: Api) -> None:
    model_id = "nova-pro"
    _, body = api.call("GET", f"/models/{model_id}")
    current = body["model"]["guardrailsConfig"]
    pii = {**current["guardrail-pii-filter"], "guardrailVersion": "4"}
    new = {"guardrailName": "topics", "guardrailIdentifier": "gr-topics", "mode": "post_call"}
    status, _ = api.call("PUT", f"/models/{model_id}", {"guardrailsConfig": {"a": pii, "b": new}})
    assert status == 200
    execution = api.run_to_end(model_id)
    assert execution.states == ["HandleJobIntake", "HandleUpdateGuardrails", "HandleFinishUpdate"]
    assert execution.event["guardrail_update_summary"] == {"updated": 1, "created": 1, "deleted": 1}
    _, body = api.call("GET", f"/models/{model_id}")
    guardrails = body["model"]["guardrailsConfig"]
    assert set(guardrails) == {"guardrail-pii-filter", "guardrail-topics"}
    assert guardrails["guardrail-pii-filter"]["guardrailVersion"] == "4"
    names = {g.guardrail_name: g for g in api.sandbox.litellm.guardrails()}
    assert "harmful-content-nova-pro" not in names
    assert names["topics-nova-pro"].litellm_params["mode"] == "post_call"
    assert names["pii-filter-nova-pro"].litellm_params["guardrailVersion"] == "4"
    assert api.record(model_id)["model_status"] == "InService"  # type: ignore[index]


def test_a_stop_of_a_third_party_model_passes_the_handler_and_fails_in_the_machine(api: Api) -> None:
    """LISA's update handler checks `enabled` against the status only; its job intake then refuses a model without
    an Auto Scaling group, and HandleFailure marks it Failed."""
    model_id = "sdxl-image"
    assert api.call("PUT", f"/models/{model_id}", {"enabled": False})[0] == 200
    execution = api.run_to_end(model_id)
    assert (execution.status, execution.states) == ("FAILED", ["HandleJobIntake"])
    record = api.record(model_id)
    assert record is not None
    assert record["model_status"] == "Failed"
    assert record["failure_reason"] == "Cannot request AutoScaling updates to models that are not hosted by LISA."
    assert record["litellm_id"]  # still registered: the intake failed before it unregistered anything
