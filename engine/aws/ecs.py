"""ECS: typed views of services, deployments and task definitions, and a batching gateway to read them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients, map_concurrently
from engine.aws.errors import EcsServiceNotFound, error_code

DESCRIBE_SERVICES_MAX: Final = 10
"""DescribeServices accepts at most 10 services per call, all in one cluster."""
DESCRIBE_CLUSTERS_MAX: Final = 100
"""DescribeClusters accepts at most 100 clusters per call, names or ARNs."""
DESCRIBE_TASKS_MAX: Final = 100
"""DescribeTasks accepts at most 100 tasks per call."""

_SERVICE_GONE_CODES: Final = frozenset(
    {"ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"}
)

# Fields of a described task definition that RegisterTaskDefinition does not take.
_READ_ONLY_TASK_DEFINITION_FIELDS: Final = frozenset(
    {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
    }
)


def revision_of(task_definition_arn: str | None) -> int | None:
    """The revision number at the end of a task-definition ARN (`...:task-definition/family:7` → 7)."""
    if not task_definition_arn:
        return None
    tail = task_definition_arn.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


class ServiceRef(NamedTuple):
    """An ECS service and the cluster it runs in (names or ARNs, as CloudFormation reports them)."""

    cluster: str
    service: str

    def matches(self, service: EcsService) -> bool:
        wanted = self.service
        return wanted in (service.arn, service.name) or wanted.rsplit("/", 1)[-1] == service.name


@dataclass(frozen=True)
class ServiceEvent:
    id: str
    created_at: datetime | None
    message: str

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ServiceEvent:
        return cls(id=str(raw.get("id", "")), created_at=raw.get("createdAt"), message=str(raw.get("message", "")))


@dataclass(frozen=True)
class Deployment:
    """One entry of a service's `deployments`: PRIMARY is the newest, ACTIVE ones are being drained."""

    id: str
    status: str
    task_definition_arn: str
    rollout_state: str | None
    rollout_state_reason: str | None
    running_count: int
    pending_count: int
    desired_count: int
    failed_tasks: int
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> Deployment:
        return cls(
            id=str(raw.get("id", "")),
            status=str(raw.get("status", "")),
            task_definition_arn=str(raw.get("taskDefinition", "")),
            rollout_state=raw.get("rolloutState"),
            rollout_state_reason=raw.get("rolloutStateReason"),
            running_count=_int(raw.get("runningCount")),
            pending_count=_int(raw.get("pendingCount")),
            desired_count=_int(raw.get("desiredCount")),
            failed_tasks=_int(raw.get("failedTasks")),
            created_at=raw.get("createdAt"),
            updated_at=raw.get("updatedAt"),
        )

    @property
    def revision(self) -> int | None:
        return revision_of(self.task_definition_arn)

    @property
    def is_primary(self) -> bool:
        return self.status == "PRIMARY"

    @property
    def failed(self) -> bool:
        return self.rollout_state == "FAILED"


@dataclass(frozen=True)
class EcsService:
    arn: str
    name: str
    cluster_arn: str
    status: str
    task_definition_arn: str
    desired_count: int
    running_count: int
    pending_count: int
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    """As ECS returns them: newest first (at most the latest 100)."""
    target_group_arns: tuple[str, ...] = ()
    """The target groups of the service's `loadBalancers`."""

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> EcsService:
        return cls(
            arn=str(raw.get("serviceArn", "")),
            name=str(raw.get("serviceName", "")),
            cluster_arn=str(raw.get("clusterArn", "")),
            status=str(raw.get("status", "")),
            task_definition_arn=str(raw.get("taskDefinition", "")),
            desired_count=_int(raw.get("desiredCount")),
            running_count=_int(raw.get("runningCount")),
            pending_count=_int(raw.get("pendingCount")),
            deployments=tuple(Deployment.from_response(d) for d in raw.get("deployments", ())),
            events=tuple(ServiceEvent.from_response(e) for e in raw.get("events", ())),
            target_group_arns=tuple(
                str(lb["targetGroupArn"]) for lb in raw.get("loadBalancers", ()) if lb.get("targetGroupArn")
            ),
        )

    @property
    def revision(self) -> int | None:
        return revision_of(self.task_definition_arn)

    @property
    def is_active(self) -> bool:
        return self.status == "ACTIVE"

    @property
    def primary_deployment(self) -> Deployment | None:
        return next((d for d in self.deployments if d.is_primary), None)

    def deployment_for(self, task_definition_arn: str) -> Deployment | None:
        """The newest deployment running `task_definition_arn`, if any is left."""
        return next((d for d in self.deployments if d.task_definition_arn == task_definition_arn), None)

    @property
    def is_stable(self) -> bool:
        """The rollout is over: the primary deployment runs the service's task definition, its rollout is
        COMPLETED, every desired task runs, none is pending, and no other deployment is left."""
        primary = self.primary_deployment
        return (
            primary is not None
            and primary.task_definition_arn == self.task_definition_arn
            and primary.rollout_state == "COMPLETED"
            and self.running_count == self.desired_count
            and self.pending_count == 0
            and len(self.deployments) == 1
        )

    @property
    def rollout_failed(self) -> bool:
        """Some deployment's rollout FAILED (ECS's circuit breaker then rolls back to the previous one)."""
        return any(d.failed for d in self.deployments)

    def events_since(self, since: datetime) -> tuple[ServiceEvent, ...]:
        """Events newer than `since` (timezone-aware), oldest first."""
        newer = [e for e in self.events if e.created_at is not None and e.created_at > since]
        return tuple(sorted(newer, key=lambda e: e.created_at or since))


