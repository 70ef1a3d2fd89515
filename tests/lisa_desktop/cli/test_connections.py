"""`connections add | list | remove` as a user runs them: profiles, keychain secrets, and no keychain."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from lisa_desktop.cli import run
from lisa_desktop.connections import ConnectionStore
from tests.keyrings import MemoryKeyring


def cli(*argv: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str]:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    code = run(list(argv), out=out)
    return code, out.getvalue()


ADD_PROFILE = (
    "connections",
    "add",
    "prod",
    "--profile",
    "lisa-admin",
    "--region",
    "eu-west-1",
    "--deployment-prefix",
    "/prod/lisa",
)


@pytest.fixture(autouse=True)
def aws_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The AWS profiles this machine has, for every test here: lisa-admin and p (none of the developer's)."""
    (tmp_path / "aws-config").write_text("[profile lisa-admin]\nregion = eu-west-1\n[profile p]\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def test_add_a_profile_connection_and_list_it() -> None:
    code, out = cli(*ADD_PROFILE)
    assert code == 0
    assert "credentials from AWS profile 'lisa-admin'" in out
    code, out = cli("connections", "list")
    assert code == 0
    assert out.split() == ["*", "prod", "profile", "lisa-admin", "eu-west-1", "/prod/lisa"]
    code, out = cli("connections", "list", "--json")
    assert json.loads(out) == [
        {
            "name": "prod",
            "auth": "profile",
            "profile": "lisa-admin",
            "region": "eu-west-1",
            "deployment_prefix": "/prod/lisa",
            "default": True,
        }
    ]


def test_access_key_secret_goes_to_the_keychain_only(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = cli(
        "connections",
        "add",
        "keys",
        "--access-key-id",
        "AKIAEXAMPLE",
        "--region",
        "us-east-1",
        "--deployment-prefix",
        "/dev/lisa",
        stdin="wJalrXUtnFEMI/K7MDENG\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, out
    assert memory_keyring.secrets == {("lisa-desktop", "keys/AKIAEXAMPLE"): "wJalrXUtnFEMI/K7MDENG"}
    assert "wJalrXUtnFEMI" not in ConnectionStore().path.read_text()
    code, _ = cli("connections", "remove", "keys")
    assert code == 0
    assert memory_keyring.secrets == {}


@pytest.mark.usefixtures("no_keyring")
def test_access_key_without_a_keychain_is_refused_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = cli(
        "connections",
        "add",
        "keys",
        "--access-key-id",
        "AKIAEXAMPLE",
        "--region",
        "us-east-1",
        "--deployment-prefix",
        "/dev/lisa",
        stdin="secret\n",
        monkeypatch=monkeypatch,
    )
    assert code == 2
    assert "AWS named profile" in capsys.readouterr().err
    assert not ConnectionStore().path.exists()


def test_duplicate_and_bad_input_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(*ADD_PROFILE)[0] == 0
    assert cli(*ADD_PROFILE)[0] == 2
    assert "already exists" in capsys.readouterr().err
    code, _ = cli("connections", "add", "x", "--profile", "p", "--region", "eu-west-1", "--deployment-prefix", "lisa")
    assert code == 2
    assert "deployment_prefix: must look like /stage/deploymentName" in capsys.readouterr().err
    assert cli("connections", "remove", "nope")[0] == 2
