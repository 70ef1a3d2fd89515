"""A failure's root cause as a job reports it and the window shows it: plain data, cheap to import (what gathers it
from AWS is `engine.jobs.root_cause`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.jobs.events import JobEvent

DATA_KEY: Final = "rootCause"
"""The key of a failure event's data that holds `RootCause.to_data()`."""
SUMMARY_ITEMS: Final = 3
SUMMARY_LIMIT: Final = 480
ITEM_LIMIT: Final = 240
_ERROR_WORDS: Final = ("error", "exception", "fatal", "traceback", "killed", "failed")


@dataclass(frozen=True)
class LogExcerpt:
    group: str
    stream: str
    lines: tuple[str, ...]

    @property
    def telling_line(self) -> str | None:
        """The last line that reads like an error, else the last non-blank one."""
        lines = [line.strip() for line in self.lines if line.strip()]
        errors = [line for line in lines if any(word in line.lower() for word in _ERROR_WORDS)]
        chosen = errors or lines
        return chosen[-1] if chosen else None


@dataclass(frozen=True)
class ConsoleLink:
    label: str
    url: str


@dataclass(frozen=True)
class RootCause:
    """What AWS says about a failure, in lines: `items` (stopped tasks, failed activities, unhealthy targets, one
    line each), the container's last log lines, the sources that could not be read, and where to look further."""

    items: tuple[str, ...] = ()
    log: LogExcerpt | None = None
    unread: tuple[str, ...] = ()
    links: tuple[ConsoleLink, ...] = ()
    arns: tuple[tuple[str, str], ...] = ()
    """(what, ARN) pairs to copy."""

    @property
    def found(self) -> bool:
        return bool(self.items or (self.log and self.log.lines))

    def lines(self) -> list[str]:
        """One line per finding, then one per unread source."""
        found = list(self.items)
        if self.log is not None:
            telling = self.log.telling_line
            found.append(f"container log: {cut_to(telling, ITEM_LIMIT)}" if telling else "container log: no lines")
        return found + [f"not read: {note}" for note in self.unread]

    def summary(self) -> str:
        """One line: the first findings (or, when nothing was found, what could not be read)."""
        lines = self.lines()
        findings = [line for line in lines if not line.startswith("not read: ")] or lines
        return cut_to("; ".join(findings[:SUMMARY_ITEMS]), SUMMARY_LIMIT) if findings else "nothing found"

    def to_data(self) -> dict[str, Any]:
        """JSON-safe, for an event's data (`DATA_KEY`)."""
        return {
            "items": list(self.items),
            "log": None
            if self.log is None
            else {"group": self.log.group, "stream": self.log.stream, "lines": list(self.log.lines)},
            "unread": list(self.unread),
            "links": [{"label": link.label, "url": link.url} for link in self.links],
            "arns": [{"label": label, "arn": arn} for label, arn in self.arns],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RootCause:
        log = data.get("log")
        return cls(
            items=tuple(str(item) for item in data.get("items") or ()),
            log=LogExcerpt(str(log["group"]), str(log["stream"]), tuple(str(line) for line in log.get("lines") or ()))
            if isinstance(log, Mapping)
            else None,
            unread=tuple(str(note) for note in data.get("unread") or ()),
            links=tuple(ConsoleLink(str(link["label"]), str(link["url"])) for link in data.get("links") or ()),
            arns=tuple((str(arn["label"]), str(arn["arn"])) for arn in data.get("arns") or ()),
        )


def last_root_cause(events: Iterable[JobEvent]) -> RootCause | None:
    """The root cause carried by the latest event that has one (None if none has)."""
    found: RootCause | None = None
    for event in events:
        data = event.data.get(DATA_KEY)
        if isinstance(data, Mapping):
            found = RootCause.from_data(data)
    return found


def cut_to(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
