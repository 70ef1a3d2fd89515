"""CloudFormation: the resources of a model's stack (`<deploymentName>-<modelId>`), its status and outputs;
creating and deleting a model's stack."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.ecs import ServiceRef
from engine.aws.errors import StackNotFound, error_code, error_message
from engine.errors import InvalidInput, LisaDesktopError, Problem

ECS_CLUSTER: Final = "AWS::ECS::Cluster"
ECS_SERVICE: Final = "AWS::ECS::Service"
ECS_TASK_DEFINITION: Final = "AWS::ECS::TaskDefinition"
AUTO_SCALING_GROUP: Final = "AWS::AutoScaling::AutoScalingGroup"
LOAD_BALANCER: Final = "AWS::ElasticLoadBalancingV2::LoadBalancer"
MODEL_STACK_CAPABILITIES: Final = ("CAPABILITY_NAMED_IAM",)
"""A model stack makes named IAM roles (task and execution roles), as LISA's ECS model deployer's does."""
TEMPLATE_BODY_LIMIT: Final = 51_200
"""CreateStack's TemplateBody limit in bytes; a larger template must be uploaded to S3 first."""
MODEL_ID_TAG: Final = "lisa:model-id"
CACHE_FORMAT: Final = 2
"""Bumped when the shape of `StackGateway.export_cache()` changes: an older export is ignored on import."""
_CACHED_FIELDS: Final = ("stack_id", "cluster", "service", "auto_scaling_group", "task_definition", "load_balancer")


class StackFailed(LisaDesktopError):
    """A stack operation ended in a failed state (CREATE_FAILED, ROLLBACK_*, DELETE_FAILED, ...)."""

    def __init__(self, stack_name: str, status: str, reason: str | None, details: Sequence[str] = ()) -> None:
        self.stack_name = stack_name
        self.status = status
        self.reason = reason
        self.details = tuple(details)
        text = f"CloudFormation stack {stack_name} is {status}"
        if reason:
            text += f": {reason}"
        if self.details:
            text += f" (first failure: {'; '.join(self.details)})"
        super().__init__(text)


