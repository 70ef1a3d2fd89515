"""The model table as the console shows it: each stored record with the live state of its AWS resources.

A listing costs: one paginated Scan; the first time, ListClusters and DescribeClusters with tags (100 clusters
per call) to find each hosted model's ECS cluster by its stack's name (`engine.aws.stack_locator`), ListServices
only in the clusters whose service is described, and one DescribeStackResources only for a stack not found that
way (both remembered); DescribeAutoScalingGroups for the groups the records name (100 per call); one LiteLLM
GET /model/info; one Query of LISA's configuration table for the default model, beside the Scan (the first
time, ListTables to find that table). A detailed listing describes every service: one DescribeServices per ECS
cluster (LISA makes one cluster per model). A summary listing (the window's periodic refresh) reads task counts
with DescribeClusters, 100 clusters per call, and describes the services only of models in a transitional
status, whose rollout matters. Calls of one kind run concurrently; the services, clusters and groups, read
together, share `max_workers`. From the second listing on, the live state of the models the last one found is
read while the Scan runs, and only the models whose record then says something new of their resources are read after it.
A model whose stack or service is missing gets `live_error` instead of failing the listing; a remembered cluster
or service that is gone is forgotten and looked for again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from engine.aws.autoscaling import AutoScalingGateway, ScalingGroup
from engine.aws.clients import AwsClients, map_concurrently
from engine.aws.cloudformation import ModelStackResources, StackGateway
from engine.aws.configuration_table import ConfigurationTable
from engine.aws.discovery import DeploymentInfo
from engine.aws.ecs import ClusterSummary, EcsGateway, EcsService, ServiceRef
from engine.aws.litellm import LiteLLMClient
from engine.aws.models_table import ModelsTable, UnreadableRecord
from engine.aws.stack_locator import StackLocator
from engine.errors import LisaDesktopError
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveState:
    """What AWS says about a LISA-hosted model now; fields are None where it could not be read (`live_error`)."""

    task_definition_arn: str | None = None
    task_definition_revision: int | None = None
    rollout_state: str | None = None
    running_count: int | None = None
    desired_count: int | None = None
    pending_count: int | None = None
    scaling_group: ScalingGroup | None = None
    litellm_registered: bool | None = None
    live_error: str | None = None
    service: EcsService | None = field(default=None, repr=False, compare=False)
    """The whole described service (deployments, events) for detail views."""
    stack: ModelStackResources | None = field(default=None, repr=False, compare=False)
    cluster: ClusterSummary | None = field(default=None, repr=False, compare=False)
    """A summary listing's task counts, for a model whose service was not described."""

    @classmethod
    def build(
        cls,
        service: EcsService | None,
        group: ScalingGroup | None,
        litellm_registered: bool | None,
        errors: Sequence[str] = (),
        stack: ModelStackResources | None = None,
        cluster: ClusterSummary | None = None,
    ) -> LiveState:
        primary = service.primary_deployment if service is not None else None
        return cls(
            task_definition_arn=service.task_definition_arn if service else None,
            task_definition_revision=service.revision if service else None,
            rollout_state=primary.rollout_state if primary else None,
            running_count=service.running_count if service else cluster.running_tasks if cluster else None,
            desired_count=service.desired_count if service else None,
            pending_count=service.pending_count if service else cluster.pending_tasks if cluster else None,
            scaling_group=group,
            litellm_registered=litellm_registered,
            live_error="; ".join(errors) if errors else None,
            service=service,
            stack=stack,
            cluster=cluster,
        )

    def to_json(self) -> dict[str, Any]:
        group = self.scaling_group
        return {
            "taskDefinitionArn": self.task_definition_arn,
            "taskDefinitionRevision": self.task_definition_revision,
            "rolloutState": self.rollout_state,
            "runningCount": self.running_count,
            "desiredCount": self.desired_count,
            "autoScalingGroup": None
            if group is None
            else {
                "name": group.name,
                "minSize": group.min_size,
                "maxSize": group.max_size,
                "desiredCapacity": group.desired_capacity,
                "healthyInstances": group.healthy_in_service_count,
            },
            "litellmRegistered": self.litellm_registered,
        }


@dataclass(frozen=True)
class ModelView:
    """One row of the console: the stored record, and the live state for LISA-hosted models (None otherwise)."""

    record: ModelRecord
    live: LiveState | None
    litellm_registered: bool | None
    """Whether the record's `litellm_id` is registered in LiteLLM; None when LiteLLM could not be asked."""
    litellm_error: str | None = None

    @property
    def model_id(self) -> str:
        return self.record.model_id

    @property
    def status(self) -> ModelStatus:
        return self.record.model_status

    @property
    def live_error(self) -> str | None:
        return self.live.live_error if self.live is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.record.to_api(),
            "live": self.live.to_json() if self.live is not None else None,
            "failureReason": self.record.failure_reason,
        }


