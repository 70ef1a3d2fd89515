"""The GUI composition root: one QApplication, the window, and the deployment behind it."""

from __future__ import annotations

import argparse
import sys
import threading
from contextlib import ExitStack

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from engine.aws.inventory import Inventory
from engine.errors import LisaDesktopError
from lisa_desktop import __version__
from lisa_desktop.connections import ConnectionStore
from lisa_desktop.messages import describe
from lisa_desktop.target import open_target
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


def wants_sandbox(args: argparse.Namespace, store: ConnectionStore) -> bool:
    """The built-in sandbox opens when asked for, or when nothing else is named or configured."""
    if getattr(args, "sandbox", False):
        return True
    named = getattr(args, "connection", None) or getattr(args, "endpoint_url", None)
    return not named and store.default_name() is None


class DeploymentOpener(QObject):
    """Opens the deployment off the GUI thread (a sandbox takes seconds to start) and reports back by signal."""

    opened = Signal(str, int, bool)
    """label, number of models, is_sandbox"""
    failed = Signal(str)

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__()
        self._args = args
        self._stack = ExitStack()
        self._thread = threading.Thread(target=self._open, name="deployment-opener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _open(self) -> None:
        try:
            target = self._stack.enter_context(open_target(self._args))
            count = len(Inventory(target.clients, target.deployment()).list_models())
        except LisaDesktopError as error:
            self.failed.emit(describe(error))
            return
        self.opened.emit(target.label, count, target.is_sandbox)

    def close(self) -> None:
        self._thread.join(timeout=30)
        self._stack.close()


def run_app(args: argparse.Namespace) -> int:
    app = create_application()
    window = PlaceholderWindow(__version__)
    if wants_sandbox(args, ConnectionStore()):
        args.sandbox = True
    opener = DeploymentOpener(args)
    opener.opened.connect(window.show_deployment)
    opener.failed.connect(window.show_error)
    window.show_opening("the built-in sandbox" if getattr(args, "sandbox", False) else "the deployment")
    window.show()
    opener.start()
    try:
        return app.exec()
    finally:
        opener.close()
