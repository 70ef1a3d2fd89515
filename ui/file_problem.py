"""The page shown instead of the table when one of the user's files cannot be read: what is wrong with which file,
Open folder (the file manager, to fix or save it) and Start fresh (the file is moved aside, not deleted)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class FileProblemPage(QWidget):
    start_fresh = Signal()
    retry = Signal()

    def __init__(self, path: Path, message: str, fresh: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileProblemPage")
        self.path = path
        self.title = QLabel(f"<b>{path.name} cannot be read</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel(message)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel(
            f"Start fresh moves the file aside (as {path.name}.broken-<time>, beside it) and goes on with {fresh}. "
            "Or open its folder, fix or replace the file, and retry."
        )
        self.hint.setWordWrap(True)
        self.open_folder = QPushButton("Open folder")
        self.open_folder.clicked.connect(self._open_folder)
        self.fresh_button = QPushButton("Start fresh")
        self.fresh_button.setObjectName("startFresh")
        self.fresh_button.clicked.connect(self.start_fresh)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.open_folder, self.retry_button, self.fresh_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        for label in (self.title, self.message, self.hint):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column.addWidget(label)
        column.addSpacing(8)
        column.addLayout(buttons)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(column, 4)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path.parent)))
