"""`models list | show` and `connections test` against the built-in sandbox, as a user runs them."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.sandbox.constants import SANDBOX_PREFIX
from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from lisa_desktop.connections import ConnectionStore, new_connection
from tests.keyrings import MemoryKeyring

SEEDED = {
    "mistral-7b-instruct": "InService",
    "llama3-8b-tgi": "Stopped",
    "bge-large-en": "InService",
    "claude-3-5-sonnet": "InService",
    "titan-embed-v2": "InService",
    "broken-model": "Failed",
}


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False) as running:
        yield running


@pytest.fixture
def sandbox(running_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The module's sandbox, its credentials in the environment as a user of --endpoint-url would set them
    (another sandbox may be live in this test process, and each has its own moto account)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", running_sandbox.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running_sandbox.secret_key)
    return running_sandbox


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(argv), out=out)
    return code, out.getvalue()


def test_list_json_has_every_seeded_model_with_its_status(sandbox: Sandbox) -> None:
    code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "list", "--json")
    assert code == 0
    models = {item["model"]["modelId"]: item for item in json.loads(out)}
    assert {model_id: models[model_id]["model"]["status"] for model_id in SEEDED} == SEEDED
    assert models["claude-3-5-sonnet"]["live"] is None
    assert models["broken-model"]["failureReason"]


def test_a_record_of_an_unknown_status_is_listed_and_the_others_are_unaffected(sandbox: Sandbox) -> None:
    """A newer LISA's status must not blank the listing: the record is a row marked unreadable, exit 0."""
    dynamodb = sandbox.session().client("dynamodb", endpoint_url=sandbox.endpoint_url)
    table = sandbox.table_name
    item = {"model_id": {"S": "from-newer-lisa"}, "model_status": {"S": "Archiving"}, "model_config": {"M": {}}}
    dynamodb.put_item(TableName=table, Item=item)
    try:
        code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "list")
        assert code == 0, out
        lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
        assert set(SEEDED) <= set(lines)
        assert "Archiving (unreadable)" in lines["from-newer-lisa"]
        assert "unreadable: from-newer-lisa: status 'Archiving' is not one this version knows" in out

        code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "list", "--json")
        assert code == 0
        entries = json.loads(out)
        models = {e["model"]["modelId"]: e["model"]["status"] for e in entries if "model" in e}
        assert {model_id: models[model_id] for model_id in SEEDED} == SEEDED
        (marked,) = [e for e in entries if "unreadable" in e]
        assert marked["modelId"] == "from-newer-lisa" and marked["item"]["model_status"] == "Archiving"

        code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "show", "from-newer-lisa")
        assert code == 0
        assert "unreadable by this version" in out and '"model_status": "Archiving"' in out
    finally:
        dynamodb.delete_item(TableName=table, Key={"model_id": {"S": "from-newer-lisa"}})


def test_show_json_gives_the_live_ecs_and_auto_scaling_state(sandbox: Sandbox) -> None:
    code, out = cli("models", "show", "mistral-7b-instruct", "--json", "--endpoint-url", sandbox.endpoint_url)
    assert code == 0
    shown = json.loads(out)
    live = shown["live"]
    assert {k: live["autoScalingGroup"][k] for k in ("minSize", "desiredCapacity", "maxSize")} == {
        "minSize": 1,
        "desiredCapacity": 1,
        "maxSize": 3,
    }
    assert live["autoScalingGroup"]["healthyInstances"] == 1
    assert isinstance(live["taskDefinitionRevision"], int)
    assert live["taskDefinitionArn"].endswith(f":{live['taskDefinitionRevision']}")
    assert live["rolloutState"] == "COMPLETED"
    assert live["runningCount"] == live["desiredCount"] == 1
    assert live["litellmRegistered"] is True
    assert shown["model"]["status"] == "InService"


def test_human_list_and_show(sandbox: Sandbox) -> None:
    code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["MODEL", "ID", "HOSTING", "TYPE"]
    mistral = next(line for line in lines if line.startswith("mistral-7b-instruct "))
    assert mistral.split()[1:6] == ["lisa_hosted", "textgen", "InService", "g5.xlarge", "1/1/3"]
    code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "show", "broken-model")
    assert code == 0
    assert "failure reason:" in out


