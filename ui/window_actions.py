"""The window's actions (menus, toolbar, shortcuts), offered or refused with the reason in their tool tip."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from engine.model_row import ModelRow
from engine.rules.status import Operation
from ui.action_gates import context_window_refusal, default_model_refusal, selection_refusal, unreadable_text
from ui.holds import HoldState, takeover_refusal

CONFIG_PENDING = "the configuration arrives with the first refresh (the rows shown are cached)"

HoldOf = Callable[[ModelRow], tuple[HoldState | None, bool]]
"""A row's hold now, and whether a job of this window holds it."""


class ActionHandlers(Protocol):
    def create_model(self) -> None: ...
    def update_model(self) -> None: ...
    def start_selected(self) -> None: ...
    def stop_selected(self) -> None: ...
    def delete_selected(self) -> None: ...
    def set_default_selected(self) -> None: ...
    def edit_context_window(self) -> None: ...
    def copy_selected(self) -> None: ...
    def export_selected(self) -> None: ...
    def toggle_pause(self) -> None: ...
    def focus_filter(self) -> None: ...
    def show_shortcuts(self) -> None: ...
    def show_about(self) -> None: ...
    def show_job_history(self) -> None: ...
    def take_over_selected(self) -> None: ...
    def close(self) -> bool: ...
    def show_connections(self) -> None: ...
    def cancel_shown_job(self) -> None: ...
    def focus_table(self) -> None: ...
    def focus_details(self) -> None: ...
    def focus_jobs(self) -> None: ...
    def focus_drafts(self) -> None: ...


