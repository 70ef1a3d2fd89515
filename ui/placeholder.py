"""The window shown until the model table lands (issue #6): says what exists today and how to use it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

MESSAGE = """<h2>LISA Desktop {version}</h2>
<p>The live model table, the wizards and the built-in sandbox deployment arrive in the next releases.</p>
<p>What works today, offline and without credentials:</p>
<pre>lisa-desktop models validate FILE [--kind create|update]</pre>
<p>checks a model configuration (YAML or JSON in LISA's API shapes) against every rule LISA applies.</p>"""


class PlaceholderWindow(QMainWindow):
    def __init__(self, version: str) -> None:
        super().__init__()
        self.setWindowTitle("LISA Desktop")
        label = QLabel(MESSAGE.format(version=version))
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(label)
        self.setCentralWidget(body)
        self.resize(640, 360)
        self.statusBar().showMessage("No deployment connected")
