"""The window driven by the keyboard alone, as an administrator who never touches the mouse would: the table has
the focus at start, a model is found by typing its id, stopped (the confirmation's default is Cancel, so the
key presses must reach Stop on purpose), started, and a running job is cancelled from the Jobs dock."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.keyboard import CTRL_SHIFT, MODEL, focused, sandbox_backend
from ui.dialogs import ConfirmDialog
from ui.main_window import MainWindow
from ui.wizard.wizard import ModelWizard


@pytest.fixture
def backend() -> Iterator[DeploymentBackend]:
    with sandbox_backend() as opened:
        yield opened


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    widget = focused()
    assert widget is not None, "nothing has the keyboard focus"
    qtbot.keyClick(widget, key, modifiers)


def status(window: MainWindow) -> str:
    row = window.table_model.row_for(MODEL)
    assert row is not None
    return row.status


def confirm_by_keyboard(window: MainWindow, qtbot: QtBot) -> None:
    """Tab from Cancel (the default) to the confirming button, then Space."""
    qtbot.waitUntil(lambda: window.findChild(ConfirmDialog) is not None and window.findChild(ConfirmDialog).isVisible())
    dialog = window.findChild(ConfirmDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isAncestorOf(focused()) if focused() is not None else False)
    for _ in range(4):
        if focused() is dialog.confirm:
            break
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.confirm
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not dialog.isVisible() and focused() is not None and window.isAncestorOf(focused()))
    dialog.deleteLater()


def test_stop_start_and_cancel_with_the_keyboard_alone(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    qtbot.waitUntil(lambda: focused() is window.view)
    assert window.view.selectionModel().selectedRows(), "the table starts with a row selected"

    qtbot.keyClicks(window.view, MODEL[:7])  # type-ahead finds the row by its id
    assert [row.model_id for row in window.selected_rows()] == [MODEL]

    press(qtbot, Qt.Key.Key_T, CTRL_SHIFT)  # Stop
    confirm_by_keyboard(window, qtbot)
    qtbot.waitUntil(lambda: window.refresher.read_now([MODEL]) or status(window) == "Stopped", timeout=60_000)

    press(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert focused() is window.view and [row.model_id for row in window.selected_rows()] == [MODEL]
    press(qtbot, Qt.Key.Key_S, CTRL_SHIFT)  # Start: no confirmation
    qtbot.waitUntil(lambda: window.jobs.running_count() == 0 and status(window) == "InService", timeout=60_000)

    # The next stop is held at its intake (its first write) until the cancel is pressed: in the sandbox a stop
    # can end sooner than the keys that cancel it arrive, and it checks for a cancel before it unregisters.
    holding, release = threading.Event(), threading.Event()

    def hold_the_intake(operation: str) -> None:
        if operation == "UpdateItem" and not release.is_set():
            holding.set()
            release.wait(60)

    backend.aws.clients.add_call_listener(hold_the_intake)
    window.focus_table()
    press(qtbot, Qt.Key.Key_T, CTRL_SHIFT)
    confirm_by_keyboard(window, qtbot)
    qtbot.waitUntil(holding.is_set, timeout=60_000)
    press(qtbot, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # to the Jobs dock
    assert focused() is window.jobs.jobs_view
    press(qtbot, Qt.Key.Key_X, CTRL_SHIFT)  # cancel the selected (newest) job
    release.set()
    qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=60_000)
    newest = window.jobs.history(MODEL)[0]
    assert newest.kind.value == "stop" and newest.state == "Cancelled", newest.state
    qtbot.waitUntil(lambda: window.refresher.read_now([MODEL]) or status(window) == "InService", timeout=60_000)

    # Update an environment variable: Ctrl+E, Alt+N to the container page, Alt+A adds a variable (its name is
    # being edited), Tab to its value, Enter; Alt+N to the review, Alt+I acknowledges the restart, Alt+S submits.
    press(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), ModelWizard), timeout=30_000)
    wizard = QApplication.activeWindow()
    assert isinstance(wizard, ModelWizard)
    qtbot.waitUntil(lambda: focused() is not None and wizard.isAncestorOf(focused()))
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.pageIds()[1])
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: focused() is not None and focused().inherits("QLineEdit"))
    qtbot.keyClicks(focused(), "KEYBOARD_FLAG")
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: focused() is not None and focused().inherits("QLineEdit"))
    qtbot.keyClicks(focused(), "on")
    press(qtbot, Qt.Key.Key_Return)
    while wizard.currentId() != wizard.pageIds()[-1]:
        current = wizard.currentId()
        press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda current=current: wizard.currentId() != current)
    qtbot.waitUntil(wizard.review.ack.isVisible)
    press(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(wizard.review.ack.isChecked)  # a mnemonic clicks with a short animation
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.jobs.running_count() == 1 or window.jobs.history(MODEL)[0].kind.value == "update")
    qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=60_000)
    update = window.jobs.history(MODEL)[0]
    assert update.kind.value == "update" and update.state == "Succeeded", update.message
    assert "KEYBOARD_FLAG" in " ".join(event.message for event in update.events)


def test_tab_from_the_filter_enters_the_table_on_its_only_row_and_goes_on_to_details_and_jobs(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    qtbot.waitUntil(lambda: focused() is window.view)
    window.view.clearSelection()
    window.view.setCurrentIndex(window.proxy.index(-1, 0))
    press(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is window.filter_box
    qtbot.keyClicks(window.filter_box, "status:Stopped")
    assert window.proxy.rowCount() == 1
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is window.view
    assert [row.model_id for row in window.selected_rows()] == ["llama3-8b-tgi"]
    press(qtbot, Qt.Key.Key_Tab)
    assert window.details.isAncestorOf(focused())
    for _ in range(6):
        if focused() is window.jobs.jobs_view:
            break
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is window.jobs.jobs_view
