"""Jobs killed at every journal point, then recovered: a sandbox of look-alike models (one per kill), and the CLI
run in a real process that exits at once right after journal point N (`tests.engine.jobs.consistency` checks the
models afterwards)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.jobs.journal import CRASH_BEFORE_ENV, CRASH_ENV, CRASH_EXIT_CODE, Journal, JournalJob
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from tests.engine.jobs.consistency import check_model, fast_hosted_config, pool, third_party_request
from tests.lisa_desktop.cli.forked_cli import run_lisa_desktop
from tests.waiting import wait_for

__all__ = ["check_model", "pool"]

KILLS_AT_ONCE = 4
"""Killed processes run side by side, each on a model of its own."""


@dataclass(frozen=True)
class Scenario:
    name: str
    seeded: ModelStatus | None
    """The status of the models seeded for it (None: it creates its models)."""
    command: Callable[[str, Path], list[str]]
    """The CLI arguments (after the deployment options) for one model id; files go in the folder given."""
    end_status: ModelStatus | None
    """What a run that is not killed ends in (None: the model is gone)."""
    guardrail_sets: tuple[frozenset[str], ...] | None = None
    """The sets of guardrail names the model may end with (None: not checked beyond table and LiteLLM agreeing)."""


GUARDRAILS: dict[str, Any] = {
    "guardrail-pii": {"guardrailName": "pii", "guardrailIdentifier": "gr-pii123", "guardrailVersion": "2"},
    "guardrail-toxic": {"guardrailName": "toxic", "guardrailIdentifier": "gr-tox456", "mode": "post_call"},
}
BOTH: frozenset[str] = frozenset({"pii", "toxic"})


def _file(folder: Path, name: str, data: dict[str, Any]) -> str:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return str(path)


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "container-update",
            ModelStatus.IN_SERVICE,
            lambda model, folder: [
                "models",
                "update",
                model,
                _file(folder, model, {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}),
                "--ack-restart",
            ],
            ModelStatus.IN_SERVICE,
        ),
        Scenario(
            "capacity-update",
            ModelStatus.IN_SERVICE,
            lambda model, folder: [
                "models",
                "update",
                model,
                _file(folder, model, {"autoScalingInstanceConfig": {"maxCapacity": 3, "desiredCapacity": 2}}),
            ],
            ModelStatus.IN_SERVICE,
        ),
        Scenario(
            "start", ModelStatus.STOPPED, lambda model, folder: ["models", "start", model], ModelStatus.IN_SERVICE
        ),
        Scenario(
            "stop",
            ModelStatus.IN_SERVICE,
            lambda model, folder: ["models", "stop", model, "--yes"],
            ModelStatus.STOPPED,
        ),
        Scenario(
            "third-party-create",
            None,
            lambda model, folder: [
                "models",
                "create",
                _file(folder, model, {**third_party_request(model), "guardrailsConfig": GUARDRAILS}),
            ],
            ModelStatus.IN_SERVICE,
            (BOTH,),
        ),
        Scenario(
            "guardrail-update",
            ModelStatus.IN_SERVICE,
            lambda model, folder: ["models", "update", model, _file(folder, model, {"guardrailsConfig": GUARDRAILS})],
            ModelStatus.IN_SERVICE,
            (frozenset(), BOTH),
        ),
        Scenario(
            "hosted-create",
            None,
            lambda model, folder: ["models", "create", _file(folder, model, fast_hosted_config(model))],
            ModelStatus.IN_SERVICE,
        ),
        Scenario("delete", ModelStatus.IN_SERVICE, lambda model, folder: ["models", "delete", model, "--yes"], None),
        Scenario("schedule", ModelStatus.STOPPED, lambda model, folder: _schedule_command(model), ModelStatus.STOPPED),
    )
}


def _schedule_command(model: str) -> list[str]:
    """A schedule for tomorrow only (UTC): set now, it is outside its window, so LISA's immediate scaling scales the
    stopped model's group to 0 at once, whatever the time of day."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%a").lower()
    return ["models", "schedule", model, "--daily", f"{tomorrow}=08:00-18:00", "--timezone", "UTC"]


def start_sandbox(scenario: Scenario, count: int) -> Sandbox:
    # A create copies its network from a hosted model whose stack is complete: one is there for it.
    models = (
        pool("m", count, scenario.seeded) if scenario.seeded is not None else pool("network", 1, ModelStatus.IN_SERVICE)
    )
    return Sandbox(ambient=False, rollout_seconds=0.3, warmup_seconds=0.2, models=models)


def run_cli(
    sandbox: Sandbox,
    argv: list[str],
    *,
    crash_at: int | None = None,
    crash_before: int | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`lisa-desktop --endpoint-url <sandbox> ARGV` in a process of its own (forked from one that has imported the
    CLI; the test's data directory, so its journal is the one the test reads), exiting at once after journal point
    `crash_at` (or just before writing point `crash_before`). `env` is laid over the test's environment."""
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": sandbox.access_key,
        "AWS_SECRET_ACCESS_KEY": sandbox.secret_key,
        **(env or {}),
    }
    environment.pop(CRASH_ENV, None)
    environment.pop(CRASH_BEFORE_ENV, None)
    if crash_at is not None:
        environment[CRASH_ENV] = str(crash_at)
    if crash_before is not None:
        environment[CRASH_BEFORE_ENV] = str(crash_before)
    return run_lisa_desktop(["--endpoint-url", sandbox.endpoint_url, *argv], environment, timeout=180)


def jobs_of(model_id: str, journal: Path | None = None) -> list[JournalJob]:
    """The model's jobs in the test's journal (or the one at `journal`)."""
    return Journal(journal).jobs(model_id=model_id)


def wait_until_dead(model_id: str, *, timeout_s: float = 120.0) -> JournalJob:
    """The model's job once no process runs it (a background job process is killed after its parent returned)."""
    journal = Journal()

    def dead_job() -> JournalJob | None:
        jobs = journal.jobs(model_id=model_id)
        return jobs[-1] if jobs and not journal.is_alive(jobs[-1]) else None

    dead = wait_for(dead_job, timeout=timeout_s, interval=0.1, what=f"the job of {model_id} to stop running")
    assert dead is not None
    return dead


def kill_at_every_point(
    sandbox: Sandbox,
    scenario: Scenario,
    models: list[str],
    folder: Path,
    *,
    background: bool,
    points: list[int] | None = None,
    before: bool = False,
) -> list[tuple[str, int, subprocess.CompletedProcess[str]]]:
    """Run the scenario once per model, killed right after journal point `points[i]` (1, 2, ... by default), or
    just before writing it (`before`)."""
    at = points or list(range(1, len(models) + 1))

    def one(index: int) -> tuple[str, int, subprocess.CompletedProcess[str]]:
        model = models[index]
        argv = scenario.command(model, folder)
        if not background:
            argv.append("--wait")
        crash = {"crash_before": at[index]} if before else {"crash_at": at[index]}
        done = run_cli(sandbox, argv, **crash)
        if background:
            # The command returns once the job holds the model (0), or with the job's own exit code when it died
            # before that; either way the job is in the journal by then (its first point is written first).
            assert done.returncode in (0, CRASH_EXIT_CODE) and jobs_of(model), (model, at[index], done)
            wait_until_dead(model)
        return model, at[index], done

    with ThreadPoolExecutor(KILLS_AT_ONCE) as pool_:
        return list(pool_.map(one, range(len(at))))
