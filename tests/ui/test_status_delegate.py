from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QStyleOptionViewItem, QTableView
from pytestqt.qtbot import QtBot

from engine.schema.enums import ModelStatus
from tests.ui.rows import make_row
from ui.model_filter import ModelFilterProxy
from ui.model_table import Column, ModelTableModel
from ui.status_delegate import (
    AMBER,
    GREEN,
    GREY,
    RED,
    Glyph,
    StatusDelegate,
    is_dark,
    pill_fill,
    status_colour,
    status_look,
)

STATUSES = [*(status.value for status in ModelStatus), "Mystery"]


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#000000"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#3070c0"))
    return palette


class Table:
    def __init__(self, qtbot: QtBot, statuses: list[str], palette: QPalette | None = None) -> None:
        self.model = ModelTableModel()
        self.model.apply([make_row(f"m{number:02d}", status=status) for number, status in enumerate(statuses)])
        self.proxy = ModelFilterProxy(self.model)
        self.view = QTableView()
        qtbot.addWidget(self.view)
        if palette is not None:
            self.view.setPalette(palette)
        self.view.setModel(self.proxy)
        self.delegate = StatusDelegate(self.view)
        self.view.setItemDelegateForColumn(Column.STATUS, self.delegate)
        self.view.resize(900, 40 + 32 * len(statuses))
        self.view.resizeColumnToContents(Column.STATUS)
        self.view.show()
        qtbot.waitExposed(self.view)

    def geometry(self, row: int) -> tuple[QRectF, QRectF]:
        index = self.proxy.index(row, Column.STATUS)
        option = QStyleOptionViewItem()
        option.initFrom(self.view.viewport())
        option.rect = self.view.visualRect(index)
        return self.delegate.cell_geometry(option, str(index.data()))

    def grab(self) -> QImage:
        return self.view.viewport().grab().toImage()


