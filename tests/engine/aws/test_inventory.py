from __future__ import annotations

import math
import threading
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.aws.cloudformation import CACHE_FORMAT, StackGateway
from engine.aws.discovery import DeploymentInfo
from engine.aws.inventory import Inventory, ModelView
from engine.aws.litellm import LiteLLMClient
from engine.aws.models_table import ModelsTable, to_dynamodb
from engine.errors import ModelNotFound
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from tests.engine.aws.conftest import (
    MANAGEMENT_KEY,
    PREFIX,
    TABLE,
    CallCounter,
    LiteLLMServer,
    closed_loopback_port,
    create_model_stack,
    make_groups,
)
from tests.engine.factories import hosted_config, record, third_party_config


def put(clients: AwsClients, model: ModelRecord) -> None:
    clients.dynamodb().put_item(TableName=TABLE, Item=to_dynamodb(model.to_item()))


def hosted_record(clients: AwsClients, model_id: str, status: str = "InService", **attributes: Any) -> ModelRecord:
    stack = create_model_stack(clients, model_id)
    fields: dict[str, Any] = {
        "cloudformation_stack_name": stack.stack_name,
        "cloudformation_stack_arn": stack.stack_id,
        "auto_scaling_group": stack.auto_scaling_group,
        "litellm_id": f"ll-{model_id}",
        "model_url": f"http://{model_id}.alb.internal/v1",
    }
    fields.update(attributes)
    return record(hosted_config(modelId=model_id), status, **fields)


def deployment(url: str) -> DeploymentInfo:
    return DeploymentInfo(PREFIX, TABLE, url, MANAGEMENT_KEY)


@pytest.fixture
def fleet(clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer) -> list[ModelRecord]:
    """30 models: 20 LISA-hosted (each with its own stack, cluster and ASG) and 10 third-party."""
    records = []
    for index in range(20):
        model = hosted_record(clients, f"hosted-{index:02d}")
        if index % 2 == 0:
            litellm_server.add(f"ll-hosted-{index:02d}", model.model_id)
        records.append(model)
    for index in range(10):
        model_id = f"third-{index:02d}"
        model = record(third_party_config(modelId=model_id), "InService", litellm_id=f"ll-{model_id}")
        if index < 5:
            litellm_server.add(f"ll-{model_id}", model_id)
        records.append(model)
    for model in records:
        put(clients, model)
    return records


