"""`jobs list | recover | log` as an operator meets them after an interrupted job, and refusals that point there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.jobs.journal import CRASH_EXIT_CODE, default_journal_path
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from tests.engine.jobs.consistency import check_model, pool, third_party_request
from tests.lisa_desktop.cli.endpoint_cli import cli
from tests.lisa_desktop.cli.recovery_world import run_cli

API_KEY = "sk-very-secret-key-0123456789"


def test_an_interrupted_stop_is_listed_refused_with_a_hint_recovered_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Sandbox(
        ambient=False, rollout_seconds=0.3, warmup_seconds=0.2, models=pool("m", 1, ModelStatus.IN_SERVICE)
    ) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        killed = run_cli(sandbox, ["models", "stop", "m-00", "--yes", "--wait"], crash_at=4)
        assert killed.returncode == CRASH_EXIT_CODE

        code, out = cli(sandbox, "jobs", "list")
        assert code == 0
        assert "interrupted" in out and "1 interrupted: run 'lisa-desktop jobs recover'" in out
        (listed,) = json.loads(cli(sandbox, "jobs", "list", "--json")[1])
        assert listed["state"] == "interrupted" and listed["kind"] == "stop" and listed["modelId"] == "m-00"

        capsys.readouterr()
        code, _ = cli(sandbox, "models", "start", "m-00", "--wait")
        refusal = capsys.readouterr().err
        assert code == 3
        assert "Stopping" in refusal and "last heartbeat" in refusal
        assert "run 'lisa-desktop jobs recover m-00'" in refusal

        code, out = cli(sandbox, "jobs", "recover", "m-00", "--wait")
        assert code == 0, out
        assert "recover   started" in out and "resumed; succeeded, Stopped" in out
        assert check_model(sandbox, "m-00").problems == []
        assert cli(sandbox, "jobs", "recover")[1].startswith("no interrupted job of this workstation")

        code, out = cli(sandbox, "jobs", "log", "--model", "m-00")
        assert code == 0
        assert "stop of m-00" in out and "recovered by arn:aws:sts::" in out and "litellm.unregister" in out
        (entry,) = [json.loads(line) for line in cli(sandbox, "jobs", "log", "--json")[1].splitlines()]
        assert entry["state"] == "recovered" and entry["caller"].startswith("arn:aws:sts::")


def test_the_journal_never_holds_an_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(ambient=False, models=pool("m", 1, ModelStatus.IN_SERVICE)) as sandbox:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
        request = tmp_path / "create.json"
        request.write_text(json.dumps({**third_party_request("gpt-x"), "apiKey": API_KEY}))
        code, out = cli(sandbox, "models", "create", str(request), "--wait")
        assert code == 0, out
        journal = default_journal_path()
        stored = b"".join(path.read_bytes() for path in journal.parent.glob(f"{journal.name}*"))
        assert b"gpt-x" in stored
        assert API_KEY.encode() not in stored
        assert API_KEY not in cli(sandbox, "jobs", "log", "--json")[1]
