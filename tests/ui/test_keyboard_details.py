"""Issue 19's keyboard details, each through the real window: Enter in the window's own Stop and Delete
confirmations cancels; Tab leaves the drafts table; the arrows select one row of the model table, also when the
filter leaves one; the `?` dialog shows every shortcut whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QDialogButtonBox
from pytestqt.qtbot import QtBot

from engine.drafts.store import DraftKind
from engine.schema.enums import ModelStatus
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.keyboard import CTRL_SHIFT, MODEL, focused, sandbox_backend
from tests.ui.test_main_window import select, shown_ids
from ui.dialogs import ConfirmDialog, ShortcutsDialog
from ui.main_window import SHORTCUTS, MainWindow


@pytest.fixture
def backend() -> Iterator[DeploymentBackend]:
    with sandbox_backend() as opened:
        yield opened


def selected_ids(window: MainWindow) -> list[str]:
    return [row.model_id for row in window.selected_rows()]


def shown_confirmation(window: MainWindow, qtbot: QtBot) -> ConfirmDialog:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(ConfirmDialog)))
    dialog = next(d for d in window.findChildren(ConfirmDialog) if d.isVisible())
    qtbot.waitUntil(lambda: focused() is not None and dialog.isAncestorOf(focused()))
    return dialog


def press_enter(qtbot: QtBot) -> None:
    widget = focused()
    assert widget is not None, "nothing has the keyboard focus"
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def assert_nothing_started(window: MainWindow, backend: DeploymentBackend, qtbot: QtBot) -> None:
    """No job was submitted, and the model is InService in the deployment and on its row after a fresh read."""
    assert window.jobs.running_count() == 0 and window.jobs.history(MODEL) == []
    assert backend.aws.models.get(MODEL).model_status is ModelStatus.IN_SERVICE
    with qtbot.waitSignal(window.refresher.succeeded, timeout=30_000):
        window.refresher.refresh_now()
    row = window.table_model.row_for(MODEL)
    assert row is not None and row.status == "InService"
    assert window.jobs.running_count() == 0 and window.jobs.history(MODEL) == []


def test_enter_in_the_windows_stop_confirmation_cancels_it(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    select(window, MODEL)
    window.focus_table()
    assert selected_ids(window) == [MODEL] and window.table_model.row_for(MODEL).status == "InService"  # type: ignore[union-attr]
    qtbot.keyClick(window.view, Qt.Key.Key_T, CTRL_SHIFT)  # Stop, as the toolbar's action
    dialog = shown_confirmation(window, qtbot)
    assert dialog.windowTitle() == "Stop model" and MODEL in dialog.message.text()
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.isDefault() and not dialog.confirm.isDefault()
    with qtbot.waitSignal(dialog.finished, timeout=5_000) as ended:
        press_enter(qtbot)
    assert ended.args == [ConfirmDialog.DialogCode.Rejected.value]
    assert not dialog.isVisible()
    assert_nothing_started(window, backend, qtbot)


def test_enter_in_the_windows_delete_confirmation_deletes_nothing(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    """The Delete confirmation asks for the id typed back: Enter with nothing (or a wrong id) typed confirms
    nothing, and the dialog stays for the id; Escape cancels it."""
    window = make_window(backend)
    select(window, MODEL)
    window.focus_table()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    dialog = shown_confirmation(window, qtbot)
    assert dialog.windowTitle() == "Delete" and MODEL in dialog.message.text()
    assert focused() is dialog.entry
    for typed in ("", MODEL[:-1]):  # nothing, then one letter short
        qtbot.keyClicks(dialog.entry, typed)
        press_enter(qtbot)
        assert dialog.result() != ConfirmDialog.DialogCode.Accepted, f"Enter confirmed with {typed!r} typed"
        assert window.jobs.running_count() == 0 and window.jobs.history(MODEL) == []
        assert dialog.isVisible() and focused() is dialog.entry
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        qtbot.keyClick(dialog.entry, Qt.Key.Key_Escape)
    assert_nothing_started(window, backend, qtbot)


def test_tab_leaves_the_drafts_table(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    store = window.wizards.store
    for model_id in ("draft-one", "draft-two"):
        store.create(DraftKind.CREATE, {"modelId": model_id, "modelName": f"bedrock/{model_id}"})
    panel = window.drafts_panel
    panel.reload()
    assert panel.table.rowCount() == 2
    window.focus_drafts()  # Ctrl+4
    qtbot.waitUntil(lambda: focused() is panel.table)
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Tab)
    assert focused() is not panel.table, "Tab moved between the table's cells instead of leaving it"
    assert focused() is panel.open_button
    qtbot.keyClick(panel.open_button, Qt.Key.Key_Backtab)
    assert focused() is panel.table


def test_the_arrows_select_one_row_of_the_model_table(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    qtbot.waitUntil(lambda: focused() is window.view)
    ids = shown_ids(window)
    assert len(ids) >= 3
    window.view.selectRow(0)
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert selected_ids(window) == [ids[1]]
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert selected_ids(window) == [ids[2]]
    qtbot.keyClick(window.view, Qt.Key.Key_Up)
    assert selected_ids(window) == [ids[1]]
    assert window.details.row is not None and window.details.row.model_id == ids[1]

    # A filter typed while another model is selected leaves one row, current but not selected: Tab into the
    # table selects it, and so does either arrow when nothing is selected (Ctrl+Space took it away).
    select(window, MODEL)
    window.view.setCurrentIndex(window.view.selectionModel().selectedRows()[0])
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.filter_box, "tgi")
    assert shown_ids(window) == ["llama3-8b-tgi"]
    qtbot.keyClick(window.filter_box, Qt.Key.Key_Tab)
    assert focused() is window.view
    assert selected_ids(window) == ["llama3-8b-tgi"]
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
        qtbot.keyClick(window.view, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
        assert selected_ids(window) == [] and window.view.currentIndex().isValid()
        qtbot.keyClick(window.view, key)
        assert selected_ids(window) == ["llama3-8b-tgi"], key


def test_the_shortcuts_dialog_shows_every_line_whole(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(lambda: focused() is not None and window.isAncestorOf(focused()))
    qtbot.keyClick(focused(), "?")
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(ShortcutsDialog)))
    dialog = next(d for d in window.findChildren(ShortcutsDialog) if d.isVisible())
    qtbot.waitExposed(dialog)
    table = dialog.table
    assert table.rowCount() == len(SHORTCUTS)

    hint = dialog.sizeHint()
    assert dialog.width() >= hint.width() and dialog.height() >= hint.height(), (dialog.size(), hint)
    # Every cell's text fits its column (with the cell's margins), and its row's height.
    metrics = table.fontMetrics()
    margin = 2 * (table.style().pixelMetric(table.style().PixelMetric.PM_FocusFrameHMargin, None, table) + 1)
    for column in range(2):
        header = table.horizontalHeaderItem(column).text()
        texts = [header] + [table.item(row, column).text() for row in range(table.rowCount())]
        needed = max(metrics.horizontalAdvance(text) for text in texts) + margin
        assert table.columnWidth(column) >= needed, (column, table.columnWidth(column), needed)
    for row in range(table.rowCount()):
        assert table.rowHeight(row) >= metrics.height(), row
    # Nothing scrolls: the columns fit the viewport's width, and every row its height.
    viewport = table.viewport()
    assert table.horizontalHeader().length() <= viewport.width(), (table.horizontalHeader().length(), viewport.width())
    assert table.verticalHeader().length() <= viewport.height(), (table.verticalHeader().length(), viewport.height())
    assert isinstance(table, QAbstractScrollArea)
    assert not table.verticalScrollBar().isVisible() and table.verticalScrollBar().maximum() == 0
    assert not table.horizontalScrollBar().isVisible() and table.horizontalScrollBar().maximum() == 0
    dialog.reject()