def test_thirty_models_take_few_calls(
    clients: AwsClients, fleet: list[ModelRecord], litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    inventory = Inventory(clients, deployment(litellm_server.url))
    counter.reset()
    views = inventory.list_models()
    assert len(views) == 30
    assert counter.count("Scan") == 1
    assert counter.count("DescribeStackResources") == 20
    assert counter.count("DescribeServices") == 20  # one cluster per model stack
    assert counter.count("DescribeAutoScalingGroups") == 1
    assert litellm_server.count("GET", "/model/info") == 1
    # + ListClusters and DescribeClusters: moto's CloudFormation leaves ECS clusters untagged, so no stack is
    # found by tag and each is read on its own. + ListTables: LISA's configuration table looked for (none here).
    assert counter.count("ListTables") == 1
    assert len(counter.calls) == 45
    assert all(view.live_error is None for view in views)

    counter.reset()
    inventory.list_models()
    assert counter.count("DescribeStackResources") == 0  # stack resources are cached
    assert counter.count("DescribeServices") == 20
    assert counter.count("DescribeAutoScalingGroups") == 1
    assert litellm_server.count("GET", "/model/info") == 2


def test_live_state_of_hosted_and_third_party_models(
    clients: AwsClients, fleet: list[ModelRecord], litellm_server: LiteLLMServer
) -> None:
    views = {view.model_id: view for view in Inventory(clients, deployment(litellm_server.url)).list_models()}
    assert list(views) == sorted(views)

    hosted = views["hosted-00"]
    assert hosted.live is not None
    live = hosted.live
    assert live.task_definition_arn is not None
    assert live.task_definition_arn.endswith("task-definition/hosted-00-model:1")
    assert live.task_definition_revision == 1
    assert live.rollout_state == "IN_PROGRESS"  # moto: deployments never complete
    assert (live.desired_count, live.running_count, live.pending_count) == (1, 0, 1)
    assert live.scaling_group is not None
    assert live.scaling_group.name == "hosted-00-asg"
    assert (live.scaling_group.min_size, live.scaling_group.max_size) == (1, 3)
    assert live.scaling_group.healthy_in_service_count == 1
    assert live.litellm_registered is True
    assert hosted.litellm_registered is True
    assert views["hosted-01"].litellm_registered is False

    third = views["third-00"]
    assert third.live is None
    assert third.litellm_registered is True
    assert views["third-07"].litellm_registered is False


def test_to_json_shape(clients: AwsClients, fleet: list[ModelRecord], litellm_server: LiteLLMServer) -> None:
    views = {view.model_id: view for view in Inventory(clients, deployment(litellm_server.url)).list_models()}
    hosted = views["hosted-02"].to_json()
    assert set(hosted) == {"model", "live", "failureReason"}
    assert hosted["model"]["status"] == "InService"
    assert hosted["model"]["modelUrl"] == "http://hosted-02.alb.internal/v1"
    assert hosted["failureReason"] is None
    assert hosted["live"] == {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/hosted-02-model:1",
        "taskDefinitionRevision": 1,
        "rolloutState": "IN_PROGRESS",
        "runningCount": 0,
        "desiredCount": 1,
        "autoScalingGroup": {
            "name": "hosted-02-asg",
            "minSize": 1,
            "maxSize": 3,
            "desiredCapacity": 1,
            "healthyInstances": 1,
        },
        "litellmRegistered": True,
    }
    third = views["third-01"].to_json()
    assert third["live"] is None
    assert third["model"]["modelId"] == "third-01"


def test_missing_stacks_and_services_do_not_break_the_listing(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer
) -> None:
    healthy = hosted_record(clients, "healthy")
    no_stack = record(
        hosted_config(modelId="no-stack"),
        "Failed",
        cloudformation_stack_name="lisa-no-stack",
        auto_scaling_group="no-stack-asg",
        failure_reason="CloudFormation rolled back",
    )
    creating = record(hosted_config(modelId="creating"), "Creating", auto_scaling_group=None)
    no_service = hosted_record(clients, "no-service")
    clients.ecs().delete_service(cluster="no-service-cluster", service="no-service-svc", force=True)
    for model in (healthy, no_stack, creating, no_service):
        put(clients, model)

    views = {view.model_id: view for view in Inventory(clients, deployment(litellm_server.url)).list_models()}
    assert views["healthy"].live_error is None

    failed = views["no-stack"]
    assert failed.live is not None
    assert failed.live.task_definition_arn is None
    assert failed.live.scaling_group is None
    assert failed.live_error is not None
    assert "lisa-no-stack" in failed.live_error
    assert "no-stack-asg" in failed.live_error
    assert failed.to_json()["failureReason"] == "CloudFormation rolled back"
    assert failed.to_json()["live"]["autoScalingGroup"] is None

    assert "no CloudFormation stack" in (views["creating"].live_error or "")

    gone = views["no-service"]
    assert gone.live is not None
    assert gone.live_error is not None
    assert "no-service-svc" in gone.live_error
    assert gone.live.scaling_group is not None  # the ASG is still there


def test_litellm_down_does_not_break_the_listing(clients: AwsClients, fleet: list[ModelRecord]) -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}/v2/serve"
    views = Inventory(clients, deployment(url)).list_models()
    assert len(views) == 30
    assert all(view.litellm_registered is None for view in views)
    assert all(view.litellm_error and "LiteLLM" in view.litellm_error for view in views)
    hosted = next(view for view in views if view.live is not None)
    assert hosted.live is not None
    assert hosted.live.task_definition_revision == 1
    assert "LiteLLM" in (hosted.live_error or "")


