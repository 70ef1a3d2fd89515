"""Offline drafts of model configurations, kept in one SQLite file so that they survive restarts and can be
read by the CLI while the window autosaves.

A draft's secret values (its API key) are not in the file: the store's `SecretKeeper` (the OS keychain) holds them,
one entry per draft, from the first save until the draft is deleted or submitted; the file holds `MASK` in their
place. The file and its folder are private to the user (0600 in 0700).

Every call opens its own short-lived connection (the window saves from the GUI thread, the CLI may read from
another process at the same moment); the file is in WAL mode, so readers never wait for a writer and writers
wait (up to `BUSY_TIMEOUT_S`) for each other instead of failing.

The store also keeps one idle connection open (no transaction: it blocks nobody). Without it each call's close
would be the file's last, which in WAL mode checkpoints the log into the file and deletes it, with fsyncs, on
every save (tests/bench/bench_drafts.py measures it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import platformdirs

from engine.config_edit import config_of, plain, unchangeable_edits, update_request_from
from engine.drafts.keeper import KeeperUnavailable, SecretKeeper, installed_keeper
from engine.errors import ConfigFileError, DraftNotFound, InvalidInput, Problem
from engine.private_files import private_dir, private_file
from engine.secrets import masked, revealed, secrets_of

APP_DIR_NAME: Final = "lisa-desktop"
"""lisa_desktop.APP_DIR_NAME (the engine does not import the composition root)."""
DATA_DIR_ENV: Final = "LISA_DESKTOP_DATA_DIR"
FILE_NAME: Final = "drafts.sqlite3"
SCHEMA_VERSION: Final = 2
"""1: secrets in `config`; 2: secrets in the keeper, `config` holds `MASK` in their place and `secret` is 1."""
BUSY_TIMEOUT_S: Final = 10.0
MIN_PREFIX: Final = 4

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS drafts (
    draft_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    base TEXT,
    deployment TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    submitted_at REAL,
    submitted_job TEXT,
    secret INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS drafts_by_update ON drafts (updated_at DESC);
"""
_COLUMNS: Final = (
    "draft_id, kind, config, base, deployment, created_at, updated_at, submitted_at, submitted_job, secret"
)


log = logging.getLogger(__name__)


class DraftKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"


class DraftStoreError(ConfigFileError):
    """The drafts file cannot be opened, read or written (corrupt, from a newer version, locked too long)."""


@dataclass(frozen=True)
class Draft:
    draft_id: str
    kind: DraftKind
    config: dict[str, Any]
    """The edited model configuration (CreateModelRequest shape), stored as typed: it may be invalid."""
    base: dict[str, Any] | None
    """UPDATE only: the model as the API returned it when the draft was started (with "status")."""
    deployment: str | None
    """A label of the deployment the base came from; informational."""
    created_at: float
    updated_at: float
    submitted_at: float | None = None
    submitted_job: str | None = None
    """The job that applied the draft, once one succeeded (the draft is kept: see `DraftStore.mark_submitted`)."""

    @property
    def model_id(self) -> str | None:
        for source in (self.config, self.base or {}):
            value = source.get("modelId")
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def title(self) -> str:
        model = self.model_id
        if self.kind is DraftKind.UPDATE:
            return f"Update {model or '(unknown model)'}"
        return f"Create {model}" if model else "Create (no model id yet)"

    def request(self) -> dict[str, Any]:
        """The API request the draft would submit: a CreateModelRequest (the config without API-only keys and
        unset values) or the UpdateModelRequest that turns the base into the config."""
        if self.kind is DraftKind.UPDATE:
            return update_request_from(config_of(self.base), self.config)
        return create_request(self.config)

    def problems(self) -> tuple[Problem, ...]:
        """Every rule the draft's request breaks, offline: the request's own rules and, for an update, the plan's
        rules against the base (what the model's hosting type allows). The model's status now and its live
        capacity are checked at submission."""
        if self.kind is DraftKind.CREATE:
            return _request_problems(DraftKind.CREATE, self.request())
        if self.base is None:
            return (Problem("base", "an update draft needs the configuration of the model it was started from"),)
        found = [
            Problem(path, "cannot be changed by an update (LISA has no update for it); create a new model")
            for path in unchangeable_edits(config_of(self.base), self.config)
        ]
        request = self.request()
        if not request:
            return (*found, Problem("draft", "changes nothing an update can carry"))
        found.extend(_request_problems(DraftKind.UPDATE, request, self.base))
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        return {
            "draftId": self.draft_id,
            "kind": self.kind.value,
            "title": self.title,
            "modelId": self.model_id,
            "deployment": self.deployment,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "submittedAt": self.submitted_at,
            "submittedJob": self.submitted_job,
            "config": self.config,
            "base": self.base,
        }


