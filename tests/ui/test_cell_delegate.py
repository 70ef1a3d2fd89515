"""The cell delegate paints exactly what Qt's default delegate paints from the model's roles: on the first paint
(cells drawn as they come), the second (drawn into pixmaps) and after (copied from the kept pixmaps), through
palette, font and text changes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QColor, QFont, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QStyledItemDelegate, QTableView
from pytestqt.qtbot import QtBot

from tests.ui.rows import make_row
from ui.cell_delegate import CellDelegate, CellPixmaps
from ui.model_filter import ModelFilterProxy
from ui.model_table import Column, ModelTableModel

ROWS = [
    make_row("bge-large-en", status="Stopped", running_tasks=0, allowed_groups=("ml", "search")),
    make_row("claude", hosting="third_party", instance_type=None, min_capacity=None, running_tasks=None),
    make_row("a-model-id-long-enough-to-be-elided-in-its-column", model_name="org/a-name-long-enough-as-well"),
    make_row("mistral", status="Updating", desired_capacity=3, max_capacity=4, running_tasks=2),
]
REPO = Path(__file__).resolve().parents[2]


def shown_view(
    qtbot: QtBot, delegate: Callable[[QTableView], QStyledItemDelegate], *, select: bool, enabled: bool
) -> QTableView:
    model = ModelTableModel()
    model.apply(ROWS)
    view = QTableView()
    qtbot.addWidget(view)
    model.setParent(view)
    view.setModel(ModelFilterProxy(model, view))
    view.setItemDelegate(delegate(view))
    view.setAlternatingRowColors(True)
    view.setColumnWidth(Column.MODEL_ID, 120)
    view.resize(1500, 220)
    view.setEnabled(enabled)
    view.show()
    if select:
        view.setCurrentIndex(view.model().index(1, Column.NAME))
        view.selectionModel().select(
            view.model().index(2, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )
    qtbot.waitExposed(view)
    return view


def grabbed(view: QTableView) -> QImage:
    return view.viewport().grab().toImage()


def on_screen(view: QTableView) -> QImage:
    """What the view's window shows now (its backing store), without painting it again."""
    window = view.window()
    return window.screen().grabWindow(window.winId()).toImage()


def settled(view: QTableView) -> QImage:
    """The view painted three times (cells first seen, then drawn into pixmaps, then from them), all alike."""
    first = grabbed(view)
    assert grabbed(view) == first
    assert grabbed(view) == first
    return first


def both(qtbot: QtBot, *, select: bool = False, enabled: bool = True) -> tuple[QTableView, QTableView]:
    """(ours, Qt's) the same table, each painted once."""
    ours = shown_view(qtbot, CellDelegate, select=select, enabled=enabled)
    qts = shown_view(qtbot, QStyledItemDelegate, select=select, enabled=enabled)
    return ours, qts


def kept(view: QTableView) -> CellPixmaps:
    delegate = view.itemDelegate()
    assert isinstance(delegate, CellDelegate)
    return delegate.cells


@pytest.mark.parametrize(("select", "enabled"), [(False, True), (True, True), (True, False)])
def test_the_same_pixels_as_qts_default_delegate(qtbot: QtBot, select: bool, enabled: bool) -> None:
    ours, qts = both(qtbot, select=select, enabled=enabled)
    first = grabbed(ours)
    assert first.size() == grabbed(qts).size()
    assert first == grabbed(qts)  # cells seen for the first time (or the second: the window's show painted too)

    assert grabbed(ours) == first  # every cell seen again: drawn into pixmaps, at whole pixel ratios
    ratio = ours.devicePixelRatioF()
    assert (len(kept(ours)) > 0) == (ratio == int(ratio))
    cells = len(kept(ours))
    assert grabbed(ours) == first  # from the kept pixmaps
    assert len(kept(ours)) == cells


