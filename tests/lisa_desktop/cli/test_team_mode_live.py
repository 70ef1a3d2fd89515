"""Team mode with AWS access too (`--lisa-api` and `--endpoint-url`): while following a change LISA runs, the
model's ECS service and Auto Scaling group are read, so a failed ECS rollout (which LISA does not roll back) is
reported and exits 5, and the capacity's progress is printed."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.sandbox.catalog import CATALOG
from engine.sandbox.server import Sandbox
from tests.lisa_desktop.cli.team_cli import requests_since, stored_item, team_aws_cli, team_cli

FAILING = "mistral-7b-instruct"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5, fail_rollout=[FAILING]) as running:
        yield running


def document(tmp_path: Path, content: dict[str, object]) -> str:
    path = tmp_path / "change.json"
    path.write_text(json.dumps(content))
    return str(path)


def service(sandbox: Sandbox, model_id: str) -> dict[str, object]:
    resources = sandbox.resources(model_id)
    described = sandbox.client("ecs").describe_services(cluster=resources.cluster, services=[resources.service])
    return dict(described["services"][0])


def test_a_failed_rollout_is_reported_and_not_rolled_back(sandbox: Sandbox, tmp_path: Path) -> None:
    before = str(service(sandbox, FAILING)["taskDefinition"])
    start = len(sandbox.lisa_api_requests)
    change = document(tmp_path, {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "4096"}}})
    code, out = team_aws_cli(sandbox, "models", "update", FAILING, change, "--ack-restart", "--wait")
    assert code == 5, out
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"failed: the ECS rollout of {FAILING} failed")
    assert "is FAILED (ECS deployment circuit breaker: tasks failed to start.)" in last
    assert "LISA does not roll it back" in last and last.endswith("(model InService)")
    assert "rollout IN_PROGRESS of revision" in out
    assert "ECS: (service " in out  # the service's own events, as ECS wrote them
    assert "deployment failed: tasks failed to start." in out
    # LISA's execution, found in Step Functions: its states, and its end (SUCCEEDED: LISA records the failure only)
    assert "LISA's UpdateModel entered HandlePollEcsDeployment" in out
    assert "LISA's UpdateModel execution ended SUCCEEDED" in out
    # LISA put the status back and left the service on the failed revision
    assert (stored_item(sandbox, FAILING) or {})["model_status"] == "InService"
    after = service(sandbox, FAILING)
    assert after["taskDefinition"] != before
    deployments: list[dict[str, object]] = after["deployments"]  # type: ignore[assignment]
    assert deployments[0]["rolloutState"] == "FAILED"
    assert [(m, p) for m, p, _ in requests_since(sandbox, start) if m != "GET"] == [("PUT", f"/models/{FAILING}")]


def test_a_rollout_that_completes_is_followed(sandbox: Sandbox, tmp_path: Path) -> None:
    change = document(tmp_path, {"containerConfig": {"environment": {"MAX_BATCH_TOKENS": "8192"}}})
    code, out = team_aws_cli(sandbox, "models", "update", "bge-large-en", change, "--ack-restart", "--wait")
    assert code == 0, out
    assert "rollout COMPLETED of revision" in out
    assert out.strip().splitlines()[-1] == "succeeded: LISA's update of bge-large-en is done (model InService)"


def test_stop_and_start_print_the_capacity(sandbox: Sandbox) -> None:
    code, out = team_aws_cli(sandbox, "models", "stop", "llama3-1-70b-instruct", "--yes", "--wait")
    assert code == 0, out
    assert "0 of 0 desired instances healthy (min 0, max 0)" in out
    code, out = team_aws_cli(sandbox, "models", "start", "llama3-1-70b-instruct", "--wait")
    assert code == 0, out
    lines = [line for line in out.splitlines() if "capacity" in line and "Auto Scaling group" in line]
    assert any("of 2 desired instances healthy" in line for line in lines), out
    assert "2 of 2 desired instances healthy" in lines[-1]
    assert out.strip().splitlines()[-1].endswith("(model InService)")


def test_json_events_carry_the_live_lines(sandbox: Sandbox) -> None:
    code, out = team_aws_cli(sandbox, "models", "stop", "bge-large-en", "--yes", "--wait", "--json")
    assert code == 0, out
    document_ = json.loads(out)
    steps = {event["step"] for event in document_["events"]}
    assert {"lisa", "capacity"} <= steps
    assert document_["outcome"] == "succeeded" and document_["finalStatus"] == "Stopped"


def test_list_merges_the_live_columns(sandbox: Sandbox) -> None:
    code, out = team_aws_cli(sandbox, "models", "list")
    assert code == 0, out
    header, *rows = out.splitlines()
    assert header.split()[:8] == ["MODEL", "ID", "HOSTING", "TYPE", "STATUS", "INSTANCE", "MIN/DES/MAX", "TASKS"]
    assert "no AWS access" not in out
    by_id = {row.split()[0]: row.split() for row in rows if row and not row[0].isdigit()}
    assert by_id["llama3-1-70b-instruct"][5:8] == ["2/2/4", "2/2", "2"]
    assert by_id["claude-3-5-sonnet"][5:8] == ["-", "-", "-"]  # not hosted by LISA: nothing live
    code, out = team_aws_cli(sandbox, "models", "list", "--json")
    entries = {entry["model"]["modelId"]: entry for entry in json.loads(out)}
    assert entries["mistral-7b-instruct"]["source"] == "LISA API"
    assert entries["mistral-7b-instruct"]["live"]["autoScalingGroup"]["name"] == "lisa-mistral-7b-instruct-asg"
    assert entries["claude-3-5-sonnet"]["live"] is None and "liveNotRead" not in entries["claude-3-5-sonnet"]


def test_show_merges_the_live_state(sandbox: Sandbox) -> None:
    code, out = team_aws_cli(sandbox, "models", "show", "bge-large-en")
    assert code == 0, out
    assert "ECS: task definition revision" in out and "Auto Scaling group lisa-bge-large-en-asg: min" in out
    code, out = team_aws_cli(sandbox, "models", "show", "bge-large-en", "--json")
    shown = json.loads(out)
    assert shown["source"] == "LISA API" and shown["live"]["taskDefinitionRevision"] is not None


def test_with_the_api_only_the_live_columns_say_so(sandbox: Sandbox) -> None:
    code, out = team_cli(sandbox, "models", "list")
    assert code == 0, out
    assert out.splitlines()[0].split()[6:10] == ["LIVE", "(no", "AWS", "access)"]
    code, out = team_cli(sandbox, "models", "show", "bge-large-en", "--json")
    assert json.loads(out)["liveNotRead"] == "no AWS access"


def hosted_request(model_id: str) -> dict[str, object]:
    """A LISA-hosted create request made from a seeded model's stored configuration."""
    seeded = next(m for m in CATALOG if m.model_id == "bge-large-en")
    request = copy.deepcopy(dict(seeded.config))
    request.update(modelId=model_id, hostingType="lisa_hosted")
    return request


def test_a_hosted_create_and_delete_through_lisas_api(sandbox: Sandbox, tmp_path: Path) -> None:
    start = len(sandbox.lisa_api_requests)
    code, out = team_aws_cli(sandbox, "models", "create", document(tmp_path, hosted_request("bge-copy")), "--wait")
    assert code == 0, out
    assert "LISA's CreateModel entered StartCreateStack" in out
    assert "Auto Scaling group lisa-bge-copy-asg" in out
    assert out.strip().splitlines()[-1] == "succeeded: LISA's create of bge-copy is done (model InService)"
    item = stored_item(sandbox, "bge-copy") or {}
    assert item["model_status"] == "InService" and item["cloudformation_stack_name"] == "lisa-bge-copy"
    code, out = team_aws_cli(sandbox, "models", "delete", "bge-copy", "--yes", "--wait")
    assert code == 0, out
    assert "LISA's DeleteModel execution ended SUCCEEDED" in out and stored_item(sandbox, "bge-copy") is None
    changes = [(m, p, s) for m, p, s in requests_since(sandbox, start) if m != "GET"]
    assert changes == [("POST", "/models", 200), ("DELETE", "/models/bge-copy", 200)]
