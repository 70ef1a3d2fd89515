"""A non-modal message strip above the table: a failed refresh (with Retry), read-only credentials, an unexpected
error (with Copy details), ..."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class BannerKind(StrEnum):
    ERROR = "error"
    INFO = "info"


_TINTS = {BannerKind.ERROR: QColor("#d64545"), BannerKind.INFO: QColor("#3f7fd6")}


def _blend(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() + (tint.red() - base.red()) * amount),
        round(base.green() + (tint.green() - base.green()) * amount),
        round(base.blue() + (tint.blue() - base.blue()) * amount),
    )


class Banner(QFrame):
    retry_clicked = Signal()
    details_copied = Signal()

    def __init__(self, parent: QWidget | None = None, *, object_name: str = "banner") -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._kind = BannerKind.INFO
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry = QPushButton("Retry")
        self.retry.clicked.connect(self.retry_clicked)
        self.details = ""
        self.copy_details = QPushButton("Copy details")
        self.copy_details.setToolTip("Copy the error's details (with its traceback) to the clipboard, for a report")
        self.copy_details.clicked.connect(self._copy_details)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide this message")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.retry)
        layout.addWidget(self.copy_details)
        layout.addWidget(self.close_button)
        self.hide()

    @property
    def kind(self) -> BannerKind:
        return self._kind

    def show_message(self, kind: BannerKind, text: str, *, retry: bool = False, details: str = "") -> None:
        """With `details`, a Copy details button puts them on the clipboard."""
        self._kind = kind
        self.message.setText(text)
        self.retry.setVisible(retry)
        self.details = details
        self.copy_details.setVisible(bool(details))
        self._paint()
        self.show()

    def _copy_details(self) -> None:
        QApplication.clipboard().setText(self.details)
        self.details_copied.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._paint()
        super().changeEvent(event)

    def _paint(self) -> None:
        """A tint of the OS palette's window colour, so the strip reads well in light and dark themes."""
        base = QApplication.palette().color(QPalette.ColorRole.Window)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, _blend(base, _TINTS[self._kind], 0.22))
        self.setPalette(palette)
