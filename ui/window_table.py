"""The model table's view: its columns, their widths and menu, and the delegates that draw its cells."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView

from ui.cell_delegate import CellDelegate
from ui.model_filter import ModelFilterProxy
from ui.model_table import Column
from ui.status_delegate import StatusDelegate

COLUMN_WIDTHS: dict[Column, int] = {
    Column.MODEL_ID: 160,
    Column.NAME: 170,
    Column.HOSTING: 88,
    Column.TYPE: 85,
    Column.STATUS: 155,
    Column.INSTANCE_TYPE: 95,
    Column.CAPACITY: 115,
    Column.RUNNING_TASKS: 60,
    Column.HEALTHY_INSTANCES: 70,
    Column.STREAMING: 80,
    Column.FEATURES: 150,
    Column.ALLOWED_GROUPS: 150,
    Column.LAST_MODIFIED: 130,
}
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    Column.ALLOWED_GROUPS,
    Column.FEATURES,
    Column.STREAMING,
    Column.LAST_MODIFIED,
    Column.TYPE,
)
"""Hidden first, in this order, while the columns do not fit the table's first width (View → Columns shows them)."""


def make_view(proxy: ModelFilterProxy) -> tuple[QTableView, CellDelegate, StatusDelegate]:
    """A plain QTableView, not a subclass: every virtual call of a Python subclass would ask Python first."""
    view = QTableView()
    view.setObjectName("modelTable")
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(Column.MODEL_ID, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.setTabKeyNavigation(False)  # Tab leaves the table (filter → table → details → jobs)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setSectionsMovable(True)
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(lambda position: _show_column_menu(view, position))
    for column, width in COLUMN_WIDTHS.items():
        header.resizeSection(column, width)
    # The window's first frame draws every cell (start-up has nothing to interleave, and a complete first
    # frame of cached rows is what start-up is timed to); later frames keep to the turn budget.
    cell_delegate = CellDelegate(view)
    view.setItemDelegate(cell_delegate)
    status_delegate = StatusDelegate(view)
    view.setItemDelegateForColumn(Column.STATUS, status_delegate)
    return view, cell_delegate, status_delegate


def select_row_under(view: QTableView, position: QPoint) -> None:
    """A right click on a row outside the selection selects that row alone (its menu is then for it)."""
    index: QModelIndex = view.indexAt(position)
    if index.isValid() and not view.selectionModel().isRowSelected(index.row(), QModelIndex()):
        view.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )


def make_current_if_none(view: QTableView) -> None:
    """The table's current row, made the first one when there is none (the arrows then move from it)."""
    model = view.model()
    if view.currentIndex().isValid() or model.rowCount() == 0:
        return
    view.setCurrentIndex(model.index(0, Column.MODEL_ID))


def _show_column_menu(view: QTableView, position: QPoint) -> None:
    menu = QMenu(view.window())
    fill_column_menu(view, menu)
    menu.popup(view.horizontalHeader().mapToGlobal(position))


def fill_column_menu(view: QTableView, menu: QMenu) -> None:
    menu.clear()
    header = view.horizontalHeader()
    for column in Column:
        action = menu.addAction(column.label)
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(column))
        action.setEnabled(column is not Column.MODEL_ID)
        action.toggled.connect(lambda shown, c=column: header.setSectionHidden(c, not shown))


def fit_columns(view: QTableView) -> None:
    """Hide the optional columns, least needed first, until the shown ones fit the table without scrolling
    (a first start on a small screen; the header's state is saved from then on)."""
    header = view.horizontalHeader()
    room = view.viewport().width()
    for column in OPTIONAL_COLUMNS:
        shown = [c for c in Column if not header.isSectionHidden(c)]
        if sum(header.sectionSize(c) for c in shown[:-1]) + COLUMN_WIDTHS.get(shown[-1], 100) <= room:
            return
        header.setSectionHidden(column, True)
