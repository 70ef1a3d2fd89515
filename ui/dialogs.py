"""Confirmations for destructive actions, and the list of keyboard shortcuts. All open window-modal, never
blocking the event loop (`open()`, not `exec()`), so refreshes and job events keep flowing meanwhile."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class ConfirmDialog(QDialog):
    """Asks before a destructive action; when `type_back` is given, OK stays disabled until it is typed."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        text: str,
        confirm_label: str,
        type_back: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.type_back = type_back
        self.message = message = QLabel(text)
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm: QPushButton = self.buttons.addButton(confirm_label, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        self.entry = QLineEdit()
        if type_back is not None:
            layout.addWidget(QLabel(f"Type <b>{type_back}</b> to confirm:"))
            self.entry.setPlaceholderText(type_back)
            self.entry.textChanged.connect(self._check)
            layout.addWidget(self.entry)
            self.confirm.setEnabled(False)
            self.entry.setFocus()
        else:
            self.entry.hide()
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setFocus()
        layout.addWidget(self.buttons)
        self.confirm.setDefault(False)
        self.confirm.setAutoDefault(False)
        self.resize(460, self.sizeHint().height())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()  # the keyboard goes to the question at once
        if self.type_back is None:
            # The button box makes its accept button the default as it is shown: Enter must cancel, not confirm.
            cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
            cancel.setDefault(True)
            cancel.setFocus()

    def done(self, result: int) -> None:
        super().done(result)
        parent = self.parentWidget()
        if parent is not None:
            parent.activateWindow()  # and the keyboard back to where it was

    def _check(self, text: str) -> None:
        self.confirm.setEnabled(text.strip() == self.type_back)

    def accept(self) -> None:
        if self.type_back is not None and self.entry.text().strip() != self.type_back:
            return
        super().accept()


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None, shortcuts: Sequence[tuple[str, str]]) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(shortcuts), 2)
        table.setHorizontalHeaderLabels(["Key", "Action"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (key, action) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(key))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        table.resizeColumnsToContents()
        table.resizeRowsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        # As large as the whole list, within the screen: nothing cut, no scrolling where there is room.
        frame = 2 * table.frameWidth()
        width = table.horizontalHeader().length() + frame + 4
        height = table.verticalHeader().length() + table.horizontalHeader().height() + frame
        table.setMinimumSize(min(width, 1000), min(height, 640))
        self.adjustSize()


def warn(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A warning that does not block the event loop (QMessageBox.warning would run a nested one)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("warningBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
