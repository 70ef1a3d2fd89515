"""`sandbox serve --fail-rollout / --fail-capacity` from the command line (issue 19, part 3): the sandbox, started as
a user starts it, plays the failures, and the CLI's jobs against it end with the root cause in their output: the
stopped task's reason and exit code and the container's log lines, the failed Auto Scaling activities."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lisa_desktop.cli import run
from lisa_desktop.exit_codes import ExitCode
from tests.lisa_desktop.cli.served_sandbox import served_sandbox

ROLLOUT_MODEL = "mistral-7b-instruct"
CAPACITY_MODEL = "llama3-8b-tgi"  # seeded Stopped: a start needs new instances


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with served_sandbox(
        "--still",
        "--rollout-seconds",
        "1",
        "--warmup-seconds",
        "0.5",
        "--fail-rollout",
        ROLLOUT_MODEL,
        "--fail-capacity",
        CAPACITY_MODEL,
    ) as url:
        yield url


@pytest.fixture(autouse=True)
def sandbox_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's own dummy key, as `--endpoint-url` uses it when no AWS key is in the environment."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def cli(endpoint: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(["--endpoint-url", endpoint, *argv], out=out), out.getvalue()


def test_a_failing_rollout_shows_the_stopped_tasks_exit_code_and_log_lines(endpoint: str, tmp_path: Path) -> None:
    change = tmp_path / "update.json"
    change.write_text(json.dumps({"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}))
    code, out = cli(endpoint, "models", "update", ROLLOUT_MODEL, str(change), "--ack-restart", "--wait")
    assert code == ExitCode.JOB_FAILED == 5, out
    causes = [line for line in out.splitlines() if "root cause: " in line]
    assert any("stopped: Essential container in task exited (EssentialContainerExited)" in line for line in causes), out
    assert any("container model exit code 1" in line for line in causes), out
    assert any("container log: torch.OutOfMemoryError: CUDA out of memory" in line for line in causes), out
    last = out.strip().splitlines()[-1]
    assert "root cause:" in last and "exit code 1" in last, last

    code, shown = cli(endpoint, "models", "show", ROLLOUT_MODEL, "--json")
    assert code == 0
    assert json.loads(shown)["model"]["status"] == "InService"  # rolled back


def test_a_failing_capacity_shows_the_failed_scaling_activities(endpoint: str) -> None:
    code, out = cli(endpoint, "models", "start", CAPACITY_MODEL, "--wait", "--deadline-minutes", "0.05")
    assert code == ExitCode.JOB_FAILED == 5, out
    causes = [line for line in out.splitlines() if "root cause: " in line]
    assert any(
        "Auto Scaling Failed: Launching a new EC2 instance – We currently do not have sufficient" in line
        for line in causes
    ), out
    last = out.strip().splitlines()[-1]
    assert "root cause:" in last and "Auto Scaling Failed" in last, last
