"""The model table's view: its columns, their widths and menu, and the delegates that draw its cells."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QStyle, QStyleOptionHeader, QTableView

from ui.cell_delegate import CellDelegate
from ui.model_filter import ModelFilterProxy
from ui.model_table import DEFAULT_STAR, LIVE_COLUMNS, LIVE_NOTE_ROLE, NOTE_SEPARATOR, Column, compact_tokens
from ui.next_action import compact_text
from ui.row_jobs import ROLLED_BACK_NOTE
from ui.status_delegate import StatusDelegate

COLUMN_WIDTHS: dict[Column, int] = {
    Column.MODEL_ID: 150,
    Column.NAME: 170,
    Column.HOSTING: 88,
    Column.TYPE: 80,
    Column.STATUS: 150,
    Column.INSTANCE_TYPE: 85,
    Column.CAPACITY: 75,
    Column.RUNNING_TASKS: 50,
    Column.HEALTHY_INSTANCES: 60,
    Column.STREAMING: 75,
    Column.FEATURES: 120,
    Column.ALLOWED_GROUPS: 120,
    Column.LAST_MODIFIED: 120,
    Column.CONTEXT_WINDOW: 70,
    Column.DEFAULT: 70,
    Column.NEXT_ACTION: 110,
}
"""First widths, until `fit_columns` fits them to the table once it shows (a first start)."""
FIT_SAMPLE_ROWS = 200
LIVE_NOTE_LINE_CHARS = 8
"""A live column's note under its label, wrapped at this many characters (`no AWS` / `access`)."""
"""Rows whose values the column widths are fitted to: a fit, run as the window resizes, measures a sample of a
big table (as QHeaderView's own resizeContentsPrecision) rather than every row."""
HEADER_LABELS: dict[Column, str] = {
    Column.INSTANCE_TYPE: "Instance",
    Column.CAPACITY: "Capacity",
    Column.STREAMING: "Stream",
    Column.ALLOWED_GROUPS: "Groups",
    Column.LAST_MODIFIED: "Modified",
    Column.CONTEXT_WINDOW: "Context",
    Column.DEFAULT: DEFAULT_STAR,
    Column.NEXT_ACTION: "Next",
}
"""Headers shorter than the column's name, as the filter names them (`capacity:`, `groups:`): the full name is in
the header's tooltip and the column menu."""
HOSTING_SHORT: dict[str, str] = {"LISA-hosted": "LISA", "Third-party": "3rd party"}
TYPE_SHORT: dict[str, str] = {"textgen": "text", "embedding": "embed", "imagegen": "image", "videogen": "video"}
MONTHS: tuple[str, ...] = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SHORT_FORMS: dict[int, Callable[[str], str]] = {
    Column.HOSTING: lambda text: HOSTING_SHORT.get(text, text),
    Column.TYPE: lambda text: TYPE_SHORT.get(text, text),
    Column.INSTANCE_TYPE: lambda text: text.removesuffix("xlarge") + "xl" if text.endswith("xlarge") else text,
    Column.LAST_MODIFIED: lambda text: day_and_month(text),
    Column.CONTEXT_WINDOW: compact_tokens,
    Column.DEFAULT: lambda text: text and DEFAULT_STAR,
    Column.NEXT_ACTION: compact_text,
}
"""What a cell shows when its whole text does not fit its column (the whole text is in its tooltip)."""
STATUS_SAMPLES: tuple[str, ...] = ("Starting · capacity", f"InService{NOTE_SEPARATOR}{ROLLED_BACK_NOTE}")
"""Status cells the Status column makes room for, besides the statuses shown: a job's step, the rolled-back mark."""
ELASTIC: dict[Column, str] = {
    Column.MODEL_ID: "llama3-1-70…",
    Column.NAME: "mistr…",
    Column.NEXT_ACTION: "stop 18:00 CET",
    Column.FEATURES: "summ…",
    Column.ALLOWED_GROUPS: "everyone",
}
"""Columns whose long values are cut (their tooltip has them whole) while the table is narrow, down to the width of
these samples; the table's room beyond what every column needs goes to them, up to their longest value."""
NEXT_ACTION_LATER = "starts Wed 09:00 CET"
"""About the widest "Next action" (another day's): the spare room goes to it even while every next action is today's,
so that the column needs no fit again as the day goes on."""
COMFORTABLE: dict[Column, str] = {
    Column.NAME: "mistral…",
    Column.ALLOWED_GROUPS: ELASTIC[Column.ALLOWED_GROUPS],
    Column.FEATURES: "summar…",
}
"""How far these cut columns grow in the first share of the spare room; they grow to their whole values only once
the other columns of `GROWING_FIRST` have theirs."""
GROWING_FIRST: tuple[Column, ...] = (
    Column.NEXT_ACTION,
    Column.INSTANCE_TYPE,
    Column.LAST_MODIFIED,
    Column.HOSTING,
    Column.TYPE,
    Column.DEFAULT,
    Column.MODEL_ID,
    Column.NAME,
    Column.ALLOWED_GROUPS,
    Column.FEATURES,
)
"""Who gets the table's spare room first, each up to its whole values (`COMFORTABLE` first up to theirs): the next
action made whole, then the other short forms, then the ids."""


