from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.aws.ecs import (
    ClusterSummary,
    Deployment,
    EcsGateway,
    EcsService,
    ServiceRef,
    TaskDefinition,
    revision_of,
)
from engine.aws.errors import EcsServiceNotFound
from tests.engine.aws.conftest import CallCounter

ACCOUNT = "123456789012"
T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def td_arn(family: str, revision: int) -> str:
    return f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{family}:{revision}"


def raw_deployment(revision: int, status: str = "PRIMARY", rollout: str = "COMPLETED", **counts: int) -> dict[str, Any]:
    return {
        "id": f"ecs-svc/{revision}{status}",
        "status": status,
        "taskDefinition": td_arn("model", revision),
        "desiredCount": counts.get("desired", 1),
        "pendingCount": counts.get("pending", 0),
        "runningCount": counts.get("running", 1),
        "failedTasks": counts.get("failed", 0),
        "createdAt": T0,
        "updatedAt": T0 + timedelta(minutes=5),
        "rolloutState": rollout,
        "rolloutStateReason": f"ECS deployment ecs-svc/{revision} {rollout.lower()}.",
    }


def raw_service(revision: int = 2, deployments: list[dict[str, Any]] | None = None, **counts: int) -> dict[str, Any]:
    return {
        "serviceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/model-cluster/model-svc",
        "serviceName": "model-svc",
        "clusterArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/model-cluster",
        "status": "ACTIVE",
        "taskDefinition": td_arn("model", revision),
        "desiredCount": counts.get("desired", 1),
        "runningCount": counts.get("running", 1),
        "pendingCount": counts.get("pending", 0),
        "deployments": deployments if deployments is not None else [raw_deployment(revision)],
        "events": [
            {
                "id": "e3",
                "createdAt": T0 + timedelta(minutes=3),
                "message": "(service model-svc) has reached a steady state.",
            },
            {"id": "e2", "createdAt": T0 + timedelta(minutes=2), "message": "(service model-svc) registered 1 targets"},
            {"id": "e1", "createdAt": T0 + timedelta(minutes=1), "message": "(service model-svc) has started 1 tasks"},
        ],
    }


def test_a_service_with_one_completed_deployment_on_its_task_definition_is_stable() -> None:
    service = EcsService.from_response(raw_service())
    assert service.is_stable
    assert not service.rollout_failed
    assert service.revision == 2
    primary = service.primary_deployment
    assert primary is not None
    assert primary.revision == 2
    assert primary.rollout_state == "COMPLETED"
    assert primary.updated_at == T0 + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("service", "why"),
    [
        (raw_service(deployments=[raw_deployment(2, rollout="IN_PROGRESS")]), "rollout in progress"),
        (
            raw_service(deployments=[raw_deployment(2), raw_deployment(1, status="ACTIVE")]),
            "an old deployment is still draining",
        ),
        (raw_service(pending=1, running=0), "a task is pending"),
        (raw_service(desired=2, running=1), "fewer running than desired"),
        (raw_service(revision=3, deployments=[raw_deployment(2)]), "primary is on another task definition"),
        (raw_service(deployments=[raw_deployment(2, status="ACTIVE")]), "no primary deployment"),
        (raw_service(deployments=[{**raw_deployment(2), "rolloutState": None}]), "no rollout state"),
    ],
)
def test_services_that_are_not_stable(service: dict[str, Any], why: str) -> None:
    assert not EcsService.from_response(service).is_stable, why


def test_a_failed_rollout_is_seen_on_any_deployment() -> None:
    rolling_back = raw_service(
        revision=2,
        deployments=[raw_deployment(2, rollout="IN_PROGRESS"), raw_deployment(3, status="ACTIVE", rollout="FAILED")],
    )
    service = EcsService.from_response(rolling_back)
    assert service.rollout_failed
    failed = service.deployment_for(td_arn("model", 3))
    assert failed is not None
    assert failed.failed
    assert service.deployment_for(td_arn("model", 9)) is None
    assert not service.is_stable


def test_events_since_are_oldest_first() -> None:
    service = EcsService.from_response(raw_service())
    assert [e.id for e in service.events_since(T0 + timedelta(seconds=90))] == ["e2", "e3"]
    assert service.events_since(T0 + timedelta(hours=1)) == ()
    assert service.events[0].message.endswith("steady state.")


def test_wrappers_tolerate_missing_fields() -> None:
    deployment = Deployment.from_response({"id": "d", "status": "PRIMARY", "taskDefinition": "family:7"})
    assert deployment.revision == 7
    assert deployment.rollout_state is None
    assert deployment.running_count == 0
    service = EcsService.from_response({"serviceName": "s", "status": "INACTIVE"})
    assert service.primary_deployment is None
    assert not service.is_stable
    assert not service.is_active
    assert revision_of(None) is None
    assert revision_of("arn:aws:ecs:us-east-1:1:task-definition/f:12") == 12


def test_task_definition_keeps_what_reregistration_needs() -> None:
    raw = {
        "taskDefinitionArn": td_arn("model", 4),
        "family": "model",
        "revision": 4,
        "taskRoleArn": "arn:aws:iam::1:role/task",
        "executionRoleArn": "arn:aws:iam::1:role/exec",
        "containerDefinitions": [{"name": "model", "image": "img", "environment": [{"name": "A", "value": "1"}]}],
        "status": "ACTIVE",
        "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.ecr-auth"}],
        "compatibilities": ["EC2"],
        "registeredAt": T0,
        "registeredBy": "arn:aws:iam::1:user/me",
        "volumes": [],
    }
    td = TaskDefinition.from_response(raw, [{"key": "model", "value": "m"}])
    assert (td.family, td.revision) == ("model", 4)
    assert td.container_definitions[0]["environment"] == [{"name": "A", "value": "1"}]
    kwargs = td.registration_input()
    assert set(kwargs) == {"family", "taskRoleArn", "executionRoleArn", "containerDefinitions", "volumes", "tags"}


