"""Starting and stopping sandboxes: the moto version guard, isolation, ports, benchmark seeding."""

from __future__ import annotations

import gc
import json
import socket
import threading
import urllib.request
import weakref
from typing import Any

import botocore.session
import moto
import pytest
from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.cloudformation.models import cloudformation_backends
from moto.dynamodb.models import dynamodb_backends
from moto.ec2.models import ec2_backends

import engine.sandbox.simulator as simulator_module
from engine.sandbox.catalog import CATALOG
from engine.sandbox.constants import SANDBOX_ACCESS_KEY, SANDBOX_PREFIX, SANDBOX_SECRET_KEY
from engine.sandbox.server import Sandbox
from engine.sandbox.simulator import SandboxError, check_moto_internals, check_moto_version
from engine.schema.enums import ModelStatus
from tests.waiting import wait_for


@pytest.mark.parametrize("version", ["5.2.0", "5.2.5", "5.2.99.dev3"])
def test_supported_moto_versions(version: str) -> None:
    assert check_moto_version(version) == version


@pytest.mark.parametrize("version", ["5.1.9", "5.3.0", "6.0.0", "4.2.14"])
def test_unsupported_moto_versions_fail_loudly(version: str) -> None:
    with pytest.raises(SandboxError, match=rf"moto {version} is installed.*>=5\.2,<5\.3"):
        check_moto_version(version)


def test_the_installed_moto_is_supported() -> None:
    check_moto_version()
    check_moto_internals()


def test_start_refuses_an_unsupported_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "5.3.1")
    sandbox = Sandbox(ambient=False)
    with pytest.raises(SandboxError, match=r"moto 5\.3\.1"):
        sandbox.start()
    assert not sandbox.running


def test_start_refuses_when_moto_internals_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        simulator_module,
        "_REQUIRED_INTERNALS",
        (*simulator_module._REQUIRED_INTERNALS, (FakeAutoScalingGroup, "no_such_thing")),
    )
    with pytest.raises(SandboxError, match="no_such_thing"):
        Sandbox(ambient=False).start()


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = Sandbox(port, ambient=False)
        with pytest.raises(SandboxError, match=f"127.0.0.1:{port}"):
            sandbox.start()
        assert not sandbox.running