def day_and_month(text: str) -> str:
    """A "Last modified" text (`2026-11-18 20:49`) as its day and month (`18 Nov`); the year and time are in the
    tooltip."""
    year_month_day = text.split(" ", 1)[0].split("-")
    if len(year_month_day) != 3 or not all(part.isdigit() for part in year_month_day):
        return text
    _year, month, day = (int(part) for part in year_month_day)
    return f"{day} {MONTHS[month - 1]}" if 1 <= month <= 12 else text


class ColumnHeader(QHeaderView):
    """The table's header, showing `HEADER_LABELS` (only the header's own painting is in Python, a few sections a
    paint)."""

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logicalIndex: int) -> None:
        super().initStyleOptionForIndex(option, logicalIndex)
        option.text = header_text(logicalIndex, live_note_of(self, logicalIndex))

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:
        """Tall enough for a live column's note, on its second line."""
        size = super().sectionSizeFromContents(logicalIndex)
        note = live_note_of(self, logicalIndex)
        if note:
            lines = header_text(logicalIndex, note).count("\n") + 1
            size.setHeight(max(size.height(), lines * self.fontMetrics().lineSpacing() + 8))
        return size


def header_text(column: int, live_note: str | None = None) -> str:
    """The text the header shows for `column` (a live column's with why it is empty under it, when it is)."""
    text = HEADER_LABELS.get(Column(column), Column(column).label)
    # Wrapped: on one line the note would widen three columns past a 1280-pixel window.
    return "\n".join([text, *textwrap.wrap(live_note, LIVE_NOTE_LINE_CHARS)]) if live_note else text


def live_note_of(header: QHeaderView, column: int) -> str | None:
    """Why the live `column` is empty for every row, as the table's model says (`LIVE_NOTE_ROLE`); else None."""
    if column not in LIVE_COLUMNS:
        return None
    model = header.model()
    note = model.headerData(column, Qt.Orientation.Horizontal, LIVE_NOTE_ROLE) if model is not None else None
    return note if isinstance(note, str) else None


def fit_live_headers(view: QTableView) -> None:
    """Widen the live columns to show their headers whole (their note came or went), leaving the others as they are."""
    header = view.horizontalHeader()
    for column in LIVE_COLUMNS:
        header.resizeSection(column, max(header.sectionSize(column), column_need(view, column)))


def make_view(proxy: ModelFilterProxy) -> tuple[QTableView, CellDelegate, StatusDelegate]:
    """A plain QTableView, not a subclass: every virtual call of a Python subclass would ask Python first."""
    view = QTableView()
    view.setObjectName("modelTable")
    view.setHorizontalHeader(ColumnHeader(Qt.Orientation.Horizontal, view))
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
    header.setMinimumSectionSize(view.fontMetrics().horizontalAdvance(DEFAULT_STAR) + 12)  # the ★ column
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(lambda position: _show_column_menu(view, position))
    header.sortIndicatorChanged.connect(lambda column, _order: _on_sorted(view, column))
    for column, width in COLUMN_WIDTHS.items():
        header.resizeSection(column, width)
    # The window's first frame draws every cell (start-up has nothing to interleave, and a complete first
    # frame of cached rows is what start-up is timed to); later frames keep to the turn budget.
    cell_delegate = CellDelegate(view)
    cell_delegate.short_forms = SHORT_FORMS
    view.setItemDelegate(cell_delegate)
    status_delegate = StatusDelegate(view)
    view.setItemDelegateForColumn(Column.STATUS, status_delegate)
    ColumnFitter(view)
    return view, cell_delegate, status_delegate


