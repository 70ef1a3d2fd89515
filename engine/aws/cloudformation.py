"""CloudFormation: the resources of a model's stack (`<deploymentName>-<modelId>`), its status and outputs."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.ecs import ServiceRef
from engine.aws.errors import StackNotFound, error_code, error_message

ECS_CLUSTER: Final = "AWS::ECS::Cluster"
ECS_SERVICE: Final = "AWS::ECS::Service"
ECS_TASK_DEFINITION: Final = "AWS::ECS::TaskDefinition"
AUTO_SCALING_GROUP: Final = "AWS::AutoScaling::AutoScalingGroup"
LOAD_BALANCER: Final = "AWS::ElasticLoadBalancingV2::LoadBalancer"


def _is_missing_stack(exc: ClientError) -> bool:
    return error_code(exc) == "ValidationError" and "does not exist" in error_message(exc)


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    physical_id: str
    resource_type: str
    status: str


@dataclass(frozen=True)
class ModelStackResources:
    """The physical ids of a model stack's resources, found as LISA's HandleEcsUpdate finds them."""

    stack_name: str
    stack_id: str
    cluster: str | None
    service: str | None
    auto_scaling_group: str | None
    task_definition: str | None
    load_balancer: str | None
    resources: tuple[StackResource, ...] = ()

    @classmethod
    def from_resources(cls, stack_name: str, raw: Sequence[Mapping[str, Any]]) -> ModelStackResources:
        resources = tuple(
            StackResource(
                logical_id=str(r.get("LogicalResourceId", "")),
                physical_id=str(r.get("PhysicalResourceId", "")),
                resource_type=str(r.get("ResourceType", "")),
                status=str(r.get("ResourceStatus", "")),
            )
            for r in raw
        )

        def first(resource_type: str) -> str | None:
            return next((r.physical_id for r in resources if r.resource_type == resource_type and r.physical_id), None)

        stack_id = next((str(r["StackId"]) for r in raw if r.get("StackId")), "")
        return cls(
            stack_name=stack_name,
            stack_id=stack_id,
            cluster=first(ECS_CLUSTER),
            service=first(ECS_SERVICE),
            auto_scaling_group=first(AUTO_SCALING_GROUP),
            task_definition=first(ECS_TASK_DEFINITION),
            load_balancer=first(LOAD_BALANCER),
            resources=resources,
        )

    @property
    def service_ref(self) -> ServiceRef | None:
        if self.cluster and self.service:
            return ServiceRef(self.cluster, self.service)
        return None

    @property
    def is_complete(self) -> bool:
        """Both the ECS cluster and service exist (a stack still being created may lack them)."""
        return self.service_ref is not None


@dataclass(frozen=True)
class StackInfo:
    name: str
    stack_id: str
    status: str
    status_reason: str | None
    outputs: Mapping[str, str]


class StackGateway:
    """Reads model stacks. Resource lookups are cached per stack name and id: physical ids do not change for
    the life of a stack (a stack deleted and created again under the same name gets a new id)."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._lock = threading.Lock()
        self._resources: dict[str, ModelStackResources] = {}

    def model_resources(self, stack_name: str, stack_id: str | None = None) -> ModelStackResources:
        """The stack's ECS cluster, ECS service and Auto Scaling group (DescribeStackResources, cached).

        `stack_id` (the model record's `cloudformation_stack_arn`) makes sure a cached lookup belongs to that
        very stack. Raises `StackNotFound`.
        """
        with self._lock:
            cached = self._resources.get(stack_name)
        if cached is not None and (stack_id is None or cached.stack_id == stack_id):
            return cached
        with self._clients.errors("cloudformation:DescribeStackResources", f"stack {stack_name}"):
            try:
                response = self._clients.cloudformation().describe_stack_resources(StackName=stack_name)
            except ClientError as exc:
                if _is_missing_stack(exc):
                    self.forget(stack_name)
                    raise StackNotFound(stack_name) from exc
                raise
        resources = ModelStackResources.from_resources(stack_name, response.get("StackResources", ()))
        if resources.is_complete:
            with self._lock:
                self._resources[stack_name] = resources
        return resources

    def forget(self, stack_name: str) -> None:
        """Drop the cached resources of one stack (after it was deleted, or to look again)."""
        with self._lock:
            self._resources.pop(stack_name, None)

    def describe(self, stack_name: str) -> StackInfo:
        with self._clients.errors("cloudformation:DescribeStacks", f"stack {stack_name}"):
            try:
                response = self._clients.cloudformation().describe_stacks(StackName=stack_name)
            except ClientError as exc:
                if _is_missing_stack(exc):
                    raise StackNotFound(stack_name) from exc
                raise
        stacks = response.get("Stacks", [])
        if not stacks:
            raise StackNotFound(stack_name)
        stack = stacks[0]
        return StackInfo(
            name=stack["StackName"],
            stack_id=stack.get("StackId", ""),
            status=stack["StackStatus"],
            status_reason=stack.get("StackStatusReason"),
            outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", []) if "OutputKey" in o},
        )

    def stack_status(self, stack_name: str) -> str:
        return self.describe(stack_name).status

    def stack_outputs(self, stack_name: str) -> Mapping[str, str]:
        """The stack's outputs by key (a LISA model stack has `modelEndpointUrl` and `autoScalingGroup`)."""
        return self.describe(stack_name).outputs