@dataclass(frozen=True)
class ContainerExit:
    """A container of a stopped task: its exit code (None when it never ran) and ECS's reason, if any."""

    name: str
    exit_code: int | None
    reason: str | None

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ContainerExit:
        code = raw.get("exitCode")
        return cls(str(raw.get("name", "")), int(code) if code is not None else None, raw.get("reason") or None)


@dataclass(frozen=True)
class StoppedTask:
    """A task as DescribeTasks reports it once stopped: why ECS stopped it and how each container ended."""

    arn: str
    task_definition_arn: str
    started_by: str | None
    stopped_reason: str | None
    stop_code: str | None
    stopped_at: datetime | None
    containers: tuple[ContainerExit, ...] = ()

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> StoppedTask:
        return cls(
            arn=str(raw.get("taskArn", "")),
            task_definition_arn=str(raw.get("taskDefinitionArn", "")),
            started_by=raw.get("startedBy"),
            stopped_reason=raw.get("stoppedReason") or None,
            stop_code=raw.get("stopCode") or None,
            stopped_at=raw.get("stoppedAt"),
            containers=tuple(ContainerExit.from_response(c) for c in raw.get("containers", ())),
        )

    @property
    def id(self) -> str:
        """The task id, the last part of its ARN (the awslogs stream ends with it)."""
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ClusterSummary:
    """A cluster's task and service counts as DescribeClusters reports them (cheap: 100 clusters a call)."""

    arn: str
    name: str
    status: str
    running_tasks: int
    pending_tasks: int
    active_services: int

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ClusterSummary:
        return cls(
            arn=str(raw.get("clusterArn", "")),
            name=str(raw.get("clusterName", "")),
            status=str(raw.get("status", "")),
            running_tasks=_int(raw.get("runningTasksCount")),
            pending_tasks=_int(raw.get("pendingTasksCount")),
            active_services=_int(raw.get("activeServicesCount")),
        )

    @property
    def is_active(self) -> bool:
        return self.status == "ACTIVE"


def cluster_name_of(cluster: str) -> str:
    """`arn:aws:ecs:...:cluster/name` or `name` → `name`."""
    return cluster.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class TaskDefinition:
    arn: str
    family: str
    revision: int
    container_definitions: tuple[dict[str, Any], ...]
    raw: dict[str, Any] = field(repr=False)
    """The described task definition as AWS returned it, kept whole for re-registration."""
    tags: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_response(cls, raw: Mapping[str, Any], tags: Iterable[Mapping[str, Any]] = ()) -> TaskDefinition:
        return cls(
            arn=str(raw.get("taskDefinitionArn", "")),
            family=str(raw.get("family", "")),
            revision=_int(raw.get("revision")),
            container_definitions=tuple(dict(c) for c in raw.get("containerDefinitions", ())),
            raw=dict(raw),
            tags=tuple({str(k): str(v) for k, v in t.items()} for t in tags),
        )

    def registration_input(self) -> dict[str, Any]:
        """The keyword arguments of RegisterTaskDefinition that register this definition again as is
        (same family, roles, volumes, ...): change `containerDefinitions` in the result, then register it."""
        kwargs = {k: v for k, v in self.raw.items() if k not in _READ_ONLY_TASK_DEFINITION_FIELDS}
        if self.tags:
            kwargs["tags"] = [dict(t) for t in self.tags]
        return kwargs


