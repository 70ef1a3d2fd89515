"""The drafts file: create, save, find by id prefix, list, delete, duplicate, concurrent writers, versions."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.drafts import store as store_module
from engine.drafts.store import SCHEMA_VERSION, Draft, DraftKind, DraftStore, DraftStoreError
from engine.errors import DraftNotFound, InvalidInput
from tests.engine.factories import hosted_config, record, third_party_config

BASE = record(hosted_config()).to_api()


@pytest.fixture
def ticking_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's clock moves on one second at every reading: a save is always later than the one before, with
    no sleep to make the wall clock move."""
    ticks = itertools.count()
    monkeypatch.setattr(store_module, "time", SimpleNamespace(time=lambda: 1_800_000_000.0 + next(ticks)))


def test_default_path_is_in_the_data_dir(store: DraftStore, data_dir: Path) -> None:
    assert store.path == data_dir / "drafts.sqlite3"
    store.create(DraftKind.CREATE, {"modelId": "x"})
    assert store.path.is_file()
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.usefixtures("ticking_clock")
def test_create_get_and_save_keep_what_was_typed(store: DraftStore) -> None:
    typed = {"modelId": "my-model", "modelType": None, "autoScalingConfig": {"minCapacity": "two"}}
    draft = store.create(DraftKind.CREATE, typed, deployment="sandbox")
    assert len(draft.draft_id) == 32
    assert draft.created_at == draft.updated_at
    assert store.get(draft.draft_id) == draft
    changed = Draft(**{**draft.__dict__, "config": {**typed, "modelName": "m"}})
    saved = store.save(changed)
    assert saved.updated_at > draft.updated_at
    assert saved.created_at == draft.created_at
    assert store.get(draft.draft_id) == saved
    assert store.get(draft.draft_id).config["modelName"] == "m"


def test_update_draft_needs_a_base(store: DraftStore) -> None:
    with pytest.raises(InvalidInput, match="base"):
        store.create(DraftKind.UPDATE, {"modelId": "x"})
    draft = store.create(DraftKind.UPDATE, BASE, base=BASE)
    assert store.get(draft.draft_id).base == BASE


def test_get_takes_a_unique_prefix_of_four_or_more(store: DraftStore) -> None:
    draft = store.create(DraftKind.CREATE, {})
    assert store.get(draft.draft_id[:4].upper()) == draft
    with pytest.raises(DraftNotFound, match="at least 4 characters"):
        store.get(draft.draft_id[:3])
    with pytest.raises(DraftNotFound, match="'ffffffffff' was not found"):
        store.get("f" * 10)
    differs = "0" if draft.draft_id[6] != "0" else "1"
    store.save(Draft(**{**draft.__dict__, "draft_id": draft.draft_id[:6] + differs + "a" * 25}))
    with pytest.raises(InvalidInput, match="ambiguous"):
        store.get(draft.draft_id[:6])
    assert store.get(draft.draft_id[:7]) == draft


@pytest.mark.usefixtures("ticking_clock")
def test_list_newest_first_delete_and_duplicate(store: DraftStore) -> None:
    first = store.create(DraftKind.CREATE, {"modelId": "a"})
    second = store.create(DraftKind.UPDATE, BASE, base=BASE, deployment="prod")
    store.save(first)
    assert [d.draft_id for d in store.list()] == [first.draft_id, second.draft_id]
    copy = store.duplicate(second.draft_id[:8])
    assert copy.draft_id != second.draft_id
    assert (copy.kind, copy.config, copy.base, copy.deployment) == (
        second.kind,
        second.config,
        second.base,
        second.deployment,
    )
    assert store.list()[0].draft_id == copy.draft_id
    store.delete(first.draft_id)
    assert {d.draft_id for d in store.list()} == {second.draft_id, copy.draft_id}
    with pytest.raises(DraftNotFound):
        store.delete(first.draft_id)


def test_mark_submitted_keeps_the_draft(store: DraftStore) -> None:
    draft = store.create(DraftKind.CREATE, {"modelId": "a"})
    marked = store.mark_submitted(draft.draft_id, "job-123")
    assert store.get(draft.draft_id).submitted_job == "job-123"
    assert marked.submitted_at is not None


def test_titles_and_requests(store: DraftStore) -> None:
    assert store.create(DraftKind.CREATE, {}).title == "Create (no model id yet)"
    assert store.create(DraftKind.CREATE, {"modelId": 3}).title == "Create (no model id yet)"
    create = store.create(DraftKind.CREATE, {**BASE, "modelDescription": None, "modelUrl": ""})
    assert create.title == "Create mistral-7b-instruct"
    assert "status" not in create.request() and "modelDescription" not in create.request()
    assert "modelUrl" not in create.request()
    assert create.problems() == ()
    update = store.create(DraftKind.UPDATE, {**BASE, "modelDescription": "new"}, base=BASE)
    assert update.title == "Update mistral-7b-instruct"
    assert update.request() == {"modelDescription": "new"}
    assert update.problems() == ()


def test_problems_name_field_and_rule(store: DraftStore) -> None:
    create = store.create(DraftKind.CREATE, {"modelId": "Bad Id"})
    fields = {p.field for p in create.problems()}
    assert {"modelId", "modelName", "modelType"} <= fields
    unchanged = store.create(DraftKind.UPDATE, BASE, base=BASE)
    assert [str(p) for p in unchanged.problems()] == ["draft: changes nothing an update can carry"]
    moved = store.create(DraftKind.UPDATE, {**BASE, "instanceType": "p4d.24xlarge"}, base=BASE)
    assert [p.field for p in moved.problems()] == ["instanceType", "draft"]
    assert "create a new model" in moved.problems()[0].rule


def test_update_problems_include_the_plans_rules_against_the_base(store: DraftStore) -> None:
    base = record(third_party_config()).to_api()
    scaled = store.create(DraftKind.UPDATE, {**base, "autoScalingConfig": {"minCapacity": 2}}, base=base)
    [problem] = scaled.problems()
    assert problem.field == "autoScalingInstanceConfig.minCapacity"
    assert "cannot be changed on a third_party model" in problem.rule
    stopped = {**BASE, "status": "Stopped"}
    assert store.create(DraftKind.UPDATE, {**BASE, "modelDescription": "x"}, base=stopped).problems() == ()


def test_concurrent_writers_from_two_threads(store: DraftStore, data_dir: Path) -> None:
    other = DraftStore(data_dir / "drafts.sqlite3")
    drafts = [store.create(DraftKind.CREATE, {"modelId": f"m{i}"}) for i in range(2)]
    errors: list[BaseException] = []

    def autosave(writer: DraftStore, draft: Draft) -> None:
        try:
            for n in range(100):
                writer.save(Draft(**{**draft.__dict__, "config": {"modelId": draft.config["modelId"], "n": n}}))
                writer.list()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=autosave, args=pair) for pair in zip((store, other), drafts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(d.config["n"] for d in store.list()) == [99, 99]


def test_corrupt_file_is_a_clear_error(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "drafts.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DraftStoreError, match=r"damaged .* move it aside"):
        DraftStore().list()


def test_newer_schema_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "drafts.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DraftStoreError, match="newer LISA Desktop"):
        DraftStore().list()


def test_an_existing_file_is_reopened(store: DraftStore) -> None:
    draft = store.create(DraftKind.CREATE, {"modelId": "a"})
    assert DraftStore(store.path).get(draft.draft_id) == draft
    store.close()
    assert store.get(draft.draft_id) == draft
