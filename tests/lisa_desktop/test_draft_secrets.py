"""The drafts' keeper is the OS keychain: one entry per draft; where there is none, keeping a key is refused as
for connections, and reading or forgetting finds nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from engine.drafts.keeper import KeeperUnavailable
from engine.drafts.store import DraftKind, DraftStore
from engine.jobs.journal import Journal
from lisa_desktop.draft_secrets import ACCOUNT_PREFIX, KeychainKeeper
from lisa_desktop.keychain import SERVICE
from tests.engine.factories import third_party_config
from tests.keyrings import MemoryKeyring

KEY = "sk-draft-in-keychain-42"


def test_a_drafts_key_is_one_keychain_entry_removed_with_the_draft(memory_keyring: MemoryKeyring) -> None:
    store = DraftStore(keeper=KeychainKeeper())
    draft = store.create(DraftKind.CREATE, third_party_config(apiKey=KEY))
    assert list(memory_keyring.secrets) == [(SERVICE, ACCOUNT_PREFIX + draft.draft_id)]
    assert store.get(draft.draft_id).config["apiKey"] == KEY
    store.delete(draft.draft_id)
    assert memory_keyring.secrets == {}


@pytest.mark.usefixtures("no_keyring")
def test_with_no_keychain_a_draft_with_a_key_is_refused_as_connections_are() -> None:
    store = DraftStore(keeper=KeychainKeeper())
    with pytest.raises(KeeperUnavailable, match=r"no OS keychain is available here .*never stored in a plain file"):
        store.create(DraftKind.CREATE, third_party_config(apiKey=KEY))
    plain = store.create(DraftKind.CREATE, third_party_config())
    store.delete(plain.draft_id)  # nothing to forget, nothing refused
    assert store.list() == []


def test_the_job_journal_and_its_locks_are_private(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "data" / "jobs.sqlite3")
    recorder = journal.begin("job-1", "create", "m", "sandbox", {"apiKey": KEY})
    files = [path for path in (tmp_path / "data").rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"jobs.sqlite3", "job-1.lock"}
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert {stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "data").rglob("*") if path.is_dir()} == {0o700}
    assert KEY.encode() not in b"".join(path.read_bytes() for path in files)
    del recorder
