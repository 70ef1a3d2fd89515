"""Connections (File → Connections…, or the switcher's last entry): list, add, test, remove, make default.

Non-modal. Every call to the ConnectionService runs on a worker thread (it reads files, the keychain, AWS);
the dialog shows the outcome, or the error, under the list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.add_connection_dialog import AddConnectionDialog
from ui.background import Background
from ui.connection_service import ConnectionInfo, ConnectionService, NewConnection
from ui.dialogs import ConfirmDialog

T = TypeVar("T")
COLUMNS = ("Name", "Credentials", "Region", "Deployment prefix", "Endpoint")
GEOMETRY_KEY = "connectionsDialog/geometry"
ERROR_STYLE = "color: #d1242f;"


class ConnectionsModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connections: list[ConnectionInfo] = []

    def set_connections(self, connections: list[ConnectionInfo]) -> None:
        self.beginResetModel()
        self.connections = list(connections)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.connections)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        connection = self.connections[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            cells = (
                f"{connection.name}  (default)" if connection.default else connection.name,
                connection.credentials,
                connection.region,
                connection.deployment_prefix,
                connection.endpoint_url or "AWS",
            )
            return cells[index.column()]
        if role == Qt.ItemDataRole.FontRole and connection.default and index.column() == 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and connection.default:
            return "Opened when no connection is named (lisa-desktop --connection NAME)"
        return None


class ConnectionsDialog(QDialog):
    changed = Signal(object)
    """list[str]: the connections' names, after each add, remove or new default."""

    def __init__(
        self, service: ConnectionService, background: Background, parent: QWidget | None = None, *, settings: QSettings
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectionsDialog")
        self.setWindowTitle("Connections")
        self.setModal(False)
        self.service = service
        self.background = background
        self.settings = settings
        self._running = 0
        self.model = ConnectionsModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("connectionsView")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _index: self.test_selected())
        self.add_button = self._button("Add…", "addConnectionButton", self.show_add)
        self.test_button = self._button("Test", "testConnectionButton", self.test_selected)
        self.test_button.setToolTip("Who these credentials are, and how many models they can read")
        self.default_button = self._button("Make default", "defaultConnectionButton", self.make_default_selected)
        self.default_button.setToolTip("Open this connection when none is named")
        self.remove_button = self._button("Remove…", "removeConnectionButton", self.remove_selected)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("connectionResult")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty = QLabel(
            "No connections yet. Add one: an AWS named profile (SSO and assume-role included), an access key "
            "whose secret is kept in the OS keychain, or LISA's API alone with a LISA API token.",
            self,
        )
        self.empty.setObjectName("noConnections")
        self.empty.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.close)
        side = QVBoxLayout()
        for button in (self.add_button, self.test_button, self.default_button, self.remove_button):
            side.addWidget(button)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.view, 1)
        top.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addLayout(top, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(close)
        self.add_dialog: AddConnectionDialog | None = None
        self.resize(820, 380)
        geometry = settings.value(GEOMETRY_KEY)
        self._user_geometry = geometry is not None
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._update_buttons()
        self.reload()

    def _button(self, text: str, name: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    # -- the list --------------------------------------------------------------------------------------------

    def selected(self) -> ConnectionInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.connections[rows[0].row()] if rows else None

    def select(self, name: str) -> None:
        for row, connection in enumerate(self.model.connections):
            if connection.name == name:
                self.view.selectRow(row)
                return

    @property
    def busy(self) -> bool:
        """A call to the service is under way (the buttons wait for it)."""
        return self._running > 0

    def _update_buttons(self) -> None:
        chosen = self.selected()
        for button in (self.test_button, self.remove_button):
            button.setEnabled(chosen is not None and not self.busy)
        self.default_button.setEnabled(chosen is not None and not chosen.default and not self.busy)
        self.add_button.setEnabled(not self.busy)
        self.empty.setVisible(not self.model.connections)

    def reload(self, *, select: str | None = None) -> None:
        self._run(self.service.list, lambda found: self._show_list(found, select), what="Reading the connections")

    def _show_list(self, connections: list[ConnectionInfo], select: str | None) -> None:
        keep = select or (chosen.name if (chosen := self.selected()) else None)
        self.model.set_connections(connections)
        if keep:
            self.select(keep)
        elif connections:
            self.view.selectRow(0)
        self.view.resizeColumnsToContents()
        self._fit_to_content()
        self._update_buttons()

    def _fit_to_content(self) -> None:
        """The list as tall as its connections (3 rows at least, 12 at most), the dialog as wide as the list's
        columns and no taller than its content; not once the user's own size was restored."""
        view = self.view
        rows = min(max(self.model.rowCount(), 3), 12)
        row_height = max(view.verticalHeader().defaultSectionSize(), view.sizeHintForRow(0))
        view.setFixedHeight(view.horizontalHeader().sizeHint().height() + rows * row_height + 2 * view.frameWidth() + 2)
        if self._user_geometry:
            return
        layout = self.layout()
        if layout is None:
            return
        margins = layout.contentsMargins()
        columns = view.horizontalHeader().length() + 2 * view.frameWidth() + 4
        buttons = max(b.sizeHint().width() for b in (self.add_button, self.test_button, self.default_button))
        width = columns + buttons + layout.spacing() + margins.left() + margins.right()
        layout.activate()
        self.resize(max(width, 640), self.sizeHint().height())

    def _changed(self, select: str | None = None) -> None:
        def listed(connections: list[ConnectionInfo]) -> None:
            self._show_list(connections, select)
            self.changed.emit([c.name for c in connections])

        self._run(self.service.list, listed, what="Reading the connections")

    # -- actions ---------------------------------------------------------------------------------------------

    def show_add(self) -> None:
        if self.add_dialog is None:
            self.add_dialog = AddConnectionDialog(self)
            self.add_dialog.submitted.connect(self._add)
            self.add_dialog.read_url_requested.connect(self._read_api_url)
            self._run(self.service.keychain_refusal, self.add_dialog.set_keychain_refusal)
        self.add_dialog.reset()
        self.add_dialog.show()
        self.add_dialog.raise_()

    def _add(self, connection: NewConnection) -> None:
        dialog = self.add_dialog
        assert dialog is not None
        dialog.set_busy(True)

        def added(_none: None) -> None:
            dialog.set_busy(False)
            dialog.hide()
            self.show_result(f"Added '{connection.name}'. Test it to see who its credentials are.")
            self._changed(select=connection.name)

        def failed(message: str) -> None:
            dialog.set_busy(False)
            dialog.show_error(message)

        self._run(lambda: self.service.add(connection), added, on_error=failed)

    def _read_api_url(self, connection: NewConnection) -> None:
        dialog = self.add_dialog
        assert dialog is not None
        self._run(
            lambda: self.service.read_lisa_api_url(connection), dialog.set_api_url, on_error=dialog.show_api_url_error
        )

    def test_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self.show_result(f"Testing '{chosen.name}'…")
        self._run(lambda: self.service.test(chosen.name), lambda test: self.show_result(test.describe()))

    def make_default_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return

        def done(_none: None) -> None:
            self.show_result(f"'{chosen.name}' is now the default connection.")
            self._changed(select=chosen.name)

        self._run(lambda: self.service.make_default(chosen.name), done)

    def remove_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        secret = " and its secret access key in the OS keychain" if chosen.credentials.startswith("access") else ""
        dialog = ConfirmDialog(
            self,
            title="Remove connection",
            text=f"Remove the connection '{chosen.name}'{secret}? The deployment itself is not touched.",
            confirm_label="Remove",
        )
        dialog.setObjectName("removeConnectionConfirm")

        def remove() -> None:
            def done(_none: None) -> None:
                self.show_result(f"Removed '{chosen.name}'.")
                self._changed()

            self._run(lambda: self.service.remove(chosen.name), done)

        dialog.accepted.connect(remove)
        self.remove_confirmation = dialog
        dialog.open()

    # -- running on a worker ---------------------------------------------------------------------------------

    def show_result(self, text: str, *, error: bool = False) -> None:
        self.outcome.setStyleSheet(ERROR_STYLE if error else "")
        self.outcome.setText(text)

    def _run(
        self,
        call: Callable[[], T],
        done: Callable[[T], object],
        *,
        what: str = "",
        on_error: Callable[[str], object] | None = None,
    ) -> None:
        """`call()` on a worker; then `done(result)`, or the error shown (or given to `on_error`)."""

        async def work() -> None:
            try:
                result = await self.background.run(call)
            except Exception as error:
                message = self.service.describe_error(error)
                if on_error is not None:
                    on_error(message)
                else:
                    self.show_result(f"{what + ': ' if what else ''}{message}", error=True)
                return
            finally:
                self._running -= 1
                self._update_buttons()
            done(result)

        self._running += 1
        self._update_buttons()
        self.background.start(work(), what="the Connections dialog")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        if self.add_dialog is not None:
            self.add_dialog.hide()
        super().closeEvent(event)
