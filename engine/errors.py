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

    def __init__(self, problems: Iterable[Problem], subject: str = "input", warnings: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.subject = subject
        self.warnings: tuple[Problem, ...] = tuple(warnings)
        """What is not a problem but worth naming (fields LISA ignores): not counted, not in the message."""
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


class DraftNotFound(LisaDesktopError):
    """No saved draft has this id (or unique id prefix)."""

    def __init__(self, draft_id: str, hint: str = "") -> None:
        self.draft_id = draft_id
        super().__init__(f"draft '{draft_id}' was not found{f' ({hint})' if hint else ''}")


class DraftConflict(LisaDesktopError):
    """The model changed since the draft was based on it; the draft is not submitted until it is rebased."""

    def __init__(self, model_id: str, fields: Iterable[str]) -> None:
        self.model_id = model_id
        self.fields: tuple[str, ...] = tuple(fields)
        changed = ", ".join(self.fields[:5]) + (f" (+{len(self.fields) - 5} more)" if len(self.fields) > 5 else "")
        super().__init__(
            f"model '{model_id}' changed since the draft was started ({changed or 'its status'}): "
            "review the comparison and rebase the draft on the model as it is now"
        )


class ModelInUse(StatusNotAllowed):
    """RAG repositories, collections or pipelines use the model, so it cannot be deleted (LISA's delete handler
    refuses it with 409). A refusal like a status that does not allow the operation: same exit code, nothing
    written."""

    def __init__(self, model_id: str, users: Iterable[str]) -> None:
        self.model_id = model_id
        self.users: tuple[str, ...] = tuple(users)
        super().__init__(
            f"cannot delete '{model_id}': it is in use by {', '.join(self.users)}. Give each of them another "
            "embedding model or remove it in LISA's RAG administration, then delete the model again; "
            "nothing was changed"
        )
