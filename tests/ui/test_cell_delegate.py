"""The cell delegate paints exactly what Qt's default delegate paints from the model's roles."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QStyledItemDelegate, QTableView
from pytestqt.qtbot import QtBot

from tests.ui.rows import make_row
from ui.cell_delegate import CellDelegate
from ui.model_filter import ModelFilterProxy
from ui.model_table import Column, ModelTableModel

ROWS = [
    make_row("bge-large-en", status="Stopped", running_tasks=0, allowed_groups=("ml", "search")),
    make_row("claude", hosting="third_party", instance_type=None, min_capacity=None, running_tasks=None),
    make_row("a-model-id-long-enough-to-be-elided-in-its-column", model_name="org/a-name-long-enough-as-well"),
    make_row("mistral", status="Updating", desired_capacity=3, max_capacity=4, running_tasks=2),
]


def painted(qtbot: QtBot, delegate: type[QStyledItemDelegate], *, select: bool, enabled: bool) -> QImage:
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
    return view.viewport().grab().toImage()


@pytest.mark.parametrize(("select", "enabled"), [(False, True), (True, True), (True, False)])
def test_the_same_pixels_as_qts_default_delegate(qtbot: QtBot, select: bool, enabled: bool) -> None:
    ours = painted(qtbot, CellDelegate, select=select, enabled=enabled)
    qts = painted(qtbot, QStyledItemDelegate, select=select, enabled=enabled)
    assert ours.size() == qts.size()
    assert ours == qts
