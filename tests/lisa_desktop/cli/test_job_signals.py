"""SIGINT, SIGTERM and SIGHUP of a process running a job mean cancel: the job rolls back, the end state is printed
and the process exits 128 + the signal's number. Rollouts that miss a short deadline still roll back in full."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.jobs.journal import Journal, Phase
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from tests.engine.jobs.sandbox_world import world_on
from tests.lisa_desktop.cli.recovery_world import check_model, pool, run_cli
from tests.waiting import wait_for

MODEL = "m-00"
ROLLOUT_S = 3.0
CHANGE = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}


def _sandbox(rollout_s: float = ROLLOUT_S) -> Sandbox:
    return Sandbox(
        ambient=False, rollout_seconds=rollout_s, warmup_seconds=0.2, models=pool("m", 1, ModelStatus.IN_SERVICE)
    )


def _wait_for_point(step: str, phase: Phase, *, timeout_s: float = 60.0) -> None:
    journal = Journal()
    wait_for(
        lambda: any(p.step == step and p.phase is phase for job in journal.jobs(model_id=MODEL) for p in job.points),
        timeout=timeout_s,
        what=f"a {step} {phase} point",
    )


def _read_stderr_until(process: subprocess.Popen[str], text: str) -> str:
    """The process's standard error up to the first line with `text` (or to its end): what was read."""
    assert process.stderr is not None
    read = []
    for line in iter(process.stderr.readline, ""):
        read.append(line)
        if text in line:
            break
    return "".join(read)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["INT", "TERM", "HUP"]
)
def test_a_signal_during_the_rollout_rolls_back_and_exits_with_its_code(
    signum: signal.Signals, code: int, tmp_path: Path
) -> None:
    request = tmp_path / "change.json"
    request.write_text(json.dumps(CHANGE))
    with _sandbox() as sandbox:
        aws = world_on(sandbox).aws
        before = aws.models.get(MODEL)
        stack = aws.stacks.model_resources(before.cloudformation_stack_name or "")
        assert stack.service_ref is not None
        old_revision = aws.ecs.describe_service(stack.service_ref).task_definition_arn
        env = {**os.environ, "AWS_ACCESS_KEY_ID": sandbox.access_key, "AWS_SECRET_ACCESS_KEY": sandbox.secret_key}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lisa_desktop",
                "--endpoint-url",
                sandbox.endpoint_url,
                "models",
                "update",
                MODEL,
                str(request),
                "--ack-restart",
                "--wait",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for_point("ecs.deploy", Phase.DONE)
            process.send_signal(signum)
            read = ""
            if signum == signal.SIGINT:  # the second once the first is being acted on: the rollback is under way
                watchdog = threading.Timer(120, process.kill)
                watchdog.start()
                try:
                    read = _read_stderr_until(process, "cancelling job")
                finally:
                    watchdog.cancel()
                process.send_signal(signum)
            out, err = process.communicate(timeout=120)
            err = read + err
        finally:
            if process.poll() is None:
                process.kill()

        assert process.returncode == code, (out, err)
        assert f"{signal.Signals(signum).name}: cancelling job" in err
        if signum == signal.SIGINT:
            assert "the rollback is still running" in err
        assert "cancelled:" in out and "(model InService)" in out, out
        assert "undone: service" in out and "back on revision 1" in out, out
        after = aws.models.get(MODEL)
        assert after.model_status is ModelStatus.IN_SERVICE
        assert after.config == before.config
        assert aws.ecs.describe_service(stack.service_ref).task_definition_arn == old_revision
        assert check_model(sandbox, MODEL).problems == []
        (job,) = Journal().jobs(model_id=MODEL)
        assert job.outcome == "cancelled"


def test_a_rollout_past_a_short_deadline_is_rolled_back_not_failed(tmp_path: Path) -> None:
    request = tmp_path / "change.json"
    request.write_text(json.dumps(CHANGE))
    with _sandbox(rollout_s=6.0) as sandbox:  # twice the 3 s deadline: the rollout cannot make it under load
        aws = world_on(sandbox).aws
        before = aws.models.get(MODEL)
        done = run_cli(
            sandbox, ["models", "update", MODEL, str(request), "--ack-restart", "--wait", "--deadline-minutes", "0.05"]
        )
        assert done.returncode == 5, done.stdout + done.stderr
        assert "did not become stable within 3 s" in done.stdout
        assert "rolled back to revision 1" in done.stdout
        assert "(model InService)" in done.stdout
        after = aws.models.get(MODEL)
        assert after.model_status is ModelStatus.IN_SERVICE
        assert after.config == before.config
        assert check_model(sandbox, MODEL).problems == []
