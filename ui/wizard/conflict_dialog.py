"""The model changed since the draft was based on it: base / now / draft side by side, then rebase or cancel."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.drafts.conflict import Comparison

CONFLICT_COLOUR = QColor(218, 54, 51, 60)
CHANGED_COLOUR = QColor(227, 160, 8, 50)


class ConflictDialog(QDialog):
    """Accepted: rebase the draft onto the current configuration. Rejected: leave everything as it is."""

    def __init__(self, model_id: str, comparison: Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(f"{model_id} changed since this draft")
        self.resize(820, 420)
        conflicts = len(comparison.conflicts)
        status = ""
        if comparison.base_status != comparison.now_status:
            status = f" Its status went from {comparison.base_status} to {comparison.now_status}."
        intro = QLabel(
            f"Someone changed <b>{model_id}</b> after this draft was started.{status} Nothing has been submitted. "
            + (
                f"<b>{conflicts} field{'s' if conflicts != 1 else ''}</b> changed both there and in your draft "
                "(red): rebasing keeps your values for them."
                if conflicts
                else "None of the fields you changed was changed there."
            )
            + "<br>Rebase to start from the current configuration with your changes on top, then review again.",
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(comparison.fields), 4, self)
        self.table.setObjectName("conflictTable")
        self.table.setHorizontalHeaderLabels(["Field", "When the draft was started", "Now", "Your draft"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for row, state in enumerate(comparison.fields):
            colour = CONFLICT_COLOUR if state.conflict else CHANGED_COLOUR if state.changed_underneath else None
            for column, value in enumerate((state.field, _show(state.base), _show(state.now), _show(state.draft))):
                item = QTableWidgetItem(value if isinstance(value, str) else str(value))
                item.setToolTip(item.text())
                if colour is not None:
                    item.setBackground(QBrush(colour))
                self.table.setItem(row, column, item)
        buttons = QDialogButtonBox(self)
        self.rebase_button = buttons.addButton(
            "Rebase onto the current configuration", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.rebase_button.setObjectName("rebaseButton")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)
