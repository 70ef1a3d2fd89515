"""LISA's UpdateModel state machine (`lib/models/state-machine/update-model.ts`,
`lambda/models/state_machine/update_model.py`): job intake, ECS update and poll, guardrails, capacity poll for a
start, finish. What it writes, and what it leaves: a failed ECS rollout is not rolled back (`ecs_polling_error` in
the execution's payload, the status back to the original), a start whose capacity never comes is scaled to 0/0/0
and Stopped.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Final

from engine.sandbox.lisa_api.executions import MAX_POLLS, Execution, Machine, Wait, World, fail_model
from engine.sandbox.lisa_api.guardrails import update_guardrails
from engine.sandbox.lisa_api.store import now_ms

MARKED_FOR_DELETION: Final = "LISA_MARKED_FOR_DELETION"
METADATA_FIELDS: Final = ("modelType", "streaming", "modelDescription", "allowedGroups", "features")
HEALTH_CHECK_FIELDS: Final = {
    "healthCheckCommand": "command",
    "healthCheckInterval": "interval",
    "healthCheckTimeout": "timeout",
    "healthCheckStartPeriod": "startPeriod",
    "healthCheckRetries": "retries",
}


def _container_update(model_config: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Edit `containerConfig` in place as LISA does (the request's environment replaces the stored one, minus the
    variables marked for deletion); returns what the ECS update needs to know."""
    metadata: dict[str, Any] = {}
    container = model_config["containerConfig"]
    if update.get("environment") is not None:
        environment = dict(update["environment"])
        doomed = [key for key, value in environment.items() if value == MARKED_FOR_DELETION]
        for key in doomed:
            del environment[key]
        container["environment"] = environment
        if doomed:
            metadata["env_vars_to_delete"] = doomed
        length = environment.get("VLLM_MAX_MODEL_LEN") or environment.get("MAX_TOTAL_TOKENS")
        if length is not None:
            with contextlib.suppress(TypeError, ValueError):
                metadata["context_window"] = int(length)
        elif any(key in doomed for key in ("VLLM_MAX_MODEL_LEN", "MAX_TOTAL_TOKENS")):
            metadata["context_window"] = None
    if update.get("sharedMemorySize") is not None:
        container["sharedMemorySize"] = update["sharedMemorySize"]
    checks = {name: update[key] for key, name in HEALTH_CHECK_FIELDS.items() if update.get(key) is not None}
    if checks:
        container.setdefault("healthCheckConfig", {}).update(checks)
    return metadata


def job_intake(world: World, execution: Execution) -> str:
    event = execution.event
    model_id = event["model_id"]
    payload = event["update_payload"]
    item = world.tables.get(model_id, consistent=True)
    if item is None:
        raise RuntimeError(f"Requested model '{model_id}' was not found in DynamoDB table.")
    model_config = item["model_config"]
    status = item["model_status"]
    group = item.get("auto_scaling_group")
    event["asg_name"] = group
    if group:
        event["model_warmup_seconds"] = model_config["autoScalingConfig"]["metricConfig"]["estimatedInstanceWarmup"]
    activation = payload.get("enabled") is not None
    enable = bool(payload.get("enabled"))
    disable = activation and not enable
    scaling = payload.get("autoScalingInstanceConfig")
    if not group and (activation or scaling is not None):
        raise RuntimeError("Cannot request AutoScaling updates to models that are not hosted by LISA.")
    if activation and scaling is not None:
        raise RuntimeError(
            "Cannot request AutoScaling updates at the same time as an enable or disable operation. "
            "Please perform those as two separate actions."
        )
    values: dict[str, Any] = {"model_status": "Updating", "last_modified_date": now_ms()}
    remove: list[str] = []
    if enable:
        values["model_status"] = "Starting"
        world.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=group,
            MinSize=int(model_config["autoScalingConfig"]["minCapacity"]),
            MaxSize=int(model_config["autoScalingConfig"]["maxCapacity"]),
        )
    elif disable:
        world.litellm.delete_model(item["litellm_id"])
        values["litellm_id"] = None
        values["model_status"] = "Stopping"
        world.autoscaling.update_auto_scaling_group(AutoScalingGroupName=group, MinSize=0, MaxSize=0, DesiredCapacity=0)
    if scaling is not None:
        _stage_scaling(world, model_config, scaling, group if status == "InService" else None)
    changed = scaling is not None
    metadata: dict[str, Any] = {}
    for name in METADATA_FIELDS:
        if payload.get(name) is not None:
            model_config[name] = payload[name]
            changed = True
    if payload.get("containerConfig") is not None:
        metadata = _container_update(model_config, payload["containerConfig"])
        changed = True
    if changed:
        model_config.pop("guardrailsConfig", None)
        values["model_config"] = model_config
    if metadata:
        event["container_metadata"] = metadata
        if "context_window" in metadata:
            if metadata["context_window"] is not None:
                values["context_window"] = metadata["context_window"]
            else:
                remove.append("context_window")
    world.tables.update(model_id, values, remove)
    event["has_capacity_update"] = enable
    event["is_disable"] = disable
    event["needs_ecs_update"] = (
        payload.get("containerConfig") is not None and group is not None and status == "InService"
    )
    event["needs_guardrails_update"] = payload.get("guardrailsConfig") is not None
    event["initial_model_status"] = status
    event["current_model_status"] = values["model_status"]
    if event["needs_ecs_update"]:
        return "HandleEcsUpdate"
    return _after_ecs(event)


