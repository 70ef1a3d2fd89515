from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from lisa_desktop import __version__
from ui.placeholder import PlaceholderWindow


def test_placeholder_window_says_what_works_today(qtbot: QtBot) -> None:
    window = PlaceholderWindow(__version__)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    text = window.findChild(QLabel).text()
    assert f"LISA Desktop {__version__}" in text
    assert "lisa-desktop models validate FILE" in text
    assert window.statusBar().currentMessage() == "No deployment connected"
