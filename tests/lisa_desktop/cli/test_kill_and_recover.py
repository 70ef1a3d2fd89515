"""Every job kind killed at every journal point — in the foreground `--wait` process and in the background job
process — then `jobs recover`: each model ends settled, its record, task definition, Auto Scaling group and
LiteLLM registration agree, and nothing was made twice.

The number of points is not written down here: a first run of the scenario, not killed, is counted, and the
scenario is then killed after each of its points in turn (one model per kill, so the kills run side by side).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.jobs.journal import CRASH_EXIT_CODE, JobState, JournalJob, Phase
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

POOL = 24
"""Models seeded per scenario: one to count the points, one per kill; more than any scenario has points."""


@contextmanager
def counted_scenario(
    scenario: Scenario, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sandbox, list[str], JournalJob]]:
    """A sandbox of POOL models for the scenario, its credentials in the environment, and the journal of one run
    of the scenario, not killed (on the first model), which settled the model consistently."""
    models = [f"m-{index:02d}" for index in range(POOL)]
    with start_sandbox(scenario, POOL) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        counted = run_cli(sandbox, [*scenario.command(models[0], folder), "--wait"])
        assert counted.returncode == 0, counted.stdout + counted.stderr
        (whole,) = jobs_of(models[0])
        assert check_model(sandbox, models[0]).problems == []
        yield sandbox, models, whole


@pytest.mark.parametrize("background", [False, True], ids=["foreground", "background"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_killed_at_every_journal_point_then_recovered(
    name: str, background: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = SCENARIOS[name]
    with counted_scenario(scenario, tmp_path, monkeypatch) as (sandbox, models, whole):
        points = len(whole.points)
        assert points >= 4, [p.step for p in whole.points]
        killed_models = models[1 : points + 1]
        assert len(killed_models) == points, f"{name} has {points} points: seed more than {POOL} models"

        runs = kill_at_every_point(sandbox, scenario, killed_models, tmp_path, background=background)
        for model, point, done in runs:
            if not background:
                assert done.returncode == CRASH_EXIT_CODE, (model, point, done.stdout, done.stderr)
            (job,) = jobs_of(model)
            assert job.state is JobState.RUNNING, (model, point)
            assert len(job.points) == point, (model, point, [p.step for p in job.points])

        code, out = cli(sandbox, "jobs", "recover", "--json")
        assert code == 0, out
        recovered = {item["modelId"]: item for item in json.loads(out)}
        assert sorted(recovered) == sorted(killed_models)

        report = []
        for model, point, _ in runs:
            result = check_model(sandbox, model)
            (job,) = jobs_of(model)
            step = job.points[point - 1]
            report.append(f"{name} killed after point {point} ({step.step} {step.phase}): {recovered[model]['action']}")
            assert result.problems == [], (model, point, step.step, step.phase, recovered[model], result.problems)
            assert job.state is JobState.RECOVERED
            assert job.recovered_by
        with capsys.disabled():
            print(f"\n{name} ({'background' if background else 'foreground'}): {points} journal points")
            print("\n".join(report))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_killed_with_each_aws_call_made_and_its_answer_lost_then_recovered(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The process dies after an AWS call went through but before its answer was journaled (just before each `done`
    point): recovery must find what the call made (a revision, a stack, a LiteLLM entry, a record write) from AWS
    and neither lose it nor make it twice."""
    scenario = SCENARIOS[name]
    with counted_scenario(scenario, tmp_path, monkeypatch) as (sandbox, models, whole):
        done_points = [point.seq for point in whole.points if point.phase is Phase.DONE]
        killed_models = models[1 : len(done_points) + 1]

        runs = kill_at_every_point(
            sandbox, scenario, killed_models, tmp_path, background=False, points=done_points, before=True
        )
        for model, point, done in runs:
            assert done.returncode == CRASH_EXIT_CODE, (model, point, done.stdout, done.stderr)
            (job,) = jobs_of(model)
            assert len(job.points) == point - 1, (model, point)

        code, out = cli(sandbox, "jobs", "recover", "--json")
        assert code == 0, out
        recovered = {item["modelId"]: item for item in json.loads(out)}
        report = []
        for model, point, _ in runs:
            step = whole.points[point - 1]
            result = check_model(sandbox, model)
            report.append(f"{name}: answer of {step.step} lost: {recovered[model]['action']}")
            assert result.problems == [], (model, step.step, recovered[model], result.problems)
        with capsys.disabled():
            print(f"\n{name}: {len(done_points)} calls whose answer was lost")
            print("\n".join(report))
