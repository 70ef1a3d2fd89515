"""The simulated world over time: ECS rollouts (and their failure), Auto Scaling capacity, ambient transitions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from engine.sandbox.server import Sandbox
from tests.waiting import wait_for

MODEL = "mistral-7b-instruct"


def service_of(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    resources = sandbox.resources(model_id)
    services = sandbox.client("ecs").describe_services(cluster=resources.cluster, services=[resources.service])
    return dict(services["services"][0])


def group_of(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    name = sandbox.resources(model_id).auto_scaling_group
    groups = sandbox.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return dict(groups["AutoScalingGroups"][0])


def healthy(group: dict[str, Any]) -> int:
    return sum(1 for i in group["Instances"] if i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy")


def new_revision(sandbox: Sandbox, model_id: str, **environment: str) -> tuple[str, str]:
    """Register a new revision as LISA's HandleEcsUpdate does; returns (old arn, new arn)."""
    ecs = sandbox.client("ecs")
    current_arn = service_of(sandbox, model_id)["taskDefinition"]
    current = ecs.describe_task_definition(taskDefinition=current_arn)["taskDefinition"]
    container = dict(current["containerDefinitions"][0])
    env = {e["name"]: e["value"] for e in container["environment"]}
    env.update(environment)
    container["environment"] = [{"name": k, "value": v} for k, v in env.items()]
    registered = ecs.register_task_definition(
        family=current["family"],
        taskRoleArn=current["taskRoleArn"],
        executionRoleArn=current["executionRoleArn"],
        networkMode=current["networkMode"],
        requiresCompatibilities=current.get("requiresCompatibilities", ["EC2"]),
        containerDefinitions=[container],
    )
    return current_arn, registered["taskDefinition"]["taskDefinitionArn"]


def update(sandbox: Sandbox, model_id: str, task_definition: str) -> dict[str, Any]:
    resources = sandbox.resources(model_id)
    response = sandbox.client("ecs").update_service(
        cluster=resources.cluster, service=resources.service, taskDefinition=task_definition
    )
    return dict(response["service"])


def messages(service: dict[str, Any]) -> list[str]:
    return [event["message"] for event in service["events"]]


