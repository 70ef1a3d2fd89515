"""Where the window's actions are offered: the menu bar, the toolbar and the selected rows' context menu."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QDockWidget, QLineEdit, QMainWindow, QMenu, QSizePolicy, QTableView, QToolBar, QWidget

from ui.window_actions import WindowActions
from ui.window_table import fill_column_menu


class WindowMenus:
    def __init__(
        self,
        window: QMainWindow,
        actions: WindowActions,
        *,
        view: QTableView,
        filter_box: QLineEdit,
        docks: Sequence[QDockWidget],
    ) -> None:
        self._window = window
        self._actions = actions
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(actions.connections)
        file_menu.addSeparator()
        file_menu.addActions([actions.export, actions.copy])
        file_menu.addSeparator()
        file_menu.addAction(actions.quit)
        self.actions_menu = bar.addMenu("&Actions")
        self.actions_menu.addActions([actions.create, actions.update])
        self.actions_menu.addSeparator()
        self.actions_menu.addActions([actions.start, actions.stop, actions.delete])
        self.actions_menu.addSeparator()
        self.actions_menu.addActions([actions.set_default, actions.context_window])
        self.actions_menu.addSeparator()
        self.actions_menu.addAction(actions.takeover)
        self.actions_menu.addSeparator()
        self.actions_menu.addActions([actions.refresh, actions.pause])
        self.actions_menu.addSeparator()
        self.actions_menu.addAction(actions.cancel_job)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(actions.filter)
        self.columns_menu = self.view_menu.addMenu("Columns")
        self.columns_menu.aboutToShow.connect(lambda: fill_column_menu(view, self.columns_menu))
        self.view_menu.addSeparator()
        for dock in docks:
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addAction(actions.history)
        self.view_menu.addSeparator()
        go_menu = self.view_menu.addMenu("Go to")
        go_menu.addActions(actions.go_to)
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([actions.shortcuts, actions.about])

        toolbar = QToolBar("Actions")
        toolbar.setObjectName("actionsToolbar")
        toolbar.setMovable(False)
        toolbar.addActions([actions.create, actions.update])
        toolbar.addSeparator()
        toolbar.addActions([actions.start, actions.stop, actions.delete])
        toolbar.addSeparator()
        toolbar.addAction(actions.set_default)
        toolbar.addSeparator()
        toolbar.addActions([actions.refresh, actions.pause])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(filter_box)
        window.addToolBar(toolbar)
        self.toolbar = toolbar

    def add_dock(self, dock: QDockWidget) -> None:
        """A dock made after the menus (the Drafts dock): its toggle joins the View menu's end."""
        self.view_menu.addAction(dock.toggleViewAction())

    def row_menu(self, marked: Sequence[str], dismiss_marks: Callable[[Sequence[str]], None]) -> QMenu:
        """The selected rows' context menu; `marked`: those of them with a rolled-back mark to dismiss."""
        actions = self._actions
        menu = QMenu(self._window)
        menu.addActions([actions.update, actions.start, actions.stop, actions.delete])
        menu.addSeparator()
        menu.addActions([actions.set_default, actions.context_window])
        menu.addSeparator()
        menu.addAction(actions.takeover)
        if marked:
            dismiss = menu.addAction("Dismiss the rolled-back mark")
            dismiss.setObjectName("dismissMarkAction")
            dismiss.triggered.connect(lambda: dismiss_marks(marked))
        menu.addSeparator()
        menu.addActions([actions.copy, actions.export])
        return menu
