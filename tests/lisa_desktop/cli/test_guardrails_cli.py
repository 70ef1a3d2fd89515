"""Guardrails through the CLI, as an operator runs it: request files carry `guardrailsConfig` in create and update,
`models show` lists them (text, and `--json` in LISA's GET /models shape), and after each of create, update and
delete the guardrails table and the sandbox's LiteLLM agree."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from engine.aws.guardrails import GuardrailsTable
from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from tests.engine.jobs.sandbox_world import world_on
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.lisa_desktop.cli.team_cli import team_cli

SONNET = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"
PII = {
    "guardrailName": "pii",
    "guardrailIdentifier": "gr-pii123",
    "guardrailVersion": "2",
    "mode": "pre_call",
    "description": "Masks personal data",
    "allowedGroups": ["support"],
}
TOXIC = {"guardrailName": "toxic", "guardrailIdentifier": "gr-tox456", "mode": "post_call"}


def write(tmp_path: Path, name: str, data: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def agreed(sandbox: Sandbox, model_id: str) -> dict[str, str]:
    """guardrailName → guardrailId, once the guardrails table and the sandbox's LiteLLM are seen to agree."""
    aws = world_on(sandbox).aws
    table = GuardrailsTable(aws.clients, aws.deployment.guardrails_table_name)
    in_table = {g.name: g.guardrail_id for g in table.of_model(model_id)}
    suffix = f"-{model_id}"
    in_litellm = {
        g.guardrail_name.removesuffix(suffix): g.id
        for g in sandbox.litellm.guardrails()
        if g.guardrail_name.endswith(suffix)
    }
    assert in_table == in_litellm
    return in_table


def test_create_with_two_update_removing_one_delete(sandbox: Sandbox, tmp_path: Path) -> None:
    create = {
        "modelId": "guarded",
        "modelName": SONNET,
        "modelType": "textgen",
        "guardrailsConfig": {"guardrail-pii": PII, "guardrail-toxic": TOXIC},
    }
    code, out = cli(sandbox, "models", "create", write(tmp_path, "create.json", create), "--wait")
    assert code == 0, out
    ids = agreed(sandbox, "guarded")
    assert sorted(ids) == ["pii", "toxic"]

    code, out = cli(sandbox, "models", "show", "guarded", "--json")
    assert code == 0, out
    shown = json.loads(out)["model"]["guardrailsConfig"]
    assert shown == {
        "guardrail-pii": {**PII, "markedForDeletion": False},
        "guardrail-toxic": {
            **TOXIC,
            "guardrailVersion": "DRAFT",
            "description": None,
            "allowedGroups": [],
            "markedForDeletion": False,
        },
    }
    code, out = cli(sandbox, "models", "show", "guarded")
    assert code == 0, out
    assert (
        f"guardrail pii: Bedrock gr-pii123 version 2, pre_call, for support (LiteLLM pii-guarded {ids['pii']})" in out
    )

    # A file exported from `models show --json` is edited: one guardrail flagged for removal, as LISA's UI does.
    update = {"guardrailsConfig": {**shown, "guardrail-pii": {**shown["guardrail-pii"], "markedForDeletion": True}}}
    path = write(tmp_path, "update.json", update)
    code, out = cli(sandbox, "models", "update", "guarded", path, "--dry-run", "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert [(g["action"], g["guardrailName"], g["guardrailId"]) for g in plan["guardrails"]] == [
        ("remove", "pii", ids["pii"])
    ]
    assert (plan["steps"], plan["restartsContainers"]) == (["intake", "guardrails", "finalize"], False)
    assert agreed(sandbox, "guarded") == ids  # a dry run changes nothing
    code, out = cli(sandbox, "models", "update", "guarded", path, "--wait")
    assert code == 0, out
    assert agreed(sandbox, "guarded") == {"toxic": ids["toxic"]}

    code, out = cli(sandbox, "models", "delete", "guarded", "--yes", "--wait")
    assert code == 0, out
    assert agreed(sandbox, "guarded") == {}


