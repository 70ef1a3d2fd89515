"""The sandbox's own clients are answered by moto's app in this process, as a client over the socket would be."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from engine.sandbox.moto_http import MotoHttpServer

ACCOUNT_KEYS = {"aws_access_key_id": "AKIAMOTOHTTPTEST0001", "aws_secret_access_key": "secret"}


@pytest.fixture
def server() -> Iterator[MotoHttpServer]:
    served = MotoHttpServer("127.0.0.1")
    served.start()
    yield served
    served.stop()


def clients(server: MotoHttpServer, service: str) -> tuple[Any, Any]:
    """(over the socket, answered in process) for one service."""
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    made = [
        boto3.client(service, region_name="eu-west-1", endpoint_url=server.endpoint_url, config=config, **ACCOUNT_KEYS)
        for _ in range(2)
    ]
    made[1].meta.events.register("before-send", server.answer_in_process)
    return made[0], made[1]


def test_an_answer_in_process_is_the_answer_over_the_socket(server: MotoHttpServer) -> None:
    socket, in_process = clients(server, "dynamodb")
    in_process.create_table(
        TableName="models",
        KeySchema=[{"AttributeName": "model_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "model_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    in_process.put_item(TableName="models", Item={"model_id": {"S": "mistral"}, "note": {"S": "é ✓"}})
    assert socket.get_item(TableName="models", Key={"model_id": {"S": "mistral"}})["Item"]["note"] == {"S": "é ✓"}
    for client in (socket, in_process):
        with pytest.raises(ClientError) as refused:
            client.describe_table(TableName="no-such-table")
        assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_path_with_quoted_characters_and_a_streamed_body_arrive_as_sent(server: MotoHttpServer) -> None:
    socket, in_process = clients(server, "s3")
    in_process.create_bucket(Bucket="weights", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    key = "models/Mistral 7B+instruct/é ✓.json"
    in_process.upload_fileobj(io.BytesIO(b'{"a": 1}'), "weights", key)
    assert socket.get_object(Bucket="weights", Key=key)["Body"].read() == b'{"a": 1}'
    assert in_process.list_objects_v2(Bucket="weights", Prefix="models/")["Contents"][0]["Key"] == key


def test_no_socket_is_needed(server: MotoHttpServer) -> None:
    socket, in_process = clients(server, "sqs")
    server.stop()
    assert "QueueUrls" not in in_process.list_queues()  # answered with the server no longer serving
    with pytest.raises(EndpointConnectionError):
        socket.list_queues()
