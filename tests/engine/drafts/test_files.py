"""Drafts exported as files that `models validate` accepts, and imported back from create/update files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config_edit import config_of
from engine.drafts.files import export_config, export_draft, import_draft
from engine.drafts.store import DraftKind, DraftStore
from engine.errors import ConfigFileError, InvalidInput, Problem
from engine.files import load_document
from engine.schema.requests import CreateModelRequest, UpdateModelRequest
from engine.schema.validate import parse_request
from tests.engine.factories import hosted_config, record

BASE = record(hosted_config(), model_url="http://alb.example/v1").to_api()


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_export_create_draft_is_a_valid_create_file(store: DraftStore, tmp_path: Path, suffix: str) -> None:
    draft = store.create(DraftKind.CREATE, {**BASE, "modelId": "copy-of-mistral", "modelDescription": None})
    path = export_draft(draft, tmp_path / f"create{suffix}")
    data = load_document(path)
    assert isinstance(parse_request(data), CreateModelRequest)
    assert data["modelId"] == "copy-of-mistral"
    assert "status" not in data
    if suffix == ".json":
        json.loads(path.read_text())


def test_export_update_draft_is_the_update_request(store: DraftStore, tmp_path: Path) -> None:
    config = config_of(BASE)
    config["containerConfig"] = {**config["containerConfig"], "environment": {"MAX_TOTAL_TOKENS": "8192"}}
    draft = store.create(DraftKind.UPDATE, config, base=BASE)
    path = export_draft(draft, tmp_path / "update.yaml")
    data = load_document(path)
    assert isinstance(parse_request(data), UpdateModelRequest)
    assert data == {
        "containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192", "OLD_FLAG": "LISA_MARKED_FOR_DELETION"}}
    }


def test_export_needs_a_known_suffix(store: DraftStore, tmp_path: Path) -> None:
    draft = store.create(DraftKind.CREATE, {"modelId": "x"})
    with pytest.raises(InvalidInput, match=r"must end in \.yaml, \.yml or \.json"):
        export_draft(draft, tmp_path / "draft.txt")


def test_export_config_is_a_create_file(tmp_path: Path) -> None:
    path = export_config(BASE, tmp_path / "model.json")
    assert parse_request(load_document(path)).modelId == "mistral-7b-instruct"  # type: ignore[union-attr]


def test_import_create_file_keeps_it_as_written(store: DraftStore, tmp_path: Path) -> None:
    path = tmp_path / "create.yaml"
    path.write_text("modelId: new-model\nmodelType: textgen\nstreaming: maybe\n")
    draft = import_draft(path, store, deployment="prod")
    assert draft.kind is DraftKind.CREATE
    assert draft.config == {"modelId": "new-model", "modelType": "textgen", "streaming": "maybe"}
    assert draft.deployment == "prod"
    assert {p.field for p in draft.problems()} == {"modelName", "streaming"}
    assert store.get(draft.draft_id) == draft


def test_import_update_file_applies_it_to_the_base(store: DraftStore, tmp_path: Path) -> None:
    path = tmp_path / "update.json"
    change = {
        "modelDescription": "new",
        "autoScalingInstanceConfig": {"maxCapacity": 5},
        "containerConfig": {"environment": {"OLD_FLAG": "LISA_MARKED_FOR_DELETION"}, "healthCheckRetries": 4},
    }
    path.write_text(json.dumps(change))
    draft = import_draft(path, store, base=BASE)
    assert draft.kind is DraftKind.UPDATE
    assert draft.base == BASE
    assert draft.config["autoScalingConfig"]["maxCapacity"] == 5
    assert draft.config["containerConfig"]["environment"] == {"MAX_TOTAL_TOKENS": "4096"}
    assert draft.config["containerConfig"]["healthCheckConfig"]["retries"] == 4
    assert draft.request() == change


def test_import_update_ignores_fields_lisa_does_not_know_and_names_them(store: DraftStore, tmp_path: Path) -> None:
    """As LISA's API: a file exported from a newer LISA, or LISA's own GET /models fields, import without them."""
    path = tmp_path / "update.yaml"
    path.write_text("modelDescription: new\nstatus: InService\ncontainerConfig: {image: x, sharedMemorySize: 4096}\n")
    warnings: list[Problem] = []
    draft = import_draft(path, store, base=BASE, warnings=warnings)
    assert sorted(p.field for p in warnings) == ["containerConfig.image", "status"]
    assert all("ignored" in p.rule for p in warnings)
    assert draft.request() == {"modelDescription": "new", "containerConfig": {"sharedMemorySize": 4096}}


def test_import_update_without_base_is_refused(store: DraftStore, tmp_path: Path) -> None:
    path = tmp_path / "update.yaml"
    path.write_text("modelDescription: new\n")
    with pytest.raises(InvalidInput, match="needs the model's current configuration: connect to the deployment"):
        import_draft(path, store)
    assert store.list() == []


def test_import_refuses_what_cannot_be_applied(store: DraftStore, tmp_path: Path) -> None:
    path = tmp_path / "update.yaml"
    path.write_text("enabled: false\ncontainerConfig: {environment: [A], image: x}\nfoo: 1\n")
    with pytest.raises(InvalidInput) as caught:
        import_draft(path, store, base=BASE)
    assert {p.field for p in caught.value.problems} == {"enabled", "containerConfig.environment"}
    path.write_text("- a list\n")
    with pytest.raises(InvalidInput, match="must be a mapping of fields"):
        import_draft(path, store, base=BASE)
    path.write_text("a: [unclosed\n")
    with pytest.raises(ConfigFileError):
        import_draft(path, store, base=BASE)