def select_row_under(view: QTableView, position: QPoint) -> None:
    """A right click on a row outside the selection selects that row alone (its menu is then for it)."""
    index: QModelIndex = view.indexAt(position)
    if index.isValid() and not view.selectionModel().isRowSelected(index.row(), QModelIndex()):
        view.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )


def make_current_if_none(view: QTableView) -> None:
    """The table's current row, made the first one when there is none (the arrows then move from it), and selected
    when no row is: a filter can leave the current row unselected, the only row it shows say."""
    model = view.model()
    if model.rowCount() == 0:
        return
    if not view.currentIndex().isValid():
        view.setCurrentIndex(model.index(0, Column.MODEL_ID))
    select_current_if_none(view)


def select_current_if_none(view: QTableView) -> None:
    """With no row selected, the current one is (before an arrow moves on from it: on a table's only row, or its
    first or last, the arrow would otherwise select nothing)."""
    current = view.currentIndex()
    if current.isValid() and not view.selectionModel().hasSelection():
        view.selectionModel().select(
            current, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )


ROW_KEYS = frozenset(
    {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End}
)


def select_before_row_key(view: QTableView, event: QEvent) -> None:
    """An arrow (or Page Up/Down, Home, End) with no row selected selects the current one first."""
    if (
        isinstance(event, QKeyEvent)
        and event.type() == QEvent.Type.KeyPress
        and event.key() in ROW_KEYS
        and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
    ):
        select_current_if_none(view)


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


class ColumnFitter(QObject):
    """Fits the columns again as the table's width changes, from `fit_columns` on until the user resizes a column
    (the user's widths are kept from then on, and saved with the header). Watches the view, not its viewport: the
    first Python wrapper of the viewport is costly before the first paint (ui/window_startup.py)."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.setObjectName("columnFitter")
        self._view = view
        self.active = False
        self._fitting = False
        self._width = -1
        view.installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self._on_section_resized)

    def fit(self) -> None:
        self.active = True
        self._fitting = True
        try:
            _fit(self._view)
        finally:
            self._fitting = False
        self._width = self._view.width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.active and event.type() == QEvent.Type.Resize and self._view.width() != self._width:
            self._width = self._view.width()
            QTimer.singleShot(0, self, self._refit)
        return False

    def _refit(self) -> None:
        if self.active:
            self.fit()

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        header = self._view.horizontalHeader()
        last = header.logicalIndex(header.count() - 1 - _hidden_at_end(header))
        if not self._fitting and column != last:  # the last section stretches with the table by itself
            self.active = False


def _hidden_at_end(header: QHeaderView) -> int:
    hidden = 0
    for visual in range(header.count() - 1, -1, -1):
        if not header.isSectionHidden(header.logicalIndex(visual)):
            break
        hidden += 1
    return hidden


def fit_columns(view: QTableView) -> None:
    """Fit the columns to the table's width now, and again as it changes until the user resizes one."""
    fitter = view.findChild(ColumnFitter, "columnFitter")
    if fitter is None:
        _fit(view)
    else:
        fitter.fit()


def _fit(view: QTableView) -> None:
    """Fit the shown columns to the table's width, none hidden (a first start; the header's state is saved from
    then on): each at least as wide as its header and its usual values (short forms where a value has one, the
    elastic columns' samples), then the spare room to the columns whose values are cut, in `GROWING_FIRST` order
    (`COMFORTABLE` ones to their samples first).
    Where even that does not fit, the table scrolls: only the user hides columns."""
    header = view.horizontalHeader()
    shown = [column for column in Column if not header.isSectionHidden(column)]
    if not shown:
        return
    texts = {column: _texts(view, column) for column in shown}
    floors = {column: _floor(view, column, texts[column]) for column in shown}
    wants = {column: max(floors[column], _whole(view, column, texts[column])) for column in shown}
    if Column.NEXT_ACTION in wants and any(texts[Column.NEXT_ACTION]):
        wants[Column.NEXT_ACTION] = max(
            wants[Column.NEXT_ACTION], _whole(view, Column.NEXT_ACTION, [NEXT_ACTION_LATER])
        )
    room = view.viewport().width()
    if view.verticalScrollBar().isHidden() and view.model().rowCount() * view.verticalHeader().defaultSectionSize() > (
        view.viewport().height()
    ):
        room -= view.verticalScrollBar().sizeHint().width()  # it will show once the rows are in
    spare = room - sum(floors.values())
    widths = dict(floors)
    metrics = view.fontMetrics()
    comfortable = {
        column: min(wants[column], max(floors[column], metrics.horizontalAdvance(sample) + _cell_padding(view)))
        for column, sample in COMFORTABLE.items()
        if column in wants
    }
    for limits in (comfortable, {}):
        for column in GROWING_FIRST:
            if column in widths and spare > 0:
                grown = max(0, min(limits.get(column, wants[column]) - widths[column], spare))
                widths[column] += grown
                spare -= grown
    for column, width in widths.items():  # the last one too: it stretches from there, never below it
        header.resizeSection(column, width)