def close(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tolerance


def pixels_like(image: QImage, area: QRectF, colour: QColor) -> int:
    rect = area.toAlignedRect()
    return sum(
        close(image.pixelColor(x, y), colour)
        for x in range(rect.left(), rect.right() + 1)
        for y in range(rect.top(), rect.bottom() + 1)
    )


def test_each_status_has_its_glyph_and_colour_family() -> None:
    assert status_look("InService") == (Glyph.DOT, GREEN)
    assert status_look("Stopped") == (Glyph.SQUARE, GREY)
    assert status_look("Failed") == (Glyph.CROSS, RED)
    for status in ("Creating", "Starting", "Stopping", "Updating", "Deleting"):
        assert status_look(status) == (Glyph.SPINNER, AMBER)
    assert status_look("Mystery") == (Glyph.RING, GREY)


def test_colours_follow_the_palette_lightness() -> None:
    light, dark = light_palette(), dark_palette()
    assert not is_dark(light)
    assert is_dark(dark)
    for status in STATUSES:
        on_light, on_dark = status_colour(status, light), status_colour(status, dark)
        assert on_dark.lightnessF() > on_light.lightnessF(), status
        assert on_light.lightnessF() < 0.55, f"{status} is too pale to read on white"
        assert on_dark.lightnessF() > 0.45, f"{status} is too dark to read on near-black"


@pytest.mark.parametrize("palette", [light_palette, dark_palette], ids=["light", "dark"])
def test_every_status_paints_its_glyph_in_its_colour_and_its_name(qtbot: QtBot, palette: Any) -> None:
    table = Table(qtbot, STATUSES, palette())
    image = table.grab()
    text_colour = table.view.palette().color(QPalette.ColorRole.Text)
    for row, status in enumerate(STATUSES):
        colour = status_colour(status, table.view.palette())
        pill, glyph = table.geometry(row)
        centre = glyph.center().toPoint()
        kind, _ = status_look(status)
        if kind in (Glyph.DOT, Glyph.SQUARE, Glyph.CROSS):
            assert close(image.pixelColor(centre), colour, 8), f"{status}: {image.pixelColor(centre).name()}"
        assert pixels_like(image, glyph, colour) >= 6, status
        words = QRectF(glyph.right() + 4, pill.top(), pill.right() - glyph.right() - 4, pill.height())
        assert pixels_like(image, words, text_colour) >= 10, f"{status}: no text drawn"


def test_a_selected_row_keeps_its_pill_legible(qtbot: QtBot) -> None:
    table = Table(qtbot, ["InService", "Stopped"], light_palette())
    table.view.selectRow(0)
    qtbot.wait(1)
    image = table.grab()
    palette = table.view.palette()
    for row in (0, 1):
        _, glyph = table.geometry(row)
        beside_glyph = image.pixelColor(int(glyph.left()) - 2, int(glyph.center().y()))
        colour = status_colour(table.proxy.index(row, Column.STATUS).data(), palette)
        if row == 0:
            assert close(beside_glyph, pill_fill(colour, palette, opaque=True), 10)
            assert not close(beside_glyph, palette.color(QPalette.ColorRole.Highlight), 40)
        else:
            assert close(beside_glyph, palette.color(QPalette.ColorRole.Base), 40)


def test_the_spinner_turns_and_tick_repaints_only_changes_in_progress(qtbot: QtBot) -> None:
    table = Table(qtbot, ["Updating", "InService", "Creating", "Stopped", "Deleting"])
    _, glyph = table.geometry(0)
    _, still = table.geometry(1)
    table.delegate.set_phase(0)
    first = table.grab()
    assert table.delegate.tick() == 3
    assert table.delegate.phase == 1
    table.delegate.set_phase(4)
    table.view.viewport().repaint()
    later = table.grab()
    turned = glyph.toAlignedRect()
    assert first.copy(turned) != later.copy(turned)
    steady = still.toAlignedRect()
    assert first.copy(steady) == later.copy(steady)
    table.delegate.set_phase(12)
    assert table.delegate.phase == 0


def test_tick_counts_only_rows_in_view(qtbot: QtBot) -> None:
    table = Table(qtbot, ["Updating"] * 40)
    table.view.resize(600, 200)
    qtbot.wait(1)
    visible = table.view.rowAt(table.view.viewport().height() - 1) - table.view.rowAt(0) + 1
    assert 0 < table.delegate.tick() == visible < 40
    table.proxy.set_filter_text("status:inservice")
    assert table.delegate.tick() == 0


def test_size_hint_fits_the_pill(qtbot: QtBot) -> None:
    table = Table(qtbot, ["InService", "Deleting"])
    index = table.proxy.index(1, Column.STATUS)
    option = QStyleOptionViewItem()
    option.initFrom(table.view.viewport())
    hint = table.delegate.sizeHint(option, index)
    assert hint.width() >= option.fontMetrics.horizontalAdvance("Deleting") + option.fontMetrics.height()
    assert table.view.columnWidth(Column.STATUS) >= hint.width()
    assert table.view.itemDelegateForColumn(Column.STATUS) is table.delegate
    assert table.view.itemDelegateForColumn(Column.NAME) is not table.delegate


def test_pills_follow_a_palette_change_after_being_drawn(qtbot: QtBot) -> None:
    table = Table(qtbot, STATUSES, light_palette())
    table.grab()
    table.view.setPalette(dark_palette())
    image = table.grab()
    palette = table.view.palette()
    for row, status in enumerate(STATUSES):
        _, glyph = table.geometry(row)
        assert pixels_like(image, glyph, status_colour(status, palette)) >= 6, status
        assert pixels_like(image, glyph, status_colour(status, light_palette())) < 6 or status_look(status)[1] is GREY


def test_a_status_change_repaints_the_new_pill(qtbot: QtBot) -> None:
    table = Table(qtbot, ["InService", "InService"])
    before = table.grab()
    table.model.apply([make_row("m00", status="Failed"), make_row("m01", status="InService")])
    after = table.grab()
    changed, same = (table.geometry(row)[1].toAlignedRect() for row in (0, 1))
    assert before.copy(changed) != after.copy(changed)
    assert before.copy(same) == after.copy(same)
    assert pixels_like(after, table.geometry(0)[1], status_colour("Failed", table.view.palette())) >= 6


def test_a_disabled_table_draws_its_pills_in_the_disabled_colours(qtbot: QtBot) -> None:
    palette = light_palette()
    disabled_text = QColor("#ff00ff")
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, disabled_text)
    table = Table(qtbot, ["InService"], palette)
    table.grab()  # the enabled pill is drawn (and kept) first
    table.view.setEnabled(False)
    image = table.grab()
    pill, glyph = table.geometry(0)
    words = QRectF(glyph.right() + 4, pill.top(), pill.right() - glyph.right() - 4, pill.height())
    assert pixels_like(image, words, disabled_text) >= 10
