"""The Qt binding itself: PySide6 6.12.0 on CPython 3.11 dropped a reference to True on every signal emit and to
None on every void call, aborting the app after a few thousand (pinned away in requirements/constraints.txt)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


class Emitter(QObject):
    fired = Signal(int)


def test_signal_emits_and_void_calls_keep_the_singletons_reference_counts(qtbot: QtBot) -> None:
    emitter = Emitter()
    label = QLabel()
    qtbot.addWidget(label)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for value in range(2000):
        emitter.fired.emit(value)
        label.setText(str(value))
    assert sys.getrefcount(True) - true_before > -100
    assert sys.getrefcount(None) - none_before > -100