def make_services(clients: AwsClients, cluster: str, names: list[str]) -> None:
    ecs = clients.ecs()
    ecs.create_cluster(clusterName=cluster)
    arn = ecs.register_task_definition(
        family=f"{cluster}-td", containerDefinitions=[{"name": "m", "image": "img", "memory": 512}]
    )["taskDefinition"]["taskDefinitionArn"]
    for name in names:
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=arn, desiredCount=1)


def test_three_services_of_one_cluster_take_one_call(clients: AwsClients, counter: CallCounter) -> None:
    make_services(clients, "shared", ["a", "b", "c"])
    counter.reset()
    refs = [ServiceRef("shared", name) for name in ("a", "b", "c")]
    services = EcsGateway(clients).describe_services(refs)
    assert counter.count("DescribeServices") == 1
    assert {ref: s.name for ref, s in services.items()} == {ref: ref.service for ref in refs}
    assert services[refs[0]].revision == 1


def test_more_than_ten_services_of_one_cluster_go_ten_per_call(clients: AwsClients, counter: CallCounter) -> None:
    names = [f"s{i:02d}" for i in range(23)]
    make_services(clients, "big", names)
    counter.reset()
    services = EcsGateway(clients).describe_services([ServiceRef("big", n) for n in names])
    assert len(services) == 23
    assert counter.count("DescribeServices") == 3
    assert all(len(p["services"]) <= 10 for name, p in counter.params if name == "DescribeServices")


def test_one_call_per_cluster_as_lisa_makes_one_cluster_per_model(clients: AwsClients, counter: CallCounter) -> None:
    for index in range(12):
        make_services(clients, f"model-{index}-cluster", ["svc"])
    counter.reset()
    refs = [ServiceRef(f"model-{index}-cluster", "svc") for index in range(12)]
    services = EcsGateway(clients).describe_services(refs)
    assert counter.count("DescribeServices") == 12
    assert set(services) == set(refs)
    assert {s.cluster_arn.rsplit("/", 1)[-1] for s in services.values()} == {r.cluster for r in refs}


def test_refs_by_arn_and_missing_services_or_clusters(clients: AwsClients) -> None:
    make_services(clients, "c1", ["svc"])
    gateway = EcsGateway(clients)
    by_arn = ServiceRef("c1", f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/c1/svc")
    missing_service = ServiceRef("c1", "nope")
    missing_cluster = ServiceRef("no-such-cluster", "svc")
    services = gateway.describe_services([by_arn, missing_service, missing_cluster])
    assert set(services) == {by_arn}
    with pytest.raises(EcsServiceNotFound):
        gateway.describe_service(missing_cluster)
    with pytest.raises(EcsServiceNotFound):
        gateway.service_events_since(missing_service, T0)


def test_describe_task_definition_and_events(clients: AwsClients) -> None:
    make_services(clients, "c2", ["svc"])
    gateway = EcsGateway(clients)
    service = gateway.describe_service(ServiceRef("c2", "svc"))
    td = gateway.describe_task_definition(service.task_definition_arn)
    assert td.family == "c2-td"
    assert td.revision == 1
    assert td.container_definitions[0]["image"] == "img"
    # moto records no service events
    assert gateway.service_events_since(ServiceRef("c2", "svc"), T0) == ()


def test_cluster_summary_tolerates_missing_fields() -> None:
    summary = ClusterSummary.from_response({"clusterName": "c", "status": "INACTIVE"})
    assert (summary.running_tasks, summary.pending_tasks, summary.active_services) == (0, 0, 0)
    assert not summary.is_active


def test_clusters_go_a_hundred_per_call(clients: AwsClients, counter: CallCounter) -> None:
    ecs = clients.ecs()
    names = [f"model-{index:03d}-cluster" for index in range(230)]
    for name in names:
        ecs.create_cluster(clusterName=name)
    counter.reset()
    summaries = EcsGateway(clients).describe_clusters(names)
    assert counter.count("DescribeClusters") == 3
    assert sorted(len(p["clusters"]) for name, p in counter.params if name == "DescribeClusters") == [30, 100, 100]
    assert list(summaries) == names
    assert all(s.is_active and s.name == n for n, s in summaries.items())


def test_clusters_by_name_or_arn_and_missing_or_deleted_ones(clients: AwsClients, counter: CallCounter) -> None:
    make_services(clients, "c3", ["svc"])
    clients.ecs().create_cluster(clusterName="gone")
    clients.ecs().delete_cluster(cluster="gone")
    by_arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/c3"
    counter.reset()
    summaries = EcsGateway(clients).describe_clusters(["c3", by_arn, "never-made", "gone", "c3"])
    assert counter.count("DescribeClusters") == 1
    assert set(summaries) == {"c3", by_arn, "gone"}
    assert summaries["c3"] == summaries[by_arn]
    assert summaries["c3"].arn == by_arn
    assert summaries["gone"].status == "INACTIVE"


def test_no_clusters_no_call(clients: AwsClients, counter: CallCounter) -> None:
    counter.reset()
    assert EcsGateway(clients).describe_clusters([]) == {}
    assert counter.calls == []
