"""The GUI composition root: one QApplication, the window, and (from later issues) the engine behind it."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from lisa_desktop import __version__
from resources import resource
from ui.placeholder import PlaceholderWindow

APP_NAME = "LISA Desktop"
ORGANIZATION = "LISA Desktop"


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource("icons/lisa-desktop.svg"))))
    return app


def run_app(args: argparse.Namespace) -> int:
    app = create_application()
    window = PlaceholderWindow(__version__)
    window.show()
    return app.exec()
