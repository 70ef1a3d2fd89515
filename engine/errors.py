"""One hierarchy of domain errors; the CLI and the UI turn each into a readable message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule: the field it is about (dotted path, LISA's names) and the rule in words."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class LisaDesktopError(Exception):
    """Base of every error the engine raises on purpose."""


class InvalidInput(LisaDesktopError, ValueError):
    """The input breaks one or more rules; nothing was changed."""

    def __init__(self, problems: Iterable[Problem], subject: str = "input") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.subject = subject
        count = len(self.problems)
        lines = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{count - 5} more)" if count > 5 else ""
        super().__init__(f"{subject}: {count} problem{'s' if count != 1 else ''}: {lines}{more}")


class ConfigFileError(LisaDesktopError):
    """A configuration file cannot be read or parsed (before any schema rule applies)."""


class StatusNotAllowed(LisaDesktopError):
    """The model's status does not allow the operation."""


class ModelNotFound(LisaDesktopError):
    """No model with this id exists in the deployment."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        super().__init__(f"model '{model_id}' was not found")