def test_update_service_rolls_out_a_new_revision(fresh_sandbox: Sandbox) -> None:
    old, new = new_revision(fresh_sandbox, MODEL, MAX_TOTAL_TOKENS="8192")
    events_before = len(service_of(fresh_sandbox, MODEL)["events"])

    updated = update(fresh_sandbox, MODEL, new.rsplit("/", 1)[1])  # "family:revision", as boto3 users often pass
    assert updated["taskDefinition"] == new
    primary, previous = updated["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == ("PRIMARY", "IN_PROGRESS", new)
    assert primary["runningCount"] == 0
    assert primary["id"].startswith("ecs-svc/")
    assert primary["createdAt"] == primary["updatedAt"] or primary["updatedAt"] >= primary["createdAt"]
    assert (previous["status"], previous["taskDefinition"]) == ("ACTIVE", old)

    service = wait_for(
        lambda: (s := service_of(fresh_sandbox, MODEL))["deployments"][0]["rolloutState"] == "COMPLETED" and s,
        timeout=5,
        what="the rollout to complete",
    )
    (deployment,) = service["deployments"]
    assert deployment["id"] == primary["id"]
    assert deployment["taskDefinition"] == new
    assert deployment["runningCount"] == deployment["desiredCount"] == 1
    assert deployment["pendingCount"] == 0
    assert deployment["rolloutStateReason"] == f"ECS deployment {primary['id']} completed."
    assert service["runningCount"] == 1

    assert len(service["events"]) > events_before
    new_messages = messages(service)[: len(service["events"]) - events_before]
    name = fresh_sandbox.resources(MODEL).service
    assert new_messages[0] == f"(service {name}) has reached a steady state."
    assert f"(service {name}) (deployment {primary['id']}) deployment completed." in new_messages
    assert any(m.startswith(f"(service {name}) has started 1 tasks: (task ") for m in new_messages)
    assert any(m.startswith(f"(service {name}) has stopped 1 running tasks: (task ") for m in new_messages)
    stamps = [event["createdAt"] for event in service["events"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len({event["id"] for event in service["events"]}) == len(stamps)


def test_failed_rollout_keeps_the_old_deployment_and_a_rollback_completes(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.faults.fail_rollout.add(MODEL)
    old, new = new_revision(fresh_sandbox, MODEL, BROKEN="1")
    update(fresh_sandbox, MODEL, new)

    service = wait_for(
        lambda: (s := service_of(fresh_sandbox, MODEL))["deployments"][0]["rolloutState"] == "FAILED" and s,
        timeout=5,
        what="the rollout to fail",
    )
    failed, previous = service["deployments"]
    assert (failed["status"], failed["taskDefinition"], failed["runningCount"]) == ("PRIMARY", new, 0)
    assert failed["failedTasks"] > 0
    assert "circuit breaker" in failed["rolloutStateReason"]
    assert (previous["status"], previous["taskDefinition"], previous["runningCount"]) == ("ACTIVE", old, 1)
    assert service["runningCount"] == 1
    assert any("deployment failed: tasks failed to start." in m for m in messages(service))

    # the engine rolls back: the previous revision goes back on, and that rollout completes
    rolled_back = update(fresh_sandbox, MODEL, old)
    assert rolled_back["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    service = wait_for(
        lambda: (s := service_of(fresh_sandbox, MODEL))["deployments"][0]["rolloutState"] == "COMPLETED" and s,
        timeout=5,
        what="the rollback to complete",
    )
    (deployment,) = service["deployments"]
    assert (deployment["taskDefinition"], deployment["runningCount"]) == (old, 1)
    assert messages(service)[0].endswith("has reached a steady state.")


def test_force_new_deployment_rolls_out_the_same_revision(fresh_sandbox: Sandbox) -> None:
    resources = fresh_sandbox.resources(MODEL)
    before = service_of(fresh_sandbox, MODEL)
    response = fresh_sandbox.client("ecs").update_service(
        cluster=resources.cluster, service=resources.service, forceNewDeployment=True
    )
    primary = response["service"]["deployments"][0]
    assert primary["id"] != before["deployments"][0]["id"]
    assert primary["taskDefinition"] == before["taskDefinition"]
    wait_for(lambda: service_of(fresh_sandbox, MODEL)["deployments"][0]["rolloutState"] == "COMPLETED", timeout=5)


@pytest.fixture
def slow_warmup_sandbox() -> Iterator[Sandbox]:
    """Instances take 2 s to warm up: long enough to see one Pending on a busy machine."""
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=2.0, tick_seconds=0.05) as sandbox:
        yield sandbox


def test_more_capacity_is_pending_then_healthy_and_the_daemon_follows(slow_warmup_sandbox: Sandbox) -> None:
    fresh_sandbox = slow_warmup_sandbox
    name = fresh_sandbox.resources(MODEL).auto_scaling_group
    fresh_sandbox.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=name, DesiredCapacity=2)
    group = group_of(fresh_sandbox, MODEL)
    assert group["DesiredCapacity"] == 2
    wait_for(
        lambda: any(i["LifecycleState"] == "Pending" for i in group_of(fresh_sandbox, MODEL)["Instances"]), timeout=2
    )
    assert healthy(group_of(fresh_sandbox, MODEL)) == 1
    group = wait_for(lambda: (g := group_of(fresh_sandbox, MODEL)) and healthy(g) == 2 and g, timeout=8)
    assert len(group["Instances"]) == 2
    service = wait_for(lambda: (s := service_of(fresh_sandbox, MODEL))["runningCount"] == 2 and s, timeout=3)
    assert service["desiredCount"] == 2
    assert service["deployments"][0]["runningCount"] == 2

    fresh_sandbox.client("autoscaling").set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    assert len(group_of(fresh_sandbox, MODEL)["Instances"]) == 1
    wait_for(lambda: service_of(fresh_sandbox, MODEL)["runningCount"] == 1, timeout=3)


def test_capacity_fault_never_becomes_healthy(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.faults.fail_capacity.add(MODEL)
    name = fresh_sandbox.resources(MODEL).auto_scaling_group
    fresh_sandbox.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=name, DesiredCapacity=3)
    seen: set[str] = set()
    first_new: set[str] = set()

    def replaced_once() -> bool:
        """Checks the group on every look; true once a new instance has turned InService/Unhealthy and gone."""
        group = group_of(fresh_sandbox, MODEL)
        assert healthy(group) == 1
        assert len(group["Instances"]) in (3, 4)  # 4 while an unhealthy one is being replaced
        seen.update(f"{i['LifecycleState']}/{i['HealthStatus']}" for i in group["Instances"])
        ids = {i["InstanceId"] for i in group["Instances"]}
        if not first_new:
            first_new.update(ids)
        return "Pending/Healthy" in seen and "InService/Unhealthy" in seen and not first_new <= ids

    wait_for(replaced_once, timeout=10, interval=0.02, what="an unhealthy instance to be replaced")
    assert service_of(fresh_sandbox, MODEL)["runningCount"] == 1

    fresh_sandbox.faults.fail_capacity.discard(MODEL)
    wait_for(lambda: healthy(group_of(fresh_sandbox, MODEL)) == 3, timeout=5, what="replacements to become healthy")


@pytest.mark.parametrize(
    ("call", "arguments", "message"),
    [
        ("update_auto_scaling_group", {"DesiredCapacity": 4}, "Desired capacity:4 must be between"),
        ("update_auto_scaling_group", {"MinSize": 2, "DesiredCapacity": 1}, "Desired capacity:1 must be between"),
        ("update_auto_scaling_group", {"MinSize": 4}, "Max bound, 3, must be greater than or equal to min bound, 4"),
        ("set_desired_capacity", {"DesiredCapacity": 4}, "is above max value 3"),
        ("set_desired_capacity", {"DesiredCapacity": 0}, "is below min value 1"),
    ],
)
def test_desired_outside_min_max_is_a_validation_error(
    shared_sandbox: Sandbox, call: str, arguments: dict[str, int], message: str
) -> None:
    name = shared_sandbox.resources(MODEL).auto_scaling_group
    client = shared_sandbox.client("autoscaling")
    with pytest.raises(ClientError) as raised:
        getattr(client, call)(AutoScalingGroupName=name, **arguments)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert message in raised.value.response["Error"]["Message"]
    group = group_of(shared_sandbox, MODEL)
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 1)


def test_cooldown_and_warmup_updates_are_kept(fresh_sandbox: Sandbox) -> None:
    name = fresh_sandbox.resources(MODEL).auto_scaling_group
    fresh_sandbox.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=name, DefaultCooldown=300, DefaultInstanceWarmup=90
    )
    group = group_of(fresh_sandbox, MODEL)
    assert (group["DefaultCooldown"], group["DefaultInstanceWarmup"]) == (300, 90)


