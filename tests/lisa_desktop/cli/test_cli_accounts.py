"""Wrong-account credentials through the command line (issue 19, part 10): a connection that says which account its
deployment is in, used with credentials of another account, gets a message naming both accounts and a non-zero
exit; the same credentials without a word of the account get the plain "not found" advice."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from lisa_desktop.exit_codes import ExitCode
from tests.keyrings import MemoryKeyring

MOTO_DEFAULT_ACCOUNT = "123456789012"
"""The account moto gives a request whose access key it does not know."""
OTHER_KEY = "AKIAOTHERACCOUNT0001"


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(list(argv), out=out), out.getvalue()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox, and this machine's AWS profiles: `elsewhere`, whose key is no account's the sandbox knows."""
    (tmp_path / "aws-config").write_text("[profile elsewhere]\nregion = us-east-1\n")
    (tmp_path / "aws-credentials").write_text(
        f"[elsewhere]\naws_access_key_id = {OTHER_KEY}\naws_secret_access_key = not-the-sandbox-secret\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with Sandbox(ambient=False, lisa_actors=False) as running:
        yield running


def add(sandbox: Sandbox, name: str, *how: str) -> None:
    code, out = cli(
        "connections",
        "add",
        name,
        *how,
        "--region",
        sandbox.region,
        "--deployment-prefix",
        sandbox.prefix,
        "--endpoint-url",
        sandbox.endpoint_url,
    )
    assert code == ExitCode.OK, out


def caller_account(sandbox: Sandbox) -> str:
    session = boto3.Session(profile_name="elsewhere", region_name=sandbox.region)
    account: str = session.client("sts", endpoint_url=sandbox.endpoint_url).get_caller_identity()["Account"]
    return account


def test_a_connection_whose_credentials_are_another_accounts_names_both(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = caller_account(sandbox)
    assert caller == MOTO_DEFAULT_ACCOUNT != sandbox.account_id
    add(sandbox, "prod", "--profile", "elsewhere", "--account", sandbox.account_id)
    capsys.readouterr()

    for command in (("--connection", "prod", "models", "list"), ("connections", "test", "prod")):
        code, out = cli(*command)
        err = capsys.readouterr().err
        assert code == ExitCode.UNREACHABLE != ExitCode.OK, command
        assert out == ""
        assert "[WrongAccount]" in err, err
        assert (
            f"these credentials are for account {caller}, but the deployment is in account {sandbox.account_id}: "
            "use a profile or access key of that account"
        ) in err, err
        assert f"no LISA deployment was found under the prefix '{sandbox.prefix}' in account {caller}" in err
        assert "Traceback" not in err


def test_without_an_account_or_with_the_callers_own_the_advice_is_the_plain_one(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    add(sandbox, "unsaid", "--profile", "elsewhere")
    add(sandbox, "same", "--profile", "elsewhere", "--account", MOTO_DEFAULT_ACCOUNT)
    capsys.readouterr()
    for name in ("unsaid", "same"):
        code, _ = cli("--connection", name, "models", "list")
        err = capsys.readouterr().err
        assert code == ExitCode.UNREACHABLE, name
        assert "[DeploymentNotFound]" in err and "WrongAccount" not in err, err
        assert "these credentials are for account" not in err
        assert f"in account {MOTO_DEFAULT_ACCOUNT}" in err


def test_the_deployments_own_credentials_with_its_account_work(
    sandbox: Sandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(sandbox.secret_key + "\n"))
    add(sandbox, "right", "--access-key-id", sandbox.access_key, "--account", sandbox.account_id)
    code, out = cli("connections", "test", "right")
    assert code == ExitCode.OK, out
    assert f"(account {sandbox.account_id})" in out
    assert os.environ.get("AWS_ACCESS_KEY_ID") is None
