"""The last rows seen of each deployment, on disk: the window paints them at start-up, before the first refresh.

One JSON file per deployment (named by a hash of its cache key) under the user's cache directory, or
`LISA_DESKTOP_CACHE_DIR`. A file that cannot be read, or was written for another row format or key, is
ignored: the snapshot is a convenience, never a reason to fail.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import platformdirs

from engine.model_row import ROW_FORMAT, ModelRow
from lisa_desktop import APP_DIR_NAME

CACHE_DIR_ENV: Final = "LISA_DESKTOP_CACHE_DIR"
SNAPSHOT_FORMAT: Final = 1
"""The file's own layout; the rows' layout is `ROW_FORMAT`."""

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))


@dataclass(frozen=True)
class Snapshot:
    rows: list[ModelRow]
    saved_at: float
    """Epoch seconds."""
    stack_cache: dict[str, Any] = field(default_factory=dict)
    """`StackGateway.export_cache()` as it was when the rows were saved."""

    def age_seconds(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.saved_at)


class SnapshotStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or cache_dir() / "snapshots"

    def path(self, cache_key: str) -> Path:
        digest = hashlib.sha256(cache_key.encode()).hexdigest()[:24]
        return self.directory / f"{digest}.json"

    def save(
        self,
        cache_key: str,
        rows: Sequence[ModelRow],
        stack_cache: Mapping[str, Any] | None = None,
        *,
        saved_at: float | None = None,
    ) -> Path:
        """Write the snapshot, and its rows without details for the first paint, each atomically."""
        document = {
            "format": SNAPSHOT_FORMAT,
            "rowFormat": ROW_FORMAT,
            "key": cache_key,
            "savedAt": time.time() if saved_at is None else saved_at,
            "rows": [row.to_json() for row in rows],
            "stackCache": dict(stack_cache or {}),
        }
        target = self.path(cache_key)
        _write_atomically(target, document)
        faces = [row.to_json() | {"config": {}, "live": None} for row in rows]
        _write_atomically(self.faces_path(cache_key), document | {"rows": faces, "stackCache": {}})
        return target

    def faces_path(self, cache_key: str) -> Path:
        """The rows without their configuration and live details: a tenth of the size, for the first paint."""
        return self.path(cache_key).with_suffix(".faces.json")

    def load_faces(self, cache_key: str) -> Snapshot | None:
        """The saved rows as the table draws them (empty `config`, no `live`), fast enough to paint at start-up;
        `load()` gives the whole snapshot."""
        return self._load(cache_key, self.faces_path(cache_key)) if cache_key else None

    def load(self, cache_key: str) -> Snapshot | None:
        """The saved snapshot of this deployment; None when there is none or it cannot be used."""
        return self._load(cache_key, self.path(cache_key)) if cache_key else None

    def _load(self, cache_key: str, path: Path) -> Snapshot | None:
        collecting = gc.isenabled()
        gc.disable()  # tens of thousands of new containers would set off full collections of the whole heap
        try:
            document = json.loads(path.read_bytes())
            if (
                document.get("format") != SNAPSHOT_FORMAT
                or document.get("rowFormat") != ROW_FORMAT
                or document.get("key") != cache_key
            ):
                return None
            rows = [ModelRow.from_json(raw) for raw in document["rows"]]
            stack_cache = document.get("stackCache")
            return Snapshot(
                rows=rows,
                saved_at=float(document["savedAt"]),
                stack_cache=stack_cache if isinstance(stack_cache, dict) else {},
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            log.info("ignoring the unreadable snapshot %s: %s", path, error)
            return None
        finally:
            if collecting:
                gc.enable()

    def clear(self, cache_key: str) -> None:
        for path in (self.path(cache_key), self.faces_path(cache_key)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _write_atomically(target: Path, document: Mapping[str, Any]) -> None:
    """A temporary file renamed over the old one: a reader never sees half a snapshot."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(document, separators=(",", ":")))  # json.dump would not use the C encoder
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
