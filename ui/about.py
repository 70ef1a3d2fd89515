"""The About box: version, the deployment in use, the log file, licence. It opens without blocking the event loop
(refreshes and job events go on behind it)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

LICENCE = "Apache License 2.0"

log_file: Path | None = None
"""Where the application logs (the composition root sets it once logging is configured)."""


def about_text(connection: str, log_path: Path | None = None) -> str:
    version = QApplication.applicationVersion() or "development build"
    logged = escape(str(log_path)) if log_path is not None else "standard error (no log file could be written)"
    return (
        f"<h3>LISA Desktop {escape(version)}</h3>"
        "<p>Manage the models of a LISA deployment on AWS: third-party models through LiteLLM and "
        "LISA-hosted models on Amazon ECS.</p>"
        f"<p><b>Deployment:</b> {escape(connection)}</p>"
        f"<p><b>Log file:</b> {logged}</p>"
        f"<p><b>Licence:</b> {LICENCE}</p>"
    )


def open_about(parent: QWidget, connection: str) -> QMessageBox:
    """The About box, window-modal and opened with open(), not exec(); it deletes itself when closed."""
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About LISA Desktop")
    box.setIconPixmap(QApplication.windowIcon().pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text(connection, log_file))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