def validate(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(["models", "validate", *argv], out=out), out.getvalue()


@pytest.mark.parametrize(
    ("guardrail", "line"),
    [
        ({**PII, "guardrailName": ""}, "guardrailsConfig.g.guardrailName: must not be empty"),
        ({**PII, "guardrailIdentifier": ""}, "guardrailsConfig.g.guardrailIdentifier: must not be empty"),
        ({"guardrailName": "pii"}, "guardrailsConfig.g.guardrailIdentifier: is required"),
        ({**PII, "mode": "always"}, "guardrailsConfig.g.mode: must be one of 'pre_call', 'during_call' or 'post_call'"),
    ],
    ids=["empty-name", "empty-identifier", "no-identifier", "mode"],
)
@pytest.mark.parametrize("kind", ["create", "update"])
def test_lisas_guardrail_rules_name_the_field(tmp_path: Path, guardrail: dict[str, Any], line: str, kind: str) -> None:
    data: dict[str, Any] = {"guardrailsConfig": {"g": guardrail}}
    if kind == "create":
        data |= {"modelId": "guarded", "modelName": SONNET, "modelType": "textgen"}
    code, out = validate(write(tmp_path, "request.json", data), "--kind", kind)
    assert code == 2, out
    assert line in out.splitlines()


@pytest.mark.parametrize("kind", ["create", "update"])
def test_a_request_with_guardrails_validates(tmp_path: Path, kind: str) -> None:
    data: dict[str, Any] = {"guardrailsConfig": {"guardrail-pii": PII, "guardrail-toxic": TOXIC}}
    if kind == "create":
        data |= {"modelId": "guarded", "modelName": SONNET, "modelType": "textgen"}
    code, out = validate(write(tmp_path, "request.json", data), "--kind", kind)
    assert code == 0, out


def test_create_and_update_refuse_a_name_twice_naming_the_field(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = {"a": PII, "b": {**TOXIC, "guardrailName": "pii"}}
    create = {"modelId": "twice", "modelName": SONNET, "modelType": "textgen", "guardrailsConfig": twice}
    code, out = cli(sandbox, "models", "create", write(tmp_path, "create.json", create))
    assert code == 2, out
    assert "guardrailsConfig.b.guardrailName: 'pii' is also the name of guardrailsConfig.a" in capsys.readouterr().err
    code, out = cli(
        sandbox, "models", "update", "nova-pro", write(tmp_path, "update.json", {"guardrailsConfig": twice})
    )
    assert code == 2, out
    assert "guardrailsConfig.b.guardrailName: 'pii' is also the name of guardrailsConfig.a" in capsys.readouterr().err
    assert sorted(agreed(sandbox, "nova-pro")) == ["harmful-content", "pii-filter"]


@pytest.mark.parametrize("mode", ["workstation", "team"])
def test_a_dry_run_labels_guardrail_changes_with_their_capability(sandbox: Sandbox, tmp_path: Path, mode: str) -> None:
    """Guardrails are an update capability of any hosting type, with no interruption: LISA's UpdateModel registers
    and removes them with LiteLLM and restarts no container."""
    path = write(tmp_path, "update.json", {"guardrailsConfig": {"guardrail-pii": PII}})
    argv = ("models", "update", "claude-3-5-sonnet", path, "--dry-run")
    code, out = cli(sandbox, *argv) if mode == "workstation" else team_cli(sandbox, *argv)
    assert code == 0, out
    assert "no capability" not in out
    [change] = [line for line in out.splitlines() if line.startswith("  guardrailsConfig.pii: (unset) → ")]
    assert change.endswith("    [Guardrails · No interruption]")
    assert "Steps: intake → guardrails → finalize" in out.splitlines()
    assert "Containers restart" not in out

    code, out = cli(sandbox, *argv, "--json") if mode == "workstation" else team_cli(sandbox, *argv, "--json")
    assert code == 0, out
    plan = json.loads(out)  # in team mode too: nothing but the JSON document
    [listed] = plan["changes"]
    assert (listed["capability"], listed["category"], listed["impact"]) == (
        "Guardrails",
        "Guardrails",
        "No interruption",
    )
    assert plan["categories"] == ["Guardrails"]
    if mode == "team":
        assert (plan["runBy"], plan["route"]) == ("LISA", "PUT /models/claude-3-5-sonnet")
