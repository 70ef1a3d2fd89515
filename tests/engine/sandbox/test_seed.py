"""What the sandbox deployment looks like after start-up, read through boto3 like the engine reads AWS."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from engine.sandbox.catalog import CATALOG
from engine.sandbox.constants import SANDBOX_PREFIX
from engine.sandbox.schedules import seed_schedule
from engine.sandbox.seed import stored_config
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.instance_types import gpu_count
from engine.schema.record import ModelRecord

HOSTED_WITH_STACK = [m for m in CATALOG if m.is_hosted and m.stack == "complete"]
STABLE_HOSTED = [m for m in HOSTED_WITH_STACK if m.status in (ModelStatus.IN_SERVICE, ModelStatus.DELETING)]


def items(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    deserializer = TypeDeserializer()
    pages = sandbox.client("dynamodb").get_paginator("scan").paginate(TableName=sandbox.table_name)
    rows = [{k: deserializer.deserialize(v) for k, v in item.items()} for page in pages for item in page["Items"]]
    return {row["model_id"]: row for row in rows}


def test_deployment_is_discoverable_from_its_prefix(shared_sandbox: Sandbox) -> None:
    ssm = shared_sandbox.client("ssm")
    names = ["modelTableName", "lisaServeRestApiUri", "appManagementKeySecretName", "managementKeySecretName"]
    response = ssm.get_parameters(Names=[f"{SANDBOX_PREFIX}/{name}" for name in names])
    values = {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in response["Parameters"]}
    assert set(values) == set(names)
    assert values["modelTableName"] == shared_sandbox.table_name
    assert values["lisaServeRestApiUri"] == shared_sandbox.litellm.url
    assert values["appManagementKeySecretName"] == values["managementKeySecretName"]
    secret = shared_sandbox.client("secretsmanager").get_secret_value(SecretId=values["appManagementKeySecretName"])
    assert secret["SecretString"] == shared_sandbox.management_key

    table = shared_sandbox.client("dynamodb").describe_table(TableName=values["modelTableName"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "model_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    request = urllib.request.Request(values["lisaServeRestApiUri"] + "/v2/serve/model/info")
    request.add_header("Authorization", secret["SecretString"])
    with urllib.request.urlopen(request, timeout=5) as response:
        assert len(json.loads(response.read())["data"]) == len(shared_sandbox.litellm.registered())


def test_endpoint_and_credentials(shared_sandbox: Sandbox) -> None:
    assert shared_sandbox.endpoint_url.startswith("http://127.0.0.1:")
    assert shared_sandbox.region == "us-east-1"
    assert shared_sandbox.deployment_name == "lisa"
    identity = shared_sandbox.client("sts").get_caller_identity()
    assert identity["Account"] == shared_sandbox.account_id


def test_seeded_models_and_statuses(shared_sandbox: Sandbox) -> None:
    rows = items(shared_sandbox)
    assert {model_id: row["model_status"] for model_id, row in rows.items()} == {
        m.model_id: m.status.value for m in CATALOG
    }


def test_items_are_in_lisas_stored_format(shared_sandbox: Sandbox) -> None:
    registered = {entry.id: entry for entry in shared_sandbox.litellm.registered()}
    for model_id, row in items(shared_sandbox).items():
        record = ModelRecord.from_item(row)
        model = next(m for m in CATALOG if m.model_id == model_id)
        expected = stored_config(model.config)
        if record.auto_scaling_group:  # a schedule is stored with its actions' ARNs on the group, as LISA does
            seed_schedule(
                model_id, expected, record.auto_scaling_group, shared_sandbox.region, shared_sandbox.account_id
            )
        assert record.config == expected
        assert set(record.config) >= set(model.config) | {"modelUrl", "apiKey", "features", "allowedGroups"}
        if model.is_hosted:
            assert "environment" in record.config["containerConfig"]  # LISA's UpdateModel reads it as a key
        assert isinstance(record.last_modified_date, int)
        assert record.last_modified_date > 1_700_000_000_000
        assert record.model_description
        if model.status is ModelStatus.CREATING:
            assert record.model_url is None
            assert record.cloudformation_stack_name is None
            continue
        if model.is_hosted:
            assert record.cloudformation_stack_name == f"lisa-{model_id}"
            assert record.cloudformation_stack_arn
            assert record.cloudformation_stack_arn.startswith("arn:aws:cloudformation:us-east-1:")
        if model.is_hosted and model.status is not ModelStatus.FAILED:
            assert record.model_url
            assert record.model_url.startswith("http://")
            assert record.model_url.endswith(".elb.amazonaws.com/v1")
            assert record.auto_scaling_group == shared_sandbox.resources(model_id).auto_scaling_group
        if not model.is_hosted:
            assert record.model_url == ""
            assert record.auto_scaling_group == ""
        if model.status in (ModelStatus.IN_SERVICE, ModelStatus.UPDATING):
            assert record.litellm_id in registered
            assert registered[record.litellm_id].model_name == model_id
        elif model.status in (ModelStatus.STOPPED, ModelStatus.STOPPING, ModelStatus.STARTING):
            assert "litellm_id" in row
            assert record.litellm_id is None
        if model.status is ModelStatus.FAILED:
            assert record.failure_reason == model.failure_reason


def test_registry_holds_every_in_service_model_with_lisas_params(shared_sandbox: Sandbox) -> None:
    rows = items(shared_sandbox)
    registered = {entry.model_name: entry for entry in shared_sandbox.litellm.registered()}
    expected = {m.model_id for m in CATALOG if m.status in (ModelStatus.IN_SERVICE, ModelStatus.UPDATING)}
    assert set(registered) == expected
    assert registered["claude-3-5-sonnet"].litellm_params == {
        "model": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "drop_params": True,
    }
    assert registered["mistral-7b-instruct"].litellm_params == {
        "model": "hosted_vllm/mistralai/Mistral-7B-Instruct-v0.2",
        "api_base": rows["mistral-7b-instruct"]["model_url"],
        "drop_params": True,
    }
    assert registered["bge-large-en"].litellm_params["model"] == "openai/BAAI/bge-large-en-v1.5"
    assert registered["bge-large-en"].litellm_params["api_base"] == rows["bge-large-en"]["model_url"]
    for model_id, entry in registered.items():
        assert rows[model_id]["litellm_id"] == entry.id


@pytest.mark.parametrize("model", HOSTED_WITH_STACK, ids=lambda m: m.model_id)
def test_each_hosted_model_has_its_stack(shared_sandbox: Sandbox, model: Any) -> None:
    cloudformation = shared_sandbox.client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=f"lisa-{model.model_id}")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resources = shared_sandbox.resources(model.model_id)
    assert outputs["autoScalingGroup"] == resources.auto_scaling_group
    assert outputs["modelEndpointUrl"].startswith("http://")
    assert outputs["modelEndpointUrl"] + "/v1" == resources.model_url
    listed = cloudformation.describe_stack_resources(StackName=stack["StackName"])["StackResources"]
    types = {r["ResourceType"] for r in listed}
    assert {
        "AWS::ECS::Cluster",
        "AWS::ECS::TaskDefinition",
        "AWS::ECS::Service",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::AutoScalingGroup",
    } <= types
    service_arn = next(r["PhysicalResourceId"] for r in listed if r["ResourceType"] == "AWS::ECS::Service")
    cluster = next(r["PhysicalResourceId"] for r in listed if r["ResourceType"] == "AWS::ECS::Cluster")

    ecs = shared_sandbox.client("ecs")
    service = ecs.describe_services(cluster=cluster, services=[service_arn])["services"][0]
    assert service["schedulingStrategy"] == "DAEMON"
    task_definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    container = task_definition["containerDefinitions"][0]
    config = model.config["containerConfig"]
    assert container["image"] == config["image"]["baseImage"]
    assert container["linuxParameters"]["sharedMemorySize"] == config["sharedMemorySize"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    expected_environment = config["environment"]  # the service runs the newest revision (Updating: rolling out)
    assert expected_environment.items() <= environment.items()
    assert environment["MODEL_NAME"] == model.config["modelName"]
    assert container["healthCheck"]["command"] == config["healthCheckConfig"]["command"]
    assert container["healthCheck"]["startPeriod"] == config["healthCheckConfig"]["startPeriod"]
    assert container["memoryReservation"] > 0
    assert container["resourceRequirements"] == [{"type": "GPU", "value": str(gpu_count(model.config["instanceType"]))}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == f"/lisa/{model.model_id}"
    iam = shared_sandbox.client("iam")
    roles = {
        r["LogicalResourceId"]: iam.get_role(RoleName=r["PhysicalResourceId"])["Role"]["Arn"]
        for r in listed
        if r["ResourceType"] == "AWS::IAM::Role"
    }
    assert task_definition["taskRoleArn"] == roles["TaskRole"], "the stack's own role (an Updating model's too)"
    assert task_definition["executionRoleArn"] == roles["ExecutionRole"]

    group = shared_sandbox.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[outputs["autoScalingGroup"]]
    )["AutoScalingGroups"][0]
    capacity = model.capacity()
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (
        capacity.min,
        capacity.max,
        capacity.desired,
    )
    assert group["DefaultCooldown"] == model.config["autoScalingConfig"]["cooldown"]
    assert group["DefaultInstanceWarmup"] == model.config["autoScalingConfig"]["defaultInstanceWarmup"]
    assert group["LaunchTemplate"]["LaunchTemplateName"] == resources.launch_template


def test_stopped_model_keeps_its_config_with_an_empty_group(shared_sandbox: Sandbox) -> None:
    row = items(shared_sandbox)["llama3-8b-tgi"]
    assert (
        row["model_config"]["autoScalingConfig"]["minCapacity"],
        row["model_config"]["autoScalingConfig"]["maxCapacity"],
    ) == (1, 2)
    group = shared_sandbox.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[row["auto_scaling_group"]]
    )["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"], group["Instances"]) == (0, 0, 0, [])


def test_failed_model_left_a_rolled_back_stack(shared_sandbox: Sandbox) -> None:
    row = items(shared_sandbox)["broken-model"]
    stack = shared_sandbox.client("cloudformation").describe_stacks(StackName=row["cloudformation_stack_arn"])
    assert stack["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "auto_scaling_group" not in row
    assert row["failure_reason"]


@pytest.mark.parametrize("model", STABLE_HOSTED, ids=lambda m: m.model_id)
def test_initial_services_are_stable(shared_sandbox: Sandbox, model: Any) -> None:
    resources = shared_sandbox.resources(model.model_id)
    service = shared_sandbox.client("ecs").describe_services(cluster=resources.cluster, services=[resources.service])[
        "services"
    ][0]
    (deployment,) = service["deployments"]
    assert deployment["status"] == "PRIMARY"
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["taskDefinition"] == service["taskDefinition"]
    group = shared_sandbox.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[resources.auto_scaling_group]
    )["AutoScalingGroups"][0]
    healthy = [i for i in group["Instances"] if i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy"]
    assert len(healthy) == group["DesiredCapacity"] == model.capacity().desired
    assert deployment["runningCount"] == deployment["desiredCount"] == len(healthy)
    assert (service["runningCount"], service["desiredCount"], service["pendingCount"]) == (
        len(healthy),
        len(healthy),
        0,
    )
    assert service["events"][0]["message"] == f"(service {resources.service}) has reached a steady state."
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"] is True
