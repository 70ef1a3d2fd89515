"""The update job end to end on the sandbox: issue #4's acceptance, through the engine's runner."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from engine.errors import InvalidInput, StatusNotAllowed
from engine.jobs.context import JobSettings
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.jobs.validation import RestartNotAcknowledged
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_update
from tests.engine.jobs.sandbox_world import FAST, World, run_update, sandbox_on_skipping_clock, world_on
from tests.waiting import wait_for

ENV = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}


@pytest.fixture
def world() -> Iterator[World]:
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as sandbox:
        yield world_on(sandbox)


def run(world: World, runner: JobRunner, model_id: str, change: Mapping[str, Any], ack: bool = False) -> JobResult:
    return run_update(world, runner, model_id, change, ack=ack)


def service_of(world: World, model_id: str):  # type: ignore[no-untyped-def]
    record = world.aws.models.get(model_id)
    ref = world.aws.stacks.model_resources(record.cloudformation_stack_name or "").service_ref
    assert ref is not None
    return world.aws.ecs.describe_service(ref)


def test_metadata_update_of_a_third_party_model_is_one_write(world: World, runner: JobRunner) -> None:
    before = world.aws.models.get("claude-3-5-sonnet")
    world.calls.clear()
    result = run(
        world,
        runner,
        "claude-3-5-sonnet",
        {
            "modelDescription": "Claude, now for the legal team too",
            "allowedGroups": ["legal", "engineering"],
            "features": [{"name": "toolCalls", "overview": ""}, {"name": "summarization", "overview": "Long docs"}],
        },
    )
    assert result.outcome is Outcome.SUCCEEDED
    after = world.aws.models.get("claude-3-5-sonnet")
    assert after.model_status is ModelStatus.IN_SERVICE
    assert after.config["modelDescription"] == "Claude, now for the legal team too"
    assert after.config["allowedGroups"] == ["legal", "engineering"]
    assert after.litellm_id == before.litellm_id
    assert not [call for call in world.calls if call.startswith(("ecs:", "autoscaling:", "cloudformation:"))]
    writes = [call for call in world.calls if call.split(":")[1] in ("PutItem", "UpdateItem", "DeleteItem")]
    assert writes == ["dynamodb:UpdateItem"], "one write of the attributes the update owns, never a whole item"
    assert world.calls["dynamodb:UpdateItem"] == 1


def test_autoscaling_update_of_a_third_party_model_is_refused_and_nothing_written(
    world: World, runner: JobRunner
) -> None:
    before = world.aws.models.get("titan-embed-v2").to_item()
    with pytest.raises(InvalidInput) as caught:
        run(world, runner, "titan-embed-v2", {"autoScalingInstanceConfig": {"minCapacity": 1}})
    assert caught.value.problems[0].field == "autoScalingInstanceConfig.minCapacity"
    assert "third_party" in caught.value.problems[0].rule
    assert world.aws.models.get("titan-embed-v2").to_item() == before


def test_container_change_needs_the_restart_acknowledged(world: World, runner: JobRunner) -> None:
    with pytest.raises(RestartNotAcknowledged, match="--ack-restart"):
        run(world, runner, "mistral-7b-instruct", {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}})
    assert world.aws.models.get("mistral-7b-instruct").model_status is ModelStatus.IN_SERVICE


def test_container_and_capacity_update_rolls_out_a_new_revision(world: World, runner: JobRunner) -> None:
    old = service_of(world, "mistral-7b-instruct")
    result = run(
        world,
        runner,
        "mistral-7b-instruct",
        {
            "containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}, "sharedMemorySize": 4096},
            "autoScalingInstanceConfig": {"maxCapacity": 4},
        },
        ack=True,
    )
    assert result.outcome is Outcome.SUCCEEDED, result.message
    new = service_of(world, "mistral-7b-instruct")
    assert new.revision == (old.revision or 0) + 1
    assert new.is_stable
    td = world.aws.clients.ecs().describe_task_definition(taskDefinition=old.task_definition_arn)
    assert td["taskDefinition"]["status"] == "INACTIVE", "the previous revision is deregistered once stable"
    record = world.aws.models.get("mistral-7b-instruct")
    assert record.model_status is ModelStatus.IN_SERVICE
    assert record.config["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "8192"
    assert record.config["containerConfig"]["sharedMemorySize"] == 4096
    assert record.config["autoScalingConfig"]["maxCapacity"] == 4
    assert "lisa_desktop_job" not in record.to_item()
    group = world.aws.autoscaling.describe_one(record.auto_scaling_group or "")
    assert group is not None
    assert group.max_size == 4
    steps = [event.step for event in world.events]
    assert steps.index("intake") < steps.index("ecs") < steps.index("capacity") < steps.index("finalize")


def test_failed_rollout_is_rolled_back_and_the_record_kept(world: World, runner: JobRunner) -> None:
    world.sandbox.faults.fail_rollout.add("mistral-7b-instruct")
    before = world.aws.models.get("mistral-7b-instruct")
    old = service_of(world, "mistral-7b-instruct")
    result = run(
        world,
        runner,
        "mistral-7b-instruct",
        {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}},
        ack=True,
    )
    assert result.outcome is Outcome.ROLLED_BACK
    assert "rolled back" in result.message
    after = world.aws.models.get("mistral-7b-instruct")
    assert after.model_status is ModelStatus.IN_SERVICE
    assert after.config == before.config
    assert after.failure_reason is None  # LISA writes failure_reason only with Failed; the result says why
    service = service_of(world, "mistral-7b-instruct")
    assert service.task_definition_arn == old.task_definition_arn
    assert service.is_stable


def test_start_a_stopped_model(world: World, runner: JobRunner) -> None:
    record = world.aws.models.get("llama3-8b-tgi")
    stored = record.config["autoScalingConfig"]
    result = run(world, runner, "llama3-8b-tgi", {"enabled": True})
    assert result.outcome is Outcome.SUCCEEDED, result.message
    after = world.aws.models.get("llama3-8b-tgi")
    assert after.model_status is ModelStatus.IN_SERVICE
    group = world.aws.autoscaling.describe_one(after.auto_scaling_group or "")
    assert group is not None
    assert (group.min_size, group.max_size) == (stored["minCapacity"], stored["maxCapacity"])
    assert group.healthy_in_service_count >= stored["minCapacity"]
    assert after.litellm_id in {model.id for model in world.sandbox.litellm.registered()}


def test_start_whose_capacity_never_becomes_healthy_ends_stopped(world: World, runner: JobRunner) -> None:
    world.sandbox.faults.fail_capacity.add("llama3-8b-tgi")
    handle = runner.submit_update(
        world.aws,
        "llama3-8b-tgi",
        parse_update({"enabled": True}),
        settings=FAST.__class__(ecs_deadline_s=30, capacity_deadline_s=3, poll_initial_s=0.2, poll_max_s=0.5),
        listeners=(world.listen,),
        model_warmup_cap_s=0.5,
    )
    result = handle.result(timeout=120)
    assert result.outcome is Outcome.ROLLED_BACK
    after = world.aws.models.get("llama3-8b-tgi")
    assert after.model_status is ModelStatus.STOPPED
    assert after.failure_reason is None and "0 instances" in result.message  # failure_reason only with Failed
    group = world.aws.autoscaling.describe_one(after.auto_scaling_group or "")
    assert group is not None
    assert (group.min_size, group.desired_capacity, group.max_size) == (0, 0, 0)
    assert after.litellm_id is None


def test_stop_unregisters_first_then_scales_to_zero(world: World, runner: JobRunner) -> None:
    before = world.aws.models.get("bge-large-en")
    result = run(world, runner, "bge-large-en", {"enabled": False})
    assert result.outcome is Outcome.SUCCEEDED
    after = world.aws.models.get("bge-large-en")
    assert after.model_status is ModelStatus.STOPPED
    assert after.litellm_id is None
    assert before.litellm_id not in {model.id for model in world.sandbox.litellm.registered()}
    group = world.aws.autoscaling.describe_one(after.auto_scaling_group or "")
    assert group is not None
    assert (group.min_size, group.desired_capacity, group.max_size) == (0, 0, 0)
    steps = [(event.step, event.state.value) for event in world.events]
    assert steps.index(("litellm", "succeeded")) < steps.index(("capacity", "started"))


@pytest.mark.parametrize("model_id", ["broken-model", "qwen2-5-coder-7b"])
def test_update_while_failed_or_creating_is_refused(world: World, runner: JobRunner, model_id: str) -> None:
    with pytest.raises(StatusNotAllowed, match="needs InService or Stopped"):
        run(world, runner, model_id, {"modelDescription": "x"})


def test_two_concurrent_updates_of_one_model_exactly_one_proceeds(world: World, runner: JobRunner) -> None:
    change = parse_update({"containerConfig": {"environment": {"X": "1"}}})
    handles = [
        runner.submit_update(world.aws, "mistral-7b-instruct", change, ack_restart=True, settings=FAST)
        for _ in range(2)
    ]
    outcomes: list[object] = []
    for handle in handles:
        try:
            outcomes.append(handle.result(timeout=120).outcome)
        except StatusNotAllowed as refused:
            outcomes.append(refused)
    assert outcomes.count(Outcome.SUCCEEDED) == 1
    refused = [o for o in outcomes if isinstance(o, StatusNotAllowed)]
    assert len(refused) == 1
    assert "Updating" in str(refused[0])
    assert "held by job job-" in str(refused[0])


def test_cancel_mid_rollout_rolls_back(world: World, runner: JobRunner) -> None:
    world.sandbox.simulator.rollout_seconds = 4.0
    before = world.aws.models.get("mistral-7b-instruct")
    old = service_of(world, "mistral-7b-instruct")
    handle = runner.submit_update(
        world.aws, "mistral-7b-instruct", parse_update(ENV), ack_restart=True, settings=FAST, listeners=(world.listen,)
    )
    assert handle.under_way.wait(30)
    wait_for(
        lambda: any(event.step == "ecs" and event.state.value == "progress" for event in handle.events),
        timeout=30,
        interval=0.02,
        what="the rollout's first progress event",
    )
    handle.cancel()
    result = handle.result(timeout=120)
    assert result.outcome is Outcome.CANCELLED
    after = world.aws.models.get("mistral-7b-instruct")
    assert after.model_status is ModelStatus.IN_SERVICE
    assert after.config == before.config
    assert service_of(world, "mistral-7b-instruct").task_definition_arn == old.task_definition_arn


def test_capacity_failure_after_a_rollout_undoes_both(world: World, runner: JobRunner) -> None:
    world.sandbox.faults.fail_capacity.add("mistral-7b-instruct")
    before = world.aws.models.get("mistral-7b-instruct")
    group_before = world.aws.autoscaling.describe_one(before.auto_scaling_group or "")
    old = service_of(world, "mistral-7b-instruct")
    handle = runner.submit_update(
        world.aws,
        "mistral-7b-instruct",
        parse_update({**ENV, "autoScalingInstanceConfig": {"desiredCapacity": 2}}),
        ack_restart=True,
        settings=JobSettings(ecs_deadline_s=60, capacity_deadline_s=2, poll_initial_s=0.2, poll_max_s=0.5),
    )
    result = handle.result(timeout=120)
    assert result.outcome is Outcome.ROLLED_BACK, result.message
    assert "revision" in result.message
    assert f"Auto Scaling group {before.auto_scaling_group} back to" in result.message
    assert "changed: registered revision 2" in result.message
    after = world.aws.models.get("mistral-7b-instruct")
    assert after.model_status is ModelStatus.IN_SERVICE
    assert after.config == before.config
    assert service_of(world, "mistral-7b-instruct").task_definition_arn == old.task_definition_arn
    group = world.aws.autoscaling.describe_one(before.auto_scaling_group or "")
    assert group is not None
    assert group_before is not None
    assert (group.min_size, group.desired_capacity, group.max_size) == (
        group_before.min_size,
        group_before.desired_capacity,
        group_before.max_size,
    )
    # The instance that never became healthy went, not the healthy one that served before the update.
    serving = {i.instance_id for i in group.instances if i.lifecycle_state == "InService"}
    assert serving == {i.instance_id for i in group_before.instances}


def test_container_change_saved_while_stopped_is_applied_at_start(world: World, runner: JobRunner) -> None:
    old = service_of(world, "llama3-8b-tgi")
    saved = run(world, runner, "llama3-8b-tgi", {"containerConfig": {"environment": {"MAX_INPUT_LENGTH": "2048"}}})
    assert saved.outcome is Outcome.SUCCEEDED
    assert "next start" in saved.message
    stopped = world.aws.models.get("llama3-8b-tgi")
    assert stopped.model_status is ModelStatus.STOPPED
    assert stopped.to_item()["lisa_desktop_pending_container"] == {"environment": {"MAX_INPUT_LENGTH": "2048"}}
    assert service_of(world, "llama3-8b-tgi").task_definition_arn == old.task_definition_arn
    started = run(world, runner, "llama3-8b-tgi", {"enabled": True})
    assert started.outcome is Outcome.SUCCEEDED, started.message
    new = service_of(world, "llama3-8b-tgi")
    assert new.revision == (old.revision or 0) + 1
    container = world.aws.ecs.describe_task_definition(new.task_definition_arn or "").raw["containerDefinitions"][0]
    assert {"name": "MAX_INPUT_LENGTH", "value": "2048"} in container["environment"]
    record = world.aws.models.get("llama3-8b-tgi")
    assert "lisa_desktop_pending_container" not in record.to_item()
    assert record.model_status is ModelStatus.IN_SERVICE


def test_quota_that_cannot_be_read_is_said_in_the_plan(world: World) -> None:
    from engine.jobs.validation import validate_update

    validated = validate_update(
        world.aws,
        "mistral-7b-instruct",
        parse_update({"autoScalingInstanceConfig": {"maxCapacity": 5}}),
        ack_restart=False,
    )
    assert any(note.startswith(("instance quota not checked", "instance quota:")) for note in validated.notes)


def test_a_failure_reason_lisa_wrote_once_is_left_by_later_successes(world: World, runner: JobRunner) -> None:
    """LISA writes `failure_reason` only together with Failed and never removes it: a record a LISA job once failed
    and an operator brought back keeps it through the console's updates, stops and starts."""
    world.sandbox.client("dynamodb").update_item(
        TableName=world.sandbox.table_name,
        Key={"model_id": {"S": "mistral-7b-instruct"}},
        UpdateExpression="SET failure_reason = :r",
        ExpressionAttributeValues={":r": {"S": "an old LISA failure"}},
    )
    for change in (
        {"modelDescription": "described"},
        {"autoScalingInstanceConfig": {"maxCapacity": 3}},
        {"enabled": False},
        {"enabled": True},
    ):
        result = run(world, runner, "mistral-7b-instruct", change)
        assert result.outcome is Outcome.SUCCEEDED, (change, result.message)
        assert world.aws.models.get("mistral-7b-instruct").failure_reason == "an old LISA failure", change
