"""Paints the table's text cells as Qt's default delegate does, with one call into Python per cell instead of seven.

QStyledItemDelegate.initStyleOption() asks the model for seven roles of each cell it paints, each a call from C++
into Python that must take the GIL: a repaint of the window is ~2,400 of them. While a refresh parses on a worker
thread, each may wait for the GIL. Measured on this window (5,000 rows, a full repaint): alone, this delegate is
slower (~10 ms against ~8: it copies the style option in Python); beside two threads parsing JSON, 2-4 times
faster (median 95-345 ms against 270-510). It asks for the display text only (the model has no font, colour,
check state, decoration or background roles) and takes the alignment from the model's rule: the same pixels
(tests/ui/test_cell_delegate.py).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.model_table import alignment_of

_HAS_DISPLAY: Final = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_ITEM: Final = QStyle.ControlElement.CE_ItemViewItem


class CellDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        cell = QStyleOptionViewItem(option)
        if isinstance(index, QModelIndex):  # as views pass it
            cell.index = index
        cell.text = index.data() or ""
        cell.features |= _HAS_DISPLAY
        alignment = alignment_of(index.column())
        if alignment is not None:
            cell.displayAlignment = alignment
        widget = cell.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(_ITEM, cell, painter, widget)
