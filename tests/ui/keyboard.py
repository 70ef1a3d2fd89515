"""What the keyboard-only window tests share: a backend on a fast sandbox of their own, and the focused widget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from engine.sandbox.server import Sandbox
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.lisa_desktop.test_deployment_backend import FAST, target_on

MODEL = "mistral-7b-instruct"
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@contextmanager
def sandbox_backend() -> Iterator[DeploymentBackend]:
    with Sandbox(ambient=False, rollout_seconds=0.5, warmup_seconds=0.3) as sandbox:
        opened = DeploymentBackend(target_on(sandbox), settings=FAST)
        yield opened
        opened.close()


def focused() -> QWidget | None:
    return QApplication.focusWidget()
