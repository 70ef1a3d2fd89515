"""`models update | start | stop` as an operator runs them: plans, refusals with exit codes, jobs, rollback."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run as run_command
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.waiting import wait_for


def update_file(tmp_path: Path, change: dict[str, object]) -> str:
    path = tmp_path / "update.json"
    path.write_text(json.dumps(change))
    return str(path)


def status_of(sandbox: Sandbox, model_id: str) -> str:
    code, out = cli(sandbox, "models", "show", model_id, "--json")
    assert code == 0
    return str(json.loads(out)["model"]["status"])


ENV_CHANGE = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}


def test_dry_run_prints_the_plan_and_changes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    code, out = cli(sandbox, "models", "update", "mistral-7b-instruct", update_file(tmp_path, ENV_CHANGE), "--dry-run")
    assert code == 0
    assert "containerConfig.environment.MAX_TOTAL_TOKENS: '4096' → '8192'" in out or "MAX_TOTAL_TOKENS" in out
    assert "Steps: intake → ecs → finalize" in out
    assert "--ack-restart" in out
    code, out = cli(
        sandbox, "models", "update", "mistral-7b-instruct", update_file(tmp_path, ENV_CHANGE), "--dry-run", "--json"
    )
    assert json.loads(out)["requiresAcknowledgement"] is True
    assert status_of(sandbox, "mistral-7b-instruct") == "InService"


def test_restart_without_acknowledgement_exits_2(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = cli(sandbox, "models", "update", "mistral-7b-instruct", update_file(tmp_path, ENV_CHANGE), "--wait")
    assert code == 2
    assert "acknowledge the restart with --ack-restart" in capsys.readouterr().err


def test_third_party_autoscaling_exits_2_naming_the_rule(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = {"autoScalingInstanceConfig": {"minCapacity": 1}}
    code, _ = cli(sandbox, "models", "update", "titan-embed-v2", update_file(tmp_path, change), "--wait")
    assert code == 2
    assert "Min capacity cannot be changed on a third_party model" in capsys.readouterr().err


def test_status_refusal_exits_3_and_unknown_model_4(sandbox: Sandbox, tmp_path: Path) -> None:
    path = update_file(tmp_path, {"modelDescription": "x"})
    assert cli(sandbox, "models", "update", "broken-model", path, "--wait")[0] == 3
    assert cli(sandbox, "models", "start", "mistral-7b-instruct", "--wait")[0] == 3
    assert cli(sandbox, "models", "update", "no-such-model", path, "--wait")[0] == 4


def test_container_update_with_acknowledgement(sandbox: Sandbox, tmp_path: Path) -> None:
    code, out = cli(
        sandbox, "models", "update", "mistral-7b-instruct", update_file(tmp_path, ENV_CHANGE), "--ack-restart", "--wait"
    )
    assert code == 0, out
    assert re.search(r"ecs\s+succeeded", out)
    assert out.strip().splitlines()[-1].startswith("succeeded: ")
    shown = json.loads(cli(sandbox, "models", "show", "mistral-7b-instruct", "--json")[1])
    assert shown["model"]["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "8192"
    assert shown["live"]["rolloutState"] == "COMPLETED"


def test_failed_rollout_exits_5_and_says_what_was_restored(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.faults.fail_rollout.add("mistral-7b-instruct")
    before = json.loads(cli(sandbox, "models", "show", "mistral-7b-instruct", "--json")[1])["model"]
    code, out = cli(
        sandbox,
        "models",
        "update",
        "mistral-7b-instruct",
        update_file(tmp_path, ENV_CHANGE),
        "--ack-restart",
        "--wait",
        "--json",
    )
    assert code == 5
    result = json.loads(out)
    assert result["outcome"] == "rolled-back"
    assert "revision" in result["message"]
    assert result["finalStatus"] == "InService"
    shown = json.loads(cli(sandbox, "models", "show", "mistral-7b-instruct", "--json")[1])
    assert shown["model"] == before
    assert shown["failureReason"] is None  # as LISA: a failure reason goes with the Failed status only


def test_stop_needs_yes_when_not_interactive(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(sandbox, "models", "stop", "bge-large-en", "--wait")[0] == 2
    assert "--yes" in capsys.readouterr().err
    code, out = cli(sandbox, "models", "stop", "bge-large-en", "--wait", "--yes")
    assert code == 0, out
    assert status_of(sandbox, "bge-large-en") == "Stopped"


def test_start_waits_until_in_service(sandbox: Sandbox) -> None:
    code, out = cli(sandbox, "models", "start", "llama3-8b-tgi", "--wait")
    assert code == 0, out
    assert status_of(sandbox, "llama3-8b-tgi") == "InService"


def test_without_wait_the_job_goes_on_in_the_background(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "lisa_desktop", "sandbox", "serve", "--still", "--rollout-seconds", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip().split("=", 1)[1]
        env_args = ["--endpoint-url", endpoint]
        started = subprocess.run(
            [
                sys.executable,
                "-m",
                "lisa_desktop",
                *env_args,
                "models",
                "update",
                "mistral-7b-instruct",
                update_file(tmp_path, ENV_CHANGE),
                "--ack-restart",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**__import__("os").environ, "LISA_DESKTOP_LOG_DIR": str(tmp_path / "logs")},
        )
        assert started.returncode == 0, started.stderr
        assert re.match(r"job job-[0-9a-f]{12} started for mistral-7b-instruct", started.stdout)
        logs = tmp_path / "logs" / "jobs"
        at_return = "".join(path.read_text() for path in logs.glob("job-*.log"))  # its plan names finalize already
        finalizing = re.compile(r"^\d\d:\d\d:\d\d\s+finalize\s", re.MULTILINE)  # a line of the finalize step
        assert not finalizing.search(at_return), "the command waited for the job: it was over when it returned"

        # The model as `models show` sees it, read in this process: the job goes on in its own.
        def show() -> dict[str, Any]:
            out = io.StringIO()
            assert run_command([*env_args, "models", "show", "mistral-7b-instruct", "--json"], out=out) == 0
            shown: dict[str, Any] = json.loads(out.getvalue())
            return shown

        assert show()["model"]["status"] in ("Updating", "InService")

        def finished() -> bool:
            model = show()["model"]
            return bool(
                model["status"] == "InService" and model["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "8192"
            )

        wait_for(finished, timeout=90, what="the background job to finish")
        log = next(logs.glob("job-*.log")).read_text()
        assert finalizing.search(log)
    finally:
        server.terminate()
        server.wait(timeout=30)
