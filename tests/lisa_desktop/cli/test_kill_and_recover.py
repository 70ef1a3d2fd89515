"""Every job kind killed at every journal point — in the foreground `--wait` process and in the background job
process — then `jobs recover`: each model ends settled, its record, task definition, Auto Scaling group and
LiteLLM registration agree, and nothing was made twice.

The number of points is not written down here: a first run of the scenario, not killed, is counted, and the
scenario is then killed after each of its points in turn (one model per kill, so the kills run side by side).
The three tests of a scenario share its sandbox and that first run; each has a journal of its own. The killed
processes are forked from one that has imported the CLI (`forked_cli`): real processes, without the interpreter's
start-up each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.jobs.journal import CRASH_EXIT_CODE, FILE_NAME, JobState, JournalJob, Phase
from engine.sandbox.server import Sandbox
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.lisa_desktop.cli.recovery_world import (
    SCENARIOS,
    Scenario,
    check_model,
    jobs_of,
    kill_at_every_point,
    run_cli,
    start_sandbox,
)

pytestmark = pytest.mark.long

POOL = 32
"""Models seeded per scenario: one to count the points, then one per kill of the three tests below, which share
the scenario's sandbox (each test has a journal of its own): enough for the longest scenario, with room to grow;
`take` says so when a scenario outgrows it."""


@dataclass
class ScenarioWorld:
    """One sandbox per scenario, and the journal of one run of the scenario, not killed (on the first model),
    which settled the model consistently."""

    scenario: Scenario
    sandbox: Sandbox
    whole: JournalJob
    models: list[str]
    taken: int = field(default=1)

    def take(self, count: int) -> list[str]:
        """`count` models no test has used yet."""
        models = self.models[self.taken : self.taken + count]
        assert len(models) == count, f"{self.scenario.name}: seed more than {POOL} models"
        self.taken += count
        return models


@pytest.fixture(scope="module", params=list(SCENARIOS))
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioWorld]:
    scenario = SCENARIOS[request.param]
    folder = tmp_path_factory.mktemp(f"counted-{scenario.name}")
    models = [f"m-{index:02d}" for index in range(POOL)]
    own = {f"LISA_DESKTOP_{kind}_DIR": str(folder / kind.lower()) for kind in ("DATA", "CONFIG", "CACHE", "LOG")}
    with start_sandbox(scenario, POOL) as sandbox:
        counted = run_cli(sandbox, [*scenario.command(models[0], folder), "--wait"], env=own)
        assert counted.returncode == 0, counted.stdout + counted.stderr
        (whole,) = jobs_of(models[0], Path(own["LISA_DESKTOP_DATA_DIR"]) / FILE_NAME)
        assert whole.state is JobState.ENDED, whole
        assert check_model(sandbox, models[0], scenario.guardrail_sets).problems == []
        yield ScenarioWorld(scenario, sandbox, whole, models)


@pytest.fixture
def sandbox(world: ScenarioWorld, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The scenario's sandbox, its credentials in the environment (for `jobs recover` in this process)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", world.sandbox.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", world.sandbox.secret_key)
    return world.sandbox


def recover_all(sandbox: Sandbox, killed_models: list[str]) -> dict[str, dict[str, Any]]:
    """`jobs recover --json`, which must recover every killed model; its items by model id."""
    code, out = cli(sandbox, "jobs", "recover", "--json")
    assert code == 0, out
    recovered = {item["modelId"]: item for item in json.loads(out)}
    assert sorted(recovered) == sorted(killed_models)
    return recovered


@pytest.mark.parametrize("background", [False, True], ids=["foreground", "background"])
def test_killed_at_every_journal_point_then_recovered(
    world: ScenarioWorld, sandbox: Sandbox, background: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, scenario, whole = world.scenario.name, world.scenario, world.whole
    points = len(whole.points)
    assert points >= 4, [p.step for p in whole.points]
    killed_models = world.take(points)

    runs = kill_at_every_point(sandbox, scenario, killed_models, tmp_path, background=background)
    for model, point, done in runs:
        if not background:
            assert done.returncode == CRASH_EXIT_CODE, (model, point, done.stdout, done.stderr)
        (job,) = jobs_of(model)
        assert job.state is JobState.RUNNING, (model, point)
        assert len(job.points) == point, (model, point, [p.step for p in job.points])

    recovered = recover_all(sandbox, killed_models)

    report = []
    for model, point, _ in runs:
        result = check_model(sandbox, model, scenario.guardrail_sets)
        (job,) = jobs_of(model)
        step = job.points[point - 1]
        report.append(f"{name} killed after point {point} ({step.step} {step.phase}): {recovered[model]['action']}")
        assert result.problems == [], (model, point, step.step, step.phase, recovered[model], result.problems)
        assert job.state is JobState.RECOVERED
        assert job.recovered_by
    with capsys.disabled():
        print(f"\n{name} ({'background' if background else 'foreground'}): {points} journal points")
        print("\n".join(report))


def test_killed_with_each_aws_call_made_and_its_answer_lost_then_recovered(
    world: ScenarioWorld, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The process dies after an AWS call went through but before its answer was journaled (just before each `done`
    point): recovery must find what the call made (a revision, a stack, a LiteLLM entry, a record write) from AWS
    and neither lose it nor make it twice."""
    name, scenario, whole = world.scenario.name, world.scenario, world.whole
    done_points = [point.seq for point in whole.points if point.phase is Phase.DONE]
    killed_models = world.take(len(done_points))

    runs = kill_at_every_point(
        sandbox, scenario, killed_models, tmp_path, background=False, points=done_points, before=True
    )
    for model, point, done in runs:
        assert done.returncode == CRASH_EXIT_CODE, (model, point, done.stdout, done.stderr)
        (job,) = jobs_of(model)
        assert len(job.points) == point - 1, (model, point)

    recovered = recover_all(sandbox, killed_models)
    report = []
    for model, point, _ in runs:
        step = whole.points[point - 1]
        result = check_model(sandbox, model, scenario.guardrail_sets)
        report.append(f"{name}: answer of {step.step} lost: {recovered[model]['action']}")
        assert result.problems == [], (model, step.step, recovered[model], result.problems)
    with capsys.disabled():
        print(f"\n{name}: {len(done_points)} calls whose answer was lost")
        print("\n".join(report))
