from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.utils import parse_timestamp

import engine.aws.clients as clients_module
from engine.aws.clients import AwsClients, map_concurrently, parse_timestamp_fast
from engine.aws.errors import DeploymentUnreachable
from tests.engine.aws.conftest import REGION


def test_every_client_gets_adaptive_retries_timeouts_and_the_user_agent(aws_env: None) -> None:
    clients = AwsClients(boto3.Session(region_name=REGION), version="1.2.3")
    for client in (clients.dynamodb(), clients.ecs(), clients.service_quotas(), clients.ec2()):
        config = client.meta.config
        assert config.retries == {"mode": "adaptive", "total_max_attempts": 5}
        assert config.connect_timeout == 5
        assert config.read_timeout == 30
        assert config.user_agent_extra == "lisa-desktop/1.2.3"
        assert client.meta.region_name == REGION
    assert clients.max_attempts == 5
    assert clients.endpoint_url is None


def test_sandbox_endpoint_applies_to_every_client_with_fewer_attempts(aws_env: None) -> None:
    clients = AwsClients(boto3.Session(region_name=REGION), version="1", endpoint_url="http://127.0.0.1:4566")
    for client in (clients.sts(), clients.ssm(), clients.cloudformation(), clients.autoscaling(), clients.ecr()):
        assert client.meta.endpoint_url == "http://127.0.0.1:4566"
        assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 2}
    assert clients.max_attempts == 2


def test_one_cached_client_per_service_even_across_threads(aws_env: None) -> None:
    clients = AwsClients(boto3.Session(region_name=REGION), version="1")
    seen = []

    def grab() -> None:
        seen.append(clients.dynamodb())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 1
    assert clients.dynamodb() is seen[0]
    assert clients.ecs() is not seen[0]
    assert clients.secretsmanager() is clients.secretsmanager()


def test_region_comes_from_the_session_or_the_argument(aws_env: None) -> None:
    assert AwsClients(boto3.Session(region_name="eu-west-1"), version="1").region == "eu-west-1"
    clients = AwsClients(boto3.Session(region_name="eu-west-1"), version="1", region_name="us-gov-west-1")
    assert clients.region == "us-gov-west-1"
    assert clients.ecs().meta.region_name == "us-gov-west-1"


def test_no_region_is_a_domain_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(DeploymentUnreachable) as caught:
        AwsClients(boto3.Session(), version="1")
    assert caught.value.code == "NoRegion"


def test_the_user_agent_suffix_is_sent(clients: AwsClients) -> None:
    agents: list[str] = []

    def capture(request: Any, **_: Any) -> None:
        agent = request.headers["User-Agent"]
        agents.append(agent.decode() if isinstance(agent, bytes) else agent)

    sts = clients.sts()
    sts.meta.events.register("before-send.sts.*", capture)
    sts.get_caller_identity()
    assert "lisa-desktop/9.9.9" in agents[0]


def test_map_concurrently_keeps_order_and_propagates_errors() -> None:
    assert map_concurrently(lambda n: n * n, list(range(20)), max_workers=4) == [n * n for n in range(20)]
    assert map_concurrently(lambda n: n + 1, [1], max_workers=4) == [2]
    assert map_concurrently(lambda n: n, [], max_workers=4) == []

    def boom(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    with pytest.raises(ValueError, match="three"):
        map_concurrently(boom, list(range(6)), max_workers=3)


def test_clients_load_the_same_service_models_with_the_piecewise_loader(aws_env: None) -> None:
    plain = boto3.Session(region_name=REGION)
    clients = AwsClients(boto3.Session(region_name=REGION), version="1")
    for ours, theirs in ((clients.ecs(), plain.client("ecs")), (clients.dynamodb(), plain.client("dynamodb"))):
        assert type(ours.meta.service_model) is type(theirs.meta.service_model)
        assert ours.meta.service_model.operation_names == theirs.meta.service_model.operation_names
        for name in ("DescribeServices", "Scan"):
            if name in theirs.meta.service_model.operation_names:
                mine = ours.meta.service_model.operation_model(name).input_shape
                assert list(mine.members) == list(theirs.meta.service_model.operation_model(name).input_shape.members)
        assert ours.meta.endpoint_url == theirs.meta.endpoint_url


def test_the_piecewise_loader_is_installed_once_per_session(aws_env: None) -> None:
    session = boto3.Session(region_name=REGION)
    AwsClients(session, version="1")
    loader = session._session.get_component("data_loader")
    installed = loader.file_loader
    assert type(installed).__name__ == "_PiecewiseJSONFileLoader"
    AwsClients(session, version="1")
    assert loader.file_loader is installed


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-27T18:44:04Z",
        "2026-11-27T18:44:04.123Z",
        "2026-11-27T18:44:04.123456+02:00",
        "2026-11-27T18:44:04",  # no zone: botocore's own parser decides
        "2026-11-27",
        "Thu, 27 Nov 2026 18:44:04 GMT",
        "1764268844",
        1764268844,
        1764268844.5,
    ],
)
def test_timestamps_parse_as_botocore_parses_them(value: str | float) -> None:
    assert parse_timestamp_fast(value) == parse_timestamp(value)


def test_clients_parse_response_timestamps_with_the_fast_parser(
    moto: None, botocore_session: botocore.session.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []

    def spy(value: str | float) -> datetime:
        seen.append(value)
        return parse_timestamp_fast(value)

    monkeypatch.setattr(clients_module, "parse_timestamp_fast", spy)
    clients = AwsClients(boto3.Session(region_name=REGION, botocore_session=botocore_session), version="1")
    cloudformation = clients.cloudformation()
    cloudformation.create_stack(StackName="timed", TemplateBody='{"Resources": {}}')
    created = cloudformation.describe_stacks(StackName="timed")["Stacks"][0]["CreationTime"]
    assert seen  # the XML protocol's ISO 8601 text went through it
    assert created.tzinfo is not None
    assert created == parse_timestamp(str(seen[-1]))
