"""The create job end to end on the sandbox, through the engine's runner: third-party, internal and LISA-hosted
models, refusals that write nothing, and failures that leave the model Failed with what was made named."""

from __future__ import annotations

from typing import Any

import pytest
from moto.cloudformation.models import Event, cloudformation_backends

from engine.aws.discovery import deployment_name
from engine.aws.errors import ModelAlreadyExists
from engine.errors import InvalidInput, ModelNotFound
from engine.jobs.context import JobSettings
from engine.jobs.create_job import ecr_reference, plan_create, validate_create
from engine.jobs.events import JobEvent, StepState
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.sandbox.catalog import hosted
from engine.sandbox.constants import SANDBOX_DEPLOYMENT_NAME
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_create, parse_update
from engine.stack_template import resource_names
from tests.engine.jobs.sandbox_world import FAST, World

SONNET_V2 = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"


def create(world: World, runner: JobRunner, request: dict[str, Any], settings: JobSettings = FAST) -> JobResult:
    handle = runner.submit_create(world.aws, parse_create(request), settings=settings, listeners=(world.listen,))
    return handle.result(timeout=120)


def new_hosted(model_id: str, **overrides: Any) -> dict[str, Any]:
    config = hosted(
        model_id,
        "Qwen/Qwen2.5-7B-Instruct",
        container="vllm",
        instance_type="g5.xlarge",
        min_capacity=1,
        max_capacity=2,
        description="Qwen 2.5 7B instruct on vLLM",
        environment={"VLLM_MAX_MODEL_LEN": "32768"},
    )
    config.update(overrides)
    return config


def registered(sandbox: Sandbox, model_id: str) -> list[Any]:
    return [model for model in sandbox.litellm.registered() if model.model_name == model_id]


def task_definition_of(world: World, model_id: str) -> dict[str, Any]:
    """The model's running task definition, as ECS describes it."""
    record = world.aws.models.get(model_id)
    ref = world.aws.stacks.model_resources(record.cloudformation_stack_name or "").service_ref
    assert ref is not None
    arn = world.aws.ecs.describe_service(ref).task_definition_arn
    return world.aws.ecs.describe_task_definition(arn).raw


def stack_role_arns(world: World, model_id: str) -> dict[str, str]:
    """Logical id → ARN of the roles in the model's stack."""
    stack = world.aws.models.get(model_id).cloudformation_stack_name
    resources = world.sandbox.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    iam = world.sandbox.client("iam")
    return {
        r["LogicalResourceId"]: iam.get_role(RoleName=r["PhysicalResourceId"])["Role"]["Arn"]
        for r in resources
        if r["ResourceType"] == "AWS::IAM::Role"
    }


def test_third_party_create_is_in_service_and_registered_with_lisas_params(world: World, runner: JobRunner) -> None:
    request = {
        "modelId": "claude-sonnet-v2",
        "modelName": SONNET_V2,
        "modelType": "textgen",
        "modelDescription": "Claude 3.5 Sonnet v2 through Bedrock",
        "streaming": True,
        "features": [{"name": "toolCalls", "overview": ""}],
        "allowedGroups": ["engineering"],
        "guardrailsConfig": {},
    }
    result = create(world, runner, request)
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert result.final_status is ModelStatus.IN_SERVICE
    assert str(result.operation) == "create"
    record = world.aws.models.get("claude-sonnet-v2")
    assert record.model_status is ModelStatus.IN_SERVICE
    assert record.model_url == ""
    assert record.model_description == "Claude 3.5 Sonnet v2 through Bedrock"
    assert "guardrailsConfig" not in record.config
    assert record.config["modelName"] == SONNET_V2
    assert "lisa_desktop_job" not in record.to_item()
    assert "claude-sonnet-v2" in {r.model_id for r in world.aws.models.scan()}
    [entry] = registered(world.sandbox, "claude-sonnet-v2")
    assert entry.id == record.litellm_id
    assert entry.litellm_params == {"model": SONNET_V2, "drop_params": True}
    steps = [(event.step, str(event.state)) for event in world.events]
    assert (
        steps.index(("intake", "succeeded"))
        < steps.index(("litellm", "succeeded"))
        < steps.index(("finalize", "succeeded"))
    )
    assert any(event.data.get("litellmId") == record.litellm_id for event in world.events)
    # LISA's "already exists": refused before anything is written, the first model untouched
    world.calls.clear()
    with pytest.raises(ModelAlreadyExists, match="already exists"):
        create(world, runner, request)
    assert not [call for call in world.calls if call.split(":")[1] in ("PutItem", "UpdateItem", "DeleteItem")]
    assert world.aws.models.get("claude-sonnet-v2").to_item() == record.to_item()
    assert len(registered(world.sandbox, "claude-sonnet-v2")) == 1


