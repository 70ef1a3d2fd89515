from __future__ import annotations

import json
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.aws.cloudformation import CACHE_FORMAT, ModelStackResources, StackGateway
from engine.aws.ecs import EcsGateway, ServiceRef
from engine.aws.errors import StackNotFound
from tests.engine.aws.conftest import CallCounter, create_model_stack


def test_model_resources_find_the_cluster_service_and_group(clients: AwsClients, counter: CallCounter) -> None:
    stack = create_model_stack(clients, "mistral-7b")
    counter.reset()
    resources = StackGateway(clients).model_resources(stack.stack_name, stack.stack_id)
    assert resources.cluster == stack.cluster
    assert resources.service == stack.service
    assert resources.auto_scaling_group == stack.auto_scaling_group
    assert resources.stack_id == stack.stack_id
    assert resources.task_definition is not None
    assert resources.task_definition.endswith("task-definition/mistral-7b-model:1")
    assert resources.service_ref == ServiceRef(stack.cluster, stack.service)
    assert counter.calls == ["DescribeStackResources"]
    # the ref works with DescribeServices as is
    service = EcsGateway(clients).describe_service(resources.service_ref)
    assert service.name == "mistral-7b-svc"


def test_resources_are_cached_per_stack_name_and_id(clients: AwsClients, counter: CallCounter) -> None:
    stack = create_model_stack(clients, "m1")
    gateway = StackGateway(clients)
    counter.reset()
    first = gateway.model_resources(stack.stack_name)
    assert gateway.model_resources(stack.stack_name) is first
    assert gateway.model_resources(stack.stack_name, stack.stack_id) is first
    assert counter.count("DescribeStackResources") == 1
    gateway.model_resources(stack.stack_name, "arn:aws:cloudformation:us-east-1:123456789012:stack/m1/other-id")
    assert counter.count("DescribeStackResources") == 2
    gateway.forget(stack.stack_name)
    gateway.model_resources(stack.stack_name)
    assert counter.count("DescribeStackResources") == 3


def test_a_missing_stack(clients: AwsClients) -> None:
    gateway = StackGateway(clients)
    with pytest.raises(StackNotFound, match="lisa-nope"):
        gateway.model_resources("lisa-nope")
    with pytest.raises(StackNotFound):
        gateway.stack_status("lisa-nope")


def test_a_deleted_stack_is_not_served_from_the_cache_after_forget(clients: AwsClients) -> None:
    stack = create_model_stack(clients, "m2")
    gateway = StackGateway(clients)
    gateway.model_resources(stack.stack_name)
    clients.cloudformation().delete_stack(StackName=stack.stack_name)
    gateway.forget(stack.stack_name)
    with pytest.raises(StackNotFound):
        gateway.model_resources(stack.stack_name)


def test_status_and_outputs(clients: AwsClients) -> None:
    stack = create_model_stack(clients, "m3")
    gateway = StackGateway(clients)
    assert gateway.stack_status(stack.stack_name) == "CREATE_COMPLETE"
    outputs = gateway.stack_outputs(stack.stack_name)
    assert outputs["autoScalingGroup"] == "m3-asg"
    assert outputs["modelEndpointUrl"] == "http://m3.alb.internal"
    assert gateway.describe(stack.stack_name).stack_id == stack.stack_id


def test_a_stack_without_ecs_resources_yet_is_not_cached() -> None:
    partial = ModelStackResources.from_resources(
        "lisa-m",
        [
            {
                "StackId": "arn:stack/lisa-m/1",
                "LogicalResourceId": "Cluster",
                "PhysicalResourceId": "m-cluster",
                "ResourceType": "AWS::ECS::Cluster",
                "ResourceStatus": "CREATE_COMPLETE",
            },
            {
                "StackId": "arn:stack/lisa-m/1",
                "LogicalResourceId": "Service",
                "PhysicalResourceId": "",
                "ResourceType": "AWS::ECS::Service",
                "ResourceStatus": "CREATE_IN_PROGRESS",
            },
        ],
    )
    assert partial.cluster == "m-cluster"
    assert partial.service is None
    assert not partial.is_complete
    assert partial.service_ref is None
    assert partial.stack_id == "arn:stack/lisa-m/1"


def test_the_cache_survives_a_restart_as_json(clients: AwsClients, counter: CallCounter) -> None:
    stacks = [create_model_stack(clients, f"m{index}") for index in range(3)]
    first = StackGateway(clients)
    read = {s.stack_name: first.model_resources(s.stack_name, s.stack_id) for s in stacks}
    exported = json.loads(json.dumps(first.export_cache()))

    second = StackGateway(clients)
    assert second.cached(stacks[0].stack_name) is None
    assert second.import_cache(exported) == 3
    counter.reset()
    for stack in stacks:
        assert second.model_resources(stack.stack_name, stack.stack_id) == read[stack.stack_name]
    assert counter.calls == []


def test_an_imported_entry_of_another_stack_id_is_read_again(clients: AwsClients, counter: CallCounter) -> None:
    stack = create_model_stack(clients, "m4")
    first = StackGateway(clients)
    first.model_resources(stack.stack_name)
    second = StackGateway(clients)
    second.import_cache(first.export_cache())
    counter.reset()
    second.model_resources(stack.stack_name, stack.stack_id + "-recreated")
    assert counter.count("DescribeStackResources") == 1


@pytest.mark.parametrize(
    "exported",
    [
        {},
        {"format": 0, "stacks": {}},
        {"format": CACHE_FORMAT, "stacks": []},
        {"format": CACHE_FORMAT, "stacks": {"lisa-x": "not an entry"}},
        {"format": CACHE_FORMAT, "stacks": {"lisa-x": {"stack_id": "arn:x", "cluster": "c", "service": 7}}},
        {"format": CACHE_FORMAT, "stacks": {"lisa-x": {"stack_id": "arn:x", "cluster": "c", "resources": []}}},
        {"format": CACHE_FORMAT, "stacks": {"lisa-x": {"stack_id": "", "cluster": "c", "service": "s"}}},
        {
            "format": CACHE_FORMAT,
            "stacks": {"lisa-x": {"stack_id": "arn:x", "cluster": "c", "service": "s", "resources": [["only", 2]]}},
        },
    ],
)
def test_a_malformed_or_old_export_is_ignored(clients: AwsClients, exported: dict[str, Any]) -> None:
    gateway = StackGateway(clients)
    assert gateway.import_cache(exported) == 0
    assert gateway.export_cache()["stacks"] == {}


def test_entries_cached_already_win_over_imported_ones(clients: AwsClients) -> None:
    stack = create_model_stack(clients, "m5")
    gateway = StackGateway(clients)
    fresh = gateway.model_resources(stack.stack_name)
    stale = {"format": CACHE_FORMAT, "stacks": {stack.stack_name: {**fresh.to_cache(), "cluster": "old-cluster"}}}
    assert gateway.import_cache(stale) == 0
    assert gateway.cached(stack.stack_name) == fresh
