"""The About box's text: version, the deployment in use, licence."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QApplication

LICENCE = "Apache License 2.0"


def about_text(connection: str) -> str:
    version = QApplication.applicationVersion() or "development build"
    return (
        f"<h3>LISA Desktop {escape(version)}</h3>"
        "<p>Manage the models of a LISA deployment on AWS: third-party models through LiteLLM and "
        "LISA-hosted models on Amazon ECS.</p>"
        f"<p><b>Deployment:</b> {escape(connection)}</p>"
        f"<p><b>Licence:</b> {LICENCE}</p>"
    )