def is_stack_in_progress(status: str) -> bool:
    """CREATE_IN_PROGRESS, ROLLBACK_IN_PROGRESS, UPDATE_..._IN_PROGRESS, DELETE_IN_PROGRESS, REVIEW_IN_PROGRESS."""
    return status.endswith("_IN_PROGRESS")


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
    by_tag: bool = False
    """Found by the stack's tags on its ECS cluster (`engine.aws.stack_locator`), not read from the stack: the
    cluster, the group, and the service once listed; no other resource."""

    @classmethod
    def located(
        cls, stack_name: str, stack_id: str, cluster: str, service: str | None, auto_scaling_group: str | None
    ) -> ModelStackResources:
        return cls(stack_name, stack_id, cluster, service, auto_scaling_group, None, None, by_tag=True)

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

    def to_cache(self) -> dict[str, Any]:
        """JSON-safe: the physical ids, and every resource as [logical id, physical id, type, status]."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _CACHED_FIELDS}
        data["resources"] = [[r.logical_id, r.physical_id, r.resource_type, r.status] for r in self.resources]
        if self.by_tag:
            data["byTag"] = True
        return data

    @classmethod
    def from_cache(cls, stack_name: str, data: Mapping[str, Any]) -> ModelStackResources | None:
        """The entry `to_cache` wrote; None when it is malformed, or not of a complete stack nor of a cluster found
        by tag."""
        values: dict[str, Any] = {name: data.get(name) for name in _CACHED_FIELDS}
        raw = data.get("resources")
        if not all(value is None or isinstance(value, str) for value in values.values()) or not values["stack_id"]:
            return None
        if not isinstance(raw, list) or not all(
            isinstance(r, list) and len(r) == 4 and all(isinstance(v, str) for v in r) for r in raw
        ):
            return None
        by_tag = data.get("byTag") is True
        entry = cls(stack_name=stack_name, **values, resources=tuple(StackResource(*r) for r in raw), by_tag=by_tag)
        return entry if entry.is_complete or (by_tag and entry.cluster) else None

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
        """The stack's ECS cluster, ECS service and Auto Scaling group (DescribeStackResources, cached; an entry
        found by tag is replaced by the whole stack's).

        `stack_id` (the model record's `cloudformation_stack_arn`) makes sure a cached lookup belongs to that
        very stack. Raises `StackNotFound`.
        """
        with self._lock:
            cached = self._resources.get(stack_name)
        if cached is not None and not cached.by_tag and (stack_id is None or cached.stack_id == stack_id):
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

    def remember(self, resources: ModelStackResources) -> None:
        """Cache resources found another way (by tag); `model_resources` still reads the stack for the rest."""
        with self._lock:
            self._resources[resources.stack_name] = resources

    def forget(self, stack_name: str) -> None:
        """Drop the cached resources of one stack (after it was deleted, or to look again)."""
        with self._lock:
            self._resources.pop(stack_name, None)

    def cached(self, stack_name: str) -> ModelStackResources | None:
        """The cached resources of the stack (whole, or found by tag), without calling AWS."""
        with self._lock:
            return self._resources.get(stack_name)

    def knows_any(self) -> bool:
        """Whether any stack's resources are cached."""
        with self._lock:
            return bool(self._resources)

    def export_cache(self) -> dict[str, Any]:
        """The cache as JSON-safe data, for `import_cache` in a later run (no DescribeStackResources per stack
        again at start-up)."""
        with self._lock:
            stacks = {name: resources.to_cache() for name, resources in self._resources.items()}
        return {"format": CACHE_FORMAT, "stacks": stacks}

    def import_cache(self, data: Mapping[str, Any]) -> int:
        """Add the entries of an `export_cache()` (ones cached already win); returns how many were taken.
        Anything malformed, or of another format, is ignored. An entry is checked against the record's stack
        id like any other, and the inventory drops one whose cluster or service turns out gone."""
        stacks = data.get("stacks") if isinstance(data, Mapping) and data.get("format") == CACHE_FORMAT else None
        if not isinstance(stacks, Mapping):
            return 0
        taken = 0
        with self._lock:
            for name, raw in stacks.items():
                entry = ModelStackResources.from_cache(name, raw) if isinstance(raw, Mapping) else None
                if entry is not None and name not in self._resources:
                    self._resources[name] = entry
                    taken += 1
        return taken

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

    def describe_or_none(self, stack: str) -> StackInfo | None:
        """The stack (by name or id), or None when there is none. A deleted stack described by its id (ARN) is
        shown with status DELETE_COMPLETE for a while, as AWS does; by name it is simply gone."""
        try:
            return self.describe(stack)
        except StackNotFound:
            return None

    def create_stack(
        self,
        stack_name: str,
        template: Mapping[str, Any],
        *,
        tags: Mapping[str, str] | None = None,
        capabilities: Sequence[str] = MODEL_STACK_CAPABILITIES,
        client_request_token: str | None = None,
    ) -> str:
        """CreateStack with the template as its body (JSON); returns the new stack's id (ARN) at once, while
        CloudFormation goes on creating it (poll `describe`). The request token (uuid4 unless given) makes a
        retried call idempotent. InvalidInput when a stack of that name exists or the template is too large to
        send as a body."""
        body = json.dumps(template, separators=(",", ":"), sort_keys=False)
        size = len(body.encode())
        if size > TEMPLATE_BODY_LIMIT:
            raise InvalidInput(
                [
                    Problem(
                        "template",
                        f"the stack template is {size} bytes, more than CreateStack's {TEMPLATE_BODY_LIMIT} "
                        "byte TemplateBody limit (a template URL in S3 would be needed)",
                    )
                ],
                f"stack {stack_name}",
            )
        token = client_request_token or str(uuid.uuid4())
        with self._clients.errors("cloudformation:CreateStack", f"stack {stack_name}"):
            try:
                response = self._clients.cloudformation().create_stack(
                    StackName=stack_name,
                    TemplateBody=body,
                    Capabilities=list(capabilities),  # type: ignore[arg-type]
                    Tags=[{"Key": key, "Value": value} for key, value in (tags or {}).items()],
                    ClientRequestToken=token,
                )
            except ClientError as exc:
                if error_code(exc) == "AlreadyExistsException":
                    raise InvalidInput(
                        [Problem("modelId", f"a CloudFormation stack named {stack_name} exists already")],
                        f"stack {stack_name}",
                    ) from exc
                raise
        self.forget(stack_name)
        return str(response.get("StackId") or stack_name)

    def delete_stack(self, stack: str, *, client_request_token: str | None = None) -> str:
        """DeleteStack (by name or id) with a uuid4 ClientRequestToken, as LISA's DeleteModel does; returns the
        token. CloudFormation deletes in the background: poll `describe_or_none` until DELETE_COMPLETE or gone.
        Deleting a stack that does not exist is not an error (AWS answers it the same way)."""
        token = client_request_token or str(uuid.uuid4())
        with self._clients.errors("cloudformation:DeleteStack", f"stack {stack}"):
            try:
                self._clients.cloudformation().delete_stack(StackName=stack, ClientRequestToken=token)
            except ClientError as exc:
                if not _is_missing_stack(exc):
                    raise
        self.forget(stack)
        return token

    def failure_reasons(self, stack: str, *, limit: int = 3) -> list[str]:
        """The first resource failures of the stack's latest operation, oldest first (DescribeStackEvents):
        `LogicalId (Type) CREATE_FAILED: reason`. The cascade of "Resource creation cancelled" is left out.
        Empty when the events cannot be read."""
        try:
            with self._clients.errors("cloudformation:DescribeStackEvents", f"stack {stack}"):
                pages = self._clients.cloudformation().get_paginator("describe_stack_events").paginate(StackName=stack)
                events = [event for page in pages for event in page.get("StackEvents", [])]
        except LisaDesktopError:  # best effort: the stack's own status reason is reported anyway
            return []
        failures: list[str] = []
        for event in reversed(events):  # oldest first
            status = str(event.get("ResourceStatus", ""))
            reason = str(event.get("ResourceStatusReason") or "")
            if not status.endswith("_FAILED") or not reason or "cancelled" in reason.lower():
                continue
            if event.get("PhysicalResourceId") == event.get("StackId"):
                continue  # the stack's own event repeats its status reason
            failures.append(f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}) {status}: {reason}")
        return failures[:limit]

    def stack_status(self, stack_name: str) -> str:
        return self.describe(stack_name).status

    def stack_outputs(self, stack_name: str) -> Mapping[str, str]:
        """The stack's outputs by key (a LISA model stack has `modelEndpointUrl` and `autoScalingGroup`)."""
        return self.describe(stack_name).outputs
