"""The delete job end to end on the sandbox: the status gate, third-party and hosted models, a stack that
will not delete, and a create that failed being cleaned up with nothing left behind."""

from __future__ import annotations

import pytest
from moto.cloudformation.models import cloudformation_backends

from engine.aws.cloudformation import ModelStackResources
from engine.errors import ModelNotFound, StatusNotAllowed
from engine.jobs.context import JobSettings
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.sandbox.catalog import hosted
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from engine.schema.validate import parse_create
from tests.engine.jobs.sandbox_world import FAST, World
from tests.waiting import wait_for


def delete(world: World, runner: JobRunner, model_id: str, settings: JobSettings = FAST) -> JobResult:
    return runner.submit_delete(world.aws, model_id, settings=settings, listeners=(world.listen,)).result(timeout=60)


def assert_nothing_left(world: World, record: ModelRecord, resources: ModelStackResources | None = None) -> None:
    """No record, no LiteLLM entry, no stack, no Auto Scaling group with instances, no load balancer, no ECS
    cluster, no IAM role or instance profile, no log group: no orphan."""
    with pytest.raises(ModelNotFound):
        world.aws.models.get(record.model_id)
    assert not [m for m in world.sandbox.litellm.registered() if m.model_name == record.model_id]
    if record.litellm_id:
        assert world.sandbox.litellm.get(record.litellm_id) is None
    if record.cloudformation_stack_name:
        assert world.aws.stacks.describe_or_none(record.cloudformation_stack_name) is None
    if record.cloudformation_stack_arn:
        by_id = world.aws.stacks.describe_or_none(record.cloudformation_stack_arn)
        assert by_id is None or by_id.status == "DELETE_COMPLETE"
    if record.auto_scaling_group:
        group = world.aws.autoscaling.describe_one(record.auto_scaling_group)
        assert group is None or (group.desired_capacity == 0 and not group.instances)
    if resources is not None:
        assert resources.load_balancer and resources.cluster
        balancers = world.sandbox.client("elbv2").describe_load_balancers()["LoadBalancers"]
        assert resources.load_balancer not in {balancer["LoadBalancerArn"] for balancer in balancers}
        assert_no_roles_or_logs_left(world, resources)
        ecs, cluster = world.aws.clients.ecs(), resources.cluster
        wait_for(  # the sandbox removes ECS resources on its next tick, as DeleteStack would
            lambda: ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "INACTIVE",
            timeout=5,
            what=f"ECS cluster {resources.cluster} to be INACTIVE",
        )


def assert_no_roles_or_logs_left(world: World, resources: ModelStackResources) -> None:
    def physical_ids(resource_type: str) -> set[str]:
        return {r.physical_id for r in resources.resources if r.resource_type == resource_type}

    roles, profiles = physical_ids("AWS::IAM::Role"), physical_ids("AWS::IAM::InstanceProfile")
    (log_group,) = physical_ids("AWS::Logs::LogGroup")
    assert len(roles) == 3 and len(profiles) == 1, "the stack had its roles"
    iam, logs = world.sandbox.client("iam"), world.sandbox.client("logs")
    assert not roles & {role["RoleName"] for role in iam.list_roles()["Roles"]}
    assert not profiles & {p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]}
    assert log_group not in {
        g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
    }


def test_a_model_being_updated_cannot_be_deleted(world: World, runner: JobRunner) -> None:
    before = world.aws.models.get("gemma-2-9b-it")
    assert before.model_status is ModelStatus.UPDATING
    with pytest.raises(StatusNotAllowed, match="cannot delete 'gemma-2-9b-it' while it is Updating"):
        delete(world, runner, "gemma-2-9b-it")
    assert world.aws.models.get("gemma-2-9b-it").to_item() == before.to_item()
    with pytest.raises(ModelNotFound):
        delete(world, runner, "no-such-model")


def test_a_third_party_model_loses_only_its_litellm_entry_and_record(world: World, runner: JobRunner) -> None:
    record = world.aws.models.get("claude-3-5-sonnet")
    assert record.litellm_id and world.sandbox.litellm.get(record.litellm_id) is not None
    world.calls.clear()
    result = delete(world, runner, "claude-3-5-sonnet")
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert result.final_status is None
    assert_nothing_left(world, record)
    assert not [call for call in world.calls if call.startswith(("cloudformation:", "autoscaling:", "ecs:"))]
    assert world.calls["dynamodb:DeleteItem"] == 1