def _request_problems(
    kind: DraftKind, request: dict[str, Any], base: Mapping[str, Any] | None = None
) -> tuple[Problem, ...]:
    from engine.plan import plan  # pydantic and the rules: only when checking
    from engine.schema.record import ModelRecord
    from engine.schema.validate import parse_create, parse_update

    try:
        if kind is DraftKind.CREATE:
            parse_create(request)
            return ()
        change = parse_update(request)
    except InvalidInput as invalid:
        return invalid.problems
    try:
        record = ModelRecord(
            model_id=str(base.get("modelId") if base else ""),
            model_status=str((base or {}).get("status") or "InService"),
            config=config_of(base),
        )
    except ValueError:
        return ()  # a base with a status this version does not know: the plan is made at submission
    return tuple(problem for problem in plan(record, change).violations if problem.field != "status")


def create_request(config: Mapping[str, Any]) -> dict[str, Any]:
    """A CreateModelRequest from a configuration: API-only keys (status, ...) and unset (null) values left out."""
    request = {key: value for key, value in config_of(config).items() if value is not None}
    if request.get("modelUrl") == "":
        del request["modelUrl"]  # the API reports "" for a model without a URL; a create must not send it
    return plain(request)  # type: ignore[no-any-return]


def default_path() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    folder = Path(override) if override else Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    return folder / FILE_NAME