def test_get_model(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    put(clients, hosted_record(clients, "solo"))
    litellm_server.add("ll-solo", "solo")
    inventory = Inventory(clients, deployment(litellm_server.url), litellm=LiteLLMClient(litellm_server.url, "wrong"))
    counter.reset()
    view = inventory.get_model("solo")
    assert isinstance(view, ModelView)
    assert view.record.model_id == "solo"
    assert counter.count("GetItem") == 1
    assert view.litellm_registered is None  # wrong key: LiteLLM said 401
    assert "401" in (view.litellm_error or "")
    assert view.live is not None
    assert view.live.task_definition_revision == 1
    with pytest.raises(ModelNotFound):
        inventory.get_model("nope")


TRANSITIONAL = ("Updating", "Starting", "Stopping", "Deleting")


def test_a_summary_describes_only_the_services_of_transitional_models(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    for index in range(12):
        status = TRANSITIONAL[index] if index < len(TRANSITIONAL) else "InService"
        put(clients, hosted_record(clients, f"hosted-{index:02d}", status))
    put(clients, record(third_party_config(modelId="third"), "InService", litellm_id="ll-third"))
    inventory = Inventory(clients, deployment(litellm_server.url))
    counter.reset()
    views = {view.model_id: view for view in inventory.list_models(detail=False)}
    assert len(views) == 13
    assert counter.count("Scan") == 1
    assert counter.count("DescribeStackResources") == 12  # cold: once per stack
    # the 8 settled models' clusters in one call, after one looking for the stacks' tags (moto puts none)
    assert counter.count("DescribeClusters") == 2
    assert counter.count("DescribeServices") == 4  # one per transitional model
    assert counter.count("DescribeAutoScalingGroups") == 1
    described = {p["cluster"] for name, p in counter.params if name == "DescribeServices"}
    assert described == {f"hosted-{index:02d}-cluster" for index in range(4)}
    assert all(view.live_error is None for view in views.values())

    settled = views["hosted-07"].live
    assert settled is not None
    assert settled.service is None
    assert settled.cluster is not None
    assert settled.running_count == settled.cluster.running_tasks == 0  # moto runs no tasks
    assert settled.pending_count == settled.cluster.pending_tasks
    assert settled.task_definition_arn is None
    assert settled.desired_count is None
    assert settled.scaling_group is not None
    assert settled.scaling_group.desired_capacity == 1

    updating = views["hosted-00"].live
    assert updating is not None
    assert updating.service is not None
    assert updating.rollout_state == "IN_PROGRESS"
    assert (updating.desired_count, updating.pending_count) == (1, 1)
    assert views["third"].live is None

    counter.reset()
    inventory.list_models(detail=False)
    assert counter.count("DescribeStackResources") == 0
    assert counter.count("DescribeClusters") == 1
    assert counter.count("DescribeServices") == 4
    assert len(counter.calls) == 1 + 1 + 4 + 1  # Scan, DescribeClusters, DescribeServices, DescribeAutoScalingGroups


def fleet_from_cache(clients: AwsClients, count: int, transitional: int) -> tuple[list[ModelRecord], dict[str, Any]]:
    """`count` hosted models whose clusters and groups exist and whose stacks are known from an exported stack
    cache (as after a restart): no CloudFormation, so hundreds are cheap to make."""
    names = [f"m{index:04d}" for index in range(count)]
    make_groups(clients, [f"{name}-asg" for name in names])
    ecs = clients.ecs()
    task = ecs.register_task_definition(
        family="model", containerDefinitions=[{"name": "m", "image": "img", "memory": 512}]
    )["taskDefinition"]["taskDefinitionArn"]
    records, stacks = [], {}
    for index, name in enumerate(names):
        ecs.create_cluster(clusterName=f"{name}-cluster")
        status = "InService"
        if index < transitional:
            status = TRANSITIONAL[index % len(TRANSITIONAL)]
            ecs.create_service(cluster=f"{name}-cluster", serviceName=f"{name}-svc", taskDefinition=task)
        arn = f"arn:aws:cloudformation:us-east-1:123456789012:stack/lisa-{name}/{index}"
        stacks[f"lisa-{name}"] = {
            "stack_id": arn,
            "cluster": f"{name}-cluster",
            "service": f"{name}-svc",
            "auto_scaling_group": f"{name}-asg",
            "task_definition": task,
            "load_balancer": None,
            "resources": [],
        }
        small = {"modelId": name, "modelName": name, "modelType": "textgen"}  # the stack makes it hosted
        records.append(
            record(
                small,
                status,
                auto_scaling_group=f"{name}-asg",
                cloudformation_stack_name=f"lisa-{name}",
                cloudformation_stack_arn=arn,
                litellm_id=f"ll-{name}",
            )
        )
    return records, {"format": CACHE_FORMAT, "stacks": stacks}


def stored_fleet_from_cache(clients: AwsClients, count: int, transitional: int) -> StackGateway:
    """`fleet_from_cache`'s records stored, and a stack gateway that knows their stacks from the cache."""
    records, exported = fleet_from_cache(clients, count, transitional)
    for model in records:
        put(clients, model)
    stacks = StackGateway(clients)
    assert stacks.import_cache(exported) == count
    return stacks


def test_the_warm_summary_call_budget_for_hundreds_of_models(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    stacks = stored_fleet_from_cache(clients, 210, transitional=6)
    counter.reset()
    views = Inventory(clients, deployment(litellm_server.url), stacks=stacks).list_models(detail=False)
    assert len(views) == 210
    assert all(view.live_error is None for view in views)
    assert counter.count("DescribeStackResources") == 0
    assert counter.count("DescribeClusters") == math.ceil(204 / 100)
    assert counter.count("DescribeAutoScalingGroups") == math.ceil(210 / 100)
    assert counter.count("DescribeServices") == 6
    pages = counter.count("Scan")
    assert counter.count("ListTables") == 1  # a new inventory looks for LISA's configuration table once
    assert len(counter.calls) == pages + 1 + 3 + 3 + 6
    assert all(len(p["clusters"]) <= 100 for name, p in counter.params if name == "DescribeClusters")


def test_the_live_readers_together_make_at_most_max_workers_calls_at_once(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    stacks = stored_fleet_from_cache(clients, 210, transitional=6)
    inventory = Inventory(clients, deployment(litellm_server.url), stacks=stacks, max_workers=3)
    counter.reset()
    counter.call_takes_s = 0.05  # services (6 calls), clusters (3) and groups (3) would overlap 9 at once
    views = inventory.list_models(detail=False)
    assert len(views) == 210
    assert all(view.live_error is None for view in views)
    assert counter.most_in_flight == 3  # one call of each kind at a time, the three kinds together


@pytest.mark.parametrize("detail", [False, True])
def test_a_cached_entry_whose_cluster_is_gone_is_read_again(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter, detail: bool
) -> None:
    model = hosted_record(clients, "moved")
    put(clients, model)
    stacks = StackGateway(clients)
    stale = stacks.model_resources(model.cloudformation_stack_name or "", model.cloudformation_stack_arn)
    stacks.forget(stale.stack_name)
    old = {**stale.to_cache(), "cluster": "replaced-cluster", "service": "replaced-svc"}
    stacks.import_cache({"format": CACHE_FORMAT, "stacks": {stale.stack_name: old}})
    inventory = Inventory(clients, deployment(litellm_server.url), stacks=stacks)
    counter.reset()
    [view] = inventory.list_models(detail=detail)
    assert view.live_error is None
    assert view.live is not None
    assert view.live.stack is not None
    assert view.live.stack.cluster == "moved-cluster"
    assert counter.count("DescribeStackResources") == 1
    assert stacks.cached(stale.stack_name) == stale

    counter.reset()
    inventory.list_models(detail=detail)
    assert counter.count("DescribeStackResources") == 0


def test_a_model_whose_cluster_is_deleted_says_so(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    model = hosted_record(clients, "orphan")
    put(clients, model)
    clients.ecs().delete_service(cluster="orphan-cluster", service="orphan-svc", force=True)
    clients.ecs().delete_cluster(cluster="orphan-cluster")
    inventory = Inventory(clients, deployment(litellm_server.url))
    [view] = inventory.list_models(detail=False)
    assert "ECS cluster orphan-cluster is INACTIVE" in (view.live_error or "")
    assert view.live is not None
    assert view.live.scaling_group is not None
    counter.reset()
    inventory.list_models(detail=False)
    assert counter.count("DescribeStackResources") == 1  # never trusted from the cache while it is gone


def test_some_models_reads_only_those(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    for model_id, status in (("a", "Updating"), ("b", "InService")):
        put(clients, hosted_record(clients, model_id, status))
    put(clients, record(third_party_config(modelId="t"), "InService"))
    inventory = Inventory(clients, deployment(litellm_server.url))
    inventory.list_models(detail=False)
    counter.reset()
    views = inventory.some_models(["a", "gone"])
    assert [v.model_id for v in views] == ["a"]
    assert views[0].live is not None
    assert views[0].live.service is not None  # transitional: described
    assert counter.calls.count("Scan") == 0
    assert sorted(counter.calls) == ["BatchGetItem", "DescribeAutoScalingGroups", "DescribeServices"]


RENDEZVOUS_S = 10.0
"""How long the Scan and the live reads wait for each other: only reached when they do not run together."""


def watch_calls_beside_the_scan(clients: AwsClients, expected: frozenset[str] = frozenset()) -> list[str]:
    """The ECS and Auto Scaling operations that were under way together with the Scan.

    The first Scan page waits until the `expected` operations (any one, when none is named) have started, and the
    first ECS or Auto Scaling call waits until the Scan has started: calls made together then overlap however the
    threads are scheduled, and calls made one after the other do not (each side waits out RENDEZVOUS_S alone)."""
    scanning: list[bool] = []
    started: set[str] = set()
    overlapped: list[str] = []
    scan_started = threading.Event()
    calls_started = threading.Event()

    def scan_starts(**_: Any) -> None:
        scanning.append(True)
        if not scan_started.is_set():
            scan_started.set()
            calls_started.wait(RENDEZVOUS_S)

    def scan_ends(**_: Any) -> None:
        scanning.clear()

    def call_starts(model: Any, **_: Any) -> None:
        scan_started.wait(RENDEZVOUS_S)
        if scanning:
            overlapped.append(model.name)
        started.add(model.name)
        if started >= expected:
            calls_started.set()

    clients.dynamodb().meta.events.register_first("before-call.dynamodb.Scan", scan_starts)
    clients.dynamodb().meta.events.register("after-call.dynamodb.Scan", scan_ends)
    for client in (clients.ecs(), clients.autoscaling()):
        client.meta.events.register_first("before-call.*.*", call_starts)
    return overlapped


def test_a_warm_listing_reads_live_state_while_it_scans_and_again_for_a_changed_record(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    records = {f"hosted-{index:02d}": hosted_record(clients, f"hosted-{index:02d}") for index in range(6)}
    for model in records.values():
        put(clients, model)
    inventory = Inventory(clients, deployment(litellm_server.url))
    first = {view.model_id: view for view in inventory.list_models(detail=False)}
    assert all(view.live is not None and view.live.service is None for view in first.values())

    during_scan = watch_calls_beside_the_scan(clients, frozenset({"DescribeClusters", "DescribeAutoScalingGroups"}))
    counter.reset()
    again = {view.model_id: view for view in inventory.list_models(detail=False)}
    assert again.keys() == first.keys()
    assert {"DescribeClusters", "DescribeAutoScalingGroups"} <= set(during_scan)  # under way with the Scan
    assert counter.count("DescribeServices") == 0

    put(clients, records["hosted-03"].model_copy(update={"model_status": ModelStatus.UPDATING}))  # asks for its service
    counter.reset()
    changed = {view.model_id: view for view in inventory.list_models(detail=False)}
    updating = changed["hosted-03"].live
    assert updating is not None
    assert updating.service is not None  # read again after the Scan, described this time
    assert counter.count("DescribeServices") == 1
    assert all(changed[model_id].live is not None for model_id in changed)


def test_a_first_listing_looks_for_the_clusters_by_tag_while_it_scans(
    clients: AwsClients, table: ModelsTable, litellm_server: LiteLLMServer, counter: CallCounter
) -> None:
    for index in range(4):
        put(clients, hosted_record(clients, f"hosted-{index:02d}"))
    overlapped = watch_calls_beside_the_scan(clients)
    counter.reset()
    views = Inventory(clients, deployment(litellm_server.url)).list_models(detail=False)
    assert len(views) == 4
    assert overlapped  # an ECS call of the cluster lookup and the Scan were under way together
    assert counter.count("ListClusters") == 1  # read ahead once, and used by the listing