class WindowActions:
    def __init__(
        self,
        window: QMainWindow,
        handlers: ActionHandlers,
        *,
        refresh_now: Callable[[], None],
        write_refusal: Callable[[], str | None],
        hold_of: HoldOf,
    ) -> None:
        self._window = window
        self._write_refusal = write_refusal
        self._hold_of = hold_of
        self.selection: list[ModelRow] = []
        """The selected rows as the actions were last gated (the takeover gate reads them every second)."""

        def action(text: str, shortcut: str | None, slot: Callable[[], object], *, name: str) -> QAction:
            made = QAction(text, window)
            made.setObjectName(name)
            if shortcut:
                made.setShortcut(QKeySequence(shortcut))
            made.triggered.connect(slot)
            window.addAction(made)
            return made

        on = handlers
        self.create = action("Create…", "Ctrl+N", on.create_model, name="createAction")
        self.update = action("Update…", "Ctrl+E", on.update_model, name="updateAction")
        self.start = action("Start", "Ctrl+Shift+S", on.start_selected, name="startAction")
        self.stop = action("Stop", "Ctrl+Shift+T", on.stop_selected, name="stopAction")
        self.delete = action("Delete…", "Delete", on.delete_selected, name="deleteAction")
        self.set_default = action("Set as default…", None, on.set_default_selected, name="setDefaultAction")
        self.context_window = action("Context window…", None, on.edit_context_window, name="contextWindowAction")
        self.copy = action("Copy as JSON", "Ctrl+Shift+C", on.copy_selected, name="copyAction")
        self.export = action("Export config…", "Ctrl+S", on.export_selected, name="exportAction")
        self.refresh = action("Refresh", "F5", refresh_now, name="refreshAction")
        self.pause = action("Pause refresh", "Ctrl+P", on.toggle_pause, name="pauseAction")
        self.pause.setCheckable(True)
        self.filter = action("Filter", "Ctrl+F", on.focus_filter, name="filterAction")
        self.shortcuts = action("Keyboard shortcuts", "?", on.show_shortcuts, name="shortcutsAction")
        self.about = action("About LISA Desktop", None, on.show_about, name="aboutAction")
        self.history = action("Job history…", "Ctrl+H", on.show_job_history, name="jobHistoryAction")
        self.history.setToolTip("Every journaled job of this deployment: who ran it, its steps, its outcome")
        self.takeover = action("Take over…", None, on.take_over_selected, name="takeoverAction")
        self.quit = action("Quit", "Ctrl+Q", on.close, name="quitAction")
        self.connections = action("Connections…", None, on.show_connections, name="connectionsAction")
        self.connections.setToolTip("Add, test, remove connections, and choose the default one")
        self.cancel_job = action("Cancel selected job", "Ctrl+Shift+X", on.cancel_shown_job, name="cancelJobAction")
        self.go_to = [
            action("Model table", "Ctrl+1", on.focus_table, name="goTableAction"),
            action("Details", "Ctrl+2", on.focus_details, name="goDetailsAction"),
            action("Jobs", "Ctrl+3", on.focus_jobs, name="goJobsAction"),
            action("Drafts", "Ctrl+4", on.focus_drafts, name="goDraftsAction"),
        ]
        self.by_operation = {
            Operation.UPDATE: self.update,
            Operation.START: self.start,
            Operation.STOP: self.stop,
            Operation.DELETE: self.delete,
        }

    def gate(self, rows: list[ModelRow], *, connected: bool) -> None:
        for operation, action in self.by_operation.items():
            reason = self.refusal(operation, rows)
            action.setEnabled(reason is None)
            base = action.text().rstrip("…")
            action.setToolTip(f"{base}: {reason}" if reason else f"{base} the selected model(s)")
        offline = self._write_refusal()
        self._gate_settings(rows, offline)
        self.create.setToolTip(
            f"Create a model — as a draft only ({offline}); submit it once a deployment is open"
            if offline
            else "Create a model (every value is saved as a draft while you type)"
        )
        loaded = bool(rows) and all(row.config for row in rows)
        waiting = CONFIG_PENDING
        self.copy.setEnabled(loaded)
        self.copy.setToolTip("Copy the selected models as JSON" if loaded or not rows else f"Copy: {waiting}")
        self.export.setEnabled(len(rows) == 1 and loaded and rows[0].unreadable is None)
        if len(rows) != 1:
            self.export.setToolTip("Export: select exactly one model")
        elif rows[0].unreadable is not None:
            self.export.setToolTip(f"Export: {unreadable_text(rows[0])}")
        else:
            self.export.setToolTip(
                "Export the selected model's configuration to YAML or JSON" if loaded else f"Export: {waiting}"
            )
        self.refresh.setEnabled(connected)
        self.selection = rows
        self.gate_takeover()

    def _gate_settings(self, rows: Sequence[ModelRow], offline: str | None) -> None:
        default = offline or default_model_refusal(rows)
        self.set_default.setEnabled(default is None)
        self.set_default.setToolTip(
            f"Set as default: {default}" if default else "Make the selected model LISA's default model"
        )
        window = offline or context_window_refusal(rows)
        self.context_window.setEnabled(window is None)
        self.context_window.setToolTip(
            f"Context window: {window}" if window else "Override the selected model's context window (tokens)"
        )

    def refusal(self, operation: Operation, rows: Sequence[ModelRow]) -> str | None:
        reason = self._write_refusal() or selection_refusal(operation, rows)
        if reason is None and operation is Operation.UPDATE and not rows[0].config:
            reason = CONFIG_PENDING
        return reason

    def gate_takeover(self) -> None:
        """Also run every second: a lease expires with time alone."""
        rows = self.selection
        reason = self._write_refusal()
        if reason is None and len(rows) != 1:
            reason = (
                f"take over works on one model at a time ({len(rows)} are selected)"
                if rows
                else "select a model held by a job whose lease has expired"
            )
        if reason is None:
            hold, ours = self._hold_of(rows[0])
            reason = takeover_refusal(rows[0], hold, ours=ours)
        self.takeover.setEnabled(reason is None)
        self.takeover.setToolTip(
            f"Take over: {reason}"
            if reason
            else "Take the model over from the job holding it, whose lease has expired, and settle it from AWS"
        )

    def explain_refusal(self, action: QAction) -> bool:
        """Shortcuts fire even for disabled actions' keys in some styles: say why instead of doing nothing."""
        if action.isEnabled():
            return True
        self._window.statusBar().showMessage(action.toolTip(), 8000)
        return False