class DraftStore:
    """The saved drafts. Safe to use from several threads and processes at once."""

    def __init__(self, path: Path | None = None, keeper: SecretKeeper | None = None) -> None:
        """`keeper` holds the drafts' secret values; by default the one the composition root installed."""
        self.path = path or default_path()
        self._keeper = keeper
        self._ready = False
        self._lock = threading.Lock()
        self._anchor: sqlite3.Connection | None = None

    @property
    def keeper(self) -> SecretKeeper:
        return self._keeper or installed_keeper()

    def close(self) -> None:
        """Close the idle connection (the store reopens it when used again)."""
        with self._lock:
            if self._anchor is not None:
                self._anchor.close()
                self._anchor = None
            self._ready = False

    # -- public API --------------------------------------------------------------------------------------

    def create(
        self,
        kind: DraftKind,
        config: Mapping[str, Any],
        base: Mapping[str, Any] | None = None,
        deployment: str | None = None,
    ) -> Draft:
        kind = DraftKind(kind)
        if kind is DraftKind.UPDATE and base is None:
            raise InvalidInput([Problem("base", "an update draft needs the model's current configuration")], "draft")
        now = time.time()
        draft = Draft(
            draft_id=uuid.uuid4().hex,
            kind=kind,
            config=plain(config),
            base=plain(base) if base is not None and kind is DraftKind.UPDATE else None,
            deployment=deployment,
            created_at=now,
            updated_at=now,
        )
        self._write(draft)
        return draft

    def save(self, draft: Draft) -> Draft:
        """Insert or replace the draft; returns it with `updated_at` set to now."""
        saved = dataclasses.replace(draft, updated_at=time.time())
        self._write(saved)
        return saved

    def get(self, draft_id: str) -> Draft:
        """The draft with this id, or with this unique id prefix (at least 4 characters, as git takes them)."""
        wanted = draft_id.strip().lower()
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM drafts WHERE draft_id = ?", (wanted,)).fetchone()
            if row is None and len(wanted) >= MIN_PREFIX:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM drafts WHERE substr(draft_id, 1, ?) = ? ORDER BY draft_id LIMIT 6",
                    (len(wanted), wanted),
                ).fetchall()
                if len(rows) > 1:
                    shown = ", ".join(str(match[0])[:12] for match in rows[:5])
                    raise InvalidInput(
                        [Problem("draft id", f"'{draft_id}' is ambiguous: it starts {shown}; give more of the id")],
                        "draft",
                    )
                row = rows[0] if rows else None
        if row is None:
            hint = f"give at least {MIN_PREFIX} characters of the id" if len(wanted) < MIN_PREFIX else ""
            raise DraftNotFound(draft_id, hint)
        return self._draft(row)

    def list(self) -> list[Draft]:
        """Every draft, the most recently saved first."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM drafts ORDER BY updated_at DESC, rowid DESC").fetchall()
        return [self._draft(row) for row in rows]

    def delete(self, draft_id: str) -> None:
        draft = self.get(draft_id)
        with self._connect() as db:
            kept = self._holds_secret(db, draft.draft_id)
            db.execute("DELETE FROM drafts WHERE draft_id = ?", (draft.draft_id,))
        if kept:
            self.keeper.forget(draft.draft_id)

    def duplicate(self, draft_id: str) -> Draft:
        """A new draft with the same kind, configuration, base and deployment (not marked submitted)."""
        source = self.get(draft_id)
        return self.create(source.kind, source.config, source.base, source.deployment)

    def mark_submitted(self, draft_id: str, job_id: str) -> Draft:
        """Record that a job applied the draft. The draft is kept rather than deleted: the job's result is
        already in the model, but the draft is still the way to repeat the change elsewhere (another
        deployment, or the same model after a rollback), and deleting is one click away. Its secret values are
        not kept: they are in the model now (`MASK` stands in their place)."""
        draft = self.get(draft_id)
        draft = dataclasses.replace(draft, config=masked(draft.config), submitted_at=time.time(), submitted_job=job_id)
        self._write(draft)
        return draft

    # -- SQLite ------------------------------------------------------------------------------------------

    def _write(self, draft: Draft) -> None:
        """The draft in the file, its secret values in the keeper (first: a refusal writes nothing)."""
        secrets = secrets_of(draft.config)
        if secrets:
            self.keeper.keep(draft.draft_id, json.dumps(dict(secrets)))
        values = (
            draft.draft_id,
            draft.kind.value,
            json.dumps(masked(draft.config) if secrets else draft.config, ensure_ascii=False, default=str),
            None if draft.base is None else json.dumps(draft.base, ensure_ascii=False, default=str),
            draft.deployment,
            draft.created_at,
            draft.updated_at,
            draft.submitted_at,
            draft.submitted_job,
            int(bool(secrets)),
        )
        with self._connect() as db:
            forget = not secrets and self._holds_secret(db, draft.draft_id)
            db.execute(
                f"INSERT INTO drafts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (draft_id) DO UPDATE SET kind = excluded.kind, config = excluded.config, "
                "base = excluded.base, deployment = excluded.deployment, created_at = excluded.created_at, "
                "updated_at = excluded.updated_at, submitted_at = excluded.submitted_at, "
                "submitted_job = excluded.submitted_job, secret = excluded.secret",
                values,
            )
        if forget:
            self.keeper.forget(draft.draft_id)

    @staticmethod
    def _holds_secret(db: sqlite3.Connection, draft_id: str) -> bool:
        row = db.execute("SELECT secret FROM drafts WHERE draft_id = ?", (draft_id,)).fetchone()
        return bool(row and row[0])

    def _draft(self, row: tuple[Any, ...]) -> Draft:
        draft_id, kind, config, base, deployment, created, updated, submitted_at, submitted_job, secret = row
        stored = json.loads(config)
        return Draft(
            draft_id=draft_id,
            kind=DraftKind(kind),
            config=self._revealed(draft_id, stored) if secret else stored,
            base=None if base is None else json.loads(base),
            deployment=deployment,
            created_at=created,
            updated_at=updated,
            submitted_at=submitted_at,
            submitted_job=submitted_job,
        )

    def _revealed(self, draft_id: str, config: dict[str, Any]) -> dict[str, Any]:
        """The draft's configuration with its secret values from the keeper; `MASK` stays where it has none."""
        kept = self.keeper.recall(draft_id)
        try:
            values = json.loads(kept) if kept else {}
        except ValueError:
            values = {}
        if not isinstance(values, dict):
            return config
        return revealed(config, ((str(path), str(value)) for path, value in values.items()))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self._ready:
                self._prepare()
            with closing(self._open()) as db:
                yield db
        except sqlite3.Error as error:
            raise self._failure(error) from None

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.execute("PRAGMA synchronous = NORMAL")  # WAL: a power cut may lose the last autosave, never the file
        return db

    def _prepare(self) -> None:
        """Create the file and its table once, or check that an existing file is ours and readable."""
        with self._lock:
            if self._ready:
                return
            try:
                private_dir(self.path.parent)
                private_file(self.path)  # before SQLite makes it: its -wal and -shm files take its mode
            except OSError as error:
                raise DraftStoreError(f"{self.path}: cannot create the drafts file ({error})") from None
            with closing(self._open()) as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    raise DraftStoreError(
                        f"{self.path}: written by a newer LISA Desktop (drafts schema {version}; this version "
                        f"reads {SCHEMA_VERSION}): update LISA Desktop to open these drafts"
                    )
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                if version == 1:
                    self._move_secrets_out(db)
                elif version < SCHEMA_VERSION:
                    db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            anchor = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            anchor.execute("PRAGMA user_version").fetchone()  # the file is opened on first use, not on connect
            weakref.finalize(self, anchor.close)
            self._anchor = anchor
            self._ready = True

    def _move_secrets_out(self, db: sqlite3.Connection) -> None:
        """Schema 1 to 2: each draft's secret values from the file to the keeper (dropped, with a warning, where
        no keeper can hold them), then the file rebuilt so that no free page still holds them."""
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("ALTER TABLE drafts ADD COLUMN secret INTEGER NOT NULL DEFAULT 0")
            for draft_id, config in db.execute("SELECT draft_id, config FROM drafts").fetchall():
                stored = json.loads(config)
                secrets = secrets_of(stored)
                if not secrets:
                    continue
                try:
                    self.keeper.keep(draft_id, json.dumps(dict(secrets)))
                    kept = True
                except KeeperUnavailable as refusal:
                    log.warning("draft %s: its API key cannot be kept (%s): dropped from the draft", draft_id, refusal)
                    kept = False
                db.execute(
                    "UPDATE drafts SET config = ?, secret = ? WHERE draft_id = ?",
                    (json.dumps(masked(stored), ensure_ascii=False, default=str), int(kept), draft_id),
                )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _failure(self, error: sqlite3.Error) -> DraftStoreError:
        text = str(error)
        if isinstance(error, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return DraftStoreError(
                f"{self.path}: the drafts file is damaged ({text}); move it aside to start with no drafts"
            )
        if "locked" in text or "busy" in text:
            return DraftStoreError(
                f"{self.path}: the drafts file stayed locked by another program for {BUSY_TIMEOUT_S:.0f} s; try again"
            )
        return DraftStoreError(f"{self.path}: cannot use the drafts file ({text})")


__all__ = ["Draft", "DraftKind", "DraftStore", "DraftStoreError", "create_request", "default_path"]
