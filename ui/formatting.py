"""How row values read on screen; one place, so the table, the details pane and the job panel agree."""

from __future__ import annotations

from datetime import datetime

from engine.model_row import ModelRow

UNKNOWN = "–"


def capacity_text(row: ModelRow) -> str:
    parts = (row.min_capacity, row.desired_capacity, row.max_capacity)
    if all(part is None for part in parts):
        return UNKNOWN
    return " / ".join(UNKNOWN if part is None else str(part) for part in parts)


def local_time(epoch_ms: int | None) -> str:
    """`2026-11-27 14:03` in the workstation's time zone; '' when unknown."""
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def ago(seconds: float) -> str:
    """'just now', '12 s ago', '3 min ago', '2 h ago'."""
    if seconds < 2:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"
