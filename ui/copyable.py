"""Rows of a read-only list that can be selected and copied as text: Ctrl+C, and Copy in the context menu."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QMenu


def make_copyable(view: QAbstractItemView) -> QAction:
    """Let the user select rows of `view` (click, Shift, Ctrl) and copy them; returns the Copy action."""
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    copy = QAction("Copy", view)
    copy.setObjectName("copyRowsAction")
    copy.setShortcut(QKeySequence.StandardKey.Copy)
    copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    copy.triggered.connect(lambda: copy_rows(view))
    view.addAction(copy)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def menu_at(point: QPoint) -> None:
        copy.setEnabled(view.selectionModel().hasSelection())
        menu = QMenu(view)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(copy)
        menu.popup(view.viewport().mapToGlobal(point))

    view.customContextMenuRequested.connect(menu_at)
    return copy


def selected_text(view: QAbstractItemView) -> str:
    """The selected rows in their order on screen, one a line, their cells separated by tabs."""
    model = view.model()
    rows = sorted(index.row() for index in view.selectionModel().selectedRows())
    columns = range(model.columnCount())
    lines = ("\t".join(str(model.index(row, column).data() or "") for column in columns) for row in rows)
    return "\n".join(lines)


def copy_rows(view: QAbstractItemView) -> None:
    text = selected_text(view)
    if text:
        QGuiApplication.clipboard().setText(text)
