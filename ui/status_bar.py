"""The window's status bar, whose messages have a place of their own: left of the model count and the refresh
state, cut with an ellipsis where they are longer (the whole text in the tooltip), never drawn over them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


class MessageLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setObjectName("statusMessage")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 0)))


class MessageBar(QStatusBar):
    """`showMessage` puts the message in its own label (QStatusBar's own message would paint under the permanent
    widgets at small widths) and clears it after `timeout` ms, as QStatusBar does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = MessageLabel(self)
        self.addWidget(self.message, 1)
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        self.message.set_full_text(text)
        self.messageChanged.emit(text)
        if timeout:
            self._clear.start(timeout)
        else:
            self._clear.stop()

    def clearMessage(self) -> None:
        self._clear.stop()
        if self.message.full_text():
            self.message.set_full_text("")
            self.messageChanged.emit("")

    def currentMessage(self) -> str:
        return self.message.full_text()
