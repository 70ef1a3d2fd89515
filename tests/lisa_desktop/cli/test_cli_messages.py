"""The command line's messages for what goes wrong around it: the wrong server, https to an http port, throttling,
a model held by a job, a profile that does not exist, and the user's files corrupt or unreadable (exit 2, the file
named, no traceback)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from engine.aws.models_table import HEARTBEAT_ATTRIBUTE, HOLDER_ATTRIBUTE
from engine.drafts.store import default_path
from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from lisa_desktop.connections import ConnectionStore, new_connection
from lisa_desktop.exit_codes import ExitCode
from tests.loopback import NGINX_PAGE, THROTTLED_BODY, answering


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(list(argv), out=out), out.getvalue()


def test_a_web_page_instead_of_aws_is_summarised(capsys: pytest.CaptureFixture[str]) -> None:
    with answering(404, NGINX_PAGE, "text/html") as endpoint:
        code, _ = cli("--endpoint-url", endpoint, "models", "list")
    err = capsys.readouterr().err
    assert code == ExitCode.UNREACHABLE
    assert "[NotAnAwsEndpoint]" in err and "HTTP 404" in err and "Welcome to nginx!" in err
    assert "<" not in err and "web server works" not in err
    assert len(err.splitlines()) == 1


def test_https_to_an_http_port_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with answering(200, b"{}", "application/json") as endpoint:
        code, _ = cli("--endpoint-url", endpoint.replace("http://", "https://"), "models", "list")
    err = capsys.readouterr().err
    assert code == ExitCode.UNREACHABLE
    assert "speaks http, not https" in err and f"use {endpoint}" in err
    assert "AWS_CA_BUNDLE" not in err and "proxy" not in err


def test_throttling_exits_7_with_its_own_advice(capsys: pytest.CaptureFixture[str]) -> None:
    with answering(400, THROTTLED_BODY, "application/x-amz-json-1.1") as endpoint:
        code, out = cli("--endpoint-url", endpoint, "models", "list", "--json")
    assert code == ExitCode.THROTTLED == 7
    answer = json.loads(out)
    assert answer["exitCode"] == 7
    assert answer["error"].startswith("[Throttled] AWS is throttling ssm:GetParameters")
    assert "wait a minute and try again" in answer["error"] and "cannot reach" not in answer["error"]


def test_the_wrong_accounts_credentials_are_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Sandbox(ambient=False, lisa_actors=False) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(Path(os.devnull)))
        region = sandbox.region
        code, _ = cli("--endpoint-url", sandbox.endpoint_url, "--deployment-prefix", "/prod/other", "models", "list")
        err = capsys.readouterr().err
        assert code == ExitCode.UNREACHABLE
        account = sandbox.client("sts").get_caller_identity()["Account"]
        assert (
            f"no LISA deployment was found under the prefix '/prod/other' in account {account}, region {region}" in err
        )


def test_a_refused_delete_names_the_job_that_holds_the_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = "job-0123456789ab (arn:aws:iam::123456789012:user/ops on ops-laptop, since 2026-12-06 15:00:00Z)"
    with Sandbox(ambient=False, lisa_actors=False) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        model_id = sandbox.model_ids()[0]
        dynamodb = sandbox.client("dynamodb")
        table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("ModelTable"))
        dynamodb.update_item(
            TableName=table,
            Key={"model_id": {"S": model_id}},
            UpdateExpression="SET #holder = :holder, #beat = :beat",
            ExpressionAttributeNames={"#holder": HOLDER_ATTRIBUTE, "#beat": HEARTBEAT_ATTRIBUTE},
            ExpressionAttributeValues={":holder": {"S": holder}, ":beat": {"N": str(int(time.time() * 1000))}},
        )
        code, _ = cli("--endpoint-url", sandbox.endpoint_url, "models", "delete", model_id, "--yes", "--wait")
    err = capsys.readouterr().err
    assert code == ExitCode.STATUS_NOT_ALLOWED
    assert f"cannot delete '{model_id}': it is held by {holder}, last heartbeat" in err
    assert "Traceback" not in err


def test_add_checks_that_the_profile_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config").write_text("[profile ops]\nregion = eu-west-1\n[profile dev]\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    add = ("connections", "add", "prod", "--region", "eu-west-1", "--deployment-prefix", "/prod/lisa")
    code, _ = cli(*add, "--profile", "opps")
    err = capsys.readouterr().err
    assert code == ExitCode.INVALID
    assert "the AWS profile 'opps' is not configured on this machine (the profiles configured are: dev, ops)" in err
    assert "aws configure --profile opps" in err
    assert not ConnectionStore().path.exists()
    assert cli(*add, "--profile", "ops", "--account", "123456789012")[0] == ExitCode.OK
    assert ConnectionStore().get("prod") is not None


def write_connections(text: str) -> Path:
    path = ConnectionStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"connections": [{"name": "prod", ', "not valid JSON: Expecting property name"),
        ('{"connections": [{"name": "prod"}]}', "connections[0].auth: is required"),
    ],
)
def test_a_corrupt_connections_file_exits_2_naming_it(
    content: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_connections(content)
    for command in (("connections", "list"), ("models", "list")):
        code, _ = cli(*command)
        err = capsys.readouterr().err
        assert code == ExitCode.INVALID, command
        assert f"the connections file {path} cannot be read" in err and reason in err
        assert "move it aside to start with no connections" in err


def test_the_real_entry_point_prints_no_traceback_for_a_corrupt_file(isolated_log_dir: Path) -> None:
    path = write_connections("{ this is not json")
    done = subprocess.run(
        [sys.executable, "-m", "lisa_desktop", "connections", "list"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"lisa-desktop: error: the connections file {path} cannot be read")
    assert "Traceback" not in done.stderr
    logged = (isolated_log_dir / "lisa-desktop.log").read_text()
    assert "exit 2: the connections file" in logged


def test_an_unreadable_connections_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = ConnectionStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()  # a folder where the file should be: unreadable even for root
    assert cli("connections", "list")[0] == ExitCode.INVALID
    assert f"the connections file {path} cannot be read" in capsys.readouterr().err


def test_unknown_keys_from_a_newer_version_are_kept_and_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    newer = {
        "version": 1,
        "default": "prod",
        "sync": {"team": "ml-platform"},
        "connections": [
            {
                "name": "prod",
                "auth": "profile",
                "profile": "ops",
                "region": "eu-west-1",
                "deployment_prefix": "/prod/lisa",
                "color": "#ff0000",
                "mfa": {"serial": "arn:aws:iam::123456789012:mfa/ops"},
            }
        ],
    }
    path = write_connections(json.dumps(newer))
    code, out = cli("connections", "list")
    assert code == 0 and "prod" in out
    ConnectionStore().add(
        new_connection(name="dev", auth="profile", profile="dev", region="eu-west-1", deployment_prefix="/dev/lisa")
    )
    written = json.loads(path.read_text())
    assert written["sync"] == {"team": "ml-platform"}
    assert written["connections"][0]["color"] == "#ff0000"
    assert written["connections"][0]["mfa"] == newer["connections"][0]["mfa"]  # type: ignore[index]
    assert [c["name"] for c in written["connections"]] == ["prod", "dev"]


def test_a_corrupt_drafts_database_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not sqlite" * 100)
    assert cli("drafts", "list")[0] == ExitCode.INVALID
    err = capsys.readouterr().err
    assert str(path) in err and "damaged" in err and "Traceback" not in err


class FailingKeyring(KeyringBackend):
    """A keychain that is there but fails, as a locked one or one whose D-Bus service does not answer."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def test_a_failing_keychain_exits_2_with_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    ConnectionStore().add(
        new_connection(
            name="keyed",
            auth="access-key",
            access_key_id="AKIDEXAMPLE",
            region="eu-west-1",
            deployment_prefix="/prod/lisa",
        )
    )
    previous = keyring.get_keyring()
    keyring.set_keyring(FailingKeyring())
    try:
        code, _ = cli("connections", "test", "keyed")
    finally:
        keyring.set_keyring(previous)
    err = capsys.readouterr().err
    assert code == ExitCode.INVALID
    assert "the OS keychain (tests.lisa_desktop.cli.test_cli_messages.FailingKeyring) failed" in err
    assert "the collection is locked" in err and "Unlock it" in err and "Traceback" not in err


def test_no_keychain_exits_2(no_keyring: None, capsys: pytest.CaptureFixture[str]) -> None:
    ConnectionStore().add(
        new_connection(
            name="keyed", auth="access-key", access_key_id="AKIDEXAMPLE", region="eu-west-1", deployment_prefix="/p/l"
        )
    )
    assert cli("connections", "test", "keyed")[0] == ExitCode.INVALID
    assert "no OS keychain is available here" in capsys.readouterr().err