def column_need(view: QTableView, column: int) -> int:
    """The width `column`'s header needs to show its text whole (with the sort arrow when sorted by it)."""
    header = view.horizontalHeader()
    style = header.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    lines = header_text(column, live_note_of(header, column)).splitlines()
    need = max(header.fontMetrics().horizontalAdvance(line) for line in lines) + 2 * margin + 2
    if header.isSortIndicatorShown() and header.sortIndicatorSection() == column:
        need += style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header) + margin
    return need


def _cell_padding(view: QTableView) -> int:
    return 2 * (view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1) + 2


def _texts(view: QTableView, column: int) -> list[str]:
    """The distinct values of `column` in at most `FIT_SAMPLE_ROWS` rows spread over the table (filtered out or
    not: a filter does not move the widths)."""
    model = view.model()
    source = model.sourceModel() if isinstance(model, QSortFilterProxyModel) else model
    rows = source.rowCount()
    step = max(1, math.ceil(rows / FIT_SAMPLE_ROWS))
    return list({str(source.index(row, column).data() or "") for row in range(0, rows, step)})


def _status_width(view: QTableView, texts: list[str]) -> int:
    """The width of a Status cell whose pill holds the widest of `texts` whole (the pill's margin on both sides)."""
    metrics = view.fontMetrics()
    widest = max((metrics.horizontalAdvance(text) for text in texts), default=0)
    cell = QRect(0, 0, 10_000, view.verticalHeader().defaultSectionSize())
    pill = StatusDelegate.pill_rect(cell, widest, metrics.height() + 4)
    return math.ceil(pill.right() + pill.left()) + 2


def _floor(view: QTableView, column: Column, texts: list[str]) -> int:
    """The least width that shows `column`'s header and its usual values (`texts`)."""
    metrics = view.fontMetrics()
    if column is Column.STATUS:
        content = _status_width(view, [*texts, *STATUS_SAMPLES])
    elif column in ELASTIC:
        widest = max((metrics.horizontalAdvance(text) for text in texts), default=0)
        content = min(widest, metrics.horizontalAdvance(ELASTIC[column])) + _cell_padding(view)
    else:
        shorten = SHORT_FORMS.get(column)
        if shorten is not None:
            texts = [shorten(text) for text in texts]
        content = max((metrics.horizontalAdvance(text) for text in texts), default=0) + _cell_padding(view)
    return max(column_need(view, column), content, view.horizontalHeader().minimumSectionSize())


def _whole(view: QTableView, column: Column, texts: list[str]) -> int:
    """The width that shows every value of `column` (`texts`) whole."""
    if column is Column.STATUS:
        return 0
    metrics = view.fontMetrics()
    widest = max((metrics.horizontalAdvance(text) for text in texts), default=0)
    return widest + _cell_padding(view)


def _on_sorted(view: QTableView, column: int) -> None:
    """The widths stay as they are, unless the sorted column lacks room for the arrow: then a fit (while the
    columns are fitted) or that column alone made wider."""
    header = view.horizontalHeader()
    if not 0 <= column < header.count() or header.sectionSize(column) >= column_need(view, column):
        return
    fitter = view.findChild(ColumnFitter, "columnFitter")
    if fitter is not None and fitter.active:
        fitter.fit()
    else:
        _make_room_for_arrow(view, column)


def _make_room_for_arrow(view: QTableView, column: int) -> None:
    """A column sorted by gets room for the sort arrow beside its header text."""
    header = view.horizontalHeader()
    if 0 <= column < header.count() and header.sectionSize(column) < (need := column_need(view, column)):
        header.resizeSection(column, need)
