"""At 1280×800 with the docks at their defaults (issue #19, point 7): every column of the table readable without
horizontal scrolling, empty docks small, status-bar messages in a place of their own."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from ui.main_window import MainWindow
from ui.model_table import Column
from ui.window_table import column_need, header_text

SIZE = (1280, 800)
EMPTY_DOCK_HEIGHT = 150
"""The most an empty Jobs (or Drafts) dock may take; it took 214 px before."""


def small_window(make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot) -> MainWindow:
    window = make_window(backend)
    window.resize(*SIZE)
    qtbot.waitUntil(lambda: window.view.viewport().width() < 1100)  # the new size laid out
    window.fit_columns()  # as the first start fits them once the table shows (and at each width after)
    qtbot.waitUntil(lambda: window.view.horizontalHeader().length() <= window.view.viewport().width())
    return window


def test_every_column_shows_its_header_whole_without_horizontal_scrolling(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = small_window(make_window, shared_backend, qtbot)
    view = window.view
    header = view.horizontalHeader()
    qtbot.waitUntil(lambda: not view.horizontalScrollBar().isVisible(), timeout=3000)  # its geometry is updated late
    assert view.horizontalScrollBar().maximum() == 0
    assert header.length() <= view.viewport().width()
    hidden = [column.label for column in Column if header.isSectionHidden(column)]
    assert hidden == []  # only the user hides columns
    metrics = header.fontMetrics()
    for column in Column:
        text = header_text(column)
        assert header.sectionSize(column) >= metrics.horizontalAdvance(text), (column.label, text)
        assert header.sectionSize(column) >= column_need(view, column), column.label  # with its margins


def test_a_column_sorted_by_gets_room_for_its_arrow(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = small_window(make_window, shared_backend, qtbot)
    header = window.view.horizontalHeader()
    window.view.sortByColumn(Column.RUNNING_TASKS, header.sortIndicatorOrder())
    assert header.sectionSize(Column.RUNNING_TASKS) >= column_need(window.view, Column.RUNNING_TASKS)
    qtbot.waitUntil(lambda: not window.view.horizontalScrollBar().isVisible(), timeout=3000)


def test_the_empty_jobs_dock_takes_little_room_and_grows_with_a_job(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = small_window(make_window, shared_backend, qtbot)
    qtbot.waitUntil(lambda: window.jobs.height() <= EMPTY_DOCK_HEIGHT)
    drafts = window.drafts_panel
    assert drafts.minimumSizeHint().height() <= EMPTY_DOCK_HEIGHT
    assert window.jobs.model.rowCount() == 0


def test_status_bar_messages_do_not_cover_the_model_count(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = small_window(make_window, shared_backend, qtbot)
    window.statusBar().showMessage("A message long enough to reach the model count " * 6)
    count = window.count_label
    # The count's text changes when the first listing lands; the status bar lays it out again on a later turn.
    qtbot.waitUntil(
        lambda: count.text().endswith("models") and count.fontMetrics().horizontalAdvance(count.text()) <= count.width()
    )
    bar = window.statusBar()
    message = bar.findChild(QLabel, "statusMessage")
    assert message is not None
    message_rect = QRect(message.mapTo(bar, message.rect().topLeft()), message.size())
    count_rect = QRect(count.mapTo(bar, count.rect().topLeft()), count.size())
    assert not message_rect.intersects(count_rect)