def _stage_scaling(world: World, model_config: dict[str, Any], scaling: dict[str, Any], group: str | None) -> None:
    """min/max/cooldown/warmup written into `model_config`; the group updated only when the model is InService."""
    stored = model_config["autoScalingConfig"]
    for name in ("minCapacity", "maxCapacity", "cooldown", "defaultInstanceWarmup"):
        if scaling.get(name):
            stored[name] = int(scaling[name])
    if group is None:
        return
    arguments: dict[str, Any] = {"AutoScalingGroupName": group}
    for name, argument in (
        ("minCapacity", "MinSize"),
        ("maxCapacity", "MaxSize"),
        ("desiredCapacity", "DesiredCapacity"),
        ("cooldown", "DefaultCooldown"),
        ("defaultInstanceWarmup", "DefaultInstanceWarmup"),
    ):
        if scaling.get(name):
            arguments[argument] = int(scaling[name])
    world.autoscaling.update_auto_scaling_group(**arguments)


def _after_ecs(event: dict[str, Any]) -> str:
    if event["needs_guardrails_update"]:
        return "HandleUpdateGuardrails"
    return _after_guardrails(event)


def _after_guardrails(event: dict[str, Any]) -> str:
    return "HandlePollCapacity" if event["has_capacity_update"] else "HandleFinishUpdate"


