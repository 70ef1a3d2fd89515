"""`sandbox serve --no-lisa-actors` turns LISA's status monitor off: after a stop's instances terminate and a start's
instances launch, the record carries none of the monitor's writes (`statusReason`, `lastStatusUpdate`); served
without the flag, the same stop and start leave them (the monitor writes 2 s after each event, and the start's
instances take 3 s to be healthy, so both jobs end after the first write)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import boto3
import pytest

from engine.sandbox.constants import SANDBOX_ACCESS_KEY, SANDBOX_REGION, SANDBOX_SECRET_KEY
from lisa_desktop.cli import run
from tests.lisa_desktop.cli.served_sandbox import served_sandbox

MODEL = "mistral-7b-instruct"  # seeded InService


@pytest.fixture(autouse=True)
def sandbox_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's own dummy key, as `--endpoint-url` uses it when no AWS key is in the environment."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=[True, False], ids=["lisa-actors", "no-lisa-actors"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    actors: bool = request.param
    argv = ["--still", "--rollout-seconds", "1", "--warmup-seconds", "3"]
    with served_sandbox(*argv, *([] if actors else ["--no-lisa-actors"])) as url:
        yield url, actors


def _cli(endpoint: str, *argv: str) -> None:
    out = io.StringIO()
    code = run(["--endpoint-url", endpoint, *argv], out=out)
    assert code == 0, out.getvalue()


def _record(endpoint: str) -> dict[str, object]:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=SANDBOX_REGION,
        aws_access_key_id=SANDBOX_ACCESS_KEY,
        aws_secret_access_key=SANDBOX_SECRET_KEY,
    )
    (table,) = [name for name in dynamodb.list_tables()["TableNames"] if "Model" in name and "Guardrail" not in name]
    return dict(dynamodb.get_item(TableName=table, Key={"model_id": {"S": MODEL}})["Item"])


def test_no_lisa_actors_turns_the_status_monitor_off(served: tuple[str, bool]) -> None:
    endpoint, actors = served
    assert "statusReason" not in _record(endpoint)  # seeded without the monitor's attributes
    _cli(endpoint, "models", "stop", MODEL, "--yes", "--wait")
    _cli(endpoint, "models", "start", MODEL, "--wait")
    record = _record(endpoint)
    assert record["model_status"] == {"S": "InService"}
    if actors:
        assert "Auto Scaling completed" in str(record["statusReason"]) and "lastStatusUpdate" in record
    else:
        assert "statusReason" not in record and "lastStatusUpdate" not in record
