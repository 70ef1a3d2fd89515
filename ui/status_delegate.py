"""Paints the Status column: a tinted pill holding a glyph in the status's colour, then the status in words.

InService is a green dot, Stopped a grey square, Failed a red cross; a change in progress (Creating, Starting,
Updating, Stopping, Deleting) is an amber spinner arc that turns one step each `tick()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView

from engine.schema.enums import ModelStatus
from ui.model_table import Column, status_of

PHASES: Final = 12
"""Spinner steps per turn."""
_PAD: Final = 4
_GAP: Final = 5


class Glyph(Enum):
    DOT = "dot"
    SQUARE = "square"
    CROSS = "cross"
    SPINNER = "spinner"
    RING = "ring"
    """A status this version does not know."""


@dataclass(frozen=True)
class Swatch:
    light: str
    """For light palettes: dark enough to read on white."""
    dark: str
    """For dark palettes: bright enough to read on near-black."""


GREEN: Final = Swatch("#1a7f37", "#3fb950")
GREY: Final = Swatch("#6e7781", "#9198a1")
RED: Final = Swatch("#cf222e", "#f85149")
AMBER: Final = Swatch("#b35900", "#e3b341")


_TRANSITIONAL: Final = frozenset(status.value for status in ModelStatus if status.is_transitional)
PILL_CACHE_SIZE: Final = 256
"""Rendered pills kept: a few statuses × spinner phases × selected or not, at one or two cell sizes."""

PillKey = tuple[str, int, int, bool, int, int, int, str, float]
"""(status, cell width, cell height, selected, spinner phase, palette, its colour group (active, inactive or
disabled), font, device pixel ratio)."""


def is_transitional(status: str) -> bool:
    return status in _TRANSITIONAL


def status_look(status: str) -> tuple[Glyph, Swatch]:
    if status == ModelStatus.IN_SERVICE:
        return Glyph.DOT, GREEN
    if status == ModelStatus.STOPPED:
        return Glyph.SQUARE, GREY
    if status == ModelStatus.FAILED:
        return Glyph.CROSS, RED
    if is_transitional(status):
        return Glyph.SPINNER, AMBER
    return Glyph.RING, GREY


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5


def status_colour(status: str, palette: QPalette) -> QColor:
    _, swatch = status_look(status)
    return QColor(swatch.dark if is_dark(palette) else swatch.light)


def pill_fill(colour: QColor, palette: QPalette, opaque: bool) -> QColor:
    """A light tint of the status colour; opaque (mixed into Base) on a selected row, where the highlight
    behind a translucent tint would leave the glyph and text hard to read."""
    alpha = 0.16
    if not opaque:
        tint = QColor(colour)
        tint.setAlphaF(alpha)
        return tint
    base = palette.color(QPalette.ColorRole.Base)
    return QColor.fromRgbF(
        base.redF() + (colour.redF() - base.redF()) * alpha,
        base.greenF() + (colour.greenF() - base.greenF()) * alpha,
        base.blueF() + (colour.blueF() - base.blueF()) * alpha,
    )


class StatusDelegate(QStyledItemDelegate):
    """Install on the view's Status column; call `tick()` from a timer (about 100 ms) to turn the spinners."""

    def __init__(self, view: QTableView, column: int = Column.STATUS) -> None:
        super().__init__(view)
        self._view = view
        self._column = column
        self._phase = 0
        self._pills: dict[PillKey, QPixmap] = {}

    @property
    def phase(self) -> int:
        return self._phase

    def set_phase(self, phase: int) -> None:
        self._phase = phase % PHASES

    def tick(self) -> int:
        """Advance the spinners one step and repaint the visible in-progress cells; returns how many there were
        (none: the timer may stop)."""
        self.set_phase(self._phase + 1)
        model = self._view.model()
        if model is None or model.rowCount() == 0:
            return 0
        viewport = self._view.viewport()
        first = max(self._view.rowAt(0), 0)
        last = self._view.rowAt(viewport.height() - 1)
        if last < 0:
            last = model.rowCount() - 1
        repainted = 0
        for row in range(first, last + 1):
            index = model.index(row, self._column)
            if is_transitional(status_of(str(index.data()))):
                self._view.update(index)
                repainted += 1
        return repainted

    @staticmethod
    def pill_rect(cell: QRect, text_width: int, height: int) -> QRectF:
        """Where the pill sits in a cell: left-aligned, vertically centred, as wide as glyph + gap + text."""
        pill_height = min(height, cell.height() - 4)
        width = min(pill_height + _GAP + text_width + 2 * _PAD, cell.width() - 2 * _PAD)
        top = cell.top() + (cell.height() - pill_height) / 2
        return QRectF(cell.left() + _PAD, top, max(width, 0), pill_height)

    @staticmethod
    def glyph_rect(pill: QRectF) -> QRectF:
        side = pill.height() * 0.56
        return QRectF(pill.left() + _PAD + 1, pill.center().y() - side / 2, side, side)

    def cell_geometry(self, option: QStyleOptionViewItem, status: str) -> tuple[QRectF, QRectF]:
        """(pill, glyph) rectangles for this status in a cell, in the view's viewport coordinates."""
        metrics = option.fontMetrics
        pill = self.pill_rect(option.rect, metrics.horizontalAdvance(status), metrics.height() + 4)
        return pill, self.glyph_rect(pill)

    # Qt

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        # One data() call and a cached picture per cell: a repaint draws hundreds of these cells, and the
        # base class's initStyleOption() alone would ask the model for seven roles of each.
        value = index.data()
        status = "" if value is None else str(value)
        base = status_of(status)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        phase = self._phase if base in _TRANSITIONAL else 0
        ratio = painter.device().devicePixelRatioF()
        key: PillKey = (
            status,
            rect.width(),
            rect.height(),
            selected,
            phase,
            option.palette.cacheKey(),
            option.palette.currentColorGroup().value,
            option.font.key(),
            ratio,
        )
        pill = self._pills.get(key)
        if pill is None:
            if len(self._pills) >= PILL_CACHE_SIZE:
                self._pills.clear()
            pill = self._pills[key] = self._render_pill(option, status, selected, ratio)
        painter.drawPixmap(rect.topLeft(), pill)

    def _render_pill(self, option: QStyleOptionViewItem, status: str, selected: bool, ratio: float) -> QPixmap:
        """The pill of a cell of `option.rect`'s size, on a transparent background."""
        pixmap = QPixmap(QSize(option.rect.width(), option.rect.height()) * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        cell = QRect(0, 0, option.rect.width(), option.rect.height())
        palette = option.palette
        colour = status_colour(status_of(status), palette)
        glyph, _ = status_look(status_of(status))
        metrics = option.fontMetrics
        pill = self.pill_rect(cell, metrics.horizontalAdvance(status), metrics.height() + 4)
        glyph_box = self.glyph_rect(pill)
        painter = QPainter(pixmap)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pill_fill(colour, palette, opaque=selected))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            self._draw_glyph(painter, glyph, glyph_box, colour)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.setFont(option.font)
            text_rect = QRectF(
                glyph_box.right() + _GAP, pill.top(), pill.right() - glyph_box.right() - _GAP, pill.height()
            )
            text = metrics.elidedText(status, Qt.TextElideMode.ElideRight, int(text_rect.width()))
            painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        finally:
            painter.end()
        return pixmap

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        metrics = option.fontMetrics
        pill_height = metrics.height() + 4
        pill_width = pill_height + _GAP + metrics.horizontalAdvance(str(index.data() or "")) + 2 * _PAD
        return QSize(max(base.width(), pill_width + 2 * _PAD), max(base.height(), pill_height + 4))

    def _draw_glyph(self, painter: QPainter, glyph: Glyph, box: QRectF, colour: QColor) -> None:
        pen_width = max(1.5, box.width() / 5)
        if glyph is Glyph.DOT:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(box)
        elif glyph is Glyph.SQUARE:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(box.adjusted(0.5, 0.5, -0.5, -0.5), 1.5, 1.5)
        elif glyph is Glyph.CROSS:
            painter.setPen(QPen(colour, pen_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            inner = box.adjusted(pen_width / 2, pen_width / 2, -pen_width / 2, -pen_width / 2)
            painter.drawLine(inner.topLeft(), inner.bottomRight())
            painter.drawLine(inner.bottomLeft(), inner.topRight())
        elif glyph is Glyph.SPINNER:
            painter.setPen(QPen(colour, pen_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inner = box.adjusted(pen_width / 2, pen_width / 2, -pen_width / 2, -pen_width / 2)
            # Qt angles are in 1/16 degree, counter-clockwise; turning clockwise reads as progress.
            start = (90 - self._phase * 360 // PHASES) * 16
            painter.drawArc(inner, start, 270 * 16)
        else:
            painter.setPen(QPen(colour, pen_width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(box.adjusted(1, 1, -1, -1))
