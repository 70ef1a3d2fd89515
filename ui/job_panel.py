"""The Jobs dock: every job the window started, the selected job's live events, and a way to cancel it."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from engine.jobs.events import JobEvent
from ui.backend import EndCallback, EventCallback, JobEnd, JobTicket
from ui.copyable import make_copyable
from ui.job_model import CANCELLING, Clock, JobColumn, JobEventModel, JobListModel, JobSummary, utc_now

CANCEL_TEXT = "Cancel job"
NOT_CANCELLABLE = (
    "A recovery or a takeover cannot be cancelled: it brings the model back to a settled state, then ends."
)
RUN_BY_NOT_CANCELLABLE = (
    "{who} runs this change and cannot cancel it: its execution goes on whatever this window does (closing the "
    "window only stops watching)."
)
NO_JOB_TEXT = "Select a job to see its events"


class JobSignals(QObject):
    """Carries a job's reports from the engine's worker threads to the GUI thread (Qt queues cross-thread emits)."""

    # Shadows QObject.event() for Python callers only; Qt still dispatches this object's events to the C++ one.
    event = Signal(object)  # type: ignore[assignment]
    """JobEvent"""
    ended = Signal(object)
    """JobEnd"""
    renamed = Signal(str, str)
    """(id it was tracked under, the job's own id): a takeover's, once its job has an id."""

    def callbacks(self) -> tuple[EventCallback, EndCallback]:
        """`on_event`, `on_end` for Backend.submit; safe to call from any thread."""

        def on_event(event: JobEvent) -> None:
            self.event.emit(event)

        def on_end(end: JobEnd) -> None:
            self.ended.emit(end)

        return on_event, on_end


class JobPanel(QDockWidget):
    job_finished = Signal(object)
    """JobEnd, once per job, after the panel shows it."""
    running_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = utc_now) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("jobPanel")
        # No Qt parent: the backend's callbacks hold these signals and may outlive the panel by a few events.
        self.signals = JobSignals()
        self.model = JobListModel(self, clock)
        self.events_model = JobEventModel(self)
        self._shown: str | None = None
        self._follow = True

        self.jobs_view = _table_view(self.model, "jobsView", (240, 95, 75, 62))
        self.jobs_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.events_view = _table_view(self.events_model, "eventsView", (70, 75, 95))
        self.copy_events_action = make_copyable(self.events_view)
        self.events_title = QLabel(NO_JOB_TEXT)
        self.events_title.setTextFormat(Qt.TextFormat.PlainText)
        self.outcome = QLabel()
        self.outcome.setObjectName("jobOutcome")
        self.outcome.setTextFormat(Qt.TextFormat.PlainText)
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.hide()
        self.cancel_button = QPushButton(CANCEL_TEXT)
        self.cancel_button.setEnabled(False)
        self.setWidget(self._layout())

        self.signals.event.connect(self._on_event)
        self.signals.ended.connect(self.model.finish)
        self.signals.renamed.connect(self._on_renamed)
        self.model.job_finished.connect(self._refresh_controls)
        self.model.job_finished.connect(self._fit_status)
        self.model.job_finished.connect(self.job_finished)
        self.model.running_changed.connect(self.running_changed)
        self.jobs_view.selectionModel().selectionChanged.connect(self._on_selection)
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.model.rowsRemoved.connect(self._forget_removed)
        self.events_model.rowsAboutToBeInserted.connect(self._note_at_bottom)
        self.events_model.rowsInserted.connect(self._follow_newest)
        self.events_model.modelReset.connect(self.events_view.scrollToBottom)

    def _layout(self) -> QWidget:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 4, 0, 0)
        bar.addWidget(self.events_title, 1)
        bar.addWidget(self.cancel_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(bar)
        lower_layout.addWidget(self.outcome)
        lower_layout.addWidget(self.events_view, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.jobs_view)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        return body

    # -- public ---------------------------------------------------------------------------------------------

    def track(self, ticket: JobTicket, title: str) -> None:
        """Show a job just submitted (GUI thread, right after submit); it is selected when nothing else is."""
        self.model.track(ticket, title)
        if not self.jobs_view.selectionModel().hasSelection():
            self.jobs_view.setCurrentIndex(self.model.index_of(ticket.job_id))

    def focus_job(self, job_id: str) -> bool:
        """Select the job and bring the panel forward; False when the panel does not know that job."""
        index = self.model.index_of(job_id)
        if not index.isValid():
            return False
        self.jobs_view.setCurrentIndex(index)
        self.jobs_view.scrollTo(index)
        self.show()
        self.raise_()
        return True

    def running_count(self) -> int:
        return self.model.running_count()

    def cancel_all(self) -> int:
        """Ask every running job that can be cancelled to stop (each rolls back); how many were asked."""
        asked = sum(1 for job_id in self.model.running_jobs() if self.model.request_cancel(job_id))
        self._refresh_controls()
        return asked

    def running_models(self) -> set[str]:
        return self.model.running_models()

    def history(self, model_id: str) -> list[JobSummary]:
        """The model's jobs with their events, newest first."""
        return self.model.history(model_id)

    def shown_job(self) -> str | None:
        """The id of the job whose events are on show."""
        return self._shown

    # -- slots ----------------------------------------------------------------------------------------------

    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        self.model.add_event(event)
        if event.job_id == self._shown:
            self.events_model.append(event)

    @Slot(str, str)
    def _on_renamed(self, old_id: str, new_id: str) -> None:
        self.model.rename(old_id, new_id)
        job = self.model.job(new_id)
        if self._shown == old_id and job is not None:
            self._shown = new_id
            self.events_model.show(job.events)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.jobs_view.selectionModel().selectedRows()
        job = self.model.job_at(rows[0].row()) if rows else None
        self._shown = job.job_id if job else None
        self.events_model.show(job.events if job else ())
        self.events_title.setText(f"Events of {job.title}" if job else NO_JOB_TEXT)
        self._refresh_controls()

    @Slot()
    def _refresh_controls(self) -> None:
        job = self.model.job(self._shown) if self._shown else None
        running = job is not None and job.running
        cancelling = running and job is not None and job.cancelling
        cancellable = job is not None and job.ticket.cancellable
        self.cancel_button.setEnabled(running and cancellable and not cancelling)
        self.cancel_button.setText(CANCELLING if cancelling else CANCEL_TEXT)
        refusal = NOT_CANCELLABLE
        if job is not None and job.ticket.run_by:
            refusal = RUN_BY_NOT_CANCELLABLE.format(who=job.ticket.run_by)
        self.cancel_button.setToolTip("" if cancellable or not running else refusal)
        ended = job.end if job is not None else None
        self.outcome.setText(f"{job.state}: {ended.message}" if job is not None and ended is not None else "")
        self.outcome.setVisible(ended is not None)

    @Slot()
    def _fit_status(self) -> None:
        """Widen the status column for an outcome longer than the usual ones (`Recovered: settled already`)."""
        column = JobColumn.STATUS
        needed = self.jobs_view.sizeHintForColumn(column)
        if needed > self.jobs_view.columnWidth(column):
            self.jobs_view.setColumnWidth(column, needed)

    def cancel_shown(self) -> bool:
        """Cancel the job the panel shows, as its Cancel button would; False when that button is not offered."""
        if not self.cancel_button.isEnabled():
            return False
        self._cancel_selected()
        return True

    @Slot()
    def _cancel_selected(self) -> None:
        if self._shown is not None:
            self.model.request_cancel(self._shown)
        self._refresh_controls()

    @Slot()
    def _note_at_bottom(self) -> None:
        bar = self.events_view.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum()

    @Slot()
    def _follow_newest(self) -> None:
        if self._follow:
            self.events_view.scrollToBottom()

    @Slot()
    def _forget_removed(self) -> None:
        if self._shown is not None and self.model.job(self._shown) is None:
            self.jobs_view.clearSelection()
            self._shown = None
            self.events_model.show(())
            self.events_title.setText(NO_JOB_TEXT)
            self._refresh_controls()


def _table_view(model: JobListModel | JobEventModel, name: str, widths: tuple[int, ...]) -> QTreeView:
    """A flat, row-selecting list whose last column (the message) takes the remaining width."""
    view = QTreeView()
    view.setObjectName(name)
    view.setModel(model)
    view.setRootIsDecorated(False)
    view.setUniformRowHeights(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = view.header()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for column, width in enumerate(widths):
        view.setColumnWidth(column, width)
    return view
