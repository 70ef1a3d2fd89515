"""Job events can be selected and copied as text: Ctrl+C, and Copy in the list's context menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from tests.ui.test_job_panel import make_ticket, report_from_worker, stop_events, stopped, window
from ui.job_model import EventColumn
from ui.job_panel import JobPanel

__all__ = ["window"]  # the fixture


def panel_with_a_stop(qtbot: QtBot, window: QMainWindow) -> JobPanel:
    qtbot.addWidget(window)
    panel = JobPanel(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
    window.show()
    qtbot.waitExposed(window)
    ticket, _ = make_ticket("job-1")
    panel.track(ticket, "Stop bge-large-en")
    report_from_worker(panel, stop_events("job-1"), stopped("job-1"))
    panel.focus_job("job-1")
    qtbot.waitUntil(lambda: panel.events_model.rowCount() == 6)
    return panel


def select_rows(panel: JobPanel, rows: list[int]) -> None:
    view = panel.events_view
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().clearSelection()
    for row in rows:
        view.selectionModel().select(panel.events_model.index(row, 0), flags)


def test_ctrl_c_copies_the_selected_events_in_their_order(qtbot: QtBot, window: QMainWindow) -> None:
    panel = panel_with_a_stop(qtbot, window)
    QGuiApplication.clipboard().clear()
    select_rows(panel, [3, 1])
    panel.events_view.setFocus()
    qtbot.keyClick(panel.events_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[EventColumn.MESSAGE] == "InService → Stopping"
    assert lines[1].split("\t")[EventColumn.MESSAGE] == "removed LiteLLM entry 94e9abce"
    assert lines[0].split("\t")[EventColumn.STEP] == "intake"


@pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")  # the menu's popup, offscreen
def test_the_context_menu_offers_copy(qtbot: QtBot, window: QMainWindow) -> None:
    panel = panel_with_a_stop(qtbot, window)
    QGuiApplication.clipboard().clear()
    view = panel.events_view
    view.customContextMenuRequested.emit(view.visualRect(panel.events_model.index(0, 0)).center())
    menu = view.findChild(QMenu)
    assert menu is not None
    [copy] = [action for action in menu.actions() if action.text() == "Copy"]
    assert not copy.isEnabled()  # nothing selected yet
    select_rows(panel, [5])
    view.customContextMenuRequested.emit(view.visualRect(panel.events_model.index(5, 0)).center())
    assert copy.isEnabled()
    copy.trigger()
    assert QGuiApplication.clipboard().text().endswith("bge-large-en is Stopped")
