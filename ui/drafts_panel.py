"""The Drafts dock: every saved create/update draft, to reopen, duplicate, delete, export or import.

Drafts live on this workstation (engine.drafts.DraftStore, SQLite); the panel works with no deployment open.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.drafts.files import export_draft
from engine.drafts.store import Draft, DraftStore
from engine.errors import LisaDesktopError
from ui.dialogs import ConfirmDialog, warn

DRAFT_ID_ROLE = Qt.ItemDataRole.UserRole
FILE_FILTER = "YAML (*.yaml *.yml);;JSON (*.json)"


class DraftsPanel(QDockWidget):
    open_requested = Signal(str)
    """A draft id to reopen in the wizard."""
    import_requested = Signal(str)
    """A file path to import as a new draft (the window knows which model an update file is for)."""

    def __init__(self, store: DraftStore, parent: QWidget | None = None) -> None:
        super().__init__("Drafts", parent)
        self.setObjectName("draftsDock")
        self.store = store
        body = QWidget(self)
        self.table = QTableWidget(0, 4, body)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for its buttons
        self.table.setObjectName("draftsTable")
        self.table.setHorizontalHeaderLabels(["Draft", "Saved", "State", "Deployment"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty = QLabel(
            "No drafts. Every create or update you start is saved here as you type, with or without a connection.",
            body,
        )
        self.empty.setObjectName("draftsEmpty")
        self.empty.setWordWrap(True)
        buttons = QHBoxLayout()
        self.open_button = self._button("Open", self.open_selected, buttons)
        self.duplicate_button = self._button("Duplicate", self.duplicate_selected, buttons)
        self.delete_button = self._button("Delete", self.delete_selected, buttons)
        self.export_button = self._button("Export…", self.export_selected, buttons)
        buttons.addStretch(1)
        self.import_button = self._button("Import…", self.import_file, buttons)
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.empty)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        self.setWidget(body)
        self.reload()

    def _button(self, text: str, slot: object, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(f"draft{text.rstrip('…')}Button")
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    def reload(self) -> None:
        selected = self.selected_id()
        drafts = self._read()
        self.table.setRowCount(len(drafts))
        for row, draft in enumerate(drafts):
            cells = (draft.title, _when(draft.updated_at), _state(draft), draft.deployment or "—")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(DRAFT_ID_ROLE, draft.draft_id)
                item.setToolTip(f"{text}\n(draft {draft.draft_id[:8]})")
                self.table.setItem(row, column, item)
            if draft.draft_id == selected:
                self.table.selectRow(row)
        self.empty.setVisible(not drafts)
        self.table.setVisible(bool(drafts))
        self._update_buttons()

    def _read(self) -> list[Draft]:
        try:
            return self.store.list()
        except LisaDesktopError as error:
            self.empty.setText(f"The drafts cannot be read: {error}")
            return []

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(DRAFT_ID_ROLE)) if items else None

    def select(self, draft_id: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(DRAFT_ID_ROLE) == draft_id:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        chosen = self.selected_id() is not None
        for button in (self.open_button, self.duplicate_button, self.delete_button, self.export_button):
            button.setEnabled(chosen)

    def open_selected(self) -> None:
        draft_id = self.selected_id()
        if draft_id:
            self.open_requested.emit(draft_id)

    def duplicate_selected(self) -> None:
        draft_id = self.selected_id()
        if draft_id:
            copy = self.store.duplicate(draft_id)
            self.reload()
            self.select(copy.draft_id)

    def delete_selected(self) -> None:
        draft_id = self.selected_id()
        if not draft_id:
            return
        dialog = ConfirmDialog(
            self,
            title="Delete draft",
            text=f"Delete the draft “{self.store.get(draft_id).title}”? Its values cannot be recovered.",
            confirm_label="Delete draft",
        )
        dialog.accepted.connect(lambda: self._delete(draft_id))
        dialog.open()

    def _delete(self, draft_id: str) -> None:
        self.store.delete(draft_id)
        self.reload()

    def export_selected(self) -> None:
        draft_id = self.selected_id()
        if not draft_id:
            return
        draft = self.store.get(draft_id)
        name = f"{draft.model_id or 'new-model'}-{draft.kind.value}.yaml"
        dialog = self._file_dialog(f"Export {draft.title}", name, save=True)
        dialog.fileSelected.connect(lambda path: self.export_to(draft_id, path))
        dialog.open()

    def export_to(self, draft_id: str, path: str) -> None:
        try:
            export_draft(self.store.get(draft_id), path)
        except (LisaDesktopError, OSError) as error:
            warn(self, "Export failed", str(error))

    def import_file(self) -> None:
        dialog = self._file_dialog("Import a create or update file", "", save=False)
        dialog.fileSelected.connect(self.import_requested.emit)
        dialog.open()

    def _file_dialog(self, title: str, name: str, *, save: bool) -> QFileDialog:
        dialog = QFileDialog(self, title, name, FILE_FILTER)
        dialog.setObjectName("draftFileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
        if not save:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen")
        return dialog


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _state(draft: Draft) -> str:
    if draft.submitted_job:
        return f"submitted (job {draft.submitted_job[:8]})"
    problems = draft.problems()
    if not problems:
        return "ready to submit"
    first = problems[0]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{first.field}: {first.rule}{more}"
