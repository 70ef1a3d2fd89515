"""The audit log of the deployment: every journaled job of this workstation (recovered ones included) with who ran
it, its plan, its steps and how it ended; and the lines the details pane shows for one model."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.backend import Backend, JournalEntry
from ui.background import Background
from ui.job_model import GREEN, GREY, ORANGE, RED, JobSummary

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

SESSION_ONLY = "The built-in sandbox ends with the app, and so does the journal of its jobs: this session's only."
HEADERS = ("Started", "Job", "Outcome", "By", "Host", "Recovered by")
OUTCOME_COLOURS = {"succeeded": GREEN, "rolled-back": ORANGE, "failed": RED, "cancelled": GREY, "refused": ORANGE}


def when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp is not None else "–"


def clock(stamp: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp)) if stamp is not None else "–"


def outcome_of(entry: JournalEntry) -> str:
    """`succeeded (Stopped)`, `running`, `interrupted: its process is gone`, `rolled-back (InService)`."""
    job = entry.job
    if entry.state == "interrupted":
        return "interrupted: its process is gone (recovered when the window opens on this deployment)"
    if job.outcome is None:
        return entry.state
    return f"{job.outcome} ({job.final_status})" if job.final_status else job.outcome


def who(caller: str | None) -> str:
    """The caller's ARN shortened to what tells people apart: `user/alice`, `assumed-role/Admin/alice`."""
    if not caller:
        return "unknown caller"
    return caller.split(":", 5)[-1] if caller.startswith("arn:") else caller


def audit_line(entry: JournalEntry) -> str:
    """One job of a model for the details pane: when, kind, by whom, outcome, recovered by."""
    job = entry.job
    by = f"by {who(job.caller)} on {job.host}" if job.caller else f"on {job.host}"  # known once it holds the model
    line = f"{when(job.started_at)}  {job.kind} — {outcome_of(entry)} · {by}"
    if job.recovered_by:
        line += f" · recovered by {who(job.recovered_by)}"
    return line


def session_line(summary: JobSummary) -> str:
    """A job of this window that is not in the journal (the sandbox's, or one refused before it began)."""
    started = summary.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    took = f" ({round((summary.ended - summary.started).total_seconds())} s)" if summary.ended else ""
    outcome = f": {summary.message}" if summary.message else ""
    return f"{started}  {summary.title} — {summary.state}{took}{outcome}"


def model_history(session: Sequence[JobSummary], journaled: Sequence[JournalEntry]) -> list[str]:
    """The model's jobs, newest first: from the journal, and this window's jobs the journal does not hold."""
    known = {entry.job.job_id for entry in journaled}
    dated: list[tuple[float, str]] = [(entry.job.started_at, audit_line(entry)) for entry in journaled]
    dated += [(s.started.timestamp(), session_line(s)) for s in session if s.job_id not in known]
    return [line for _, line in sorted(dated, key=lambda pair: pair[0], reverse=True)]


def _detail(data: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in data.items() if key != "holder")


def _job_item(entry: JournalEntry) -> QTreeWidgetItem:
    job = entry.job
    recovered = who(job.recovered_by) if job.recovered_by else ""
    item = QTreeWidgetItem(
        [when(job.started_at), f"{job.kind} of {job.model_id}", outcome_of(entry), who(job.caller), job.host, recovered]
    )
    item.setToolTip(3, job.caller or "")
    item.setToolTip(5, job.recovered_by or "")
    colour = RED if entry.state == "interrupted" else OUTCOME_COLOURS.get(job.outcome or "")
    if colour is not None:
        item.setForeground(2, colour)
    item.setData(0, Qt.ItemDataRole.UserRole, job.job_id)
    lines = [f"job {job.job_id}, process {job.pid}"]
    changes = job.plan.get("changes")
    if isinstance(changes, list):
        lines += [
            f"change: {change.get('field')}: {change.get('old')!r} → {change.get('new')!r}"
            for change in changes
            if isinstance(change, dict)
        ]
    lines += [f"{clock(point.at)}  {point.step} {point.phase}  {_detail(point.data)}".rstrip() for point in job.points]
    if job.message:
        lines.append(f"{clock(job.ended_at)}  end: {job.message}")
    for line in lines:
        child = QTreeWidgetItem([line])
        child.setToolTip(0, line)
        item.addChild(child)
    return item


class JobHistoryDialog(QDialog):
    """Every journaled job of the deployment, newest first; a job's row opens on its plan and steps. Read on a
    worker thread when shown and on Refresh."""

    def __init__(self, parent: QWidget | None, backend: Backend, background: Background) -> None:
        super().__init__(parent)
        self.setObjectName("jobHistoryDialog")
        self.setWindowTitle("Job history")
        self.backend = backend
        self.background = background
        self._task: asyncio.Task[None] | None = None
        self.note = QLabel()
        self.note.setObjectName("jobHistoryNote")
        self.note.setWordWrap(True)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter by model, kind, outcome or caller")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self._apply_filter)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.tree = QTreeWidget()
        self.tree.setObjectName("jobHistoryTree")
        self.tree.setHeaderLabels(list(HEADERS))
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        for column, width in enumerate((175, 260, 230, 190, 110)):
            self.tree.setColumnWidth(column, width)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.entries: list[JournalEntry] = []
        self.resize(1180, 560)

    def reload(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self.note.setText("Reading the job journal…")
        self.refresh_button.setEnabled(False)
        self._task = self.background.start(self._load(), what="reading the job history")

    async def _load(self) -> None:
        try:
            entries = await self.background.run(self.backend.job_history)
        except Exception as error:
            log.exception("reading the job journal failed")
            self.show_entries([], f"Cannot read the job journal: {self.backend.describe_error(error)}")
            return
        finally:
            self.refresh_button.setEnabled(True)
        self.show_entries(entries)

    def show_entries(self, entries: Sequence[JournalEntry], problem: str | None = None) -> None:
        self.entries = list(entries)
        self.tree.clear()
        items = [_job_item(entry) for entry in reversed(self.entries)]
        self.tree.addTopLevelItems(items)
        for item in items:  # a step's data is long: the whole width, not a column's (only once in the tree)
            for index in range(item.childCount()):
                child = item.child(index)
                if child is not None:
                    child.setFirstColumnSpanned(True)
        if problem is not None:
            self.note.setText(problem)
        else:
            count = len(self.entries)
            interrupted = sum(1 for entry in self.entries if entry.state == "interrupted")
            self.note.setText(
                f"{count} job{'s' if count != 1 else ''} of this workstation on this deployment; expand a job for "
                "its plan and steps."
                + (f" {interrupted} interrupted." if interrupted else "")
                + ("" if self.backend.journaled else f" {SESSION_ONLY}")
            )
        self._apply_filter(self.filter_box.text())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is None:
                continue
            shown = not needle or any(needle in item.text(column).lower() for column in range(len(HEADERS)))
            item.setHidden(not shown)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._task is not None:
            self._task.cancel()
        super().closeEvent(event)
