"""LISA writes `failure_reason` only with Failed and never removes it: the window shows it as a reason only while
the model is Failed (on any other status it is stale)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.rows import make_row
from ui.details_pane import DetailsPane
from ui.model_table import Column, ModelTableModel


def test_the_status_tooltip_names_a_failure_reason_only_for_a_failed_model(qtbot: QtBot) -> None:
    model = ModelTableModel()
    model.apply(
        [make_row("failed", status="Failed", failure_reason="boom"), make_row("back", failure_reason="old boom")]
    )
    assert model.index_for("failed", Column.STATUS).data(Qt.ItemDataRole.ToolTipRole) == "Failed\nboom"
    assert model.index_for("back", Column.STATUS).data(Qt.ItemDataRole.ToolTipRole) == "InService"


def test_the_details_pane_shows_a_failure_reason_only_for_a_failed_model(qtbot: QtBot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.show_row(make_row("back", status="Stopped", failure_reason="old boom"))
    assert not pane.failure.isVisible()
    pane.show_row(make_row("failed", status="Failed", failure_reason="boom"))
    assert pane.failure.isVisible() and "boom" in pane.failure.message.text()
