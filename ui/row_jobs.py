"""What a model's row says about this window's jobs on it: while one runs, the status it holds the model in and
its step, from the job's own events (a refresh would tell seconds later); after one failed and was rolled back, a
mark with the reason until the model's next successful change or a dismiss (kept per deployment in QSettings, so a
restart keeps it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QObject, QSettings

from engine.jobs.events import JobEvent, StepState
from ui.backend import JobEnd, JobKind
from ui.job_model import JobListModel
from ui.model_table import ModelTableModel, RowNote

HOLDING_STATUS: Final[dict[JobKind, str | None]] = {
    JobKind.CREATE: "Creating",
    JobKind.UPDATE: "Updating",
    JobKind.START: "Starting",
    JobKind.STOP: "Stopping",
    JobKind.DELETE: "Deleting",
    JobKind.SCHEDULE: None,
}
"""The status a job holds its model in; None: the model keeps its own (LISA's schedule routes leave it as it is)."""
STEP_WORDS: Final = {
    "ecs": "rollout",
    "capacity": "capacity",
    "litellm": "LiteLLM",
    "guardrail": "guardrails",
    "stack": "stack",
    "schedule": "schedule",
    "finalize": "finishing",
    "rollback": "rollback",
}
ROLLED_BACK_NOTE: Final = "reverted"
"""The rolled-back mark after the status ("InService · reverted"): short, for the Status column of a small screen;
the tooltip says "Last change rolled back" and why."""
MARKS_GROUP: Final = "rolledBack"


@dataclass
class _Running:
    kind: JobKind
    held: bool = False
    step: str = ""


class RowJobs(QObject):
    def __init__(
        self, table: ModelTableModel, jobs: JobListModel, settings: QSettings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._table = table
        self._jobs = jobs
        self._settings = settings
        self._running: dict[str, _Running] = {}
        """model id → this window's job on it, once its events arrive."""
        self._marks: dict[str, str] = {}
        """model id → why its last change was rolled back."""
        self._deployment: str | None = None

    def set_deployment(self, key: str | None) -> None:
        """The marks of this deployment (the running jobs stay: they belong to the window)."""
        for model_id in list(self._marks):
            self._marks.pop(model_id)
            self._show(model_id)
        self._deployment = key
        if key is None:
            return
        self._settings.beginGroup(self._group())
        try:
            for model_id in self._settings.childKeys():
                self._marks[model_id] = str(self._settings.value(model_id, ""))
        finally:
            self._settings.endGroup()
        for model_id in self._marks:
            self._show(model_id)

    def mark_of(self, model_id: str) -> str | None:
        return self._marks.get(model_id)

    def on_event(self, event: JobEvent) -> None:
        record = self._jobs.job(event.job_id)
        if record is None:
            return
        running = self._running.setdefault(event.model_id, _Running(record.ticket.kind))
        if event.step == "intake" and event.state is StepState.SUCCEEDED:
            running.held = True
        elif running.held and event.step in STEP_WORDS:
            running.step = STEP_WORDS[event.step]
        self._show(event.model_id)

    def on_end(self, end: JobEnd) -> None:
        self._running.pop(end.model_id, None)
        if end.ok:
            self._forget_mark(end.model_id)
        elif end.outcome in ("rolled-back", "cancelled") and end.final_status != "Failed":
            self._marks[end.model_id] = end.message
            if self._deployment is not None:
                self._settings.setValue(f"{self._group()}/{end.model_id}", end.message)
        self._show(end.model_id)

    def dismiss(self, model_id: str) -> None:
        self._forget_mark(model_id)
        self._show(model_id)

    def _forget_mark(self, model_id: str) -> None:
        if self._marks.pop(model_id, None) is not None and self._deployment is not None:
            self._settings.remove(f"{self._group()}/{model_id}")

    def _group(self) -> str:
        key = (self._deployment or "").replace("/", "_").replace("\\", "_")
        return f"{MARKS_GROUP}/{key}"

    def _show(self, model_id: str) -> None:
        running = self._running.get(model_id)
        if running is not None and running.held:
            status = HOLDING_STATUS[running.kind]
            words = running.step or ("scheduling" if status is None else "")
            note = RowNote(
                status,
                words,
                f"{running.kind.value.capitalize()} job of this window: {status or 'holds the model'}"
                + (f", {running.step}" if running.step else ""),
            )
            self._table.set_note(model_id, note)
            return
        mark = self._marks.get(model_id)
        if mark is not None:
            self._table.set_note(model_id, RowNote(None, ROLLED_BACK_NOTE, f"Last change rolled back: {mark}"))
            return
        self._table.set_note(model_id, None)