@dataclass(frozen=True)
class Listing:
    """What a listing read: the views of the readable records, and the items this version cannot read (each a row
    of its own, never a failed listing)."""

    views: list[ModelView]
    unreadable: list[UnreadableRecord]
    default_model: str | None = None
    """LISA's default model (`configuration.global.defaultModel`), None when there is none or it cannot be read."""


def is_hosted(record: ModelRecord) -> bool:
    """Has AWS resources to look at: LISA-hosted by the five-field rule, or a stack/ASG is recorded."""
    return record.is_lisa_hosted or bool(record.cloudformation_stack_name) or bool(record.auto_scaling_group)


@dataclass
class _Live:
    """What one pass read about hosted models, by model id."""

    stacks: dict[str, ModelStackResources] = field(default_factory=dict)
    by_tag: set[str] = field(default_factory=set)
    """Models whose cluster was found by its stack's tag: their service is known only where it is described."""
    located: dict[str, ClusterSummary] = field(default_factory=dict)
    """Cluster counts read while locating the clusters just now, by model id."""
    services: dict[str, EcsService] = field(default_factory=dict)
    clusters: dict[str, ClusterSummary] = field(default_factory=dict)
    groups: dict[str, ScalingGroup] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    gone: set[str] = field(default_factory=set)
    """Models whose ECS cluster or service was not found (or is INACTIVE)."""

    def merge(self, part: _Live) -> None:
        """Add what a concurrent reader found (its errors after the ones already noted)."""
        self.services.update(part.services)
        self.clusters.update(part.clusters)
        self.groups.update(part.groups)
        for model_id, errors in part.errors.items():
            self.errors[model_id].extend(errors)
        self.gone |= part.gone

    def replace(self, model_ids: set[str], other: _Live) -> None:
        """Take what `other` read again about `model_ids`, dropping what this pass had about them."""
        for model_id in model_ids:
            for facts in (self.stacks, self.services, self.clusters, self.groups, self.errors):
                facts.pop(model_id, None)
        self.stacks.update(other.stacks)
        self.services.update(other.services)
        self.clusters.update(other.clusters)
        self.groups.update(other.groups)
        self.errors.update(other.errors)


def _live_key(record: ModelRecord) -> tuple[object, ...]:
    """What a record says that decides how its live state is read."""
    return (
        record.model_status,
        record.cloudformation_stack_name,
        record.cloudformation_stack_arn,
        record.auto_scaling_group,
    )


def _call(read: Callable[[], object]) -> object:
    return read()


