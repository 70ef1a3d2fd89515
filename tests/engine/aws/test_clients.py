from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from engine.aws.clients import AwsClients, map_concurrently
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


def test_every_call_of_the_clients_is_told_by_its_operation_name(moto: None) -> None:
    told: list[str] = []
    clients = AwsClients(boto3.Session(region_name=REGION), version="1", on_call=told.append)
    clients.ecs().list_clusters()
    clients.dynamodb().list_tables()
    clients.ecs().list_clusters()
    assert told == ["ListClusters", "ListTables", "ListClusters"]


def test_a_call_listener_added_later_hears_the_calls_of_clients_made_before_and_after(moto: None) -> None:
    clients = AwsClients(boto3.Session(region_name=REGION), version="1")
    clients.ecs().list_clusters()
    told: list[str] = []
    clients.add_call_listener(told.append)
    clients.ecs().list_clusters()
    clients.dynamodb().list_tables()
    assert told == ["ListClusters", "ListTables"]


def test_frozen_credentials_are_the_sessions(aws_env: None) -> None:
    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", aws_session_token="token", region_name=REGION
    )
    frozen = AwsClients(session, version="1").frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == ("AKIDEXAMPLE", "secret", "token")