def test_internal_hosted_create_registers_its_url(world: World, runner: JobRunner) -> None:
    url = "http://internal-llm-123.us-east-1.elb.amazonaws.com/v1/"
    result = create(
        world,
        runner,
        {
            "modelId": "team-llm",
            "modelName": "hosted_vllm/team-llm",
            "modelType": "textgen",
            "hostingType": "internal_hosted",
            "modelUrl": url,
            "apiKey": "sk-team",
        },
    )
    assert result.ok, result.message
    record = world.aws.models.get("team-llm")
    assert record.model_url == url.rstrip("/")  # LISA stores the api_base it registered
    assert record.auto_scaling_group == ""
    assert record.config["modelUrl"] == url
    [entry] = registered(world.sandbox, "team-llm")
    assert entry.litellm_params == {
        "model": "openai/team-llm",
        "api_base": url.rstrip("/"),
        "api_key": "sk-team",
        "drop_params": True,
    }


def test_a_third_party_model_at_its_own_url_is_stored_and_registered_with_that_api_base(
    world: World, runner: JobRunner
) -> None:
    url = "https://llm.example.com/v1/"
    request = {"modelId": "own-url", "modelName": "openai/gpt-oss-20b", "modelType": "textgen", "modelUrl": url}
    assert plan_create(world.aws, validate_create(world.aws, parse_create(request))).litellm_params["api_base"] == (
        "https://llm.example.com/v1"
    )
    result = create(world, runner, request)
    assert result.ok, result.message
    record = world.aws.models.get("own-url")
    assert (record.model_url, record.auto_scaling_group, record.config["modelUrl"]) == (url.rstrip("/"), "", url)
    [entry] = registered(world.sandbox, "own-url")
    assert entry.litellm_params == {"model": "openai/gpt-oss-20b", "api_base": url.rstrip("/"), "drop_params": True}
    with pytest.raises(InvalidInput, match="modelUrl: must be an http"):
        parse_create({**request, "modelId": "bad-url", "modelUrl": "llm.example.com"})


# Every field of LISA's CreateModelRequest (lambda/models/domain_objects.py) but guardrailsConfig, and of the
# nested shapes its UpdateModel reads by key: what LISA's create handler stores with model_dump().
LISA_CONFIG_KEYS = {
    "autoScalingConfig", "containerConfig", "inferenceContainer", "instanceType", "loadBalancerConfig", "modelId",
    "modelName", "modelDescription", "modelType", "modelUrl", "streaming", "features", "allowedGroups", "apiKey",
    "hostingType",
}  # fmt: skip
LISA_CONTAINER_KEYS = {"image", "sharedMemorySize", "healthCheckConfig", "environment", "memoryReservation"}
LISA_SCALING_KEYS = {
    "blockDeviceVolumeSize", "minCapacity", "maxCapacity", "desiredCapacity", "cooldown", "defaultInstanceWarmup",
    "metricConfig", "scheduling",
}  # fmt: skip


def test_a_created_records_model_config_has_every_key_lisas_handlers_write_and_read(
    world: World, runner: JobRunner
) -> None:
    request = new_hosted("qwen-shape")
    request["containerConfig"].pop("environment", None)
    request["autoScalingConfig"].pop("blockDeviceVolumeSize", None)
    assert create(world, runner, request).ok
    config = world.aws.models.get("qwen-shape").config
    assert set(config) == LISA_CONFIG_KEYS
    assert set(config["containerConfig"]) == LISA_CONTAINER_KEYS
    assert config["containerConfig"]["environment"] == {}  # LISA's UpdateModel reads it as a key
    assert set(config["autoScalingConfig"]) == LISA_SCALING_KEYS
    assert config["autoScalingConfig"]["blockDeviceVolumeSize"] == 50
    assert config["hostingType"] == "lisa_hosted"
    third = {"modelId": "plain-3p", "modelName": SONNET_V2, "modelType": "textgen"}
    assert create(world, runner, third).ok
    stored = world.aws.models.get("plain-3p")
    assert set(stored.config) == LISA_CONFIG_KEYS
    assert stored.config["containerConfig"] is None and stored.config["streaming"] is False
    assert (stored.model_url, stored.auto_scaling_group) == ("", "")


