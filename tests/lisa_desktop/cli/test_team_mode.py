"""Team mode (`--lisa-api`, no AWS option): the `models` commands through the sandbox's LISA REST API, the
changes run by its state machines, LISA's refusals shown with LISA's text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.sandbox.server import Sandbox
from tests.lisa_desktop.cli.team_cli import requests_since, team_cli
from tests.waiting import poll

SONNET_V2 = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"
THIRD_PARTY = {"modelId": "claude-sonnet-v2", "modelName": SONNET_V2, "modelType": "textgen", "streaming": True}
ENV_CHANGE = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


def document(tmp_path: Path, content: dict[str, object], name: str = "change.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def api_status(sandbox: Sandbox, model_id: str) -> str:
    code, out = team_cli(sandbox, "models", "show", model_id, "--json")
    assert code == 0, out
    return str(json.loads(out)["model"]["status"])


def test_list_and_show_read_the_api(sandbox: Sandbox) -> None:
    start = len(sandbox.lisa_api_requests)
    code, out = team_cli(sandbox, "models", "list")
    assert code == 0, out
    assert "no AWS access" in out
    assert "mistral-7b-instruct" in out and "claude-3-5-sonnet" in out
    code, out = team_cli(sandbox, "models", "show", "mistral-7b-instruct", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["model"]["modelId"] == "mistral-7b-instruct" and shown["source"] == "LISA API"
    assert requests_since(sandbox, start) == [
        ("GET", "/models", 200),
        ("GET", "/configuration", 200),  # the default model, as LISA's configuration names it
        ("GET", "/models/mistral-7b-instruct", 200),
    ]


def test_dry_run_prints_the_plan_and_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    start = len(sandbox.lisa_api_requests)
    code, out = team_cli(
        sandbox, "models", "update", "mistral-7b-instruct", document(tmp_path, ENV_CHANGE), "--dry-run"
    )
    assert code == 0, out
    assert "MAX_TOTAL_TOKENS" in out and "Run by LISA: PUT /models/mistral-7b-instruct" in out
    assert [method for method, _, _ in requests_since(sandbox, start)] == ["GET"]


def test_metadata_update_without_wait_is_accepted_by_lisa(sandbox: Sandbox, tmp_path: Path) -> None:
    start = len(sandbox.lisa_api_requests)
    change = {"modelDescription": "through LISA's API"}
    code, out = team_cli(sandbox, "models", "update", "claude-3-5-sonnet", document(tmp_path, change))
    assert code == 0, out
    assert "LISA accepted PUT /models/claude-3-5-sonnet" in out and "run by LISA" in out
    puts = [r for r in sandbox.lisa_api_requests[start:] if r.method == "PUT"]
    assert [(r.path, r.status, r.body) for r in puts] == [("/models/claude-3-5-sonnet", 200, change)]
    assert poll(lambda: api_status(sandbox, "claude-3-5-sonnet") == "InService", interval=0.5)
    again = {"modelDescription": "and again, followed"}
    code, out = team_cli(sandbox, "models", "update", "claude-3-5-sonnet", document(tmp_path, again), "--wait")
    assert code == 0, out
    assert "succeeded: LISA's update of claude-3-5-sonnet is done (model InService)" in out


def test_container_update_with_ack_restart_and_wait(sandbox: Sandbox, tmp_path: Path) -> None:
    start = len(sandbox.lisa_api_requests)
    path = document(tmp_path, ENV_CHANGE)
    code, _ = team_cli(sandbox, "models", "update", "mistral-7b-instruct", path, "--wait")
    assert code == 2  # the console's own rule: a restart must be acknowledged, before anything is sent
    code, out = team_cli(sandbox, "models", "update", "mistral-7b-instruct", path, "--ack-restart", "--wait")
    assert code == 0, out
    assert "run by LISA: Updating" in out
    assert out.strip().splitlines()[-1].startswith("succeeded: LISA's update of mistral-7b-instruct is done")
    code, shown = team_cli(sandbox, "models", "show", "mistral-7b-instruct", "--json")
    model = json.loads(shown)["model"]
    assert model["status"] == "InService"
    assert model["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "8192"
    puts = [(r.method, r.path, r.status) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]
    assert puts == [("PUT", "/models/mistral-7b-instruct", 200)]


def test_stop_then_start(sandbox: Sandbox) -> None:
    start = len(sandbox.lisa_api_requests)
    code, out = team_cli(sandbox, "models", "stop", "bge-large-en", "--yes", "--wait")
    assert code == 0, out
    assert "(model Stopped)" in out
    code, out = team_cli(sandbox, "models", "start", "bge-large-en", "--wait")
    assert code == 0, out
    assert "(model InService)" in out
    changes = [(r.method, r.path, r.body) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]
    assert changes == [
        ("PUT", "/models/bge-large-en", {"enabled": False}),
        ("PUT", "/models/bge-large-en", {"enabled": True}),
    ]


def test_third_party_create_then_delete(sandbox: Sandbox, tmp_path: Path) -> None:
    start = len(sandbox.lisa_api_requests)
    code, out = team_cli(sandbox, "models", "create", document(tmp_path, THIRD_PARTY), "--wait")
    assert code == 0, out
    assert api_status(sandbox, "claude-sonnet-v2") == "InService"
    code, out = team_cli(sandbox, "models", "create", document(tmp_path, THIRD_PARTY), "--wait")
    assert code == 3
    code, out = team_cli(sandbox, "models", "delete", "claude-sonnet-v2", "--yes", "--wait")
    assert code == 0, out
    assert "LISA deleted claude-sonnet-v2" in out
    assert team_cli(sandbox, "models", "show", "claude-sonnet-v2")[0] == 4
    changes = [(r.method, r.path, r.status) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]
    assert changes == [
        ("POST", "/models", 200),
        ("POST", "/models", 409),
        ("DELETE", "/models/claude-sonnet-v2", 200),
    ]


def test_a_wrong_token_exits_6_naming_the_authorizer(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = team_cli(sandbox, "models", "list", token="0" * 128)
    assert code == 6
    err = capsys.readouterr().err
    assert "LISA's API authorizer refused the token" in err
    assert "User is not authorized to access this resource with an explicit deny" in err


def test_the_user_token_is_refused_a_change_with_lisas_403(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = sandbox.lisa_api_user_token
    assert team_cli(sandbox, "models", "list", token=user)[0] == 0
    path = document(tmp_path, {"modelDescription": "not mine to change"})
    code, _ = team_cli(sandbox, "models", "update", "titan-embed-v2", path, token=user)
    assert code == 6
    assert "User does not have permission to update models" in capsys.readouterr().err
    assert sandbox.lisa_api_requests[-1].status == 403


def test_deleting_a_model_in_use_shows_lisas_409(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = team_cli(sandbox, "models", "delete", "cohere-embed-english-v3", "--yes", "--wait")
    assert code == 3
    err = capsys.readouterr().err
    assert "(409)" in err and "is currently in use by" in err
    assert api_status(sandbox, "cohere-embed-english-v3") == "InService"


def test_refusals_before_sending(sandbox: Sandbox, tmp_path: Path) -> None:
    start = len(sandbox.lisa_api_requests)
    assert team_cli(sandbox, "models", "start", "mistral-7b-instruct", "--wait")[0] == 3
    assert team_cli(sandbox, "models", "update", "no-such-model", document(tmp_path, {"streaming": False}))[0] == 4
    scaling = {"autoScalingInstanceConfig": {"minCapacity": 1}}
    assert team_cli(sandbox, "models", "update", "titan-embed-v2", document(tmp_path, scaling))[0] == 2
    assert all(method == "GET" for method, _, _ in requests_since(sandbox, start))


def test_context_window_goes_through_the_api(sandbox: Sandbox) -> None:
    code, out = team_cli(sandbox, "models", "context-window", "titan-embed-v2", "8192", "--json")
    assert code == 0, out
    assert json.loads(out)["model"]["contextWindow"] == 8192
    last = sandbox.lisa_api_requests[-1]
    assert (last.method, last.path, last.body) == (
        "PUT",
        "/models/titan-embed-v2/context-window",
        {"contextWindow": 8192},
    )
