"""The ECS clusters of many model stacks at once, found by the tags CloudFormation puts on every resource it
creates (`aws:cloudformation:stack-name`, `aws:cloudformation:stack-id`): ListClusters, then DescribeClusters
with their tags, 100 clusters a call, instead of one DescribeStackResources per stack. A cluster's service is
listed (ListServices, one call per cluster) only for the stacks that need it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from engine.aws.clients import AwsClients, map_concurrently
from engine.aws.ecs import DESCRIBE_CLUSTERS_MAX, ClusterSummary
from engine.errors import LisaDesktopError

STACK_NAME_TAG: Final = "aws:cloudformation:stack-name"
STACK_ID_TAG: Final = "aws:cloudformation:stack-id"
LOCATE_MIN: Final = 3
"""Fewer stacks to find than this are cheaper read one by one (DescribeStackResources) than by listing every
cluster of the region."""


@dataclass(frozen=True)
class LocatedStack:
    """A stack's ECS cluster (its name) found by its tags, and the cluster's counts as DescribeClusters reported
    them."""

    stack_name: str
    stack_id: str
    cluster: str
    summary: ClusterSummary


def _tags(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value", "")) for t in raw.get("tags", ()) if t.get("key")}


class StackLocator:
    """Finds stacks' clusters by tag. Remembers the stacks it looked for and did not find, so that those are not
    looked for again (the caller remembers what was found)."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._lock = threading.Lock()
        self._missed: set[str] = set()
        self._ahead: dict[str, LocatedStack] | None = None
        """What `read_ahead` found, for the next `locate` that asks AWS."""

    def forget(self, stack_name: str) -> None:
        """Look for the stack again next time."""
        with self._lock:
            self._missed.discard(stack_name)

    def locate(self, stack_names: Iterable[str], *, max_workers: int = 8) -> dict[str, LocatedStack]:
        """The stacks of `stack_names` whose ACTIVE cluster carries their name, by name; others are absent. Asks
        AWS only when at least `LOCATE_MIN` of the stacks were not looked for before."""
        wanted = set(stack_names)
        with self._lock:
            unknown = wanted - self._missed
        if len(unknown) < LOCATE_MIN:
            return {}
        with self._lock:
            ahead, self._ahead = self._ahead, None
        found = ahead if ahead is not None else self._by_tag(max_workers)
        with self._lock:
            self._missed |= unknown - found.keys()
        return {name: stack for name, stack in found.items() if name in wanted}

    def read_ahead(self, *, max_workers: int = 8) -> None:
        """Read every cluster's stack tags now (beside a first Scan, before the stacks are known), for the next
        `locate` that would ask AWS."""
        found = self._by_tag(max_workers)
        with self._lock:
            self._ahead = found

    def services(self, clusters: Sequence[str], *, max_workers: int = 8) -> dict[str, list[str]]:
        """The service ARNs of each cluster (ListServices, one call per cluster); a cluster whose services cannot
        be listed has none (its stack is then read on its own)."""
        wanted = list(dict.fromkeys(clusters))
        return dict(zip(wanted, map_concurrently(self._services, wanted, max_workers), strict=True))

    def _services(self, cluster: str) -> list[str]:
        try:
            with self._clients.errors("ecs:ListServices", f"cluster {cluster}"):
                pages = self._clients.ecs().get_paginator("list_services").paginate(cluster=cluster)
                return [str(arn) for page in pages for arn in page.get("serviceArns", ())]
        except LisaDesktopError:
            return []

    def _by_tag(self, max_workers: int) -> dict[str, LocatedStack]:
        with self._clients.errors("ecs:ListClusters"):
            pages = self._clients.ecs().get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 100})
            arns = [str(arn) for page in pages for arn in page.get("clusterArns", ())]
        size = DESCRIBE_CLUSTERS_MAX
        batches = [arns[start : start + size] for start in range(0, len(arns), size)]

        def one_batch(batch: list[str]) -> list[dict[str, Any]]:
            with self._clients.errors("ecs:DescribeClusters", f"{len(batch)} clusters"):
                response = self._clients.ecs().describe_clusters(clusters=batch, include=["TAGS"])
            return [dict(raw) for raw in response.get("clusters", ())]

        found: dict[str, LocatedStack] = {}
        for described in map_concurrently(one_batch, batches, max_workers):
            for raw in described:
                tags = _tags(raw)
                name, stack_id = tags.get(STACK_NAME_TAG), tags.get(STACK_ID_TAG, "")
                summary = ClusterSummary.from_response(raw)
                if name and name not in found and summary.is_active:
                    found[name] = LocatedStack(name, stack_id, summary.name, summary)
        return found
