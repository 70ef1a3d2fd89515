"""`drafts list | show | submit` as an operator runs them: offline reading, submission through the same jobs as
`models create | update`, and the refusal when the model changed since the draft was started."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.drafts.store import DraftKind, DraftStore
from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from tests.lisa_desktop.cli.endpoint_cli import cli


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DraftStore:
    monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    return DraftStore()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module: each test changes models no other test here reads."""
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", running.access_key)
        mp.setenv("AWS_SECRET_ACCESS_KEY", running.secret_key)
        yield running


def offline(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(list(argv), out=out), out.getvalue()


def model(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    code, out = cli(sandbox, "models", "show", model_id, "--json")
    assert code == 0, out
    return json.loads(out)["model"]  # type: ignore[no-any-return]


def update_draft(store: DraftStore, base: dict[str, Any], **changes: Any) -> str:
    config = copy.deepcopy({key: value for key, value in base.items() if key != "status"})
    config.update(changes)
    return store.create(DraftKind.UPDATE, config, base=base, deployment="sandbox").draft_id


NEW_MODEL = {
    "modelId": "my-claude",
    "modelName": "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
    "modelType": "textgen",
    "streaming": True,
    "modelDescription": None,
}


def test_list_and_show_work_offline_with_no_credentials(
    store: DraftStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    valid = store.create(DraftKind.CREATE, NEW_MODEL)
    invalid = store.create(DraftKind.CREATE, {"modelId": "Bad Id", "modelType": "textgen"})

    code, out = offline("drafts", "list")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "MODEL", "UPDATED", "STATE"]
    assert lines[1].startswith(invalid.draft_id[:8]) and "invalid (2)" in lines[1]
    assert lines[2].startswith(valid.draft_id[:8]) and lines[2].endswith("valid")
    assert lines[3].startswith("2 drafts")
    listed = json.loads(offline("drafts", "list", "--json")[1])
    assert [(d["draftId"], d["valid"]) for d in listed] == [(invalid.draft_id, False), (valid.draft_id, True)]

    code, out = offline("drafts", "show", invalid.draft_id[:6])
    assert code == 0
    assert "modelId: must use lowercase letters" in out
    assert "modelName: is required" in out
    assert "invalid: 2 problems" in out
    code, out = offline("drafts", "show", valid.draft_id, "--json")
    shown = json.loads(out)
    assert shown["valid"] is True
    assert shown["request"] == {key: value for key, value in NEW_MODEL.items() if value is not None}
    assert offline("drafts", "show", "0000ffff")[0] == 4


def test_submit_create_draft_waits_until_in_service(sandbox: Sandbox, store: DraftStore) -> None:
    draft = store.create(DraftKind.CREATE, NEW_MODEL)
    code, out = cli(sandbox, "drafts", "submit", draft.draft_id[:8], "--wait")
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("succeeded: created my-claude")
    assert model(sandbox, "my-claude")["status"] == "InService"
    assert store.get(draft.draft_id).submitted_job is not None


def test_invalid_draft_is_not_submitted(
    sandbox: Sandbox, store: DraftStore, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = store.create(DraftKind.CREATE, {**NEW_MODEL, "modelId": "Bad Id"})
    assert cli(sandbox, "drafts", "submit", draft.draft_id, "--wait")[0] == 2
    assert "modelId: must use lowercase letters" in capsys.readouterr().err


def test_submit_update_draft(sandbox: Sandbox, store: DraftStore) -> None:
    draft_id = update_draft(store, model(sandbox, "claude-3-5-sonnet"), modelDescription="changed by a draft")
    code, out = cli(sandbox, "drafts", "submit", draft_id, "--wait")
    assert code == 0, out
    assert model(sandbox, "claude-3-5-sonnet")["modelDescription"] == "changed by a draft"
    assert json.loads(offline("drafts", "show", draft_id, "--json")[1])["submittedJob"].startswith("job-")


def test_model_changed_underneath_is_refused_then_rebased(
    sandbox: Sandbox, store: DraftStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = model(sandbox, "nova-pro")
    draft_id = update_draft(store, base, modelDescription="mine", allowedGroups=["research"])
    change = tmp_path / "theirs.json"
    change.write_text(json.dumps({"modelDescription": "theirs", "streaming": False}))
    assert cli(sandbox, "models", "update", "nova-pro", str(change), "--wait")[0] == 0

    code, out = cli(sandbox, "drafts", "submit", draft_id, "--wait")
    assert code == 3
    rows = {line.split()[1] if line.startswith("!") else line.split()[0]: line for line in out.splitlines()}
    assert rows["modelDescription"].startswith("!")
    assert '"theirs"' in rows["modelDescription"] and '"mine"' in rows["modelDescription"]
    assert not rows["streaming"].startswith("!")
    assert "--rebase" in out
    assert "changed since the draft was started" in capsys.readouterr().err
    assert model(sandbox, "nova-pro")["modelDescription"] == "theirs"

    code, out = cli(sandbox, "drafts", "submit", draft_id, "--json")
    assert code == 3
    assert {f["field"] for f in json.loads(out)["fields"] if f["conflict"]} == {"modelDescription"}

    code, out = cli(sandbox, "drafts", "submit", draft_id, "--wait", "--rebase")
    assert code == 0, out
    now = model(sandbox, "nova-pro")
    assert (now["modelDescription"], now["allowedGroups"], now["streaming"]) == ("mine", ["research"], False)
    assert store.get(draft_id).base == {**now, "modelDescription": "theirs", "allowedGroups": []}


def test_restart_without_acknowledgement_is_refused(
    sandbox: Sandbox, store: DraftStore, capsys: pytest.CaptureFixture[str]
) -> None:
    base = model(sandbox, "mistral-7b-instruct")
    container = copy.deepcopy(base["containerConfig"])
    container["environment"]["MAX_TOTAL_TOKENS"] = "8192"
    draft_id = update_draft(store, base, containerConfig=container)
    code, _ = cli(sandbox, "drafts", "submit", draft_id, "--wait")
    assert code == 2
    assert "acknowledge the restart with --ack-restart" in capsys.readouterr().err
    assert model(sandbox, "mistral-7b-instruct") == base
    assert store.get(draft_id).submitted_job is None
