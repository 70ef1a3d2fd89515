"""The window shown until the model table lands (issue #6): says which deployment is open and what works."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

MESSAGE = """<h2>LISA Desktop {version}</h2>
<p>The live model table and the wizards arrive in the next releases. Until then the command line
does the work, against this deployment or any other:</p>
<pre>lisa-desktop models list | show ID
lisa-desktop models validate FILE        (offline, no credentials)
lisa-desktop connections add | list | test
lisa-desktop sandbox serve</pre>"""

SANDBOX_BANNER = "SANDBOX — changes are discarded on exit"


class PlaceholderWindow(QMainWindow):
    def __init__(self, version: str) -> None:
        super().__init__()
        self.setWindowTitle("LISA Desktop")
        self.message = QLabel(MESSAGE.format(version=version))
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setWordWrap(True)
        self.deployment = QLabel()
        self.deployment.setWordWrap(True)
        self.deployment.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.message)
        layout.addWidget(self.deployment)
        layout.addStretch(1)
        self.setCentralWidget(body)
        self.resize(680, 400)
        self.statusBar().showMessage("No deployment connected")

    @Slot(str)
    def show_opening(self, what: str) -> None:
        self.deployment.setText(f"<b>Opening {what}…</b>")
        self.statusBar().showMessage(f"Opening {what}…")

    @Slot(str, int, bool)
    def show_deployment(self, label: str, models: int, is_sandbox: bool) -> None:
        self.deployment.setText(f"<b>Connected:</b> {label} — {models} models.")
        self.statusBar().showMessage(f"{SANDBOX_BANNER} · {label}" if is_sandbox else label)

    @Slot(str)
    def show_error(self, message: str) -> None:
        self.deployment.setText(f"<b style='color:#b00020'>Cannot open the deployment:</b> {message}")
        self.statusBar().showMessage("Not connected")