def test_show_gives_a_failure_reason_only_for_a_failed_model(sandbox: Sandbox) -> None:
    """LISA never removes `failure_reason`: on a model that is no longer Failed it is stale, not a reason."""
    dynamodb = sandbox.session().client("dynamodb", endpoint_url=sandbox.endpoint_url)
    key = {"model_id": {"S": "mistral-7b-instruct"}}
    dynamodb.update_item(
        TableName=sandbox.table_name,
        Key=key,
        UpdateExpression="SET failure_reason = :r",
        ExpressionAttributeValues={":r": {"S": "an old LISA failure"}},
    )
    try:
        code, out = cli("--endpoint-url", sandbox.endpoint_url, "models", "show", "mistral-7b-instruct")
        assert code == 0
        assert "InService" in out and "failure reason" not in out and "an old LISA failure" not in out
    finally:
        dynamodb.update_item(TableName=sandbox.table_name, Key=key, UpdateExpression="REMOVE failure_reason")


def test_unknown_model_exits_4_with_the_id(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = cli("--endpoint-url", sandbox.endpoint_url, "models", "show", "no-such-model")
    assert code == 4
    assert "no-such-model" in capsys.readouterr().err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_endpoint_exits_6_naming_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = cli("--endpoint-url", f"http://127.0.0.1:{_closed_port()}", "models", "list")
    assert code == 6
    assert "[EndpointUnreachable]" in capsys.readouterr().err


def test_wrong_prefix_exits_6_saying_no_deployment(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = cli("--endpoint-url", sandbox.endpoint_url, "--deployment-prefix", "/prod/nothing", "models", "list")
    assert code == 6
    assert "/prod/nothing" in capsys.readouterr().err


def test_no_deployment_configured_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = cli("models", "list")
    assert code == 6
    err = capsys.readouterr().err
    assert "connections add" in err
    assert "--sandbox" in err


def test_two_targets_at_once_are_refused(sandbox: Sandbox) -> None:
    assert cli("--sandbox", "--endpoint-url", sandbox.endpoint_url, "models", "list")[0] == 2


def test_connection_with_a_keychain_secret(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(sandbox.secret_key + "\n"))
    code, out = cli(
        "connections",
        "add",
        "sbx",
        "--access-key-id",
        sandbox.access_key,
        "--region",
        "us-east-1",
        "--deployment-prefix",
        SANDBOX_PREFIX,
        "--endpoint-url",
        sandbox.endpoint_url,
    )
    assert code == 0, out
    code, out = cli("connections", "test", "sbx")
    assert code == 0, out
    assert re.search(r"you are arn:aws:\S+ \(account \d{12}\) in us-east-1", out)
    assert f"has {len(sandbox.model_ids())} models" in out
    code, out = cli("models", "list", "--json")
    assert code == 0
    assert len(json.loads(out)) == len(sandbox.model_ids())


def test_connection_through_a_named_profile(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").write_text("[profile lisa-sandbox]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text(
        f"[lisa-sandbox]\naws_access_key_id = {sandbox.access_key}\naws_secret_access_key = {sandbox.secret_key}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    assert (
        cli(
            "connections",
            "add",
            "viaprofile",
            "--profile",
            "lisa-sandbox",
            "--region",
            "us-east-1",
            "--deployment-prefix",
            SANDBOX_PREFIX,
            "--endpoint-url",
            sandbox.endpoint_url,
        )[0]
        == 0
    )
    code, out = cli("connections", "test", "viaprofile")
    assert code == 0, out
    assert "works" in out


def test_missing_profile_exits_6_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    # `connections add` checks the profile; a connection whose profile went away since reads as unreachable
    ConnectionStore().add(
        new_connection(
            name="ghost", auth="profile", profile="nobody-has-this", region="us-east-1", deployment_prefix="/prod/lisa"
        )
    )
    code, _ = cli("connections", "test", "ghost")
    assert code == 6
    assert "aws configure --profile nobody-has-this" in capsys.readouterr().err


def test_sandbox_serve_then_list_from_another_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "lisa_desktop", "sandbox", "serve", "--port", "0", "--still"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.fullmatch(r"LISA_DESKTOP_ENDPOINT=(http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        api_url, api_token = server.stdout.readline(), server.stdout.readline()
        assert re.fullmatch(r"LISA_API_URL=http://127\.0\.0\.1:\d+/sandbox\n", api_url), api_url
        assert re.fullmatch(r"LISA_API_TOKEN=[0-9a-f]{128}\n", api_token), api_token
        listing = subprocess.run(
            [sys.executable, "-m", "lisa_desktop", "--endpoint-url", match.group(1), "models", "list", "--json"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert listing.returncode == 0, listing.stderr
        statuses = {item["model"]["modelId"]: item["model"]["status"] for item in json.loads(listing.stdout)}
        assert {model_id: statuses[model_id] for model_id in SEEDED} == SEEDED
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
