from __future__ import annotations

from pytestqt.qtbot import QtBot

from lisa_desktop import __version__
from ui.placeholder import SANDBOX_BANNER, PlaceholderWindow


def test_placeholder_window_says_what_works_and_which_deployment_is_open(qtbot: QtBot) -> None:
    window = PlaceholderWindow(__version__)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert f"LISA Desktop {__version__}" in window.message.text()
    assert "lisa-desktop models validate FILE" in window.message.text()
    assert window.statusBar().currentMessage() == "No deployment connected"
    window.show_opening("the built-in sandbox")
    assert "Opening the built-in sandbox" in window.deployment.text()
    window.show_deployment("sandbox http://127.0.0.1:1 (in-process)", 14, True)
    assert "14 models" in window.deployment.text()
    assert window.statusBar().currentMessage().startswith(SANDBOX_BANNER)
    window.show_error("[EndpointUnreachable] cannot reach http://127.0.0.1:1")
    assert "EndpointUnreachable" in window.deployment.text()
    assert window.statusBar().currentMessage() == "Not connected"
