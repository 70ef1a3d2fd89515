"""Paints the table's text cells as Qt's default delegate does, from pixmaps kept between paints.

Two costs made Qt's own delegate slow on this table:
- QStyledItemDelegate.initStyleOption() asks the model for seven roles of each cell it paints, each a call from
  C++ into Python that must take the GIL. While a refresh parses on a worker thread, each may wait for it.
  This delegate asks for the display text only (the model has no font, colour, check state, decoration or
  background roles) and takes the alignment from the model's rule.
- The style lays out and shapes each cell's text again on every paint: most of a repaint's time.
  This delegate draws a cell it is asked for a second time into a pixmap (on the row background the view draws
  under it), keeps the pixmap under everything the drawing depends on, and copies it on later paints. A cell
  seen for the first time is drawn as it comes: drawing into a pixmap costs more than drawing once, and a
  table filling for the first time would pay that for every cell of its first paint.

The main window's table also bounds the drawing of cells not kept as pixmaps to `TURN_BUDGET_S` an event-loop
turn: past it, new cells are left to the row background and painted in the next turns (see CellDelegate).

A full repaint from kept pixmaps takes about half the time of Qt's delegate (tests/bench/bench_model_table.py
measures both); a cell drawn into a pixmap costs more than a direct draw, once. The pixels are the same as Qt's
delegate's (tests/ui/test_cell_delegate.py), at whole device pixel ratios through pixmaps and at fractional ones
as drawn.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ui.model_table import alignment_of

_HAS_DISPLAY: Final = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_ITEM: Final = QStyle.ControlElement.CE_ItemViewItem
_ROW_PANEL: Final = QStyle.PrimitiveElement.PE_PanelItemViewRow
_HAS_FOCUS: Final = QStyle.StateFlag.State_HasFocus.value

_TEXT_PADDING: Final = 7
"""A cell's width beyond its text: the style's margins on both sides (3 px each, Fusion) and the grid line."""

TURN_BUDGET_S: Final = 0.006
"""The drawing of cells not kept as pixmaps the main window's table does in one event-loop turn."""

SCREENFULS_KEPT: Final = 2
"""Pixmaps are kept up to this many times the view's area: scrolling a page and back draws from them."""

CellKey = tuple[str, int, int, int, float, int, int, int]
"""What a cell's pixels depend on: text, column (its alignment), size, device pixel ratio, state (selected,
enabled, active, hovered), features (alternate row) and palette. The font, the same for every cell, is checked
once per cell against the one the pixmaps were drawn with: a copy of it per cell for the key would cost more."""


class CellPixmaps:
    """Rendered cells, the least recently used dropped first once they hold more than `budget` bytes; and the
    cells seen once (the last `SEEN_KEPT`), which get a pixmap when seen again."""

    SEEN_KEPT: Final = 4096

    def __init__(self, budget: int = 0) -> None:
        self.budget = budget
        self._pixmaps: OrderedDict[CellKey, QPixmap] = OrderedDict()
        self._bytes = 0
        self._seen: OrderedDict[CellKey, None] = OrderedDict()

    def seen(self, key: CellKey) -> bool:
        """Whether `key` was asked for once lately (not noted)."""
        return key in self._seen

    def first_sight(self, key: CellKey) -> bool:
        """Whether `key` is asked for the first time lately (noted now); false once, the next time."""
        if self._seen.pop(key, False) is None:
            return False
        self._seen[key] = None
        if len(self._seen) > self.SEEN_KEPT:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._pixmaps)

    @property
    def size_in_bytes(self) -> int:
        return self._bytes

    def get(self, key: CellKey) -> QPixmap | None:
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
        return pixmap

    def put(self, key: CellKey, pixmap: QPixmap) -> None:
        old = self._pixmaps.pop(key, None)
        if old is not None:
            self._bytes -= _bytes_of(old)
        self._pixmaps[key] = pixmap
        self._bytes += _bytes_of(pixmap)
        while self._bytes > self.budget and len(self._pixmaps) > 1:
            _, dropped = self._pixmaps.popitem(last=False)
            self._bytes -= _bytes_of(dropped)


def _background(view: QAbstractScrollArea) -> QColor:
    """What the viewport fills itself with: its palette's Base (it inherits the view's palette), in the colour
    group of its state. Not read from `view.viewport()`: the first wrapper PySide makes for the viewport sets it
    looking through every widget class, and creating their enums slowed the table's first paint."""
    if not view.isEnabled():
        group = QPalette.ColorGroup.Disabled
    elif view.isActiveWindow():
        group = QPalette.ColorGroup.Active
    else:
        group = QPalette.ColorGroup.Inactive
    return view.palette().color(group, QPalette.ColorRole.Base)


