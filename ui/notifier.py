"""Desktop notifications: a tray balloon where the desktop has a system tray, else the status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

NOTIFICATION_MS = 8000


class Notifier(QObject):
    notified = Signal(str, str)
    """title, message — after the notification was shown (by the tray or, without one, the status bar)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(QApplication.windowIcon(), window)
            self.tray.setToolTip("LISA Desktop")
            self.tray.activated.connect(self._bring_back)
            self.tray.show()

    def _bring_back(self) -> None:
        self._window.showNormal()
        self._window.activateWindow()

    def notify(self, title: str, message: str) -> None:
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, NOTIFICATION_MS)
        else:
            self._window.statusBar().showMessage(f"{title} — {message}", NOTIFICATION_MS)
        self.notified.emit(title, message)