def ecs_update(world: World, execution: Execution) -> str:
    """A new task definition revision (the stored environment, minus deletions; shared memory; health check) and
    the service moved to it. Errors are recorded in the payload only, as LISA does."""
    event = execution.event
    try:
        item = world.tables.get(event["model_id"]) or {}
        stack = item.get("cloudformation_stack_name")
        if not stack:
            raise RuntimeError(f"No CloudFormation stack found for model '{event['model_id']}'")
        resources = world.cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
        service = next((r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::ECS::Service"), None)
        cluster = next((r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::ECS::Cluster"), None)
        if not service or not cluster:
            raise RuntimeError(f"Could not find ECS service or cluster in stack {stack}")
        current = world.ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
        container = item["model_config"]["containerConfig"]
        doomed = (event.get("container_metadata") or {}).get("env_vars_to_delete", [])
        new_arn = _register_revision(world, current, container["environment"], doomed, container)
        world.ecs.update_service(cluster=cluster, service=service, taskDefinition=new_arn)
        event.update(
            old_task_definition_arn=current,
            new_task_definition_arn=new_arn,
            ecs_service_arn=service,
            ecs_cluster_arn=cluster,
            remaining_ecs_polls=MAX_POLLS,
        )
    except Exception as error:
        event["ecs_update_error"] = str(error)
    return "HandlePollEcsDeployment"


def _register_revision(
    world: World, current: str, environment: dict[str, str], doomed: list[str], container: dict[str, Any]
) -> str:
    definition = world.ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
    revision: dict[str, Any] = {"family": definition["family"], "volumes": definition.get("volumes", [])}
    for key in ("taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities"):
        if definition.get(key):
            revision[key] = definition[key]
    for key in ("cpu", "memory"):
        if definition.get(key) is not None:
            revision[key] = str(definition[key])
    revision["containerDefinitions"] = []
    for original in definition["containerDefinitions"]:
        changed = copy.deepcopy(original)
        merged = {entry["name"]: entry["value"] for entry in original.get("environment", [])}
        merged.update(environment)
        for name in doomed:
            merged.pop(name, None)
        changed["environment"] = [{"name": key, "value": value} for key, value in merged.items()]
        if container.get("sharedMemorySize") is not None:
            changed.setdefault("linuxParameters", {})["sharedMemorySize"] = int(container["sharedMemorySize"])
        check = container.get("healthCheckConfig")
        if check:
            health = changed.get("healthCheck", {})
            if check.get("command") is not None:
                health["command"] = check["command"]
            for key in ("interval", "timeout", "startPeriod", "retries"):
                if check.get(key) is not None:
                    health[key] = int(check[key])
            changed["healthCheck"] = health
        revision["containerDefinitions"].append(changed)
    registered = world.ecs.register_task_definition(**revision)
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def poll_ecs_deployment(world: World, execution: Execution) -> str | Wait:
    event = execution.event
    if event.get("ecs_update_error"):
        event["should_continue_ecs_polling"] = False
        return _after_ecs(event)
    model_id, new_arn = event["model_id"], event["new_task_definition_arn"]
    try:
        services = world.ecs.describe_services(cluster=event["ecs_cluster_arn"], services=[event["ecs_service_arn"]])
        if not services["services"]:
            raise RuntimeError(f"ECS service {event['ecs_service_arn']} not found")
        deployment = next(
            (d for d in services["services"][0]["deployments"] if d["taskDefinition"] == new_arn),
            None,
        )
        stable = deployment is not None
        if deployment is not None:
            if deployment.get("rolloutState") == "FAILED" and deployment["status"] == "PRIMARY":
                event["ecs_polling_error"] = f"ECS deployment failed for model '{model_id}'"
                event["should_continue_ecs_polling"] = False
                return _after_ecs(event)
            running, pending = deployment.get("runningCount", 0), deployment.get("pendingCount", 0)
            stable = deployment["status"] == "PRIMARY" and pending == 0 and running > 0
        remaining = event.get("remaining_ecs_polls", MAX_POLLS) - 1
        event["remaining_ecs_polls"] = remaining
        if remaining <= 0 and not stable:
            event["ecs_polling_error"] = f"ECS deployment did not complete within expected time for model '{model_id}'"
            event["should_continue_ecs_polling"] = False
            return _after_ecs(event)
        event["should_continue_ecs_polling"] = not stable
        if not stable:
            return Wait(world.poll_seconds, "HandlePollEcsDeployment")
        with contextlib.suppress(Exception):  # cleanup only, as LISA's
            world.ecs.deregister_task_definition(taskDefinition=event["old_task_definition_arn"])
    except Exception as error:
        event["ecs_polling_error"] = f"Error polling ECS deployment: {error}"
        event["should_continue_ecs_polling"] = False
    return _after_ecs(event)


def guardrails(world: World, execution: Execution) -> str:
    event = execution.event
    update_guardrails(world, event["model_id"], event["update_payload"]["guardrailsConfig"], event)
    return _after_guardrails(event)


def poll_capacity(world: World, execution: Execution) -> Wait:
    event = execution.event
    group = world.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[event["asg_name"]])
    info = group["AutoScalingGroups"][0]
    healthy = sum(1 for instance in info["Instances"] if instance["HealthStatus"] == "Healthy")
    remaining = event.get("remaining_capacity_polls", MAX_POLLS) - 1
    if remaining <= 0:
        event["polling_error"] = (
            f"Model '{event['model_id']}' did not start healthy instances in expected amount of time."
        )
    event["should_continue_capacity_polling"] = info["DesiredCapacity"] != healthy and remaining > 0
    event["remaining_capacity_polls"] = remaining
    if event["should_continue_capacity_polling"]:
        return Wait(world.poll_seconds, "HandlePollCapacity")
    warmup = min(float(event.get("model_warmup_seconds") or 0), world.warmup_seconds)
    return Wait(warmup, "HandleFinishUpdate")


def finish_params(item: dict[str, Any], settings: dict[str, Any] | None) -> dict[str, Any]:
    """HandleFinishUpdate's `litellm_params`: the deployment's `litellm_settings` (none for videogen), the hosted
    provider prefix, `api_base` the stored model_url."""
    config = item.get("model_config", {})
    params: dict[str, Any] = {} if str(config.get("modelType", "")).upper() == "VIDEOGEN" else dict(settings or {})
    name = str(config["modelName"])
    if str(config.get("inferenceContainer") or "").lower() == "vllm":
        params["model"] = f"hosted_vllm/{name}"
    else:
        params["model"] = f"openai/{name.removeprefix('openai/')}"
    params["api_base"] = item["model_url"]
    return params


def finish_update(world: World, execution: Execution) -> None:
    event = execution.event
    model_id = event["model_id"]
    item = world.tables.get(model_id, consistent=True)
    if item is None:
        raise KeyError("Item")
    params = finish_params(item, dict(world.litellm_settings) if world.litellm_settings is not None else None)
    values: dict[str, Any] = {"last_modified_date": now_ms()}
    if event.get("polling_error"):
        world.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=event["asg_name"], MinSize=0, MaxSize=0, DesiredCapacity=0
        )
        values["model_status"] = "Stopped"
    elif event["is_disable"]:
        values["model_status"] = "Stopped"
    elif event["has_capacity_update"]:
        values["model_status"] = "InService"
        litellm_id = world.litellm.add_model(model_id, params)["model_info"]["id"]
        event["litellm_id"] = litellm_id
        values["litellm_id"] = litellm_id
    else:
        values["model_status"] = event["initial_model_status"]
    world.tables.update(model_id, values)
    event["current_model_status"] = values["model_status"]


def _failure(world: World, execution: Execution, error: Exception) -> None:
    fail_model(world, execution.event.get("model_id"), error, "Update model state machine failed.")


UPDATE_MODEL: Final = Machine(
    name="UpdateModel",
    first="HandleJobIntake",
    states={
        "HandleJobIntake": job_intake,
        "HandleEcsUpdate": ecs_update,
        "HandlePollEcsDeployment": poll_ecs_deployment,
        "HandleUpdateGuardrails": guardrails,
        "HandlePollCapacity": poll_capacity,
        "HandleFinishUpdate": finish_update,
    },
    failure=_failure,
)
