"""Confirmations of destructive actions: Enter cancels; only a click (or typing the name back) confirms."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from ui.dialogs import ConfirmDialog


def test_enter_cancels_a_confirmation(qtbot: QtBot) -> None:
    dialog = ConfirmDialog(None, title="Take over m", text="Take over the stop of m?", confirm_label="Take over")
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.isDefault() and not dialog.confirm.isDefault()
    with qtbot.waitSignal(dialog.rejected, timeout=2_000):
        qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
    assert dialog.result() == ConfirmDialog.DialogCode.Rejected


def test_a_typed_back_name_is_the_confirmation(qtbot: QtBot) -> None:
    dialog = ConfirmDialog(None, title="Delete", text="Delete m?", confirm_label="Delete", type_back="m")
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    assert not dialog.confirm.isEnabled()
    qtbot.keyClicks(dialog.entry, "m")
    assert dialog.confirm.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=2_000):
        dialog.confirm.click()
