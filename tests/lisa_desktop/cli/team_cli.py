"""Run the CLI in-process in team mode: `--lisa-api` with the sandbox's API and a token in LISA_API_TOKEN."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run


@contextmanager
def environment(**values: str) -> Iterator[None]:
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def team_cli(sandbox: Sandbox, *argv: str, token: str | None = None) -> tuple[int, str]:
    """`lisa-desktop --lisa-api <the sandbox's API> ARGV` with `token` (the admin token unless given)."""
    out = io.StringIO()
    with environment(LISA_API_TOKEN=sandbox.lisa_api_admin_token if token is None else token):
        code = run(["--lisa-api", sandbox.lisa_api_url, *argv], out=out)
    return code, out.getvalue()


def workstation_cli(sandbox: Sandbox, *argv: str) -> tuple[int, str]:
    """The same command in workstation mode (`--endpoint-url`, the sandbox's own credentials)."""
    out = io.StringIO()
    with environment(AWS_ACCESS_KEY_ID=sandbox.access_key, AWS_SECRET_ACCESS_KEY=sandbox.secret_key):
        code = run(["--endpoint-url", sandbox.endpoint_url, *argv], out=out)
    return code, out.getvalue()


def stored_item(sandbox: Sandbox, model_id: str) -> dict[str, Any] | None:
    """The model's item in the sandbox's models table, as plain values (None when there is none)."""
    answer = sandbox.client("dynamodb").get_item(
        TableName=sandbox.table_name, Key={"model_id": {"S": model_id}}, ConsistentRead=True
    )
    item = answer.get("Item")
    if item is None:
        return None
    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def requests_since(sandbox: Sandbox, start: int) -> list[tuple[str, str, int]]:
    """(method, path, status) of the API requests the sandbox received after the first `start`."""
    return [(r.method, r.path, r.status) for r in sandbox.lisa_api_requests[start:]]


def team_aws_cli(sandbox: Sandbox, *argv: str, token: str | None = None) -> tuple[int, str]:
    """Team mode with AWS access too: `--lisa-api` and `--endpoint-url` (the sandbox's own credentials)."""
    out = io.StringIO()
    values = {
        "LISA_API_TOKEN": sandbox.lisa_api_admin_token if token is None else token,
        "AWS_ACCESS_KEY_ID": sandbox.access_key,
        "AWS_SECRET_ACCESS_KEY": sandbox.secret_key,
    }
    with environment(**values):
        code = run(["--lisa-api", sandbox.lisa_api_url, "--endpoint-url", sandbox.endpoint_url, *argv], out=out)
    return code, out.getvalue()
