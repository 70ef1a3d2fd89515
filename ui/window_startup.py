"""What the window does once, after its first frame is painted, and the layout it restores and saves."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QMainWindow, QTableView

from ui.background import Background, import_modules
from ui.cell_delegate import TURN_BUDGET_S, CellDelegate


class StartupSequence(QObject):
    """Start-up work that would compete with the first paint for the GIL waits for it: the window paints before
    its children, and a worker started from its paintEvent held the GIL while the table painted (the table's
    paint took several times longer)."""

    _wizards_importable = Signal()

    def __init__(
        self,
        window: QMainWindow,
        background: Background,
        *,
        view: QTableView,
        cell_delegate: CellDelegate,
        make_wizards: Callable[[], object],
        first_painted: SignalInstance,
    ) -> None:
        super().__init__(window)
        self._background = background
        self._view = view
        self._cell_delegate = cell_delegate
        self._make_wizards = make_wizards
        self._first_painted = first_painted
        self.painted = False
        self._wizards_importable.connect(self._on_wizards_importable)

    def window_painted(self) -> None:
        """Called from the window's paintEvent: the rest runs once the whole first frame is painted."""
        if not self.painted:
            self.painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        # The first Python wrapper of the table's viewport (the status delegate asks for it) makes PySide create
        # the enums of every widget class while it finds the viewport's class: taken here, not when the
        # first rows arrive.
        self._view.viewport()
        self._cell_delegate.turn_budget_s = TURN_BUDGET_S
        self._import_wizards()
        self._first_painted.emit()

    def _import_wizards(self) -> None:
        """Import the wizard's modules (pydantic, the schema: a lot of Python) on a worker, then make the wizard
        and its dock on the GUI thread: imported there, they froze the window just after its first paint."""

        def work() -> None:
            import_modules("ui.wizard_launcher", "engine.drafts.store")
            self._wizards_importable.emit()

        self._background.submit(work, what="importing the wizard")

    def _on_wizards_importable(self) -> None:
        self._make_wizards()


def restore_layout(window: QMainWindow, view: QTableView, settings: QSettings) -> bool:
    """The window's geometry, its docks and the table's columns as last saved; False when the columns were never
    saved (a first start: they are fitted to the table once it shows)."""
    geometry = settings.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = settings.value("window/state")
    if state is not None:
        window.restoreState(state)
    header = settings.value("table/header")
    if header is None:
        return False
    view.horizontalHeader().restoreState(header)
    return True


def save_layout(window: QMainWindow, view: QTableView, settings: QSettings) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState())
    settings.setValue("table/header", view.horizontalHeader().saveState())
    settings.sync()