def test_an_in_service_hosted_model_loses_its_stack_and_group(world: World, runner: JobRunner) -> None:
    record = world.aws.models.get("mistral-7b-instruct")
    assert record.cloudformation_stack_name and record.auto_scaling_group and record.litellm_id
    resources = world.aws.stacks.model_resources(record.cloudformation_stack_name)
    result = delete(world, runner, "mistral-7b-instruct")
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert_nothing_left(world, record, resources)
    assert world.calls["cloudformation:DeleteStack"] == 1
    steps = [(event.step, str(event.state)) for event in world.events]
    assert (
        steps.index(("litellm", "succeeded"))
        < steps.index(("stack", "started"))
        < steps.index(("finalize", "succeeded"))
    )


def test_a_failed_model_with_a_rolled_back_stack_is_deleted(world: World, runner: JobRunner) -> None:
    record = world.aws.models.get("broken-model")
    assert record.model_status is ModelStatus.FAILED
    assert world.aws.stacks.describe(record.cloudformation_stack_arn or "").status == "ROLLBACK_COMPLETE"
    result = delete(world, runner, "broken-model")
    assert result.ok, result.message
    assert_nothing_left(world, record)


def test_a_stack_that_fails_to_delete_leaves_the_model_failed(
    world: World, runner: JobRunner, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = world.aws.models.get("bge-large-en")
    assert record.litellm_id

    def delete_fails(stack: str, *, client_request_token: str | None = None) -> str:
        with sandbox.simulator.lock:
            cloudformation_backends[sandbox.account_id][sandbox.region].get_stack(stack).status = "DELETE_FAILED"
        return "token"

    monkeypatch.setattr(world.aws.stacks, "delete_stack", delete_fails)
    result = delete(world, runner, "bge-large-en")
    assert result.outcome is Outcome.FAILED
    after = world.aws.models.get("bge-large-en")
    assert after.model_status is ModelStatus.FAILED
    assert "DELETE_FAILED" in (after.failure_reason or "")
    assert f"LiteLLM entry {record.litellm_id} removed" in (after.failure_reason or "")
    assert after.litellm_id is None, "the entry is gone: a retry must not look for it"
    assert sandbox.litellm.get(record.litellm_id) is None
    assert after.cloudformation_stack_name == record.cloudformation_stack_name
    assert "lisa_desktop_job" not in after.to_item()


def test_a_stack_delete_that_never_finishes_stops_at_the_deadline(
    world: World, runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = world.aws.models.get("llama3-8b-tgi")
    assert record.model_status is ModelStatus.STOPPED
    monkeypatch.setattr(world.aws.stacks, "delete_stack", lambda stack, **_: "token")
    result = delete(world, runner, "llama3-8b-tgi", JobSettings(ecs_deadline_s=1, poll_initial_s=0.2, poll_max_s=0.5))
    assert result.outcome is Outcome.FAILED
    after = world.aws.models.get("llama3-8b-tgi")
    assert after.model_status is ModelStatus.FAILED
    assert "deletion of stack lisa-llama3-8b-tgi did not happen within 1 s" in (after.failure_reason or "")


def test_a_failed_create_is_cleaned_up_with_no_orphan(world: World, runner: JobRunner, sandbox: Sandbox) -> None:
    sandbox.faults.fail_capacity.add("qwen-doomed")
    request = hosted(
        "qwen-doomed",
        "Qwen/Qwen2.5-7B-Instruct",
        container="vllm",
        instance_type="g5.xlarge",
        min_capacity=1,
        max_capacity=2,
        description="never healthy",
    )
    created = runner.submit_create(
        world.aws,
        parse_create(request),
        settings=JobSettings(ecs_deadline_s=30, capacity_deadline_s=1.5, poll_initial_s=0.2, poll_max_s=0.5),
    ).result(timeout=60)
    assert created.outcome is Outcome.FAILED
    record = world.aws.models.get("qwen-doomed")
    assert record.model_status is ModelStatus.FAILED
    group = world.aws.autoscaling.describe_one(record.auto_scaling_group or "")
    assert group is not None and group.instances, "the failed create left its instances running"
    resources = world.aws.stacks.model_resources(record.cloudformation_stack_name or "")
    result = delete(world, runner, "qwen-doomed")
    assert result.ok, result.message
    assert_nothing_left(world, record, resources)