class Inventory:
    def __init__(
        self,
        clients: AwsClients,
        deployment: DeploymentInfo,
        *,
        models_table: ModelsTable | None = None,
        stacks: StackGateway | None = None,
        ecs: EcsGateway | None = None,
        autoscaling: AutoScalingGateway | None = None,
        litellm: LiteLLMClient | None = None,
        locator: StackLocator | None = None,
        configuration: ConfigurationTable | None = None,
        max_workers: int = 8,
    ) -> None:
        """Gateways may be passed in to share them (the stack cache above all); missing ones are created."""
        self.deployment = deployment
        self.models_table = models_table or ModelsTable(clients, deployment.models_table_name)
        self.stacks = stacks or StackGateway(clients)
        self.ecs = ecs or EcsGateway(clients)
        self.autoscaling = autoscaling or AutoScalingGateway(clients)
        self.litellm = litellm or LiteLLMClient(deployment.litellm_base_url, deployment.management_key)
        self.locator = locator or StackLocator(clients)
        self.configuration = configuration or ConfigurationTable(clients, deployment.prefix)
        self.default_model: str | None = None
        """The default model as the last listing read it."""
        self.max_workers = max_workers
        self._hosted_before: dict[bool, list[ModelRecord]] = {}
        """The hosted records of the last listing, summary (False) and detailed (True)."""

    def listing(self, *, detail: bool = True) -> Listing:
        """Every model, sorted by id, and the items that cannot be read. Raises only when the models table itself
        cannot be read.

        `detail=False` is the summary listing: task counts per cluster instead of described services, except
        for models in a transitional status."""
        unreadable: list[UnreadableRecord] = []
        before = self._hosted_before.get(detail, [])

        def scan() -> list[ModelRecord]:
            return self.models_table.scan(unreadable=unreadable)

        read_default: Callable[[], object] = self._read_default

        early: tuple[Sequence[ModelRecord], _Live] | None = None
        if before:
            # The live state of the models the last listing found is read while the Scan runs; the models the
            # Scan shows new or changed are read again after it.
            read_early: Callable[[], _Live] = lambda: self._read(before, detail)  # noqa: E731
            done = map_concurrently(_call, [scan, read_early, read_default])
            records, live = cast(tuple[list[ModelRecord], _Live], tuple(done[:2]))
            early = (before, live)
        elif not self._hosted_before and not self.stacks.knows_any():
            # The first listing, nothing known of the stacks: their clusters are found by tag while the Scan runs.
            read_ahead: Callable[[], None] = lambda: self.locator.read_ahead(max_workers=self.max_workers)  # noqa: E731
            records = cast(list[ModelRecord], map_concurrently(_call, [scan, read_ahead, read_default])[0])
        else:
            records = cast(list[ModelRecord], map_concurrently(_call, [scan, read_default])[0])
        views = self.views(records, detail=detail, early=early)
        self._hosted_before[detail] = [view.record for view in views if is_hosted(view.record)]
        return Listing(views, sorted(unreadable, key=lambda u: u.model_id), self.default_model)

    def list_models(self, *, detail: bool = True) -> list[ModelView]:
        """The readable models of `listing()`."""
        return self.listing(detail=detail).views

    def some_listing(self, model_ids: Iterable[str], *, detail: bool = False) -> Listing:
        """The models of `model_ids` that exist (BatchGetItem instead of a Scan): a cheap refresh of a few rows,
        e.g. those in a transitional status. A summary unless `detail`."""
        unreadable: list[UnreadableRecord] = []
        get_many: Callable[[], object] = lambda: self.models_table.get_many(model_ids, unreadable=unreadable)  # noqa: E731
        records = cast(list[ModelRecord], map_concurrently(_call, [get_many, self._read_default])[0])
        return Listing(self.views(records, detail=detail), unreadable, self.default_model)

    def some_models(self, model_ids: Iterable[str], *, detail: bool = False) -> list[ModelView]:
        """The readable models of `some_listing()`."""
        return self.some_listing(model_ids, detail=detail).views

    def _read_default(self) -> None:
        """`default_model` read again (one Query); kept as it was when the configuration table cannot be read."""
        try:
            self.default_model = self.configuration.default_model()
        except LisaDesktopError as exc:
            log.warning("the default model could not be read: %s", exc)

    def get_model(self, model_id: str) -> ModelView:
        """One model (consistent read), its service described (deployments, events); `ModelNotFound` if there
        is none, InvalidRecord if it cannot be read."""
        return self.views([self.models_table.get(model_id)])[0]

    def get_readable(self, model_id: str) -> ModelView | UnreadableRecord:
        """`get_model`, or the item and why it cannot be read."""
        read = self.models_table.get_readable(model_id)
        return read if isinstance(read, UnreadableRecord) else self.views([read])[0]

    def views(
        self,
        records: Sequence[ModelRecord],
        *,
        detail: bool = True,
        early: tuple[Sequence[ModelRecord], _Live] | None = None,
    ) -> list[ModelView]:
        """The views of `records`, with their live state read in as few calls as possible. `early`: the live
        state read for earlier records, kept for each model whose record still says the same of its resources."""
        records = sorted(records, key=lambda r: r.model_id)
        registered, litellm_error = self._registered_ids()
        hosted = [r for r in records if is_hosted(r)]
        from_cache = {r.model_id for r in hosted if self._cached(r) is not None}
        if early is None:
            live = self._read(hosted, detail)
        else:
            said = {record.model_id: _live_key(record) for record in early[0]}
            fresh = [r for r in hosted if said.get(r.model_id) != _live_key(r)]
            live = early[1]
            if fresh:
                live.replace({r.model_id for r in fresh}, self._read(fresh, detail))
        stale = [r for r in hosted if r.model_id in live.gone and r.model_id in from_cache]
        if stale:
            for record in stale:
                self.stacks.forget(record.cloudformation_stack_name or "")
            live.replace({r.model_id for r in stale}, self._read(stale, detail))

        views: list[ModelView] = []
        for record in records:
            litellm_registered = None if registered is None else (record.litellm_id or "") in registered
            state = None
            if is_hosted(record):
                model_id = record.model_id
                model_errors = list(live.errors.get(model_id, ()))
                if litellm_error:
                    model_errors.append(litellm_error)
                state = LiveState.build(
                    live.services.get(model_id),
                    live.groups.get(model_id),
                    litellm_registered,
                    model_errors,
                    live.stacks.get(model_id),
                    live.clusters.get(model_id),
                )
            views.append(ModelView(record, state, litellm_registered, litellm_error))
        return views

    def _cached(self, record: ModelRecord) -> ModelStackResources | None:
        """The record's stack resources from the cache, if they are of its very stack."""
        cached = self.stacks.cached(record.cloudformation_stack_name or "")
        arn = record.cloudformation_stack_arn
        return cached if cached is not None and (arn is None or cached.stack_id == arn) else None

    def _read(self, hosted: Sequence[ModelRecord], detail: bool) -> _Live:
        live = _Live()
        described = [r for r in hosted if detail or r.model_status.is_transitional]
        live.stacks = self._stack_resources(hosted, {r.model_id for r in described}, live)
        counted = [r for r in hosted if not (detail or r.model_status.is_transitional)]
        for record in counted:
            summary = live.located.get(record.model_id)
            if summary is not None:
                live.clusters[record.model_id] = summary
        counted = [r for r in counted if r.model_id not in live.clusters]
        parts = [_Live(stacks=live.stacks, by_tag=live.by_tag) for _ in range(3)]
        # The three readers share max_workers, so a listing makes at most that many calls at once.
        workers = -(-self.max_workers // len(parts))
        readers: list[Callable[[], object]] = [
            lambda: parts[0].services.update(self._services(described, parts[0], workers)),
            lambda: parts[1].clusters.update(self._clusters(counted, parts[1], workers)),
            lambda: parts[2].groups.update(self._groups(hosted, parts[2], workers)),
        ]
        map_concurrently(_call, readers, len(readers))
        for part in parts:
            live.merge(part)
        return live

    def _registered_ids(self) -> tuple[set[str] | None, str | None]:
        try:
            return self.litellm.registered_ids(), None
        except LisaDesktopError as exc:
            return None, f"LiteLLM: {exc}"

    def _stack_resources(
        self, hosted: Sequence[ModelRecord], described: set[str], live: _Live
    ) -> dict[str, ModelStackResources]:
        """The stack resources of each hosted model: from the cache, else found by tag, else read from its stack.
        A model whose service is described needs its service, which a cluster found by tag lists."""
        errors = live.errors
        with_stack: list[ModelRecord] = []
        for record in hosted:
            if record.cloudformation_stack_name:
                with_stack.append(record)
            else:
                errors[record.model_id].append("no CloudFormation stack is recorded for this model")
        found = {r.model_id: c for r in with_stack if (c := self._cached(r)) is not None}
        found.update(self._located([r for r in with_stack if r.model_id not in found], live))
        self._list_services([r for r in with_stack if r.model_id in described], found)
        for model_id, resources in found.items():
            if resources.by_tag:
                live.by_tag.add(model_id)
        lacking = {model_id for model_id in described if model_id in found and not found[model_id].service}
        read = [r for r in with_stack if r.model_id not in found or r.model_id in lacking]

        def lookup(record: ModelRecord) -> ModelStackResources | str:
            try:
                name, arn = record.cloudformation_stack_name or "", record.cloudformation_stack_arn
                return self.stacks.model_resources(name, arn)
            except LisaDesktopError as exc:
                return str(exc)

        for record, result in zip(read, map_concurrently(lookup, read, self.max_workers), strict=True):
            live.by_tag.discard(record.model_id)
            if isinstance(result, str):
                found.pop(record.model_id, None)
                errors[record.model_id].append(result)
            else:
                found[record.model_id] = result
                if not result.is_complete:
                    errors[record.model_id].append(f"stack {result.stack_name} has no ECS cluster and service (yet)")
        return found

    def _located(self, records: Sequence[ModelRecord], live: _Live) -> dict[str, ModelStackResources]:
        """The records' stacks whose clusters are found by tag now (and cached), by model id; none when the
        clusters cannot be listed (each stack is then read on its own)."""
        try:
            by_name = self.locator.locate(
                (r.cloudformation_stack_name or "" for r in records), max_workers=self.max_workers
            )
        except LisaDesktopError:
            return {}
        found: dict[str, ModelStackResources] = {}
        for record in records:
            stack = by_name.get(record.cloudformation_stack_name or "")
            if stack is None or record.cloudformation_stack_arn not in (None, stack.stack_id):
                continue
            resources = ModelStackResources.located(
                stack.stack_name, stack.stack_id, stack.cluster, None, record.auto_scaling_group
            )
            self.stacks.remember(resources)
            found[record.model_id] = resources
            live.located[record.model_id] = stack.summary
        return found

    def _list_services(self, described: Sequence[ModelRecord], found: dict[str, ModelStackResources]) -> None:
        """Add the service to the entries found by tag of `described` models whose cluster has exactly one."""
        lacking = {r.model_id: found[r.model_id] for r in described if r.model_id in found}
        lacking = {model_id: entry for model_id, entry in lacking.items() if entry.by_tag and not entry.service}
        if not lacking:
            return
        clusters = [entry.cluster or "" for entry in lacking.values()]
        listed = self.locator.services(clusters, max_workers=self.max_workers)
        for model_id, entry in lacking.items():
            services = listed.get(entry.cluster or "", [])
            if len(services) == 1:
                found[model_id] = dataclasses.replace(entry, service=services[0])
                self.stacks.remember(found[model_id])

    def _refs(self, records: Sequence[ModelRecord], live: _Live) -> dict[str, ServiceRef]:
        refs: dict[str, ServiceRef] = {}
        for record in records:
            stack = live.stacks.get(record.model_id)
            ref = stack.service_ref if stack is not None else None
            if ref is not None:
                refs[record.model_id] = ref
        return refs

    def _services(self, records: Sequence[ModelRecord], live: _Live, workers: int) -> dict[str, EcsService]:
        refs = self._refs(records, live)
        by_cluster: dict[str, list[str]] = defaultdict(list)
        for ref in refs.values():
            if ref.service not in by_cluster[ref.cluster]:
                by_cluster[ref.cluster].append(ref.service)
        clusters = list(by_cluster)

        def one_cluster(cluster: str) -> list[EcsService] | str:
            try:
                return self.ecs.describe_cluster_services(cluster, by_cluster[cluster])
            except LisaDesktopError as exc:
                return str(exc)

        described = dict(zip(clusters, map_concurrently(one_cluster, clusters, workers), strict=True))
        found: dict[str, EcsService] = {}
        for model_id, ref in refs.items():
            result = described[ref.cluster]
            if isinstance(result, str):
                live.errors[model_id].append(result)
                continue
            service = next((s for s in result if ref.matches(s)), None)
            if service is None:
                live.errors[model_id].append(f"ECS service {ref.service} was not found in cluster {ref.cluster}")
                live.gone.add(model_id)
            else:
                if not service.is_active:
                    live.errors[model_id].append(f"ECS service {service.name} is {service.status}")
                    live.gone.add(model_id)
                found[model_id] = service
        return found

    def _clusters(self, records: Sequence[ModelRecord], live: _Live, workers: int) -> dict[str, ClusterSummary]:
        clusters: dict[str, str] = {}
        for record in records:
            stack = live.stacks.get(record.model_id)
            if stack is not None and stack.cluster and (stack.is_complete or record.model_id in live.by_tag):
                clusters[record.model_id] = stack.cluster
        if not clusters:
            return {}
        try:
            summaries = self.ecs.describe_clusters(clusters.values(), max_workers=workers)
        except LisaDesktopError as exc:
            for model_id in clusters:
                live.errors[model_id].append(str(exc))
            return {}
        found: dict[str, ClusterSummary] = {}
        for model_id, cluster in clusters.items():
            summary = summaries.get(cluster)
            if summary is None:
                live.errors[model_id].append(f"ECS cluster {cluster} was not found")
                live.gone.add(model_id)
                continue
            if not summary.is_active:
                live.errors[model_id].append(f"ECS cluster {summary.name} is {summary.status}")
                live.gone.add(model_id)
            found[model_id] = summary
        return found

    def _groups(self, hosted: Sequence[ModelRecord], live: _Live, workers: int) -> dict[str, ScalingGroup]:
        errors = live.errors
        names: dict[str, str] = {}
        for record in hosted:
            stack = live.stacks.get(record.model_id)
            name = record.auto_scaling_group or (stack.auto_scaling_group if stack is not None else None)
            if name:
                names[record.model_id] = name
        if not names:
            return {}
        try:
            groups = self.autoscaling.describe(names.values(), max_workers=workers)
        except LisaDesktopError as exc:
            for model_id in names:
                errors[model_id].append(str(exc))
            return {}
        found: dict[str, ScalingGroup] = {}
        for model_id, name in names.items():
            group = groups.get(name)
            if group is None:
                errors[model_id].append(f"Auto Scaling group {name} was not found")
            else:
                found[model_id] = group
        return found