def _bytes_of(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * pixmap.depth() // 8


class CellDelegate(QStyledItemDelegate):
    """With `turn_budget_s`, the drawing of cells not kept as pixmaps stops for the event-loop turn once it took
    that long: cells seen for the first time are left to the row background the view drew, and painted in the
    next turn. The first paint of a table, or of a page of new rows, is then spread over a few turns instead of
    holding the GUI thread for all of its cells (each drawn through the style, more on a larger window).
    Cells seen before are on screen already, so they are drawn directly rather than left blank."""

    def __init__(self, parent: QWidget | None = None, *, turn_budget_s: float | None = None) -> None:
        super().__init__(parent)
        self.cells = CellPixmaps()
        self.turn_budget_s = turn_budget_s
        self.deferred: list[tuple[QAbstractItemView, QPersistentModelIndex]] = []
        """Cells left for the next turn."""
        self._spent = 0.0
        self._turn_open = False
        self._font = QFont()
        self._scratch = QPixmap()
        """Every pixmap is drawn here first, then copied out: a painter on a new pixmap makes its own paint
        engine, which cost more than the drawing."""
        self.short_forms: Mapping[int, Callable[[str], str]] = {}
        """column → the short form of a text of it, shown where the whole text does not fit the cell (the model's
        tooltip keeps it whole)."""
        self._widths: dict[str, int] = {}
        """The width of the texts that have a short form, in the font of the pixmaps (a few distinct values)."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        text = index.data() or ""
        rect = option.rect
        if self.short_forms and (shorten := self.short_forms.get(index.column())) is not None:
            text = self._fitted(text, shorten, option)
        ratio = painter.device().devicePixelRatio()
        state = option.state.value
        view = option.widget
        # A fractional pixel ratio puts cells at fractional device pixels, where a copy would not match the
        # style's drawing; the focus frame is one cell, drawn as it comes.
        if ratio != int(ratio) or state & _HAS_FOCUS or not isinstance(view, QAbstractScrollArea):
            self._draw(painter, option, index, text)
            return
        font = option.font
        if font != self._font:
            self._font = QFont(font)  # a copy: the option's own font goes with the option
            self.cells = CellPixmaps()
            self._widths.clear()
        key = (
            text,
            index.column(),
            rect.width(),
            rect.height(),
            ratio,
            state,
            option.features.value,
            option.palette.cacheKey(),
        )
        pixmap = self.cells.get(key)
        if pixmap is None:
            if self._past_budget():
                if isinstance(view, QAbstractItemView) and not self.cells.seen(key):
                    self.deferred.append((view, QPersistentModelIndex(index)))
                else:
                    self._draw(painter, option, index, text)
                return
            started = time.perf_counter()
            pixmap = self._first_or_kept(painter, option, index, text, key, ratio, view)
            self._charge(time.perf_counter() - started)
            if pixmap is None:
                return
        painter.drawPixmap(rect.topLeft(), pixmap)

    def _fitted(self, text: str, shorten: Callable[[str], str], option: QStyleOptionViewItem) -> str:
        """`text`, or its short form when it is wider than the cell's room for text."""
        if option.font != self._font:
            self._font = QFont(option.font)
            self.cells = CellPixmaps()
            self._widths.clear()
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) > 4096:
                self._widths.clear()
            width = self._widths[text] = option.fontMetrics.horizontalAdvance(text)
        return text if width <= option.rect.width() - _TEXT_PADDING else shorten(text)

    def _first_or_kept(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        text: str,
        key: CellKey,
        ratio: float,
        view: QAbstractScrollArea,
    ) -> QPixmap | None:
        """A cell seen for the first time drawn (None); else its pixmap, drawn and kept."""
        if self.cells.first_sight(key):
            self._draw(painter, option, index, text)
            return None
        pixmap = self._render(option, index, text, ratio, view)
        self.cells.budget = int(SCREENFULS_KEPT * view.width() * view.height() * ratio * ratio * 4)
        self.cells.put(key, pixmap)
        return pixmap

    def _past_budget(self) -> bool:
        budget = self.turn_budget_s
        return budget is not None and self._turn_open and self._spent >= budget  # at least one cell a turn

    def _charge(self, seconds: float) -> None:
        if self.turn_budget_s is None:
            return
        self._spent += seconds
        if not self._turn_open:
            self._turn_open = True
            QTimer.singleShot(0, self, self._next_turn)

    def _next_turn(self) -> None:
        self._spent = 0.0
        self._turn_open = False
        deferred, self.deferred = self.deferred, []
        for view, index in deferred:
            view.update(index)  # nothing for a row gone since

    def _render(
        self,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        text: str,
        ratio: float,
        view: QAbstractScrollArea,
    ) -> QPixmap:
        """The cell as the view shows it: the viewport's background, the row's panel (alternate rows) the view
        draws under each cell, then the cell itself."""
        size = option.rect.size()
        scratch = self._scratch
        if (
            scratch.devicePixelRatio() != ratio
            or scratch.width() < size.width() * ratio
            or scratch.height() < (size.height() * ratio)
        ):
            scratch = self._scratch = QPixmap(
                max(scratch.width(), int(size.width() * ratio)), max(scratch.height(), int(size.height() * ratio))
            )
            scratch.setDevicePixelRatio(ratio)
        cell = self._cell_option(option, index, text)
        cell.rect = QRect(QPoint(0, 0), size)
        scratch.fill(_background(view))
        painter = QPainter(scratch)
        try:
            style = view.style()
            style.drawPrimitive(_ROW_PANEL, cell, painter, view)
            style.drawControl(_ITEM, cell, painter, view)
        finally:
            painter.end()
        pixmap = scratch.copy(QRect(QPoint(0, 0), size * ratio))
        pixmap.setDevicePixelRatio(ratio)
        return pixmap

    def _draw(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        text: str,
    ) -> None:
        cell = self._cell_option(option, index, text)
        widget = cell.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(_ITEM, cell, painter, widget)

    @staticmethod
    def _cell_option(
        option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex, text: str
    ) -> QStyleOptionViewItem:
        cell = QStyleOptionViewItem(option)
        if isinstance(index, QModelIndex):  # as views pass it
            cell.index = index
        cell.text = text
        cell.features |= _HAS_DISPLAY
        alignment = alignment_of(index.column())
        if alignment is not None:
            cell.displayAlignment = alignment
        return cell
