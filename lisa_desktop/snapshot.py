"""The last rows seen of each deployment, on disk: the window paints them at start-up, before the first refresh.

One file per deployment (named by a hash of its cache key) under the user's cache directory, or
`LISA_DESKTOP_CACHE_DIR`: JSON lines, a header object (formats, key, time, order) then one row per line. It is
written and read a row (or a few hundred) per JSON call, so saving or loading thousands of rows on a worker thread
never holds the GIL for long, as one `json.dumps` of the whole document would.
A file that cannot be read, or was written for another row format or key, is ignored: the snapshot is a
convenience, never a reason to fail. The rows' API keys are masked (`engine.aws.rows`); the files are 0600 in
0700 folders.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import platformdirs

from engine.model_row import ROW_FORMAT, ModelRow
from engine.private_files import private_dir
from lisa_desktop import APP_DIR_NAME

CACHE_DIR_ENV: Final = "LISA_DESKTOP_CACHE_DIR"
SNAPSHOT_FORMAT: Final = 4
"""The file's own layout; the rows' layout is `ROW_FORMAT`."""
ROWS_PER_PARSE: Final = 250
"""Rows parsed per json.loads call when loading: each call holds the GIL while it runs."""

_COMPACT: Final = (",", ":")

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))


@dataclass(frozen=True)
class Snapshot:
    rows: list[ModelRow]
    saved_at: float
    """Epoch seconds."""
    more: int = 0
    """Rows the file holds after `rows`, when only its first rows were read (`load_faces(first=...)`)."""
    order: str | None = None
    """The order the rows were saved in, as `save()` was told."""

    def age_seconds(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.saved_at)


RESAVE_EVERY_S: Final = 600.0
"""An unchanged deployment's snapshot is still rewritten this often, so its time says how fresh its rows are."""


class SaveSchedule:
    """Which refreshes' rows need writing: those that differ from the rows last written, and any once the last
    write is `every_s` old. Writing thousands of rows is Python work on a worker, each of whose GIL hand-overs
    can delay a call into Python on the GUI thread: a full refresh every 30 s that changed nothing need not.
    A refresh keeps each unchanged row's object, so unchanged means the same objects in the same order."""

    def __init__(self, every_s: float = RESAVE_EVERY_S) -> None:
        self.every_s = every_s
        self._last: tuple[str, str | None, list[ModelRow], float] | None = None

    def due(self, cache_key: str, order: str | None, rows: Sequence[ModelRow], now: float) -> bool:
        """Whether to write `rows` now (`now` in monotonic seconds); if so, they are taken as written."""
        last = self._last
        if (
            last is not None
            and (last[0], last[1]) == (cache_key, order)
            and now - last[3] < self.every_s
            and len(last[2]) == len(rows)
            and all(old is new for old, new in zip(last[2], rows, strict=True))
        ):
            return False
        self._last = (cache_key, order, list(rows), now)
        return True


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
        *,
        saved_at: float | None = None,
        order: str | None = None,
    ) -> Path:
        """Write the snapshot, and its rows without details for the first paint, each atomically. `order` names
        the order `rows` are in, if it is the table's (`load_faces` can then read just the first screenful)."""
        header = {
            "format": SNAPSHOT_FORMAT,
            "rowFormat": ROW_FORMAT,
            "key": cache_key,
            "savedAt": time.time() if saved_at is None else saved_at,
            "order": order,
        }
        target = self.path(cache_key)
        _write_atomically(target, header, (row.to_json() for row in rows))
        faces = (row.to_face() for row in rows)
        _write_atomically(self.faces_path(cache_key), header, faces)
        return target

    def faces_path(self, cache_key: str) -> Path:
        """The rows without their configuration and live details: a tenth of the size, for the first paint."""
        return self.path(cache_key).with_suffix(".faces.json")

    def load_faces(self, cache_key: str, *, first: int | None = None, order: str | None = None) -> Snapshot | None:
        """The saved rows as the table draws them (empty `config`, no `live`), fast enough to paint at start-up;
        `load()` gives the whole snapshot. With `first`, only the first rows when the rows were saved in `order`
        (a screenful rather than thousands): `Snapshot.more` counts the rest."""
        if not cache_key:
            return None
        return self._load(cache_key, self.faces_path(cache_key), ModelRow.from_face, first, order)

    def load(self, cache_key: str) -> Snapshot | None:
        """The saved snapshot of this deployment; None when there is none or it cannot be used."""
        return self._load(cache_key, self.path(cache_key), ModelRow.from_json) if cache_key else None

    def _load(
        self,
        cache_key: str,
        path: Path,
        row_of: Callable[[Any], ModelRow],
        first: int | None = None,
        order: str | None = None,
    ) -> Snapshot | None:
        try:
            top, _, rest = path.read_text(encoding="utf-8").partition("\n")
            header = json.loads(top)
            if (
                header.get("format") != SNAPSHOT_FORMAT
                or header.get("rowFormat") != ROW_FORMAT
                or header.get("key") != cache_key
            ):
                return None
            lines = rest.split("\n") if rest else []  # not splitlines(): it also splits at U+2028 and kin
            in_file = len(lines)
            if first is not None and order is not None and header.get("order") == order:
                del lines[first:]
            rows: list[ModelRow] = []
            for start in range(0, len(lines), ROWS_PER_PARSE):
                chunk = json.loads(f"[{','.join(lines[start : start + ROWS_PER_PARSE])}]")
                rows.extend(map(row_of, chunk))
            return Snapshot(
                rows=rows,
                saved_at=float(header["savedAt"]),
                more=in_file - len(rows),
                order=order_saved if isinstance(order_saved := header.get("order"), str) else None,
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            log.info("ignoring the unreadable snapshot %s: %s", path, error)
            return None

    def clear(self, cache_key: str) -> None:
        for path in (self.path(cache_key), self.faces_path(cache_key)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _write_atomically(target: Path, header: Mapping[str, Any], rows: Iterable[object]) -> None:
    """The header and the rows, a line each, to a temporary file renamed over the old one: a reader never sees
    half a snapshot. One json.dumps per row (json.dump would not use the C encoder)."""
    private_dir(target.parent)  # mkstemp makes the file 0600
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(header, separators=_COMPACT, ensure_ascii=False))
            for row in rows:
                out.write("\n")
                out.write(json.dumps(row, separators=_COMPACT, ensure_ascii=False))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
