"""`connections add NAME --lisa-api URL`: the token read from standard input into the OS keychain (never the
connections file), `connections test` asking LISA's API, and the models commands through a saved connection."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator

import pytest

from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from lisa_desktop.connections import ConnectionStore
from tests.keyrings import MemoryKeyring


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(list(argv), out=out), out.getvalue()


def add_api_connection(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, token: str) -> tuple[int, str]:
    monkeypatch.delenv("LISA_API_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    return cli(
        "connections",
        "add",
        "team",
        "--lisa-api",
        sandbox.lisa_api_url,
        "--region",
        "us-east-1",
        "--deployment-prefix",
        sandbox.prefix,
    )


def test_the_token_goes_to_the_keychain_only(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sandbox.lisa_api_admin_token
    code, out = add_api_connection(sandbox, monkeypatch, token)
    assert code == 0, out
    assert memory_keyring.secrets == {("lisa-desktop", "team/lisa-api"): token}
    stored = ConnectionStore().path.read_text()
    assert token not in stored
    assert json.loads(stored)["connections"][0]["lisa_api_url"] == sandbox.lisa_api_url
    code, out = cli("connections", "test", "team")
    assert code == 0, out
    assert f"LISA's API at {sandbox.lisa_api_url} answers" in out
    code, out = cli("models", "show", "claude-3-5-sonnet", "--connection", "team", "--json")
    assert code == 0, out
    assert json.loads(out)["source"] == "LISA API"
    assert sandbox.lisa_api_requests[-1].path == "/models/claude-3-5-sonnet"
    assert "LISA_API_TOKEN" not in os.environ
    code, _ = cli("connections", "remove", "team")
    assert code == 0
    assert memory_keyring.secrets == {}


def test_a_wrong_saved_token_fails_the_test_with_exit_6(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add_api_connection(sandbox, monkeypatch, "a" * 128)[0] == 0
    code, _ = cli("connections", "test", "team")
    assert code == 6
    assert "authorizer refused the token" in capsys.readouterr().err


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keychain_nothing_is_written(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = add_api_connection(sandbox, monkeypatch, sandbox.lisa_api_admin_token)
    assert code == 2
    assert ConnectionStore().all() == []


def add_with_key(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, stdin: str, *options: str) -> tuple[int, str]:
    """`connections add team --access-key-id ... --lisa-api OPTIONS` with `stdin` (the secret, then any token)."""
    monkeypatch.delenv("LISA_API_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli(
        "connections",
        "add",
        "team",
        "--access-key-id",
        sandbox.access_key,
        "--region",
        sandbox.region,
        "--deployment-prefix",
        sandbox.prefix,
        "--endpoint-url",
        sandbox.endpoint_url,
        "--lisa-api",
        *options,
    )


def test_without_a_url_it_is_read_from_ssm(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sandbox.lisa_api_admin_token
    code, out = add_with_key(sandbox, monkeypatch, f"{sandbox.secret_key}\n{token}\n")
    assert code == 0, out
    assert f"LISA's API {sandbox.lisa_api_url}, its token in the OS keychain" in out
    stored = json.loads(ConnectionStore().path.read_text())["connections"][0]
    assert stored["lisa_api_url"] == sandbox.lisa_api_url and "lisa_api_token_source" not in stored
    assert memory_keyring.secrets == {
        ("lisa-desktop", f"team/{sandbox.access_key}"): sandbox.secret_key,
        ("lisa-desktop", "team/lisa-api"): token,
    }
    code, out = cli("models", "show", "mistral-7b-instruct", "--connection", "team")
    assert code == 0, out
    assert "ECS: task definition revision" in out  # the connection's AWS access reads the live state too
    assert sandbox.lisa_api_requests[-1].path == "/models/mistral-7b-instruct"


def test_the_management_key_is_read_at_each_use_and_never_stored(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = add_with_key(sandbox, monkeypatch, f"{sandbox.secret_key}\n", "--lisa-api-token", "management")
    assert code == 0, out
    assert "the management key read from Secrets Manager at each use" in out
    assert list(memory_keyring.secrets.values()) == [sandbox.secret_key]
    assert json.loads(ConnectionStore().path.read_text())["connections"][0]["lisa_api_token_source"] == (
        "management-key"
    )
    assert sandbox.management_key not in ConnectionStore().path.read_text()
    code, out = cli("connections", "test", "team")
    assert code == 0, out
    assert f"LISA's API at {sandbox.lisa_api_url} answers" in out
    assert sandbox.lisa_api_requests[-1].username == "lisa-management-token"
    assert cli("connections", "remove", "team")[0] == 0
    assert memory_keyring.secrets == {}


def test_reading_the_url_or_the_key_needs_aws_credentials(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("connections", "add", "team", "--region", "us-east-1", "--deployment-prefix", sandbox.prefix)
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert cli(*base, "--lisa-api")[0] == 2
    assert "read from SSM <prefix>/LisaApiUrl" in capsys.readouterr().err
    assert cli(*base, "--lisa-api", sandbox.lisa_api_url, "--lisa-api-token", "management")[0] == 2
    assert "--lisa-api-token management reads the management key with AWS credentials" in capsys.readouterr().err
    assert ConnectionStore().all() == [] and memory_keyring.secrets == {}


def test_a_prefix_without_a_published_url_is_named(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{sandbox.secret_key}\n"))
    code, _ = cli(
        "connections",
        "add",
        "team",
        "--access-key-id",
        sandbox.access_key,
        "--region",
        sandbox.region,
        "--deployment-prefix",
        "/other/deployment",
        "--endpoint-url",
        sandbox.endpoint_url,
        "--lisa-api",
    )
    assert code == 6
    assert "/other/deployment/LisaApiUrl" in capsys.readouterr().err
    assert ConnectionStore().all() == [] and memory_keyring.secrets == {}