class EcsGateway:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def describe_clusters(self, clusters: Iterable[str], *, max_workers: int = 8) -> dict[str, ClusterSummary]:
        """The named clusters (names or ARNs), keyed as asked; missing ones are absent, deleted ones come back
        INACTIVE. 100 per call, the calls made concurrently."""
        wanted = list(dict.fromkeys(c for c in clusters if c))
        size = DESCRIBE_CLUSTERS_MAX
        batches = [wanted[start : start + size] for start in range(0, len(wanted), size)]

        def one_batch(batch: list[str]) -> list[ClusterSummary]:
            with self._clients.errors("ecs:DescribeClusters", f"{len(batch)} clusters"):
                response = self._clients.ecs().describe_clusters(clusters=batch)
            return [ClusterSummary.from_response(c) for c in response.get("clusters", ())]

        found: dict[str, ClusterSummary] = {}
        for batch, summaries in zip(batches, map_concurrently(one_batch, batches, max_workers), strict=True):
            by_key = {s.arn: s for s in summaries} | {s.name: s for s in summaries}
            for cluster in batch:
                summary = by_key.get(cluster) or by_key.get(cluster_name_of(cluster))
                if summary is not None:
                    found[cluster] = summary
        return found

    def describe_cluster_services(self, cluster: str, services: Sequence[str]) -> list[EcsService]:
        """The services of one cluster, in calls of at most 10; missing ones (or a missing cluster) are left
        out. Services deleted recently come back with status INACTIVE."""
        found: list[EcsService] = []
        names = list(dict.fromkeys(services))
        with self._clients.errors("ecs:DescribeServices", f"cluster {cluster}"):
            for start in range(0, len(names), DESCRIBE_SERVICES_MAX):
                try:
                    response = self._clients.ecs().describe_services(
                        cluster=cluster, services=names[start : start + DESCRIBE_SERVICES_MAX]
                    )
                except ClientError as exc:
                    if error_code(exc) == "ClusterNotFoundException":
                        return []
                    raise
                found.extend(EcsService.from_response(s) for s in response.get("services", ()))
        return found

    def describe_services(self, refs: Sequence[ServiceRef], *, max_workers: int = 8) -> dict[ServiceRef, EcsService]:
        """The services named by `refs`, keyed by ref; refs whose service or cluster is missing are absent.

        DescribeServices takes up to 10 services of ONE cluster per call, and LISA creates one ECS cluster per
        model stack: across models this is one call per cluster (made concurrently, `max_workers` at a time).
        """
        by_cluster: dict[str, list[ServiceRef]] = defaultdict(list)
        for ref in dict.fromkeys(refs):
            by_cluster[ref.cluster].append(ref)
        clusters = list(by_cluster)

        def one_cluster(cluster: str) -> list[EcsService]:
            return self.describe_cluster_services(cluster, [ref.service for ref in by_cluster[cluster]])

        result: dict[ServiceRef, EcsService] = {}
        for cluster, services in zip(clusters, map_concurrently(one_cluster, clusters, max_workers), strict=True):
            for ref in by_cluster[cluster]:
                match = next((s for s in services if ref.matches(s)), None)
                if match is not None:
                    result[ref] = match
        return result

    def describe_service(self, ref: ServiceRef) -> EcsService:
        """One service; `EcsServiceNotFound` if it (or its cluster) does not exist."""
        service = self.describe_services([ref], max_workers=1).get(ref)
        if service is None:
            raise EcsServiceNotFound(ref.cluster, ref.service)
        return service

    def service_events_since(self, ref: ServiceRef, since: datetime) -> tuple[ServiceEvent, ...]:
        """The service's events newer than `since`, oldest first (one DescribeServices call)."""
        return self.describe_service(ref).events_since(since)

    def describe_task_definition(self, arn: str) -> TaskDefinition:
        with self._clients.errors("ecs:DescribeTaskDefinition", arn):
            response = self._clients.ecs().describe_task_definition(taskDefinition=arn, include=["TAGS"])
        return TaskDefinition.from_response(response["taskDefinition"], response.get("tags", ()))

    def register_task_definition(self, registration_input: Mapping[str, Any]) -> TaskDefinition:
        """RegisterTaskDefinition: a new revision of `registration_input["family"]` (build the input from
        `TaskDefinition.registration_input()`); returns the registered definition, ARN and revision included."""
        family = str(registration_input.get("family", ""))
        with self._clients.errors("ecs:RegisterTaskDefinition", f"task definition family {family}"):
            response = self._clients.ecs().register_task_definition(**registration_input)
        return TaskDefinition.from_response(response["taskDefinition"], response.get("tags", ()))

    def update_service(self, ref: ServiceRef, task_definition_arn: str) -> EcsService:
        """UpdateService to `task_definition_arn`: ECS starts a new deployment (the rollout) and answers at once;
        `EcsServiceNotFound` if the service or its cluster is gone."""
        with self._clients.errors("ecs:UpdateService", f"service {ref.service} in cluster {ref.cluster}"):
            try:
                response = self._clients.ecs().update_service(
                    cluster=ref.cluster, service=ref.service, taskDefinition=task_definition_arn
                )
            except ClientError as exc:
                if error_code(exc) in _SERVICE_GONE_CODES:
                    raise EcsServiceNotFound(ref.cluster, ref.service) from exc
                raise
        return EcsService.from_response(response["service"])

    def deregister_task_definition(self, arn: str) -> TaskDefinition:
        """DeregisterTaskDefinition: the revision becomes INACTIVE (tasks already running on it keep running; no
        new task or service can use it). Returns the definition as ECS now describes it."""
        with self._clients.errors("ecs:DeregisterTaskDefinition", arn):
            response = self._clients.ecs().deregister_task_definition(taskDefinition=arn)
        return TaskDefinition.from_response(response["taskDefinition"])

    def active_revisions(self, family: str) -> list[str]:
        """The ARNs of the family's ACTIVE revisions, newest first (ListTaskDefinitions, every page)."""
        arns: list[str] = []
        with self._clients.errors("ecs:ListTaskDefinitions", f"task definition family {family}"):
            pages = (
                self._clients.ecs()
                .get_paginator("list_task_definitions")
                .paginate(familyPrefix=family, status="ACTIVE", sort="DESC")
            )
            for page in pages:
                arns.extend(str(arn) for arn in page.get("taskDefinitionArns", ()))
        return [arn for arn in arns if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]

    def stopped_tasks(
        self,
        cluster: str,
        *,
        started_by: str | None = None,
        service: str | None = None,
        task_definition: str | None = None,
        limit: int = 5,
    ) -> list[StoppedTask]:
        """The cluster's STOPPED tasks started by `started_by` (a service's deployment id) or of `service` (ListTasks,
        every page, then DescribeTasks), of `task_definition` if given, newest stop first, at most `limit`. ECS
        keeps stopped tasks for about an hour."""
        filters: dict[str, str] = {"startedBy": started_by} if started_by else {}
        if service and not started_by:
            filters["serviceName"] = service.rsplit("/", 1)[-1]
        with self._clients.errors("ecs:ListTasks", f"stopped tasks in cluster {cluster}"):
            pages = (
                self._clients.ecs()
                .get_paginator("list_tasks")
                .paginate(cluster=cluster, desiredStatus="STOPPED", **filters)  # type: ignore[arg-type]
            )
            arns = [str(arn) for page in pages for arn in page.get("taskArns", ())]
        tasks: list[StoppedTask] = []
        with self._clients.errors("ecs:DescribeTasks", f"stopped tasks in cluster {cluster}"):
            for start in range(0, len(arns), DESCRIBE_TASKS_MAX):
                response = self._clients.ecs().describe_tasks(
                    cluster=cluster, tasks=arns[start : start + DESCRIBE_TASKS_MAX]
                )
                tasks.extend(StoppedTask.from_response(raw) for raw in response.get("tasks", ()))
        if task_definition:
            tasks = [task for task in tasks if task.task_definition_arn == task_definition]
        floor = datetime.min.replace(tzinfo=UTC)
        tasks.sort(key=lambda task: task.stopped_at or floor, reverse=True)
        return tasks[:limit]
