"""A draft's API key is kept by the store's keeper (the OS keychain), never in the drafts file, from its first save
until it is deleted or submitted; with no keeper, a draft holding a key is refused and nothing is written."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from engine.drafts.keeper import KeeperUnavailable, NoKeeper
from engine.drafts.store import DraftKind, DraftStore
from engine.errors import InvalidInput
from engine.schema.validate import parse_create
from engine.secrets import MASK
from tests.engine.factories import third_party_config

KEY = "sk-draft-canary-0123456789"


class DictKeeper:
    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def keep(self, name: str, value: str) -> None:
        self.kept[name] = value

    def recall(self, name: str) -> str | None:
        return self.kept.get(name)

    def forget(self, name: str) -> None:
        self.kept.pop(name, None)


def on_disk(store: DraftStore) -> bytes:
    return b"".join(path.read_bytes() for path in store.path.parent.glob(f"{store.path.name}*"))


def test_the_key_is_in_the_keeper_not_in_the_file_and_comes_back_on_reading(data_dir: Path) -> None:
    keeper = DictKeeper()
    store = DraftStore(keeper=keeper)
    draft = store.create(DraftKind.CREATE, third_party_config(apiKey=KEY))
    assert json.loads(keeper.kept[draft.draft_id]) == {"apiKey": KEY}
    assert store.get(draft.draft_id).config["apiKey"] == KEY
    assert [d.config["apiKey"] for d in store.list()] == [KEY]
    assert KEY.encode() not in on_disk(store)
    with sqlite3.connect(store.path) as db:
        (config,) = db.execute("SELECT config FROM drafts").fetchone()
    assert json.loads(config)["apiKey"] == MASK

    copy = store.duplicate(draft.draft_id)
    assert store.get(copy.draft_id).config["apiKey"] == KEY
    store.save(copy.__class__(**{**copy.__dict__, "config": {**copy.config, "apiKey": None}}))
    assert copy.draft_id not in keeper.kept  # the key was cleared: nothing kept for it any more

    submitted = store.mark_submitted(draft.draft_id, "job-1")
    assert submitted.config["apiKey"] == MASK and draft.draft_id not in keeper.kept
    with pytest.raises(InvalidInput, match="apiKey"):
        parse_create(submitted.request())  # a hidden key is never sent
    assert any(problem.field == "apiKey" for problem in store.get(draft.draft_id).problems())


def test_deleting_a_draft_forgets_its_key(data_dir: Path) -> None:
    keeper = DictKeeper()
    store = DraftStore(keeper=keeper)
    draft = store.create(DraftKind.CREATE, third_party_config(apiKey=KEY))
    store.delete(draft.draft_id)
    assert keeper.kept == {}


def test_without_a_keeper_a_draft_with_a_key_is_refused_and_nothing_is_written(data_dir: Path) -> None:
    store = DraftStore(keeper=NoKeeper())
    with pytest.raises(KeeperUnavailable, match="never stored in a plain file"):
        store.create(DraftKind.CREATE, third_party_config(apiKey=KEY))
    assert store.list() == []
    assert store.create(DraftKind.CREATE, third_party_config()).config.get("apiKey") is None


def test_a_schema_1_file_has_its_keys_moved_to_the_keeper_and_no_page_keeps_them(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    path = data_dir / "drafts.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE drafts (draft_id TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, base TEXT, "
            "deployment TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, submitted_at REAL, "
            "submitted_job TEXT); PRAGMA user_version = 1;"
        )
        for draft_id, key in (("a" * 32, KEY), ("b" * 32, None)):
            config = json.dumps(third_party_config(apiKey=key))
            db.execute("INSERT INTO drafts VALUES (?, 'create', ?, NULL, NULL, 1, 1, NULL, NULL)", (draft_id, config))
    path.chmod(0o644)
    keeper = DictKeeper()
    store = DraftStore(keeper=keeper)
    assert {d.draft_id: d.config["apiKey"] for d in store.list()} == {"a" * 32: KEY, "b" * 32: None}
    assert list(keeper.kept) == ["a" * 32]
    assert KEY.encode() not in on_disk(store)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_drafts_file_and_its_folder_are_private(store: DraftStore, data_dir: Path) -> None:
    store.create(DraftKind.CREATE, third_party_config())
    files = list(data_dir.glob("drafts.sqlite3*"))
    assert {path.name for path in files} >= {"drafts.sqlite3", "drafts.sqlite3-wal", "drafts.sqlite3-shm"}
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
