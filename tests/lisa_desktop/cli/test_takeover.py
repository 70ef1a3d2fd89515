"""A model held by a job this workstation has no journal of (another workstation, another HOME): refused with its
holder and heartbeat while the lease runs, taken over and settled from AWS's truth alone once it has expired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.jobs.journal import CRASH_EXIT_CODE
from engine.schema.enums import ModelStatus
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.lisa_desktop.cli.recovery_world import SCENARIOS, check_model, run_cli, start_sandbox

MODEL = "m-01"


@pytest.mark.parametrize(
    ("name", "point", "settled"),
    [
        ("container-update", 6, ModelStatus.IN_SERVICE),  # killed with the service rolling out: rolled back
        ("capacity-update", 4, ModelStatus.IN_SERVICE),  # the group resized, the record not yet: rolled back
        ("start", 4, ModelStatus.STOPPED),  # instances starting, not registered: rolled back
        ("stop", 4, ModelStatus.STOPPED),  # unregistered, instances still running: finished
        ("hosted-create", 6, ModelStatus.IN_SERVICE),  # the stack recorded, being created: finished
        ("delete", 6, None),  # the stack being deleted: finished
    ],
)
def test_taken_over_once_the_lease_has_expired_refused_before(
    name: str,
    point: int,
    settled: ModelStatus | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = SCENARIOS[name]
    with start_sandbox(scenario, 2) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(tmp_path / "other-home"))
        killed = run_cli(sandbox, [*scenario.command(MODEL, tmp_path), "--wait"], crash_at=point)
        assert killed.returncode == CRASH_EXIT_CODE, killed.stdout + killed.stderr
        monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(tmp_path / "this-home"))

        code, out = cli(sandbox, "jobs", "recover", MODEL)
        assert code == 0, out
        assert "no interrupted job of this workstation" in out
        assert "held by job-" in out and "last heartbeat" in out and "--takeover" in out

        capsys.readouterr()
        code, _ = cli(sandbox, "jobs", "recover", MODEL, "--takeover")
        refusal = capsys.readouterr().err
        assert code == 3, refusal
        assert "held by job-" in refusal and "last heartbeat" in refusal and "the lease expires in" in refusal

        code, out = cli(sandbox, "jobs", "recover", MODEL, "--takeover", "--lease-minutes", "0", "--json")
        assert code == 0, out
        (taken,) = json.loads(out)
        assert "the lease of job-" in taken["message"]
        result = check_model(sandbox, MODEL)
        assert result.problems == [], (taken, result.problems)
        assert result.status == settled


def test_a_start_whose_status_lisas_monitor_overwrote_is_still_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed while its instances launch: LISA's status monitor then writes the model InService (or Stopped) over
    `Starting`. The hold and the operation the intake wrote still say what to settle."""
    scenario = SCENARIOS["start"]
    with start_sandbox(scenario, 2) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(tmp_path / "other-home"))
        killed = run_cli(sandbox, [*scenario.command(MODEL, tmp_path), "--wait"], crash_at=4)
        assert killed.returncode == CRASH_EXIT_CODE, killed.stdout + killed.stderr
        monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(tmp_path / "this-home"))
        monitor = sandbox.status_monitor
        assert monitor is not None
        monitor.observe(sandbox.resources(MODEL).auto_scaling_group)
        assert check_model(sandbox, MODEL).status != ModelStatus.STARTING

        code, out = cli(sandbox, "jobs", "recover", MODEL, "--takeover", "--lease-minutes", "0", "--json")
        assert code == 0, out
        (taken,) = json.loads(out)
        assert "the lease of job-" in taken["message"]
        result = check_model(sandbox, MODEL)
        assert result.problems == [], (taken, result.problems)
        assert result.status == ModelStatus.STOPPED