def test_hosted_create_makes_the_stack_waits_for_capacity_and_registers(world: World, runner: JobRunner) -> None:
    result = create(world, runner, new_hosted("qwen2-5-7b"))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    record = world.aws.models.get("qwen2-5-7b")
    assert record.model_status is ModelStatus.IN_SERVICE
    assert record.cloudformation_stack_name == "lisa-qwen2-5-7b"
    stack = world.aws.stacks.describe(record.cloudformation_stack_name)
    assert stack.status == "CREATE_COMPLETE"
    assert stack.stack_id == record.cloudformation_stack_arn
    endpoint = stack.outputs["modelEndpointUrl"]
    assert endpoint.startswith("http://")
    assert stack.outputs["autoScalingGroup"] == record.auto_scaling_group
    assert record.model_url == f"{endpoint}/v1"
    assert record.context_window == 32768
    group = world.aws.autoscaling.describe_one(record.auto_scaling_group or "")
    assert group is not None
    assert (group.min_size, group.max_size) == (1, 2)
    assert group.healthy_in_service_count == 1
    [entry] = registered(world.sandbox, "qwen2-5-7b")
    assert entry.id == record.litellm_id
    assert entry.litellm_params == {
        "model": "hosted_vllm/Qwen/Qwen2.5-7B-Instruct",
        "api_base": f"{endpoint}/v1",
        "drop_params": True,
    }
    steps = [event.step for event in world.events]
    assert steps.index("network") < steps.index("stack") < steps.index("capacity") < steps.index("litellm")
    final = world.events[-1]
    assert final.step == "finalize"
    assert final.data["stack"] == "lisa-qwen2-5-7b"
    assert final.data["group"] == record.auto_scaling_group
    assert final.data["litellmId"] == record.litellm_id
    assert "deployed as the image reference it is" in " ".join(event.message for event in world.events)

    task_definition = task_definition_of(world, "qwen2-5-7b")
    roles = stack_role_arns(world, "qwen2-5-7b")
    assert set(roles) == {"InstanceRole", "ExecutionRole", "TaskRole"}
    assert task_definition["taskRoleArn"] == roles["TaskRole"]
    assert task_definition["executionRoleArn"] == roles["ExecutionRole"]
    (container,) = task_definition["containerDefinitions"]
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/lisa/qwen2-5-7b"


def test_a_created_models_container_update_keeps_its_gpus_logs_and_roles(world: World, runner: JobRunner) -> None:
    created = create(world, runner, new_hosted("qwen-to-update", instanceType="g5.12xlarge"))
    assert created.ok, created.message
    before = task_definition_of(world, "qwen-to-update")
    handle = runner.submit_update(
        world.aws,
        "qwen-to-update",
        parse_update({"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}),
        ack_restart=True,
        settings=FAST,
        model_warmup_cap_s=0.5,
    )
    updated = handle.result(timeout=120)
    assert updated.ok, updated.message
    after = task_definition_of(world, "qwen-to-update")
    assert after["revision"] == before["revision"] + 1
    (container,) = after["containerDefinitions"]
    assert {"name": "MAX_TOTAL_TOKENS", "value": "8192"} in container["environment"]
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "4"}]
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": resource_names(deployment_name(world.aws.deployment.prefix), "qwen-to-update").log_group,
            "awslogs-region": world.sandbox.region,
            "awslogs-stream-prefix": "qwen-to-update",
        },
    }
    assert (after["taskRoleArn"], after["executionRoleArn"]) == (before["taskRoleArn"], before["executionRoleArn"])
    assert world.aws.models.get("qwen-to-update").context_window == 32768  # VLLM_MAX_MODEL_LEN comes first

    removal = parse_update({"containerConfig": {"environment": {"VLLM_MAX_MODEL_LEN": "LISA_MARKED_FOR_DELETION"}}})
    handle = runner.submit_update(
        world.aws, "qwen-to-update", removal, ack_restart=True, settings=FAST, model_warmup_cap_s=0.5
    )
    assert handle.result(timeout=120).ok
    record = world.aws.models.get("qwen-to-update")
    assert "VLLM_MAX_MODEL_LEN" not in record.config["containerConfig"]["environment"]
    assert record.context_window == 8192  # as LISA's UpdateModel: MAX_TOTAL_TOKENS when VLLM_MAX_MODEL_LEN is gone


