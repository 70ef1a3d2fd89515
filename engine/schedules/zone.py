"""The workstation's IANA time zone: what a new schedule defaults to (UTC when it cannot be told)."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from typing import Final

LOCALTIME: Final = Path("/etc/localtime")
TIMEZONE_FILE: Final = Path("/etc/timezone")


def _valid(name: str) -> str | None:
    name = name.strip().lstrip(":")
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def workstation_zone() -> str:
    """$TZ when it names an IANA zone, else the zone /etc/localtime links to, else /etc/timezone's, else UTC."""
    from_env = _valid(os.environ.get("TZ", ""))
    if from_env:
        return from_env
    try:
        target = str(LOCALTIME.resolve()) if LOCALTIME.is_symlink() else ""
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        linked = _valid(target.split("zoneinfo/", 1)[1])
        if linked:
            return linked
    try:
        named = _valid(TIMEZONE_FILE.read_text(encoding="utf-8"))
    except OSError:
        named = None
    return named or "UTC"
