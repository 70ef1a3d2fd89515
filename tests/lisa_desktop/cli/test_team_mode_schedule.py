"""`models schedule` in team mode: set (--recurring, --daily), show and remove (--off) a schedule through LISA's
schedule routes, LISA's handler making the scheduled actions; LISA's refusals shown with LISA's text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.sandbox.server import Sandbox
from engine.schedules.timing import NOW_ENV
from tests.lisa_desktop.cli.team_cli import requests_since, team_aws_cli, team_cli, workstation_cli

MONDAY_NOON_UTC = "2026-12-07T12:00:00+00:00"
"""13:00 in Berlin: inside 08:00-18:00, so LISA's handler scales nothing at once."""
MODEL = "mistral-7b-instruct"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, MONDAY_NOON_UTC)


def group_actions(sandbox: Sandbox, model_id: str) -> dict[str, tuple[Any, ...]]:
    group = sandbox.resources(model_id).auto_scaling_group
    answer = sandbox.client("autoscaling").describe_scheduled_actions(AutoScalingGroupName=group)
    return {
        action["ScheduledActionName"]: (action.get("Recurrence"), action.get("TimeZone"), action.get("MinSize"))
        for action in answer["ScheduledUpdateGroupActions"]
    }


def test_recurring_show_and_off_go_through_lisas_routes(sandbox: Sandbox) -> None:
    start = len(sandbox.lisa_api_requests)
    code, out = team_cli(
        sandbox, "models", "schedule", MODEL, "--recurring", "08:00-18:00", "--timezone", "Europe/Berlin"
    )
    assert code == 0, out
    assert out == "LISA: Schedule updated successfully (scheduleEnabled True)\n"
    assert group_actions(sandbox, MODEL) == {
        f"{MODEL}-daily-start": ("0 8 * * *", "Europe/Berlin", 1),
        f"{MODEL}-daily-stop": ("0 18 * * *", "Europe/Berlin", 0),
    }
    put = [r for r in sandbox.lisa_api_requests[start:] if r.method == "PUT"]
    assert [(r.path, r.status) for r in put] == [(f"/models/{MODEL}/schedule", 200)]
    assert put[0].body["scheduleType"] == "RECURRING" and put[0].body["timezone"] == "Europe/Berlin"

    code, out = team_cli(sandbox, "models", "schedule", MODEL, "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert shown["status"]["scheduleStatus"] == "ACTIVE" and shown["status"]["scheduleType"] == "RECURRING"
    assert shown["schedule"]["scheduling"]["timezone"] == "Europe/Berlin"
    code, out = team_cli(sandbox, "models", "schedule", MODEL)
    assert code == 0 and out.startswith(f"{MODEL} (InService): schedule ACTIVE\n")

    code, out = team_cli(sandbox, "models", "schedule", MODEL, "--off")
    assert code == 0, out
    assert out == "LISA: Schedule deleted successfully (scheduleEnabled False)\n"
    assert group_actions(sandbox, MODEL) == {}
    assert json.loads(team_cli(sandbox, "models", "schedule", MODEL, "--json")[1])["status"]["scheduleStatus"] == (
        "DISABLED"
    )
    changes = [(r.method, r.path) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]
    assert changes == [("PUT", f"/models/{MODEL}/schedule"), ("DELETE", f"/models/{MODEL}/schedule")]


def test_daily_makes_a_pair_per_weekday(sandbox: Sandbox) -> None:
    code, out = team_cli(
        sandbox, "models", "schedule", "bge-large-en", "--daily", "mon=08:00-18:00,tue=09:00-17:00", "--json"
    )
    assert code == 0, out
    assert json.loads(out) == {
        "message": "Schedule updated successfully",
        "modelId": "bge-large-en",
        "scheduleEnabled": True,
        "runBy": "LISA",
    }
    assert sorted(group_actions(sandbox, "bge-large-en")) == [
        "bge-large-en-monday-start",
        "bge-large-en-monday-stop",
        "bge-large-en-tuesday-start",
        "bge-large-en-tuesday-stop",
    ]
    assert team_cli(sandbox, "models", "schedule", "bge-large-en", "--off")[0] == 0


def test_lisas_refusals(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = team_cli(sandbox, "models", "schedule", "claude-3-5-sonnet", "--recurring", "08:00-18:00")
    assert code == 2
    assert "Model does not have an Auto Scaling Group configured" in capsys.readouterr().err
    user = sandbox.lisa_api_user_token
    code, _ = team_cli(sandbox, "models", "schedule", MODEL, "--recurring", "08:00-18:00", token=user)
    assert code == 6
    assert sandbox.lisa_api_requests[-1].status == 403
    assert group_actions(sandbox, MODEL) == {}
    start = len(sandbox.lisa_api_requests)
    assert team_cli(sandbox, "models", "schedule", "gemma-2-9b-it", "--recurring", "08:00-18:00")[0] == 3
    assert [r.method for r in sandbox.lisa_api_requests[start:]] == ["GET"]  # refused before anything is sent


def test_show_prints_the_text_view_workstation_mode_prints(sandbox: Sandbox) -> None:
    code, out = team_cli(
        sandbox, "models", "schedule", MODEL, "--recurring", "08:00-18:00", "--timezone", "Europe/Berlin"
    )
    assert code == 0, out
    try:
        code, workstation = workstation_cli(sandbox, "models", "schedule", MODEL)
        assert code == 0, workstation
        assert workstation.splitlines()[:5] == [
            f"{MODEL} (InService): schedule ACTIVE",
            "  type: RECURRING, time zone: Europe/Berlin",
            "  daily      start 08:00  stop 18:00",
            "Next actions:",
            "  STOP   Mon 2026-12-07 18:00 CET",
        ]
        code, with_aws = team_aws_cli(sandbox, "models", "schedule", MODEL)
        assert code == 0 and with_aws == workstation

        start = len(sandbox.lisa_api_requests)
        code, api_only = team_cli(sandbox, "models", "schedule", MODEL)
        assert code == 0, api_only
        # LISA's API does not give the Auto Scaling group's scheduled actions: all but those lines, and why
        shown, actions = workstation.split("Scheduled actions on ")
        assert f"{MODEL}-daily-stop  0 18 * * *  Europe/Berlin  min/max/desired 0/0/0" in actions
        assert api_only == shown + "(no AWS access: the Auto Scaling group's scheduled actions are not read)\n"
        assert "{" not in api_only
        assert requests_since(sandbox, start) == [
            ("GET", f"/models/{MODEL}/schedule", 200),
            ("GET", f"/models/{MODEL}/schedule/status", 200),
            ("GET", f"/models/{MODEL}", 200),
        ]
    finally:
        assert team_cli(sandbox, "models", "schedule", MODEL, "--off")[0] == 0

    for model_id in (MODEL, "claude-3-5-sonnet"):  # no schedule; a model LISA does not host
        code, out = team_cli(sandbox, "models", "schedule", model_id)
        assert code == 0 and out == workstation_cli(sandbox, "models", "schedule", model_id)[1]
    assert (
        out == "claude-3-5-sonnet (InService): schedule DISABLED\n  no schedule (not LISA-hosted: it cannot have one)\n"
    )
