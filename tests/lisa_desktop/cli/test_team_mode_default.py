"""The default model in team mode (`--lisa-api`, no AWS access): `models set-default` goes through LISA's
configuration API as LISA's UI does, writing the same item workstation mode writes to the table, and `models list`
marks the default as LISA's configuration names it."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from engine.aws.models_table import from_dynamodb
from engine.lisa_api.client import LisaApi
from engine.lisa_api.errors import error_for
from engine.sandbox.catalog import DEFAULT_MODEL_ID
from engine.sandbox.server import Sandbox
from lisa_desktop.exit_codes import ExitCode
from tests.lisa_desktop.cli.team_cli import requests_since, team_aws_cli, team_cli, workstation_cli

CONFIGURATION = "/configuration"
READ = ("GET", CONFIGURATION, 200)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False) as running:
        yield running


@pytest.fixture(autouse=True)
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Team mode as a user without AWS access runs it: nothing to find in the environment or the AWS files."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def versions(sandbox: Sandbox) -> list[dict[str, Any]]:
    """LISA's configuration table, oldest version first."""
    items = sandbox.client("dynamodb").scan(TableName=sandbox.deployment.configuration.table_name)["Items"]
    return sorted((from_dynamodb(item) for item in items), key=lambda item: item["versionId"])


def default_in_table(sandbox: Sandbox) -> str:
    return str(versions(sandbox)[-1]["configuration"]["global"]["defaultModel"])


def restore_default(sandbox: Sandbox) -> None:
    if default_in_table(sandbox) != DEFAULT_MODEL_ID:
        assert team_cli(sandbox, "models", "set-default", DEFAULT_MODEL_ID)[0] == ExitCode.OK


def marked(out: str) -> list[str]:
    """The model ids `models list` marks as the default."""
    return [line.split()[0] for line in out.splitlines()[1:] if line.endswith("  default")]


def test_set_default_goes_through_lisas_configuration_api_and_writes_the_workstation_item(sandbox: Sandbox) -> None:
    restore_default(sandbox)
    before = versions(sandbox)
    start = len(sandbox.lisa_api_requests)

    code, out = team_cli(sandbox, "models", "set-default", "claude-3-5-sonnet")
    assert code == ExitCode.OK, out
    assert out == (
        f"claude-3-5-sonnet is now the default model (was {DEFAULT_MODEL_ID}) (by LISA's configuration API)\n"
    )
    assert requests_since(sandbox, start) == [
        ("GET", "/models/claude-3-5-sonnet", 200),
        READ,
        ("PUT", "/configuration/global", 200),
        READ,
    ]
    after = versions(sandbox)
    assert after[:-1] == before
    written = after[-1]
    created_at = written.pop("created_at")
    assert isinstance(created_at, str) and Decimal(created_at) > 0
    assert written == {  # the item workstation mode writes (test_model_settings_cli), changedBy aside
        "configScope": "global",
        "versionId": before[-1]["versionId"] + 1,
        "configuration": {**before[-1]["configuration"], "global": {"defaultModel": "claude-3-5-sonnet"}},
        "changedBy": f"{getpass.getuser()} (lisa-desktop)",
        "changeReason": "Set default model to: claude-3-5-sonnet",
    }
    put = sandbox.lisa_api_requests[start + 2]
    assert (put.username, put.body) == ("sandbox-admin", written)  # stored as sent, plus LISA's created_at

    code, out = team_cli(sandbox, "models", "list")
    assert code == ExitCode.OK, out
    assert out.splitlines()[0].split()[-2:] == ["CONTEXT", "DEFAULT"]
    assert marked(out) == ["claude-3-5-sonnet"]
    assert marked(workstation_cli(sandbox, "models", "list")[1]) == ["claude-3-5-sonnet"]  # the same default
    code, out = team_cli(sandbox, "models", "list", "--json")
    assert code == ExitCode.OK, out
    flags = {entry["model"]["modelId"]: entry["isDefault"] for entry in json.loads(out)}
    assert [model_id for model_id, flag in flags.items() if flag] == ["claude-3-5-sonnet"]
    assert set(flags.values()) == {True, False}

    code, out = team_cli(sandbox, "models", "set-default", "claude-3-5-sonnet", "--json")
    assert code == ExitCode.OK, out
    assert json.loads(out) == {
        "defaultModel": "claude-3-5-sonnet",
        "previous": "claude-3-5-sonnet",
        "written": False,
        "versionId": None,
        "runBy": "LISA",
        "route": "PUT /configuration/global",
    }
    assert len(versions(sandbox)) == len(after)
    restore_default(sandbox)


def test_with_aws_access_too_the_default_still_goes_through_lisa(sandbox: Sandbox) -> None:
    restore_default(sandbox)
    start = len(sandbox.lisa_api_requests)
    code, out = team_aws_cli(sandbox, "models", "set-default", "nova-pro")
    assert code == ExitCode.OK, out
    assert ("PUT", "/configuration/global", 200) in requests_since(sandbox, start)
    assert default_in_table(sandbox) == "nova-pro"
    assert marked(team_aws_cli(sandbox, "models", "list")[1]) == ["nova-pro"]
    restore_default(sandbox)


def test_a_user_who_is_not_an_administrator_is_told_lisas_refusal(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = versions(sandbox)
    code, _ = team_cli(sandbox, "models", "set-default", "nova-pro", token=sandbox.lisa_api_user_token)
    assert code == ExitCode.UNREACHABLE
    err = capsys.readouterr().err
    assert "LISA refused PUT /configuration/global (403): Only admins can update global configuration" in err
    assert "administrator's token" in err and "NoCredentials" not in err
    assert versions(sandbox) == before


@pytest.mark.parametrize(
    ("model_id", "code", "says"),
    [
        ("llama3-8b-tgi", ExitCode.STATUS_NOT_ALLOWED, "model 'llama3-8b-tgi' is Stopped: only an InService model"),
        ("bge-large-en", ExitCode.INVALID, "modelType: model 'bge-large-en' is of type embedding"),
        ("no-such-model", ExitCode.NOT_FOUND, "Model 'no-such-model' was not found"),
    ],
)
def test_a_model_that_cannot_be_the_default_is_refused_before_anything_is_sent(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], model_id: str, code: int, says: str
) -> None:
    before = versions(sandbox)
    start = len(sandbox.lisa_api_requests)
    assert team_cli(sandbox, "models", "set-default", model_id)[0] == code
    assert says in capsys.readouterr().err
    assert [method for method, _, _ in requests_since(sandbox, start)] == ["GET"]
    assert versions(sandbox) == before


def test_a_listing_goes_on_when_the_configuration_cannot_be_read(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_route(self: LisaApi, scope: str) -> list[dict[str, Any]]:
        raise error_for(403, {"message": "Missing Authentication Token"}, what="GET /configuration", model_id=None)

    monkeypatch.setattr(LisaApi, "get_configuration", no_route)
    code, out = team_cli(sandbox, "models", "list")
    assert code == ExitCode.OK, out
    rows = out.splitlines()[1:16]
    assert all(row.endswith("  ?") for row in rows)
    assert "default model not read: LISA's API at" in out and "serves no configuration routes" in out
    entries = json.loads(team_cli(sandbox, "models", "list", "--json")[1])
    assert {entry["isDefault"] for entry in entries} == {None}
    assert "serves no configuration routes" in entries[0]["defaultNotRead"]
