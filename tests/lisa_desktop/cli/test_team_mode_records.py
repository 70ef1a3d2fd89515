"""The record a change leaves through LISA's API (team mode) equals what the console's own job writes for the same
change in workstation mode: two sandboxes, the same commands, the stored items compared after each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from engine.sandbox.server import Sandbox
from tests.lisa_desktop.cli.team_cli import stored_item, team_cli, workstation_cli

NOT_COMPARED: Final = {
    # Epoch milliseconds of each side's own write: the two sandboxes run the change at different moments.
    "last_modified_date",
    # The id LiteLLM gives a registration (start, create): each sandbox's LiteLLM makes its own.
    "litellm_id",
    # The model's stack: each sandbox has its own account, and CloudFormation its own stack id.
    "cloudformation_stack_arn",
    # Written by LISA's ScheduleMonitoring on Auto Scaling events, at its own moment in each sandbox: not the
    # change's write.
    "lastStatusUpdate",
    "statusReason",
}
SONNET_V2 = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"
ABSENT: Final = "(absent)"


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Sandbox, Sandbox]]:
    with (
        Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as team,
        Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as workstation,
    ):
        yield team, workstation


def comparable(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if item is None else {key: value for key, value in item.items() if key not in NOT_COMPARED}


def both(
    pair: tuple[Sandbox, Sandbox], model_id: str, *argv: str, differ: dict[str, tuple[Any, Any]] | None = None
) -> None:
    """Run `argv` in both modes (each must succeed), then compare the model's stored items: equal apart from
    `differ` (attribute → (through LISA's API, the console's job))."""
    team, workstation = pair
    code, out = team_cli(team, *argv)
    assert code == 0, out
    code, out = workstation_cli(workstation, *argv)
    assert code == 0, out
    through_api, by_console = comparable(stored_item(team, model_id)), comparable(stored_item(workstation, model_id))
    for name, (api_value, console_value) in (differ or {}).items():
        assert (through_api or {}).get(name, ABSENT) == api_value
        assert (by_console or {}).get(name, ABSENT) == console_value
        for item in (through_api, by_console):
            if item is not None:
                item.pop(name, None)
    assert through_api == by_console


def write(tmp_path: Path, content: dict[str, Any], name: str) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def test_metadata_update(pair: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    change = {
        "modelDescription": "shared by the team",
        "allowedGroups": ["team-a"],
        "features": [{"name": "toolCalls", "overview": "tools"}],
    }
    path = write(tmp_path, change, "m.json")
    before = stored_item(pair[0], "claude-3-5-sonnet")
    assert before is not None
    # LISA's UpdateModel writes the description into model_config only (state_machine/update_model.py); the
    # console's job also writes the top-level model_description (as LISA's create handler does).
    differ = {"model_description": (before["model_description"], "shared by the team")}
    both(pair, "claude-3-5-sonnet", "models", "update", "claude-3-5-sonnet", path, "--wait", differ=differ)


def test_container_update(pair: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    change = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}, "sharedMemorySize": 4096}}
    path = write(tmp_path, change, "c.json")
    both(pair, "mistral-7b-instruct", "models", "update", "mistral-7b-instruct", path, "--ack-restart", "--wait")


def test_stop_and_start(pair: tuple[Sandbox, Sandbox]) -> None:
    both(pair, "bge-large-en", "models", "stop", "bge-large-en", "--yes", "--wait")
    both(pair, "bge-large-en", "models", "start", "bge-large-en", "--wait")


def test_third_party_create_and_delete(pair: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    request = {"modelId": "claude-sonnet-v2", "modelName": SONNET_V2, "modelType": "textgen", "streaming": True}
    both(pair, "claude-sonnet-v2", "models", "create", write(tmp_path, request, "create.json"), "--wait")
    both(pair, "claude-sonnet-v2", "models", "delete", "claude-sonnet-v2", "--yes", "--wait")
    assert stored_item(pair[0], "claude-sonnet-v2") is None
