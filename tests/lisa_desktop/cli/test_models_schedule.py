"""`models schedule` against the sandbox: LISA's scheduled actions, named, timed and zoned as LISA makes them, the
record's schedule, `--off`, a fired stop seen in the table, and bad input refused naming the field and the rule."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.sandbox.server import Sandbox
from engine.schedules.timing import NOW_ENV
from lisa_desktop.cli import run
from lisa_desktop.cli.sandbox import _fired
from lisa_desktop.exit_codes import ExitCode
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.waiting import wait_for

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MONDAY_NOON_UTC = "2026-12-07T12:00:00+00:00"
"""13:00 in Berlin: inside 08:00-18:00, so nothing is scaled at once."""


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, MONDAY_NOON_UTC)


def group_actions(sandbox: Sandbox, model_id: str) -> dict[str, dict[str, Any]]:
    group = sandbox.resources(model_id).auto_scaling_group
    answer = sandbox.client("autoscaling").describe_scheduled_actions(AutoScalingGroupName=group)
    return {
        action["ScheduledActionName"]: {
            key: action.get(key) for key in ("Recurrence", "TimeZone", "MinSize", "MaxSize", "DesiredCapacity")
        }
        for action in answer["ScheduledUpdateGroupActions"]
        if action["ScheduledActionName"].startswith(f"{model_id}-")
    }


def shown(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    code, out = cli(sandbox, "models", "schedule", model_id, "--json")
    assert code == ExitCode.OK, out
    document: dict[str, Any] = json.loads(out)
    return document


def test_recurring_creates_lisas_two_actions_and_the_record_schedule(sandbox: Sandbox) -> None:
    code, out = cli(
        sandbox,
        "models",
        "schedule",
        "mistral-7b-instruct",
        "--recurring",
        "08:00-18:00",
        "--timezone",
        "Europe/Berlin",
        "--wait",
    )
    assert code == ExitCode.OK, out
    assert group_actions(sandbox, "mistral-7b-instruct") == {
        "mistral-7b-instruct-daily-start": {
            "Recurrence": "0 8 * * *",
            "TimeZone": "Europe/Berlin",
            "MinSize": 1,
            "MaxSize": 3,
            "DesiredCapacity": 1,
        },
        "mistral-7b-instruct-daily-stop": {
            "Recurrence": "0 18 * * *",
            "TimeZone": "Europe/Berlin",
            "MinSize": 0,
            "MaxSize": 0,
            "DesiredCapacity": 0,
        },
    }
    document = shown(sandbox, "mistral-7b-instruct")
    assert document["status"]["scheduleStatus"] == "ACTIVE"
    assert document["scheduling"]["scheduleType"] == "RECURRING"
    assert document["scheduling"]["nextScheduledAction"] == {
        "action": "STOP",
        "scheduledTime": "2026-12-07T18:00:00+01:00",
    }
    assert [(a["action"], a["scheduledTime"]) for a in document["nextActions"][:3]] == [
        ("STOP", "2026-12-07T18:00:00+01:00"),
        ("START", "2026-12-08T08:00:00+01:00"),
        ("STOP", "2026-12-08T18:00:00+01:00"),
    ]
    assert len(document["nextActions"]) == 7
    assert document["modelStatus"] == "InService"
    code, text = cli(sandbox, "models", "schedule", "mistral-7b-instruct")
    assert code == ExitCode.OK
    assert "schedule ACTIVE" in text and "type: RECURRING, time zone: Europe/Berlin" in text
    assert "STOP   Mon 2026-12-07 18:00 CET" in text


def test_daily_makes_a_pair_per_weekday_and_off_removes_them_and_the_schedule(sandbox: Sandbox) -> None:
    code, out = cli(
        sandbox,
        "models",
        "schedule",
        "bge-large-en",
        "--daily",
        "mon=08:00-18:00,tue=09:00-17:00",
        "--timezone",
        "Europe/Berlin",
        "--wait",
        "--json",
    )
    assert code == ExitCode.OK, out
    assert json.loads(out)["outcome"] == "succeeded"
    actions = group_actions(sandbox, "bge-large-en")
    assert {name: (a["Recurrence"], a["TimeZone"]) for name, a in actions.items()} == {
        "bge-large-en-monday-start": ("0 8 * * 1", "Europe/Berlin"),
        "bge-large-en-monday-stop": ("0 18 * * 1", "Europe/Berlin"),
        "bge-large-en-tuesday-start": ("0 9 * * 2", "Europe/Berlin"),
        "bge-large-en-tuesday-stop": ("0 17 * * 2", "Europe/Berlin"),
    }
    code, out = cli(sandbox, "models", "schedule", "bge-large-en", "--off", "--wait")
    assert code == ExitCode.OK, out
    assert group_actions(sandbox, "bge-large-en") == {}
    document = shown(sandbox, "bge-large-en")
    assert document["scheduling"] is None
    assert document["status"]["scheduleStatus"] == "DISABLED"
    assert document["nextActions"] == []


def test_a_fired_stop_ends_with_the_model_stopped_in_the_table(sandbox: Sandbox) -> None:
    code, out = cli(sandbox, "models", "schedule", "mistral-7b-instruct", "--recurring", "08:00-18:00", "--wait")
    assert code == ExitCode.OK, out
    assert sandbox.simulator.fire_scheduled_action("mistral-7b-instruct-daily-stop")

    def status_in_table() -> str | None:
        code, out = cli(sandbox, "models", "list", "--json")
        assert code == ExitCode.OK, out
        row = next(entry["model"] for entry in json.loads(out) if entry["model"]["modelId"] == "mistral-7b-instruct")
        return row["status"] if row["status"] == "Stopped" else None

    assert wait_for(status_in_table, timeout=30, what="LISA's status monitor to set Stopped") == "Stopped"
    group = sandbox.resources("mistral-7b-instruct").auto_scaling_group
    sizes = sandbox.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    (found,) = sizes["AutoScalingGroups"]
    assert (found["MinSize"], found["MaxSize"], found["DesiredCapacity"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("argv", "field", "says"),
    [
        (["--recurring", "08:00-09:00"], "scheduling.recurringSchedule.stopTime", "at least 2 hours"),
        (["--recurring", "25:00-18:00"], "scheduling.recurringSchedule.startTime", "HH:MM"),
        (["--recurring", "08:00"], "--recurring", "START-STOP"),
        (["--recurring", "08:00-18:00", "--timezone", "Mars/Olympus"], "scheduling.timezone", "IANA"),
        (["--daily", "funday=08:00-18:00"], "--daily", "mon..sun"),
    ],
)
def test_bad_input_names_the_field_and_lisas_rule(sandbox: Sandbox, argv: list[str], field: str, says: str) -> None:
    code, out = cli(sandbox, "models", "schedule", "mistral-7b-instruct", *argv, "--json")
    assert code == ExitCode.INVALID, out
    error = json.loads(out)["error"]
    assert field in error and says in error, error
    assert group_actions(sandbox, "mistral-7b-instruct") == {}


@pytest.mark.parametrize(
    ("argv", "field", "window"),
    [
        (["--recurring", "22:00-02:00"], "--recurring", "22:00-02:00"),
        (["--recurring", "08:00-08:00"], "--recurring", "08:00-08:00"),
        (["--daily", "mon=08:00-18:00,wed=22:00-02:00"], "--daily wednesday", "22:00-02:00"),
        (["--daily", "fri=23:00-00:30"], "--daily friday", "23:00-00:30"),
    ],
)
def test_a_stop_not_later_than_the_start_on_the_same_day_is_refused_as_lisas_web_console_does(
    sandbox: Sandbox, argv: list[str], field: str, window: str
) -> None:
    before = shown(sandbox, "mistral-7b-instruct")
    code, out = cli(sandbox, "models", "schedule", "mistral-7b-instruct", *argv, "--wait", "--json")
    assert code == ExitCode.INVALID, out
    error = json.loads(out)["error"]
    assert f"{field}: {window}: the stop must be later than the start on the same day" in error, error
    assert "at least 2 hours" not in error  # the console's rule comes first, as in LISA's web console
    assert group_actions(sandbox, "mistral-7b-instruct") == {}
    assert shown(sandbox, "mistral-7b-instruct")["scheduling"] == before["scheduling"]


def test_a_request_file_keeps_lisas_api_rules_a_stop_past_midnight_is_valid(tmp_path: Path) -> None:
    config = yaml.safe_load((EXAMPLES / "hosted-vllm.yaml").read_text(encoding="utf-8"))
    config["autoScalingConfig"]["scheduling"] = {
        "scheduleType": "DAILY",
        "timezone": "Europe/Berlin",
        "dailySchedule": {"wednesday": {"startTime": "22:00", "stopTime": "02:00"}},
    }
    path = tmp_path / "night.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    out = io.StringIO()
    code = run(["models", "validate", str(path)], out=out)
    assert code == ExitCode.OK, out.getvalue()
    assert "valid create request" in out.getvalue()


def test_a_third_party_model_and_a_failed_one_are_refused(sandbox: Sandbox) -> None:
    code, out = cli(sandbox, "models", "schedule", "claude-3-5-sonnet", "--recurring", "08:00-18:00", "--json")
    assert code == ExitCode.INVALID
    assert "not LISA-hosted" in json.loads(out)["error"]
    code, out = cli(sandbox, "models", "schedule", "broken-model", "--off", "--json")
    assert code == ExitCode.STATUS_NOT_ALLOWED
    assert "InService or Stopped" in json.loads(out)["error"]
    code, out = cli(sandbox, "models", "schedule", "claude-3-5-sonnet")
    assert code == ExitCode.OK and "no schedule (not LISA-hosted" in out


def test_the_sandbox_serve_option_to_fire_an_action() -> None:
    assert _fired("m-daily-stop") == ("m-daily-stop", 0.0)
    assert _fired("m-daily-stop@2.5") == ("m-daily-stop", 2.5)
