from __future__ import annotations

import pytest

from engine.aws.autoscaling import AutoScalingGateway, ScalingGroup
from engine.aws.clients import AwsClients
from engine.errors import InvalidInput
from tests.engine.aws.conftest import CallCounter, make_groups


def raw_group(**overrides: object) -> dict[str, object]:
    group: dict[str, object] = {
        "AutoScalingGroupName": "model-asg",
        "MinSize": 1,
        "MaxSize": 3,
        "DesiredCapacity": 3,
        "DefaultCooldown": 420,
        "Instances": [
            {
                "InstanceId": "i-1",
                "LifecycleState": "InService",
                "HealthStatus": "Healthy",
                "InstanceType": "g5.xlarge",
            },
            {"InstanceId": "i-2", "LifecycleState": "Pending", "HealthStatus": "Healthy"},
            {"InstanceId": "i-3", "LifecycleState": "InService", "HealthStatus": "Unhealthy"},
            {"InstanceId": "i-4", "LifecycleState": "InService", "HealthStatus": "Healthy"},
        ],
    }
    group.update(overrides)
    return group


def test_healthy_in_service_counts_only_healthy_instances_in_service() -> None:
    group = ScalingGroup.from_response(raw_group())
    assert group.healthy_in_service_count == 2
    assert group.healthy_count == 2
    assert not group.reached_desired
    assert group.default_cooldown == 420
    assert group.default_instance_warmup is None
    assert group.instances[0].instance_type == "g5.xlarge"


def test_warmup_when_aws_returns_it_and_a_stopped_group() -> None:
    assert ScalingGroup.from_response(raw_group(DefaultInstanceWarmup=180)).default_instance_warmup == 180
    stopped = ScalingGroup.from_response(raw_group(MinSize=0, MaxSize=0, DesiredCapacity=0, Instances=[]))
    assert stopped.is_stopped
    assert stopped.reached_desired


def test_twenty_five_groups_take_one_call(clients: AwsClients, counter: CallCounter) -> None:
    names = [f"model-{i}-asg" for i in range(25)]
    make_groups(clients, names)
    counter.reset()
    groups = AutoScalingGateway(clients).describe([*names, "missing-asg", names[0]])
    assert counter.count("DescribeAutoScalingGroups") == 1
    assert sorted(groups) == sorted(names)
    assert groups["model-3-asg"].max_size == 3


def test_more_than_a_hundred_groups_go_a_hundred_per_call(clients: AwsClients, counter: CallCounter) -> None:
    names = [f"g{i:03d}" for i in range(130)]
    make_groups(clients, names)
    counter.reset()
    groups = AutoScalingGateway(clients).describe(names)
    assert len(groups) == 130
    assert counter.count("DescribeAutoScalingGroups") == 2
    assert all(
        len(p["AutoScalingGroupNames"]) <= 100 and p["MaxRecords"] == 100
        for name, p in counter.params
        if name == "DescribeAutoScalingGroups"
    )


def test_no_names_no_call(clients: AwsClients, counter: CallCounter) -> None:
    assert AutoScalingGateway(clients).describe([]) == {}
    assert counter.calls == []


def test_desired_above_max_is_refused_before_aws_is_called(clients: AwsClients, counter: CallCounter) -> None:
    make_groups(clients, ["m-asg"], min_size=1, max_size=3, desired=1)
    gateway = AutoScalingGateway(clients)
    counter.reset()
    with pytest.raises(InvalidInput) as caught:
        gateway.update("m-asg", min_size=1, max_size=3, desired=4)
    assert [p.field for p in caught.value.problems] == ["desiredCapacity"]
    assert "maxSize 3" in caught.value.problems[0].rule
    assert counter.calls == []

    with pytest.raises(InvalidInput) as below:
        gateway.update("m-asg", desired=0)
    assert below.value.problems[0].field == "desiredCapacity"
    assert counter.count("UpdateAutoScalingGroup") == 0
    assert counter.count("DescribeAutoScalingGroups") == 1

    with pytest.raises(InvalidInput) as inverted:
        gateway.update("m-asg", min_size=5)
    assert inverted.value.problems[0].field == "minSize"
    with pytest.raises(InvalidInput) as warmup:
        gateway.update("m-asg", warmup=4000, cooldown=-1)
    assert {p.field for p in warmup.value.problems} == {"defaultInstanceWarmup", "defaultCooldown"}
    assert counter.count("UpdateAutoScalingGroup") == 0
    group = gateway.describe_one("m-asg")
    assert group is not None
    assert (group.min_size, group.max_size, group.desired_capacity) == (1, 3, 1)


def test_update_applies_only_the_given_values(clients: AwsClients, counter: CallCounter) -> None:
    make_groups(clients, ["m-asg"], min_size=1, max_size=3, desired=1)
    gateway = AutoScalingGateway(clients)
    counter.reset()
    gateway.update("m-asg", min_size=2, max_size=4, desired=3, cooldown=420, warmup=180)
    assert counter.calls == ["UpdateAutoScalingGroup"]
    assert counter.params[-1][1] == {
        "AutoScalingGroupName": "m-asg",
        "MinSize": 2,
        "MaxSize": 4,
        "DesiredCapacity": 3,
        "DefaultCooldown": 420,
        "DefaultInstanceWarmup": 180,
    }
    group = gateway.describe_one("m-asg")
    assert group is not None
    assert (group.min_size, group.max_size, group.desired_capacity) == (2, 4, 3)
    assert group.healthy_in_service_count == 3

    gateway.update("m-asg", min_size=0, max_size=0, desired=0)
    stopped = gateway.describe_one("m-asg")
    assert stopped is not None
    assert stopped.is_stopped


def test_updating_a_missing_group(clients: AwsClients) -> None:
    with pytest.raises(InvalidInput) as caught:
        AutoScalingGateway(clients).update("nope", desired=1)
    assert caught.value.problems[0].field == "autoScalingGroup"
