from __future__ import annotations

import pytest

from engine.aws.clients import AwsClients
from engine.aws.cloudformation import ModelStackResources, StackGateway
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