def test_changing_bounds_moves_desired_inside_like_aws(fresh_sandbox: Sandbox) -> None:
    """LISA's start: UpdateAutoScalingGroup with min/max only; the group rises to min (desired was 0)."""
    name = fresh_sandbox.resources("llama3-8b-tgi").auto_scaling_group
    fresh_sandbox.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=name, MinSize=1, MaxSize=2)
    group = group_of(fresh_sandbox, "llama3-8b-tgi")
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 2, 1)
    wait_for(lambda: healthy(group_of(fresh_sandbox, "llama3-8b-tgi")) == 1, timeout=5)
    wait_for(lambda: service_of(fresh_sandbox, "llama3-8b-tgi")["runningCount"] == 1, timeout=3)
    # stop: 0/0/0
    fresh_sandbox.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0
    )
    assert group_of(fresh_sandbox, "llama3-8b-tgi")["Instances"] == []
    wait_for(lambda: service_of(fresh_sandbox, "llama3-8b-tgi")["runningCount"] == 0, timeout=3)


def test_ambient_transitions_move_the_seeded_models_on() -> None:
    # Seconds from the seeding: mixtral's must outlast the rest of a sandbox's start on a loaded machine (1.5 s
    # did not once), as the first status is read after it.
    delays = {
        "mixtral-8x7b-instruct": 4.0,
        "qwen2-5-coder-7b": 4.5,
        "phi-3-mini": 0.5,
        "gemma-2-9b-it": 1.0,
        "falcon-40b-legacy": 1.0,
    }
    with Sandbox(rollout_seconds=1.0, warmup_seconds=0.5, tick_seconds=0.05, ambient_seconds=delays) as sandbox:
        table = sandbox.client("dynamodb")

        def status(model_id: str) -> str | None:
            item = table.get_item(TableName=sandbox.table_name, Key={"model_id": {"S": model_id}}).get("Item")
            return item["model_status"]["S"] if item else None

        assert status("mixtral-8x7b-instruct") == "Starting"
        assert not sandbox.litellm.ids_for("mixtral-8x7b-instruct")
        wait_for(lambda: status("mixtral-8x7b-instruct") == "InService", timeout=10, what="Starting → InService")
        item = table.get_item(TableName=sandbox.table_name, Key={"model_id": {"S": "mixtral-8x7b-instruct"}})["Item"]
        (registered,) = sandbox.litellm.ids_for("mixtral-8x7b-instruct")
        assert item["litellm_id"]["S"] == registered
        assert healthy(group_of(sandbox, "mixtral-8x7b-instruct")) == 1
        assert service_of(sandbox, "mixtral-8x7b-instruct")["runningCount"] == 1

        wait_for(lambda: status("phi-3-mini") == "Stopped", timeout=10, what="Stopping → Stopped")
        wait_for(lambda: status("gemma-2-9b-it") == "InService", timeout=10, what="Updating → InService")
        assert service_of(sandbox, "gemma-2-9b-it")["deployments"][0]["rolloutState"] == "COMPLETED"
        wait_for(lambda: status("falcon-40b-legacy") is None, timeout=10, what="Deleting → removed")
        stacks = sandbox.client("cloudformation").describe_stacks(
            StackName=sandbox.client("cloudformation").list_stacks(StackStatusFilter=["DELETE_COMPLETE"])[
                "StackSummaries"
            ][0]["StackId"]
        )["Stacks"]
        assert stacks[0]["StackName"] == "lisa-falcon-40b-legacy"
        wait_for(lambda: status("qwen2-5-coder-7b") == "InService", timeout=15, what="Creating → InService")
        item = table.get_item(TableName=sandbox.table_name, Key={"model_id": {"S": "qwen2-5-coder-7b"}})["Item"]
        assert item["cloudformation_stack_name"]["S"] == "lisa-qwen2-5-coder-7b"
        assert item["model_url"]["S"].endswith("/v1")
        assert sandbox.litellm.ids_for("qwen2-5-coder-7b") == [item["litellm_id"]["S"]]
        wait_for(
            lambda: service_of(sandbox, "qwen2-5-coder-7b")["deployments"][0]["rolloutState"] == "COMPLETED",
            timeout=5,
        )


def test_without_ambient_the_transitional_models_stay_put(fresh_sandbox: Sandbox) -> None:
    assert fresh_sandbox.simulator.pending_actions() == []


def test_instances_launched_at_once_in_one_subnet_each_get_an_address(fresh_sandbox: Sandbox) -> None:
    """moto draws a subnet's addresses from one generator without a lock: two launches at once failed one of them
    with 'generator already executing' (a stack's group and the simulator's replacement, in a clean-clone run)."""
    ec2 = fresh_sandbox.client("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    def launch(_: int) -> list[str]:
        made = ec2.run_instances(ImageId=image, MinCount=5, MaxCount=5, SubnetId=subnet, InstanceType="t3.micro")
        return [instance["PrivateIpAddress"] for instance in made["Instances"]]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often enough to meet inside the generator
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            addresses = [address for launched in pool.map(launch, range(64)) for address in launched]
    finally:
        sys.setswitchinterval(interval)
    assert len(addresses) == len(set(addresses)) == 320
