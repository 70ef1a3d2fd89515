"""An update that removes, changes and adds guardrails, killed at each of its journal points in turn (right after
the point, and just before each `done` point: the call went through, its answer lost), then `jobs recover`: the
guardrails are put back as they were before the update, the table and LiteLLM agreeing name for name and id for
id. The run that is no longer killed (its points all passed) ends with the update's guardrails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.aws.guardrails import GuardrailsTable
from engine.jobs.journal import CRASH_EXIT_CODE, JobState
from engine.sandbox.server import Sandbox
from tests.engine.jobs.consistency import check_model
from tests.engine.jobs.sandbox_world import world_on
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.lisa_desktop.cli.recovery_world import jobs_of, run_cli

pytestmark = pytest.mark.long

MODEL = "nova-pro"
"""Seeded with the guardrails `pii-filter` and `harmful-content`."""


def guardrails(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """guardrailName → its configuration, once the table and LiteLLM agree (and the model is settled)."""
    consistency = check_model(sandbox, MODEL)
    assert consistency.problems == []
    aws = world_on(sandbox).aws
    table = GuardrailsTable(aws.clients, aws.deployment.guardrails_table_name)
    return {g.name: g.config().dump(defaults=True) for g in table.of_model(MODEL)}


@pytest.mark.parametrize("before", [False, True], ids=["after-point", "answer-lost"])
def test_a_guardrail_update_killed_anywhere_is_rolled_back_by_recovery(
    sandbox: Sandbox, tmp_path: Path, before: bool
) -> None:
    original = guardrails(sandbox)
    assert sorted(original) == ["harmful-content", "pii-filter"]
    change = {
        "guardrailsConfig": {
            "harmful": {**original["harmful-content"], "markedForDeletion": True},
            "pii": {**original["pii-filter"], "guardrailVersion": "4", "allowedGroups": ["legal"]},
            "new": {"guardrailName": "jailbreak", "guardrailIdentifier": "gr-jb1", "mode": "during_call"},
        }
    }
    path = tmp_path / "update.json"
    path.write_text(json.dumps(change))
    argv = ["models", "update", MODEL, str(path), "--wait"]
    # intake, each of the three guardrails, finalize: an intent and a done each.
    points = [2, 4, 6, 8, 10] if before else list(range(1, 11))
    for point in points:
        done = run_cli(sandbox, argv, **({"crash_before": point} if before else {"crash_at": point}))
        assert done.returncode == CRASH_EXIT_CODE, (point, done.stdout, done.stderr)
        job = jobs_of(MODEL)[-1]
        code, out = cli(sandbox, "jobs", "recover", "--json")
        assert code == 0, out
        (recovered,) = json.loads(out)
        assert jobs_of(MODEL)[-1].state is JobState.RECOVERED
        if job.done("finalize") is None and not (before and point == 10):
            assert recovered["action"] in ("rolled back", "settled already"), (point, recovered)
            assert guardrails(sandbox) == original, (point, [p.step for p in job.points])
        else:  # the final write had landed: the update stands
            assert recovered["outcome"] == "succeeded", (point, recovered)
    done = run_cli(sandbox, argv)
    assert done.returncode == 0, done.stdout + done.stderr
    after = guardrails(sandbox)
    assert sorted(after) == ["jailbreak", "pii-filter"]
    assert (after["pii-filter"]["guardrailVersion"], after["pii-filter"]["allowedGroups"]) == ("4", ["legal"])
