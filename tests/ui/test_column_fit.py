"""Fitting the columns of a big table: the widths come from a bounded sample of its rows, and sorting by another
column leaves them where they were (a sort used to fit every column again over every row)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.rows import make_row
from ui.model_filter import ModelFilterProxy
from ui.model_table import Column, ModelTableModel
from ui.window_table import FIT_SAMPLE_ROWS, _texts, fit_columns, make_view

ROWS = 1000


def big_table(qtbot: QtBot):  # type: ignore[no-untyped-def]
    model = ModelTableModel()
    proxy = ModelFilterProxy(model)
    view, _, _ = make_view(proxy)
    qtbot.addWidget(view)
    rows = [make_row(f"model-{n:04d}", model_name=f"org/{'x' * (n % 40)}-{n}") for n in range(ROWS)]
    model.apply(rows)
    qtbot.waitUntil(lambda: model.rowCount() == ROWS, timeout=5000)
    view.resize(1100, 500)
    view.show()
    qtbot.waitExposed(view)
    fit_columns(view)
    return view, model


def test_a_fit_measures_a_bounded_sample_of_a_big_table(qtbot: QtBot) -> None:
    view, _ = big_table(qtbot)
    texts = _texts(view, Column.MODEL_ID)
    assert FIT_SAMPLE_ROWS // 2 <= len(texts) <= FIT_SAMPLE_ROWS
    assert "model-0000" in texts and any(text >= "model-0900" for text in texts)  # spread over the whole table


def test_sorting_by_another_column_leaves_the_widths(qtbot: QtBot) -> None:
    view, _ = big_table(qtbot)
    header = view.horizontalHeader()
    before = [header.sectionSize(column) for column in Column]
    view.sortByColumn(Column.NAME, Qt.SortOrder.DescendingOrder)
    view.sortByColumn(Column.MODEL_ID, Qt.SortOrder.AscendingOrder)
    assert [header.sectionSize(column) for column in Column] == before