def test_explicit_port_and_constants(shared_sandbox: Sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Sandbox(port, ambient=False) as sandbox:
        assert sandbox.endpoint_url == f"http://127.0.0.1:{port}"
        assert sandbox.prefix == SANDBOX_PREFIX
        # a second live sandbox gets an account (and key) of its own
        assert sandbox.account_id != shared_sandbox.account_id
        assert sandbox.access_key != SANDBOX_ACCESS_KEY
    assert shared_sandbox.access_key == SANDBOX_ACCESS_KEY
    assert shared_sandbox.secret_key == SANDBOX_SECRET_KEY


def test_live_sandboxes_are_isolated_from_each_other(shared_sandbox: Sandbox) -> None:
    with Sandbox(ambient=False) as other:
        other.client("dynamodb").delete_item(TableName=other.table_name, Key={"model_id": {"S": "mistral-7b-instruct"}})
        other.client("cloudformation").delete_stack(StackName="lisa-bge-large-en")
        mine = shared_sandbox.client("dynamodb").get_item(
            TableName=shared_sandbox.table_name, Key={"model_id": {"S": "mistral-7b-instruct"}}
        )
        assert "Item" in mine
        stack = shared_sandbox.client("cloudformation").describe_stacks(StackName="lisa-bge-large-en")
        assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        assert other.client("sts").get_caller_identity()["Account"] == other.account_id


def test_stop_is_clean_and_a_new_sandbox_starts_fresh() -> None:
    first = Sandbox(ambient=False)
    first.start()
    first.client("dynamodb").delete_item(TableName=first.table_name, Key={"model_id": {"S": "nova-pro"}})
    mine = (f"sandbox-simulator-{first.account_id}", f"sandbox-litellm-{first.litellm.url.rsplit(':', 1)[1]}")
    first.stop()
    first.stop()  # idempotent
    assert not first.running
    with pytest.raises(SandboxError):
        first.client("dynamodb")
    threads = {thread.name for thread in threading.enumerate()}
    assert not threads & set(mine)
    with Sandbox(ambient=False) as second:
        assert second.endpoint_url
        scanned = second.client("dynamodb").scan(TableName=second.table_name)["Items"]
        assert len(scanned) == len(CATALOG)


def test_a_stopped_sandbox_is_let_go_from_memory_while_another_runs() -> None:
    """A stopped sandbox's stacks, tables, groups and subnets do not stay alive in the process: moto's cache of
    regions per backend, its dashboard's list of model objects and its cache of each subnet's addresses kept every
    earlier sandbox's state."""
    with Sandbox(ambient=False, lisa_actors=False) as other:
        sandbox = Sandbox(ambient=False)
        sandbox.start()
        assert sandbox.account_id != other.account_id
        stack = cloudformation_backends[sandbox.account_id][sandbox.region].get_stack("lisa-bge-large-en")
        table = dynamodb_backends[sandbox.account_id][sandbox.region].get_table(sandbox.table_name)
        groups = autoscaling_backends[sandbox.account_id][sandbox.region].autoscaling_groups
        group = groups[sandbox.resources("bge-large-en").auto_scaling_group]
        ec2 = ec2_backends[sandbox.account_id][sandbox.region]
        (subnet,) = [ec2.get_subnet(state.instance.subnet_id) for state in group.instance_states]
        kept = [weakref.ref(stack), weakref.ref(table), weakref.ref(group), weakref.ref(subnet)]
        del stack, table, groups, group, ec2, subnet
        sandbox.stop()
        gc.collect()
        assert [ref() for ref in kept] == [None, None, None, None]
        assert len(other.client("dynamodb").scan(TableName=other.table_name)["Items"]) == len(CATALOG)


def test_a_sandbox_makes_boto3_clients_only_when_they_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeding writes into moto's backends, and LISA's actors and API make their clients on first use: a start
    made seven clients that most sandboxes never used (most of what a start cost). LISA's API still answers."""
    made: list[str] = []
    create_client = botocore.session.Session.create_client

    def counted(session: botocore.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service_name)
        return create_client(session, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counted)
    with Sandbox(ambient=False) as sandbox:
        assert made == []
        request = urllib.request.Request(f"{sandbox.lisa_api_url}/models/mistral-7b-instruct")
        request.add_header("Authorization", f"Bearer {sandbox.lisa_api_admin_token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read())["model"]["modelId"] == "mistral-7b-instruct"
        assert "dynamodb" in made
        assert {"ecs", "cloudformation", "stepfunctions"}.isdisjoint(made)


def test_deleting_a_stack_removes_its_ecs_resources(fresh_sandbox: Sandbox) -> None:
    resources = fresh_sandbox.resources("bge-large-en")
    fresh_sandbox.client("cloudformation").delete_stack(StackName=resources.stack_name)
    ecs = fresh_sandbox.client("ecs")
    wait_for(
        lambda: (
            ecs.describe_services(cluster=resources.cluster, services=[resources.service])["services"][0]["status"]
            == "INACTIVE"
        ),
        timeout=3,
        what="the stack's ECS service to go",
    )
    groups = fresh_sandbox.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[resources.auto_scaling_group]
    )
    assert groups["AutoScalingGroups"] == []


def test_extra_models_for_benchmarks() -> None:
    with Sandbox(ambient=False, extra_models=30, warmup_seconds=0.5, rollout_seconds=1) as sandbox:
        dynamodb = sandbox.client("dynamodb")
        pages = dynamodb.get_paginator("scan").paginate(TableName=sandbox.table_name, PaginationConfig={"PageSize": 7})
        ids = [item["model_id"]["S"] for page in pages for item in page["Items"]]
        assert sorted(ids) == sorted(sandbox.model_ids())
        assert len(ids) == len(CATALOG) + 30
        queried = dynamodb.query(
            TableName=sandbox.table_name,
            KeyConditionExpression="model_id = :m",
            ExpressionAttributeValues={":m": {"S": "bench-00001"}},
        )
        assert queried["Count"] == 1
        assert queried["Items"][0]["model_config"]["M"]["modelId"] == {"S": "bench-00001"}

        hosted = sandbox.resources("bench-00001")
        group = sandbox.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[hosted.auto_scaling_group]
        )["AutoScalingGroups"][0]
        assert [i["LifecycleState"] for i in group["Instances"]] == ["InService"]
        service = sandbox.client("ecs").describe_services(cluster=hosted.cluster, services=[hosted.service])[
            "services"
        ][0]
        assert service["deployments"][0]["rolloutState"] == "COMPLETED"
        assert service["runningCount"] == 1
        in_service = {
            item["model_id"]["S"]
            for page in dynamodb.get_paginator("scan").paginate(TableName=sandbox.table_name)
            for item in page["Items"]
            if item["model_status"]["S"] in (ModelStatus.IN_SERVICE.value, ModelStatus.UPDATING.value)
        }
        assert {entry.model_name for entry in sandbox.litellm.registered()} == in_service


def test_plain_moto_users_in_the_default_account_are_untouched(shared_sandbox: Sandbox) -> None:
    """The sandbox patches act for sandbox accounts only: another key (moto's default account) gets moto as is."""
    import boto3

    session = boto3.Session(
        aws_access_key_id="AKIAPLAINMOTOUSER000", aws_secret_access_key="x", region_name="us-east-1"
    )
    autoscaling = session.client("autoscaling", endpoint_url=shared_sandbox.endpoint_url)
    ec2 = session.client("ec2", endpoint_url=shared_sandbox.endpoint_url)
    assert session.client("sts", endpoint_url=shared_sandbox.endpoint_url).get_caller_identity()["Account"] != (
        shared_sandbox.account_id
    )
    template = ec2.create_launch_template(
        LaunchTemplateName="plain", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="plain",
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]},
        AvailabilityZones=["us-east-1a"],
    )
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="plain", DesiredCapacity=5)  # moto's laxness, as is
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["plain"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 5
    assert {i["LifecycleState"] for i in group["Instances"]} == {"InService"}
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName="plain", ForceDelete=True)