def darken(view: QTableView) -> None:
    dark = QPalette(QColor("#2b2b2b"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.AlternateBase, QColor("#262626"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    view.setPalette(dark)


def enlarge_font(view: QTableView) -> None:
    font = QFont(view.font())
    font.setPointSize(font.pointSize() + 3)
    view.setFont(font)


def change_a_row(view: QTableView) -> None:
    proxy = view.model()
    assert isinstance(proxy, ModelFilterProxy)
    source = proxy.sourceModel()
    assert isinstance(source, ModelTableModel)
    source.apply([*ROWS[:3], make_row("mistral", status="Updating", desired_capacity=3, max_capacity=9)])


@pytest.mark.parametrize("change", [darken, enlarge_font, change_a_row])
def test_after_a_change_the_cells_are_painted_anew(qtbot: QtBot, change: Callable[[QTableView], None]) -> None:
    """A kept pixmap is never shown for a cell whose palette, font or text has changed since."""
    ours, qts = both(qtbot, select=True)
    before = settled(ours)
    for view in (ours, qts):
        change(view)
    assert settled(ours) == grabbed(qts)
    assert settled(ours) != before


def budgeted(view: QTableView, seconds: float | None) -> CellDelegate:
    """A new delegate for `view` (nothing kept, nothing seen) with a turn budget."""
    delegate = CellDelegate(view, turn_budget_s=seconds)
    view.setItemDelegate(delegate)
    return delegate


def both_on_screen(qtbot: QtBot, ours: QTableView, qts: QTableView) -> None:
    """Both windows exposed (until then a repaint paints nothing) and showing the same pixels."""
    qtbot.waitUntil(lambda: all(view.windowHandle().isExposed() for view in (ours, qts)))
    qtbot.waitUntil(lambda: on_screen(ours) == on_screen(qts))


ON_SCREEN_READABLE = pytest.mark.skipif(
    "QT_SCALE_FACTOR" in os.environ,
    reason="the offscreen platform's grabWindow() returns the top-left of the window at other pixel ratios",
)


@ON_SCREEN_READABLE
def test_with_a_turn_budget_new_cells_past_it_are_painted_in_the_turns_after(qtbot: QtBot) -> None:
    ours, qts = both(qtbot, select=True)
    both_on_screen(qtbot, ours, qts)
    delegate = budgeted(ours, 0.0)  # one new cell a turn
    ours.viewport().repaint()
    cells = ours.model().rowCount() * ours.model().columnCount()
    assert 0 < len(delegate.deferred) < cells
    assert on_screen(ours) != on_screen(qts)  # left to the row background, for now
    qtbot.waitUntil(lambda: not delegate.deferred and on_screen(ours) == on_screen(qts))


@ON_SCREEN_READABLE
def test_with_a_turn_budget_cells_seen_before_are_never_left_blank(qtbot: QtBot) -> None:
    ours, qts = both(qtbot, select=True)
    both_on_screen(qtbot, ours, qts)
    delegate = budgeted(ours, None)
    ours.viewport().repaint()  # every cell seen once (those seen twice in it kept)
    kept_before = len(delegate.cells)
    delegate.turn_budget_s = 0.0
    ours.viewport().repaint()  # one drawn into a pixmap, the rest past the budget drawn directly, none left blank
    assert not delegate.deferred
    assert len(delegate.cells) == kept_before + 1
    qtbot.waitUntil(lambda: on_screen(ours) == on_screen(qts))


@pytest.mark.skipif("QT_SCALE_FACTOR" in os.environ, reason="already run at a scale factor")
@pytest.mark.parametrize("factor", ["2", "1.25"])
def test_the_same_pixels_at_a_scale_factor(factor: str) -> None:
    """Whole pixel ratios copy the kept pixmaps; fractional ones draw each cell as it comes. Both match Qt's."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            __file__,
            "-k",
            "not scale",
        ],
        env=os.environ | {"QT_SCALE_FACTOR": factor, "QT_QPA_PLATFORM": "offscreen"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout  # not "no tests ran"


def square(side: int) -> QPixmap:
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor("white"))
    return pixmap


def key(name: str) -> tuple[str, int, int, int, float, int, int, int]:
    return (name, 0, 10, 10, 1.0, 0, 0, 0)


def test_a_cell_gets_a_pixmap_when_seen_again() -> None:
    cells = CellPixmaps()
    assert cells.first_sight(key("a"))
    assert not cells.first_sight(key("a"))
    assert cells.first_sight(key("a"))  # not cached in between: seen afresh


def test_the_kept_pixmaps_stay_within_their_budget_dropping_the_least_recently_used() -> None:
    one = square(10).width() * 10 * square(10).depth() // 8
    cells = CellPixmaps(budget=3 * one)
    for name in ("a", "b", "c"):
        cells.put(key(name), square(10))
    assert cells.get(key("a")) is not None  # now the most recently used
    cells.put(key("d"), square(10))
    assert cells.get(key("b")) is None
    assert [name for name in "acd" if cells.get(key(name)) is not None] == ["a", "c", "d"]
    assert cells.size_in_bytes == 3 * one
    cells.put(key("d"), square(10))  # replaced, not counted twice
    assert cells.size_in_bytes == 3 * one