def test_capacity_that_never_becomes_healthy_leaves_the_model_failed(
    world: World, runner: JobRunner, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LISA's status monitor writes Stopped 2 s after the rollback's termination of the unhealthy instance
    # (reference §9), on a clock that wall time moves too: under load it came before the record was read here.
    # What the job leaves is what this test reads, so the monitor waits out the test.
    assert sandbox.status_monitor is not None
    monkeypatch.setattr(sandbox.status_monitor, "delay_s", 3600.0)
    sandbox.faults.fail_capacity.add("qwen-unhealthy")
    result = create(
        world,
        runner,
        new_hosted("qwen-unhealthy"),
        JobSettings(ecs_deadline_s=30, capacity_deadline_s=2, poll_initial_s=0.2, poll_max_s=0.5),
    )
    assert result.outcome is Outcome.FAILED
    assert result.final_status is ModelStatus.FAILED
    record = world.aws.models.get("qwen-unhealthy")
    assert record.model_status is ModelStatus.FAILED
    reason = record.failure_reason or ""
    assert "0 of 1 instances healthy" in reason
    assert "lisa-qwen-unhealthy" in reason and (record.auto_scaling_group or "?") in reason
    assert "models delete qwen-unhealthy" in reason
    assert len(reason) <= 1000
    assert record.litellm_id is None
    assert not registered(sandbox, "qwen-unhealthy")
    assert world.aws.stacks.describe("lisa-qwen-unhealthy").status == "CREATE_COMPLETE", "nothing deleted"
    assert "lisa_desktop_job" not in record.to_item()
    failed = [event for event in world.events if event.state is StepState.FAILED and event.step == "job"]
    assert failed and failed[0].data["stack"] == "lisa-qwen-unhealthy"


def test_a_rolled_back_stack_fails_the_create_with_cloudformations_reason(
    world: World, runner: JobRunner, sandbox: Sandbox
) -> None:
    def roll_back(event: JobEvent) -> None:
        """CloudFormation rolls the new stack back (the ECS circuit breaker tripped): as it would, mid-create."""
        stack_id = event.data.get("stackId")
        if event.step != "stack" or event.state is not StepState.PROGRESS or not stack_id:
            return
        with sandbox.simulator.lock:
            stack = cloudformation_backends[sandbox.account_id][sandbox.region].get_stack(stack_id)
            stack.events.append(
                Event(
                    stack_id=stack.stack_id,
                    stack_name=stack.name,
                    logical_resource_id="Service",
                    physical_resource_id="",
                    resource_type="AWS::ECS::Service",
                    resource_status="CREATE_FAILED",
                    resource_status_reason="ECS Deployment Circuit Breaker was triggered",
                    resource_properties=None,
                )
            )
            stack.status = "ROLLBACK_COMPLETE"

    handle = runner.submit_create(
        world.aws, parse_create(new_hosted("qwen-rolled-back")), settings=FAST, listeners=(world.listen, roll_back)
    )
    result = handle.result(timeout=60)
    assert result.outcome is Outcome.FAILED
    record = world.aws.models.get("qwen-rolled-back")
    assert record.model_status is ModelStatus.FAILED
    assert "ROLLBACK_COMPLETE" in (record.failure_reason or "")
    assert "Service (AWS::ECS::Service) CREATE_FAILED: ECS Deployment Circuit Breaker" in (record.failure_reason or "")
    assert record.cloudformation_stack_name == "lisa-qwen-rolled-back"
    assert record.cloudformation_stack_arn
    assert not [event for event in world.events if event.step == "capacity"]


def test_what_the_console_cannot_make_is_refused_and_nothing_written(world: World, runner: JobRunner) -> None:
    tarball = new_hosted("from-tarball")
    tarball["containerConfig"]["image"] = {"baseImage": "/images/vllm.tar", "type": "tarball"}
    with pytest.raises(InvalidInput, match=r"containerConfig\.image\.type: tarball images are built by LISA"):
        create(world, runner, tarball)
    with pytest.raises(ModelNotFound):
        world.aws.models.get("from-tarball")
    assert world.aws.stacks.describe_or_none("lisa-from-tarball") is None


def test_an_ecr_image_must_exist(world: World, sandbox: Sandbox) -> None:
    ecr = sandbox.client("ecr")
    ecr.create_repository(repositoryName="lisa/vllm")
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
    ecr.put_image(repositoryName="lisa/vllm", imageManifest=manifest, imageTag="0.6.3")
    uri = f"{sandbox.account_id}.dkr.ecr.us-east-1.amazonaws.com/lisa/vllm"
    for image, problem in (
        (f"{uri}:0.7.0", "ECR image lisa/vllm:0.7.0 does not exist"),
        ("lisa/other:1", "ECR repository 'lisa/other' does not exist"),
    ):
        request = new_hosted("from-ecr")
        request["containerConfig"]["image"] = {"baseImage": image, "type": "ecr"}
        with pytest.raises(InvalidInput) as caught:
            validate_create(world.aws, parse_create(request))
        assert caught.value.problems[0].field == "containerConfig.image.baseImage"
        assert problem in caught.value.problems[0].rule
    request = new_hosted("from-ecr")
    request["containerConfig"]["image"] = {"baseImage": f"{uri}:0.6.3", "type": "ecr"}
    validated = validate_create(world.aws, parse_create(request))
    assert any("ECR image lisa/vllm:0.6.3 exists" in note for note in validated.notes)
    plan = plan_create(world.aws, validated)
    assert plan.validated.stack_name == "lisa-from-ecr"
    assert ("AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup") in plan.resources
    assert plan.litellm_params["model"] == "hosted_vllm/Qwen/Qwen2.5-7B-Instruct"
    with pytest.raises(ModelNotFound):
        world.aws.models.get("from-ecr")


def test_the_deployment_name_is_the_prefixs_second_segment_as_lisa_builds_the_prefix(sandbox: Sandbox) -> None:
    # LISA's default prefix is /<deploymentStage>/<deploymentName>/<appName> (lib/schema/schema.ts), and the
    # ECS model deployer names a model's stack <deploymentName>-<modelId>.
    assert deployment_name("/dev/acme/lisa") == "acme"
    assert deployment_name("prod/lisa-eu/lisa/") == "lisa-eu"
    assert deployment_name("/dev/lisa") == "lisa"
    assert deployment_name(sandbox.prefix) == SANDBOX_DEPLOYMENT_NAME
    for prefix in ("/", "/dev"):
        with pytest.raises(InvalidInput, match="deploymentPrefix"):
            deployment_name(prefix)


def test_ecr_references() -> None:
    assert ecr_reference("123456789012.dkr.ecr.eu-west-1.amazonaws.com/lisa/vllm:0.6.3") == (
        "123456789012",
        "lisa/vllm",
        {"imageTag": "0.6.3"},
    )
    assert ecr_reference("lisa/vllm") == (None, "lisa/vllm", {"imageTag": "latest"})
    assert ecr_reference("vllm@sha256:abc") == (None, "vllm", {"imageDigest": "sha256:abc"})


def test_a_hosted_model_id_too_long_for_its_stack_name_is_refused_before_anything_is_written(world: World) -> None:
    """LISA's API takes any id; CloudFormation takes stack names of at most 128 characters, and the stack is
    `<deploymentName>-<modelId>`: refused up front, naming the field and why, instead of failing mid-create."""
    longest = 128 - len(SANDBOX_DEPLOYMENT_NAME) - 1
    model_id = "a" * (longest + 1)
    with pytest.raises(InvalidInput) as caught:
        validate_create(world.aws, parse_create(new_hosted(model_id)))
    (problem,) = caught.value.problems
    assert problem.field == "modelId"
    assert f"at most {longest} characters on this deployment" in problem.rule
    assert "CloudFormation" in problem.rule
    with pytest.raises(ModelNotFound):
        world.aws.models.get(model_id)
    third_party = parse_create({"modelId": model_id, "modelName": "bedrock/x", "modelType": "textgen"})
    assert validate_create(world.aws, third_party).stack_name is None  # no stack: no such limit


def test_a_hosted_model_id_of_exactly_the_stack_name_limit_is_accepted(world: World) -> None:
    longest = 128 - len(SANDBOX_DEPLOYMENT_NAME) - 1
    model_id = "a" * longest
    validated = validate_create(world.aws, parse_create(new_hosted(model_id)))
    assert validated.stack_name is not None and len(validated.stack_name) == 128
