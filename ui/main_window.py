"""The main window: the live model table, its filter, the details pane, the job panel and every action.

The window owns no AWS logic: it draws rows a Backend returns, asks the Backend to start jobs, and runs the
Backend's blocking calls on the engine's worker threads (awaited on the qasync loop).
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Coroutine, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from engine.model_row import ModelRow
from engine.rules.status import Operation
from engine.schema.enums import TRANSITIONAL_STATUSES
from ui.action_gates import selection_refusal, unreadable_text
from ui.backend import SANDBOX_LABEL, Backend, JobEnd, JobKind, JournalEntry
from ui.background import on_worker, spawn
from ui.banner import Banner, BannerKind
from ui.cell_delegate import TURN_BUDGET_S, CellDelegate
from ui.close_question import CloseChoice, CloseWhileRunningBox
from ui.details_pane import DetailsPane
from ui.dialogs import ConfirmDialog, ShortcutsDialog, warn
from ui.formatting import ago
from ui.holds import HoldState, hold_state, takeover_refusal
from ui.job_history import JobHistoryDialog, model_history
from ui.job_panel import JobPanel
from ui.job_recovery import recover_interrupted
from ui.model_filter import ModelFilterProxy
from ui.model_table import ROW_ROLE, Column, ModelTableModel
from ui.notifier import Notifier
from ui.refresher import Refresher
from ui.root_cause_view import latest_root_cause
from ui.row_jobs import RowJobs
from ui.status_bar import MessageBar
from ui.status_delegate import StatusDelegate
from ui.takeover import confirmation_text, take_over

if TYPE_CHECKING:
    import asyncio

    from engine.drafts.store import DraftStore
    from ui.connection_service import ConnectionService
    from ui.connections_dialog import ConnectionsDialog
    from ui.drafts_panel import DraftsPanel
    from ui.wizard_launcher import WizardLauncher

log = logging.getLogger(__name__)

MANAGE_CONNECTIONS = "manage-connections"
"""The switcher's last entry: opens the Connections dialog."""
TRANSITIONAL_VALUES = frozenset(status.value for status in TRANSITIONAL_STATUSES)
CONFIG_PENDING = "the configuration arrives with the first refresh (the rows shown are cached)"
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("F5", "Refresh now"),
    ("Ctrl+P", "Pause / resume the automatic refresh"),
    ("Ctrl+1", "Go to the model table"),
    ("Ctrl+2", "Go to the details of the selected model"),
    ("Ctrl+3", "Go to the jobs"),
    ("Ctrl+4", "Go to the drafts"),
    ("Tab / Shift+Tab", "Filter → table → details → jobs"),
    ("↑ ↓, Shift+↑ ↓, Space", "Select models in the table (Ctrl+Space adds or removes one)"),
    ("Ctrl+F", "Filter the table (free text or column:value, e.g. status:Stopped hosting:lisa_hosted)"),
    ("Ctrl+N", "Create a model"),
    ("Ctrl+E", "Update the selected model"),
    ("Ctrl+Shift+S", "Start the selected models"),
    ("Ctrl+Shift+T", "Stop the selected models"),
    ("Delete", "Delete the selected models"),
    ("Ctrl+Shift+C", "Copy the selected models as JSON"),
    ("Ctrl+S", "Export the selected model's configuration"),
    ("Ctrl+H", "Job history: every journaled job of this deployment, with its steps"),
    ("Ctrl+Shift+X", "Cancel the job selected in the Jobs dock (it rolls back)"),
    ("?", "Show these shortcuts"),
)


class Page:
    LOADING, TABLE, EMPTY, ERROR = range(4)


class MainWindow(QMainWindow):
    connection_requested = Signal(str)
    """The user picked another deployment in the switcher (a connection name, or 'sandbox')."""
    open_retry_requested = Signal()
    """The deployment could not be opened and the user asked to try again."""
    rows_refreshed = Signal(object)
    """list[ModelRow]: every successful refresh's rows, in display order (the composition root keeps them as the
    start-up snapshot, with `table_model.ordering.name`). Signals carry row lists as `object`: a `list` signal
    converts each item to a QVariant, ~3 ms for 5,000 rows on the GUI thread."""
    _wizards_importable = Signal()
    left = Signal()
    """The window closed for good, also when it was hidden while jobs ended in the background: the app quits
    (closing a hidden window does not end the app by itself)."""
    first_painted = Signal()
    """The window has painted once (emitted just after that paint): start-up work that would compete with the
    first paint for the GIL, such as opening the deployment, waits for it."""

    def __init__(
        self,
        settings: QSettings,
        executor: Executor,
        *,
        connections: Sequence[str] = (),
        current_connection: str | None = None,
        refresher: Refresher | None = None,
        drafts: DraftStore | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("LISA Desktop")
        self.settings = settings
        self.executor = executor
        self.backend: Backend | None = None
        self.read_only: str | None = None
        self.stale = False
        self.cached_at: float | None = None
        self._rows_to_come = 0
        """Rows of a snapshot still being read (its first screenful is shown)."""
        """Epoch seconds of the snapshot on screen until the first refresh lands."""
        self._tasks: set[asyncio.Future[None]] = set()
        self._journal: dict[str, list[JournalEntry]] = {}
        """The journaled jobs of models shown in the details pane, as last read."""
        self._journal_reads = 0
        self._latest_read: dict[str, int] = {}
        """Per model, the journal read asked for last: an older read that ends later (queued behind a refresh on
        the workers) must not put back a job that has ended as still running."""
        self.leaving: CloseChoice | None = None
        """How the window is being closed while jobs run (it closes once they end); None while it is not."""
        self.history_dialog: JobHistoryDialog | None = None
        self.close_box: CloseWhileRunningBox | None = None
        """The question asked when the window is closed while jobs run (the last one asked)."""
        self.takeover_dialog: ConfirmDialog | None = None
        """The last confirmation of a takeover asked for."""
        self._selection: list[ModelRow] = []
        """The selected rows as the actions were last updated (the takeover gate reads them every second)."""

        self.table_model = ModelTableModel(self)
        self.table_model.hold_note = self._hold_note
        self.table_model.filled.connect(self._update_counts)
        self.proxy = ModelFilterProxy(self.table_model, self)
        self.view = self._make_view()
        self.refresher = refresher or Refresher(executor, self, ordering=lambda: self.table_model.ordering)
        self.refresher.succeeded.connect(self._on_refreshed)
        self.refresher.partial.connect(self._on_partial)
        self.refresher.failed.connect(self._on_refresh_failed)
        self.refresher.schedule_changed.connect(self._update_refresh_label)
        self.refresher.started.connect(self._update_refresh_label)
        self.notifier = Notifier(self)

        self.banner = Banner(self, object_name="refreshBanner")
        self.banner.retry_clicked.connect(self.retry)
        self.read_only_banner = Banner(self, object_name="readOnlyBanner")
        self.recovery_banner = Banner(self, object_name="recoveryBanner")
        self.recovery_banner.retry_clicked.connect(self._retry_recovery)
        self.error_banner = Banner(self, object_name="errorBanner")
        """Unexpected errors (the composition root's `UnexpectedErrors` fills it)."""
        self.filter_box = QLineEdit()
        self.filter_box.setObjectName("filterBox")
        self.filter_box.setPlaceholderText("Filter: text or column:value, e.g. status:Stopped hosting:lisa_hosted")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setMinimumWidth(360)
        self.filter_box.textChanged.connect(self._on_filter_changed)
        self.filter_problem = QLabel()
        self.filter_problem.setObjectName("filterProblem")
        self.filter_problem.hide()

        self.pages = QStackedWidget()
        self.loading_label = QLabel("Loading models…")
        self.empty_label = QLabel()
        self.error_label = QLabel()
        self.pages.addWidget(self._message_page(self.loading_label, busy=True))
        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.filter_problem)
        table_layout.addWidget(self.view)
        self.pages.addWidget(table_page)
        self.pages.addWidget(self._message_page(self.empty_label))
        self.pages.addWidget(self._message_page(self.error_label))
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(4, 4, 4, 0)
        central_layout.addWidget(self.read_only_banner)
        central_layout.addWidget(self.error_banner)
        central_layout.addWidget(self.recovery_banner)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.details = DetailsPane()
        self.details_dock = QDockWidget("Details", self)
        self.details_dock.setObjectName("detailsDock")
        self.details_dock.setWidget(self.details)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.details_dock)
        self.jobs = JobPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs)
        self.jobs.job_finished.connect(self._on_job_finished)
        self.jobs.running_changed.connect(lambda _count: self._update_pace())
        self.row_jobs = RowJobs(self.table_model, self.jobs.model, settings, self)
        self.jobs.signals.event.connect(self.row_jobs.on_event)
        self.jobs.signals.ended.connect(self.row_jobs.on_end)
        self._drafts = drafts
        self._wizards: WizardLauncher | None = None
        self._painted = False
        self._first_table = True
        """The table page has not been shown yet: when it is, it takes the focus with its first row current."""
        """The wizard and the Drafts dock import pydantic and the schema (half a second): imported on a worker
        after the first paint and then made (see paintEvent), or made when first asked for."""

        self._wizards_importable.connect(self._make_wizards)
        self._make_actions()
        self._make_menus_and_toolbar()
        self._make_status_bar(connections, current_connection)

        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._update_refresh_label)
        self._ticker.timeout.connect(self._update_takeover)  # a lease expires with time alone
        self._ticker.start()
        self._animation = QTimer(self)
        self._animation.setInterval(120)
        self._animation.timeout.connect(self._animate)

        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        QWidget.setTabOrder(self.filter_box, self.view)
        QWidget.setTabOrder(self.view, self.details.tabs)
        QWidget.setTabOrder(self.details.tabs, self.jobs.jobs_view)
        self.resize(1280, 780)
        screen = QGuiApplication.primaryScreen()
        narrow = screen is not None and screen.availableGeometry().width() < 1500
        self.resizeDocks([self.details_dock], [320 if narrow else DETAILS_WIDTH], Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs], [240], Qt.Orientation.Vertical)
        self._restore_settings()
        self.show_loading("the deployment")
        self._update_actions()

    # -- construction ----------------------------------------------------------------------------------------

    def _make_view(self) -> QTableView:
        view = QTableView()
        view.setObjectName("modelTable")
        view.setModel(self.proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(Column.MODEL_ID, Qt.SortOrder.AscendingOrder)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._show_context_menu)
        view.setTabKeyNavigation(False)  # Tab leaves the table (filter → table → details → jobs)
        view.installEventFilter(self)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
        header = view.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_column_menu)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        # The window's first frame draws every cell (start-up has nothing to interleave, and a complete first
        # frame of cached rows is what start-up is timed to); later frames keep to the turn budget.
        self.cell_delegate = CellDelegate(view)
        view.setItemDelegate(self.cell_delegate)
        self.status_delegate = StatusDelegate(view)
        view.setItemDelegateForColumn(Column.STATUS, self.status_delegate)
        view.doubleClicked.connect(lambda _index: self.details_dock.show())
        return view

    def _message_page(self, label: QLabel, *, busy: bool = False) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout.addWidget(label)
        if busy:
            bar = QProgressBar()
            bar.setRange(0, 0)
            bar.setMaximumWidth(240)
            bar.setTextVisible(False)
            layout.addWidget(bar, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            retry = QLabel('<a href="retry">Retry now</a>')
            retry.setAlignment(Qt.AlignmentFlag.AlignCenter)
            retry.linkActivated.connect(lambda _link: self.retry())
            retry.setVisible(label is self.error_label)
            layout.addWidget(retry)
        layout.addStretch(2)
        return page

    def _action(self, text: str, shortcut: str | None, slot: object, *, name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        self.create_action = self._action("Create…", "Ctrl+N", self.create_model, name="createAction")
        self.update_action = self._action("Update…", "Ctrl+E", self.update_model, name="updateAction")
        self.start_action = self._action("Start", "Ctrl+Shift+S", self.start_selected, name="startAction")
        self.stop_action = self._action("Stop", "Ctrl+Shift+T", self.stop_selected, name="stopAction")
        self.delete_action = self._action("Delete…", "Delete", self.delete_selected, name="deleteAction")
        self.copy_action = self._action("Copy as JSON", "Ctrl+Shift+C", self.copy_selected, name="copyAction")
        self.export_action = self._action("Export config…", "Ctrl+S", self.export_selected, name="exportAction")
        self.refresh_action = self._action("Refresh", "F5", self.refresher.refresh_now, name="refreshAction")
        self.pause_action = self._action("Pause refresh", "Ctrl+P", self._toggle_pause, name="pauseAction")
        self.pause_action.setCheckable(True)
        self.filter_action = self._action("Filter", "Ctrl+F", self._focus_filter, name="filterAction")
        self.shortcuts_action = self._action("Keyboard shortcuts", "?", self.show_shortcuts, name="shortcutsAction")
        self.about_action = self._action("About LISA Desktop", None, self.show_about, name="aboutAction")
        self.history_action = self._action("Job history…", "Ctrl+H", self.show_job_history, name="jobHistoryAction")
        self.history_action.setToolTip("Every journaled job of this deployment: who ran it, its steps, its outcome")
        self.takeover_action = self._action("Take over…", None, self.take_over_selected, name="takeoverAction")
        self.quit_action = self._action("Quit", "Ctrl+Q", self.close, name="quitAction")
        self.connections_action = self._action("Connections…", None, self.show_connections, name="connectionsAction")
        self.connections_action.setToolTip("Add, test, remove connections, and choose the default one")
        self.cancel_job_action = self._action(
            "Cancel selected job", "Ctrl+Shift+X", self._cancel_shown_job, name="cancelJobAction"
        )
        self.go_actions = [
            self._action("Model table", "Ctrl+1", self.focus_table, name="goTableAction"),
            self._action("Details", "Ctrl+2", self._focus_details, name="goDetailsAction"),
            self._action("Jobs", "Ctrl+3", self._focus_jobs, name="goJobsAction"),
            self._action("Drafts", "Ctrl+4", self._focus_drafts, name="goDraftsAction"),
        ]
        self.model_actions = {
            Operation.UPDATE: self.update_action,
            Operation.START: self.start_action,
            Operation.STOP: self.stop_action,
            Operation.DELETE: self.delete_action,
        }

    def _make_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.connections_action)
        file_menu.addSeparator()
        file_menu.addActions([self.export_action, self.copy_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.actions_menu = bar.addMenu("&Actions")
        self.actions_menu.addActions([self.create_action, self.update_action])
        self.actions_menu.addSeparator()
        self.actions_menu.addActions([self.start_action, self.stop_action, self.delete_action])
        self.actions_menu.addSeparator()
        self.actions_menu.addAction(self.takeover_action)
        self.actions_menu.addSeparator()
        self.actions_menu.addActions([self.refresh_action, self.pause_action])
        self.actions_menu.addSeparator()
        self.actions_menu.addAction(self.cancel_job_action)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.filter_action)
        self.columns_menu = view_menu.addMenu("Columns")
        self.columns_menu.aboutToShow.connect(lambda: self._fill_column_menu(self.columns_menu))
        view_menu.addSeparator()
        view_menu.addAction(self.details_dock.toggleViewAction())
        view_menu.addAction(self.jobs.toggleViewAction())
        view_menu.addAction(self.history_action)
        view_menu.addSeparator()
        go_menu = view_menu.addMenu("Go to")
        go_menu.addActions(self.go_actions)
        self.view_menu = view_menu
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])

        toolbar = QToolBar("Actions")
        toolbar.setObjectName("actionsToolbar")
        toolbar.setMovable(False)
        toolbar.addActions([self.create_action, self.update_action])
        toolbar.addSeparator()
        toolbar.addActions([self.start_action, self.stop_action, self.delete_action])
        toolbar.addSeparator()
        toolbar.addActions([self.refresh_action, self.pause_action])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.filter_box)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _make_status_bar(self, connections: Sequence[str], current: str | None) -> None:
        self.setStatusBar(MessageBar(self))
        status = self.statusBar()
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionLabel")
        self.refresh_label = QLabel()
        self.refresh_label.setObjectName("refreshLabel")
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        self.switcher = QComboBox()
        self.switcher.setObjectName("connectionSwitcher")
        self.switcher.setToolTip("Switch to another deployment")
        self.set_connections(connections, current)
        self.switcher.activated.connect(self._on_switcher_activated)
        for label in (self.count_label, self.refresh_label, self.connection_label):
            label.setMinimumWidth(40)  # the window may be narrower than their text (clipped, then whole again)
        status.addPermanentWidget(self.count_label)
        status.addPermanentWidget(self.refresh_label)
        status.addPermanentWidget(self.connection_label)
        status.addPermanentWidget(self.switcher)

    _current_choice = "sandbox"

    def _on_switcher_activated(self, index: int) -> None:
        choice = str(self.switcher.itemData(index))
        if choice == MANAGE_CONNECTIONS:
            self.switcher.setCurrentIndex(max(self.switcher.findData(self._current_choice), 0))
            self.show_connections()
            return
        if choice == self._current_choice:
            return
        running = self.jobs.running_count()
        if not running:
            self._current_choice = choice
            self.connection_requested.emit(choice)
            return
        self.switcher.setCurrentIndex(max(self.switcher.findData(self._current_choice), 0))
        dialog = ConfirmDialog(
            self,
            title="Switch deployment",
            text=f"{running} job(s) are still running on this deployment. Switching cancels them: each rolls back "
            "what it did, which can take a minute. Switch anyway?",
            confirm_label="Cancel the jobs and switch",
        )
        dialog.setObjectName("switchConfirmDialog")
        dialog.accepted.connect(lambda: self._switch_confirmed(choice))
        dialog.open()

    def _switch_confirmed(self, choice: str) -> None:
        self._current_choice = choice
        self.switcher.setCurrentIndex(max(self.switcher.findData(choice), 0))
        self.connection_requested.emit(choice)

    def set_connections(self, connections: Sequence[str], current: str | None, *, target_label: str = "") -> None:
        """The switcher's choices: the built-in sandbox, every connection, and `current` when it is none of them
        (a deployment named by --endpoint-url, shown as `target_label`); `current` selected."""
        shown = {self.switcher.itemData(i): self.switcher.itemText(i) for i in range(self.switcher.count())}
        self.switcher.clear()
        self.switcher.addItem("Sandbox (built-in)", "sandbox")
        for name in connections:
            self.switcher.addItem(name, name)
        if current and self.switcher.findData(current) < 0:
            self.switcher.addItem(target_label or shown.get(current, current), current)
        self.switcher.insertSeparator(self.switcher.count())
        self.switcher.addItem("Manage connections…", MANAGE_CONNECTIONS)
        self.switcher.setCurrentIndex(max(self.switcher.findData(current or "sandbox"), 0))
        self._current_choice = str(self.switcher.currentData())

    connection_service: ConnectionService | None = None
    """Given by the composition root once the connections can be read."""
    connections_dialog: ConnectionsDialog | None = None

    def show_connections(self) -> None:
        """The Connections dialog, non-modal; the switcher follows its changes."""
        if self.connection_service is None:
            return
        if self.connections_dialog is None:
            from ui.connections_dialog import ConnectionsDialog

            dialog = ConnectionsDialog(self.connection_service, self.executor, self, settings=self.settings)
            dialog.changed.connect(lambda names: self.set_connections(names, self._current_choice))
            self.connections_dialog = dialog
        self.connections_dialog.show()
        self.connections_dialog.raise_()
        self.connections_dialog.activateWindow()

    # -- deployment ------------------------------------------------------------------------------------------

    def show_loading(self, what: str) -> None:
        self.loading_label.setText(f"Loading models from {what}…")
        if self.table_model.rowCount() == 0:
            self.pages.setCurrentIndex(Page.LOADING)
        self.connection_label.setText(f"Opening {what}…")

    def show_open_failed(self, message: str) -> None:
        """The deployment could not be opened at all (no credentials, unreachable, not a LISA deployment)."""
        self.error_label.setText(f"<b>Cannot open the deployment</b><br>{message}")
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        if self.table_model.rowCount() == 0:
            self.pages.setCurrentIndex(Page.ERROR)
            self.banner.hide()
        else:
            self.banner.show_message(BannerKind.ERROR, f"Cannot open the deployment: {message}", retry=True)
        self.connection_label.setText("Not connected")

    def retry(self) -> None:
        """Retry what failed: the refresh, or opening the deployment when none is open."""
        if self.backend is None:
            self.show_loading("the deployment")
            self.open_retry_requested.emit()
        else:
            self.refresher.refresh_now()

    def show_snapshot(
        self, rows: Sequence[ModelRow], saved_at: float, *, more: int = 0, sorted_by: str | None = None
    ) -> None:
        """Rows saved by an earlier run: shown at once, marked cached, replaced by the first refresh. `more`
        counts the saved rows still being read, after these (the count includes them meanwhile); `sorted_by`
        names the order they were saved in (`ModelTableModel.apply`)."""
        self.cached_at = saved_at
        self._apply(rows, more, sorted_by)
        self._update_refresh_label()

    def set_backend(self, backend: Backend) -> None:
        self.backend = backend
        self.read_only = None
        self.read_only_banner.hide()
        self.banner.hide()
        text = backend.label
        self.connection_label.setText(text)
        self.connection_label.setToolTip(backend.label)
        self.connection_label.setStyleSheet(
            "QLabel { background: #f0b429; color: #1f1300; padding: 1px 8px; font-weight: bold; }"
            if backend.is_sandbox
            else ""
        )
        self.setWindowTitle(f"LISA Desktop — {'Sandbox' if text == SANDBOX_LABEL else text}")
        self.refresher.set_backend(backend)
        self.row_jobs.set_deployment(backend.cache_key)
        self._journal = {}
        self.recovery_banner.hide()
        self._spawn(self._check_write_access(backend))
        self._spawn(self._recover(backend))
        self._update_actions()

    async def _recover(self, backend: Backend) -> None:
        """Finish the jobs of this workstation on this deployment whose process died; then read their rows."""
        report = await recover_interrupted(backend, self.jobs, self.executor)
        if backend is not self.backend:
            return
        if report.problem:
            self.recovery_banner.show_message(BannerKind.ERROR, report.problem, retry=True)
        if report.models:
            self.refresher.read_now(report.models)
            for model_id in report.models:
                self._journal.pop(model_id, None)
            self._show_selected_details(at_once=False)
            self.statusBar().showMessage(f"Recovered interrupted jobs of {', '.join(report.models)}", 10_000)

    def _retry_recovery(self) -> None:
        self.recovery_banner.hide()
        if self.backend is not None:
            self._spawn(self._recover(self.backend))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` on the qasync loop; cancelled when the window closes, so none outlives its widgets."""
        task = spawn(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _check_write_access(self, backend: Backend) -> None:
        try:
            reason = await on_worker(self.executor, backend.write_refusal)
        except Exception:  # the probe is advisory: a real job still reports its own AccessDenied
            return
        if backend is self.backend:
            self.set_read_only(reason)

    def set_read_only(self, reason: str | None) -> None:
        self.read_only = reason
        if reason:
            self.read_only_banner.show_message(
                BannerKind.INFO, f"Read-only: these credentials cannot change models ({reason})."
            )
        else:
            self.read_only_banner.hide()
        self._update_actions()

    # -- refresh ---------------------------------------------------------------------------------------------

    def _apply(self, rows: Sequence[ModelRow], more: int = 0, sorted_by: str | None = None) -> None:
        self._rows_to_come = more
        self.table_model.apply(rows, sorted_by=sorted_by)
        if not rows:
            self.empty_label.setText(
                "<b>No models in this deployment yet.</b><br>Create one with Ctrl+N, or from the command line: "
                "<code>lisa-desktop models create FILE</code>"
            )
            self.empty_label.setTextFormat(Qt.TextFormat.RichText)
            self.pages.setCurrentIndex(Page.EMPTY)
        else:
            self._show_table()
        self._update_counts()
        self._update_pace()
        self._update_actions()
        self._show_selected_details(at_once=False)

    def _show_table(self) -> None:
        """The table page; when another page was on screen, painted one event-loop turn after the table has all
        its rows. The view repaints whole after each fill chunk (~10-25 ms each), so thousands of rows arriving
        on the loading page are painted once; the table's first layout and paint (~25 ms) and the work that
        filled it then each hold the GUI thread alone, with the input and timers that came meanwhile handled
        between them."""
        pages = self.pages
        if pages.currentIndex() == Page.TABLE:
            return
        if self._painted and pages.updatesEnabled():
            pages.setUpdatesEnabled(False)
            if self.table_model.filling:
                self.table_model.filled.connect(self._reveal_table, Qt.ConnectionType.SingleShotConnection)
            else:
                self._reveal_table()
        pages.setCurrentIndex(Page.TABLE)
        if self._first_table:
            self._first_table = False
            if self._fit_columns_once:
                self._fit_columns_once = False
                QTimer.singleShot(0, self, self.fit_columns)
            if QApplication.focusWidget() is not self.filter_box:
                self.focus_table()

    def _reveal_table(self) -> None:
        pages = self.pages
        QTimer.singleShot(0, pages, lambda: pages.setUpdatesEnabled(True))

    def _on_refreshed(self, rows: list[ModelRow]) -> None:
        self.cached_at = None
        self.stale = False
        self.banner.hide()
        self._apply(rows, sorted_by=self.refresher.sorted_by)
        self._update_refresh_label()
        self.rows_refreshed.emit(self.table_model.rows())

    def _on_partial(self, rows: list[ModelRow], asked: list[str]) -> None:
        """The watched models re-read: replace those rows; an asked model that is gone was deleted."""
        merged = {row.model_id: row for row in self.table_model.rows()}
        for model_id in asked:
            merged.pop(model_id, None)
        merged.update((row.model_id, row) for row in rows)
        self._apply(list(merged.values()))
        self._update_refresh_label()

    def _on_refresh_failed(self, message: str) -> None:
        self.stale = True
        if self.table_model.rowCount() == 0:  # no last data to show: the page says it, with its own Retry
            self.error_label.setText(f"<b>Cannot reach the deployment</b><br>{message}")
            self.error_label.setTextFormat(Qt.TextFormat.RichText)
            self.pages.setCurrentIndex(Page.ERROR)
            self.banner.hide()
        else:
            self.banner.show_message(
                BannerKind.ERROR,
                f"Refresh failed — showing the last data, which may be out of date.\n{message}",
                retry=True,
            )
        self._update_refresh_label()

    def _update_pace(self) -> None:
        changing = {row.model_id for row in self.table_model.rows() if row.status in TRANSITIONAL_VALUES}
        transitional = bool(changing) or bool(self.jobs.running_models())
        self.refresher.watch(changing | self.jobs.running_models())
        if transitional and not self._animation.isActive():
            self._animation.start()
        elif not transitional:
            self._animation.stop()

    def _animate(self) -> None:
        # Only the in-progress status cells repaint: a full repaint calls the model's data() hundreds of
        # times, and each call waits for the GIL while a refresh parses on the worker thread.
        self.status_delegate.tick()

    def _update_counts(self) -> None:
        total = self.table_model.row_total + self._rows_to_come
        shown = self.proxy.rowCount()
        text = f"{total} models" if shown == self.table_model.rowCount() else f"{shown} of {total} models shown"
        self.count_label.setText(text)

    def _update_refresh_label(self) -> None:
        refresher = self.refresher
        parts: list[str] = []
        if refresher.in_flight:
            parts.append("refreshing…")
        if self.cached_at is not None:
            parts.append(f"cached data from {ago(time.time() - self.cached_at)}")
        elif refresher.last_success is not None:
            when = ago(time.monotonic() - refresher.last_success)
            parts.append(f"STALE: last good data {when}" if self.stale else f"refreshed {when}")
        elif self.stale:
            parts.append("STALE: the refresh failed")
        if refresher.paused:
            parts.append("auto-refresh paused (Ctrl+P to resume)")
        elif (due := refresher.seconds_until_next()) is not None:
            changing = len(refresher.watched)
            watching = f" · watching {changing} changing model{'s' if changing != 1 else ''}" if changing else ""
            parts.append(f"next in {max(0, round(due))} s{watching}")
        self.refresh_label.setText(" · ".join(parts))

    def _toggle_pause(self) -> None:
        paused = not self.refresher.paused
        self.refresher.set_paused(paused)
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume refresh" if paused else "Pause refresh")

    # -- selection and details -------------------------------------------------------------------------------

    def selected_rows(self) -> list[ModelRow]:
        rows: list[ModelRow] = []
        for index in self.view.selectionModel().selectedRows():
            row = index.data(ROW_ROLE)
            if isinstance(row, ModelRow):
                rows.append(row)
        return rows

    def select_model(self, model_id: str) -> bool:
        row = self.table_model.position_of(model_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.table_model.index(row, 0))
        if not index.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(index)
        return True

    def _on_selection_changed(self) -> None:
        self._update_actions()
        self._show_selected_details(at_once=True)

    def _show_selected_details(self, *, at_once: bool) -> None:
        """The details pane follows a single selected model: its table row at once when the selection changed,
        then the detailed row (recent ECS events) from a worker; after a refresh only the detailed fetch, so
        the pane does not flicker back to the summary."""
        rows = self.selected_rows()
        if len(rows) != 1:
            self.details.show_row(None)
            return
        row = rows[0]
        if at_once or self.details.row is None or self.details.row.model_id != row.model_id:
            self.details.show_row(row)
            self._show_history(row.model_id)
            self._show_hold()
        self._fetch_details(row.model_id)

    def _show_history(self, model_id: str) -> None:
        """The details pane's Jobs tab: the model's journaled jobs as last read, and this window's others."""
        self.details.set_history(model_history(self.jobs.history(model_id), self._journal.get(model_id, [])))
        self.details.show_root_cause(model_id, latest_root_cause(self.jobs.history(model_id)))

    def _fetch_details(self, model_id: str) -> None:
        if self.backend is None:
            return
        self._spawn(self._load_details(self.backend, model_id))

    async def _load_details(self, backend: Backend, model_id: str) -> None:
        self._journal_reads += 1
        read = self._latest_read[model_id] = self._journal_reads
        try:
            journaled = await on_worker(self.executor, lambda: backend.job_history(model_id, with_steps=False))
        except Exception as error:
            log.exception("reading the job journal of %s failed", model_id)
            self.details.set_history_problem(f"Cannot read the job journal: {backend.describe_error(error)}")
        else:
            if backend is self.backend and self._latest_read.get(model_id) == read:
                self._journal[model_id] = journaled
                if self.details.row is not None and self.details.row.model_id == model_id:
                    self._show_history(model_id)
        try:
            row = await on_worker(self.executor, backend.model_row, model_id)
        except Exception:  # the table row stays shown; the next refresh tries again
            return
        current = self.details.row
        if backend is self.backend and current is not None and current.model_id == model_id:
            self.details.show_row(row)
            self._show_history(model_id)
            self._show_hold()

    # -- actions ---------------------------------------------------------------------------------------------

    def _update_actions(self) -> None:
        rows = self.selected_rows()
        for operation, action in self.model_actions.items():
            reason = self._refusal(operation, rows)
            action.setEnabled(reason is None)
            base = action.text().rstrip("…")
            action.setToolTip(f"{base}: {reason}" if reason else f"{base} the selected model(s)")
        offline = self._write_refusal()
        self.create_action.setToolTip(
            f"Create a model — as a draft only ({offline}); submit it once a deployment is open"
            if offline
            else "Create a model (every value is saved as a draft while you type)"
        )
        loaded = bool(rows) and all(row.config for row in rows)
        waiting = CONFIG_PENDING
        self.copy_action.setEnabled(loaded)
        self.copy_action.setToolTip("Copy the selected models as JSON" if loaded or not rows else f"Copy: {waiting}")
        self.export_action.setEnabled(len(rows) == 1 and loaded and rows[0].unreadable is None)
        if len(rows) != 1:
            self.export_action.setToolTip("Export: select exactly one model")
        elif rows[0].unreadable is not None:
            self.export_action.setToolTip(f"Export: {unreadable_text(rows[0])}")
        else:
            self.export_action.setToolTip(
                "Export the selected model's configuration to YAML or JSON" if loaded else f"Export: {waiting}"
            )
        self.refresh_action.setEnabled(self.backend is not None)
        self._selection = rows
        self._update_takeover()

    def _write_refusal(self) -> str | None:
        if self.backend is None:
            return "no deployment is open"
        if self.leaving is not None:
            return "the window closes once the running jobs have ended"
        return self.read_only

    def _refusal(self, operation: Operation, rows: Sequence[ModelRow]) -> str | None:
        reason = self._write_refusal() or selection_refusal(operation, rows)
        if reason is None and operation is Operation.UPDATE and not rows[0].config:
            reason = CONFIG_PENDING
        return reason

    def create_model(self) -> None:
        """Always offered: with no deployment open (or read-only) the wizard still drafts, Submit says why not."""
        self.wizards.create()

    def update_model(self) -> None:
        if self._explain_refusal(self.update_action):
            self.wizards.update(self.selected_rows()[0])

    def _explain_refusal(self, action: QAction) -> bool:
        """Shortcuts fire even for disabled actions' keys in some styles: say why instead of doing nothing."""
        if action.isEnabled():
            return True
        self.statusBar().showMessage(action.toolTip(), 8000)
        return False

    def start_selected(self) -> None:
        if self._explain_refusal(self.start_action):
            self._submit(JobKind.START, self.selected_rows())

    def stop_selected(self) -> None:
        if not self._explain_refusal(self.stop_action):
            return
        rows = self.selected_rows()
        names = ", ".join(row.model_id for row in rows[:5]) + (" …" if len(rows) > 5 else "")
        dialog = ConfirmDialog(
            self,
            title="Stop models" if len(rows) > 1 else "Stop model",
            text=f"Stop {names}?\n\nIts containers and instances are shut down and the model stops serving "
            "requests until it is started again.",
            confirm_label=f"Stop {len(rows)} models" if len(rows) > 1 else "Stop",
        )
        dialog.accepted.connect(lambda: self._submit(JobKind.STOP, rows))
        dialog.open()

    def delete_selected(self) -> None:
        if not self._explain_refusal(self.delete_action):
            return
        rows = self.selected_rows()
        if len(rows) == 1:
            text = (
                f"Delete {rows[0].model_id} ({rows[0].model_name})?\n\nIts LiteLLM registration, its AWS resources "
                "(CloudFormation stack) and its record are removed. This cannot be undone."
            )
            type_back = rows[0].model_id
        else:
            listed = "\n".join(f"• {row.model_id}" for row in rows[:10]) + ("\n• …" if len(rows) > 10 else "")
            text = f"Delete these {len(rows)} models? This cannot be undone.\n\n{listed}"
            type_back = f"delete {len(rows)} models"
        dialog = ConfirmDialog(self, title="Delete", text=text, confirm_label="Delete permanently", type_back=type_back)
        dialog.accepted.connect(lambda: self._submit(JobKind.DELETE, rows))
        dialog.open()

    def _submit(self, kind: JobKind, rows: Sequence[ModelRow]) -> None:
        backend = self.backend
        if backend is None:
            return
        first: str | None = None
        for row in rows:
            ticket = backend.submit(
                kind, row.model_id, on_event=self.jobs.signals.event.emit, on_end=self.jobs.signals.ended.emit
            )
            self.jobs.track(ticket, f"{kind.value.capitalize()} {row.model_id}")
            first = first or ticket.job_id
        if first is not None:
            self.jobs.show()
            self.jobs.focus_job(first)
        self._update_pace()
        self.refresher.read_now(row.model_id for row in rows)

    def _on_job_finished(self, end: JobEnd) -> None:
        self._update_pace()
        self.refresher.read_now([end.model_id])
        if not self.isActiveWindow():
            self.notifier.notify(f"{end.kind.value.capitalize()} {end.model_id}: {end.outcome}", end.message)
        if self.details.row is not None and self.details.row.model_id == end.model_id:
            self._show_history(end.model_id)
            self._fetch_details(end.model_id)
        if self.leaving is not None and self.jobs.running_count() == 0:
            self._close_for_good()

    # -- takeover: a model held by a job this window is not running, whose lease has expired ------------------

    def hold_of(self, row: ModelRow) -> tuple[HoldState | None, bool]:
        """The row's hold now, with the lease the deployment uses, and whether a job of this window holds it."""
        lease_s = self.backend.lease_s if self.backend is not None else None
        hold = hold_state(row, now_ms=int(time.time() * 1000), lease_s=lease_s)
        if hold is None:
            return None, False
        ours = row.model_id in self.jobs.running_models() or hold.job_id in self.jobs.model.running_jobs()
        return hold, ours

    def _hold_note(self, row: ModelRow) -> str | None:
        hold, ours = self.hold_of(row)
        return None if hold is None or ours else hold.text()

    def _show_hold(self) -> None:
        """The details pane says who holds its model, when a job this window is not running does."""
        row = self.details.row
        hold, ours = self.hold_of(row) if row is not None else (None, False)
        if hold is None or ours:
            self.details.show_hold(None)
            return
        after = "\nActions → Take over… settles the model." if hold.expired else ""
        self.details.show_hold(f"{hold.text()}.{after}", expired=hold.expired)

    def _update_takeover(self) -> None:
        rows = self._selection
        reason = self._write_refusal()
        if reason is None and len(rows) != 1:
            reason = (
                f"take over works on one model at a time ({len(rows)} are selected)"
                if rows
                else "select a model held by a job whose lease has expired"
            )
        if reason is None:
            hold, ours = self.hold_of(rows[0])
            reason = takeover_refusal(rows[0], hold, ours=ours)
        self.takeover_action.setEnabled(reason is None)
        self.takeover_action.setToolTip(
            f"Take over: {reason}"
            if reason
            else "Take the model over from the job holding it, whose lease has expired, and settle it from AWS"
        )
        self._show_hold()

    def take_over_selected(self) -> None:
        """Asks first, showing the holder, its heartbeat and what taking over does for that kind of job."""
        backend = self.backend
        if not self._explain_refusal(self.takeover_action) or backend is None:
            return
        row = self._selection[0]
        hold, _ = self.hold_of(row)
        takeover = backend.takeover_of(row.status)
        if hold is None or takeover is None:
            return
        dialog = ConfirmDialog(
            self,
            title=f"Take over {row.model_id}",
            text=confirmation_text(hold, takeover),
            confirm_label=f"Take over the {takeover.kind.value}",
        )
        dialog.setObjectName("takeoverConfirmDialog")
        dialog.accepted.connect(lambda: self._spawn(self._take_over(backend, row.model_id, takeover.kind)))
        self.takeover_dialog = dialog
        dialog.open()

    async def _take_over(self, backend: Backend, model_id: str, kind: JobKind) -> None:
        problem = await take_over(backend, self.jobs, self.executor, model_id, kind)
        if problem is not None and backend is self.backend:
            self.statusBar().showMessage(problem, 20_000)

    def copy_selected(self) -> None:
        """The selected models' configurations as JSON, API keys masked (as the rows hold them)."""
        rows = self.selected_rows()
        if not rows:
            return
        configs = [dict(row.config) for row in rows]
        payload = configs[0] if len(configs) == 1 else configs
        QGuiApplication.clipboard().setText(json.dumps(payload, indent=2, sort_keys=True, default=str))
        self.statusBar().showMessage(f"Copied {len(rows)} model configuration(s) as JSON", 4000)

    def export_selected(self) -> None:
        """Ask where to export the selected model; first, when it has an API key, whether to include it."""
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        row = rows[0]
        if not row.secrets:
            self._ask_export_path(row, include_secrets=False)
            return
        from ui.export_choice import ExportSecretsBox

        box = self.export_secrets_box = ExportSecretsBox(self, row.model_id)
        box.chosen.connect(lambda include: self._ask_export_path(row, include_secrets=include))
        box.open()

    def _ask_export_path(self, row: ModelRow, *, include_secrets: bool) -> None:
        dialog = QFileDialog(
            self, f"Export {row.model_id}", f"{row.model_id}.yaml", "YAML (*.yaml *.yml);;JSON (*.json)"
        )
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen")
        dialog.fileSelected.connect(lambda path: self.export_to(row, path, include_secrets=include_secrets))
        dialog.open()

    def export_to(self, row: ModelRow, path: str, *, include_secrets: bool = False) -> None:
        from engine.files import dump_document  # PyYAML: not on the start-up path

        try:
            dump_document(export_shape(row, include_secrets=include_secrets), path)
        except OSError as error:
            warn(self, "Export failed", f"Cannot write {path}: {error.strerror or error}")
            return
        self.statusBar().showMessage(f"Exported {row.model_id} to {path}", 6000)

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self, SHORTCUTS)
        dialog.open()

    def show_job_history(self) -> None:
        """The audit log of this deployment, read off the GUI thread; one dialog, raised when open already."""
        backend = self.backend
        if backend is None:
            self.statusBar().showMessage("Job history: no deployment is open", 6000)
            return
        dialog = self.history_dialog
        if dialog is None or dialog.backend is not backend:
            if dialog is not None:
                dialog.close()
            dialog = self.history_dialog = JobHistoryDialog(self, backend, self.executor)
        dialog.show()
        dialog.raise_()
        dialog.reload()

    def show_about(self) -> None:
        from ui.about import open_about

        self.about_box = open_about(self, self.connection_label.text() or "not connected")

    def _focus_filter(self) -> None:
        self.filter_box.setFocus()
        self.filter_box.selectAll()

    def focus_table(self) -> None:
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _focus_details(self) -> None:
        self.details_dock.show()
        self.details_dock.raise_()
        self.details.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.details.focusNextChild()

    def _focus_jobs(self) -> None:
        self.jobs.show()
        self.jobs.raise_()
        self.jobs.jobs_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _focus_drafts(self) -> None:
        panel = self.drafts_panel
        panel.show()
        panel.raise_()
        panel.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _cancel_shown_job(self) -> None:
        if not self.jobs.cancel_shown():
            self.statusBar().showMessage("Cancel: select a running job in the Jobs dock first", 6000)

    def _select_a_row(self) -> None:
        """The table's current row, made the first one when there is none (the arrows then move from it)."""
        if self.view.currentIndex().isValid() or self.proxy.rowCount() == 0:
            return
        self.view.setCurrentIndex(self.proxy.index(0, Column.MODEL_ID))

    def _on_filter_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        problem = self.proxy.filter_error
        self.filter_problem.setText(problem or "")
        self.filter_problem.setVisible(bool(problem))
        self._update_counts()

    # -- menus -----------------------------------------------------------------------------------------------

    def _dismiss_marks(self, model_ids: Sequence[str]) -> None:
        for model_id in model_ids:
            self.row_jobs.dismiss(model_id)

    def _show_context_menu(self, position: QPoint) -> None:
        index: QModelIndex = self.view.indexAt(position)
        if index.isValid() and not self.view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.view.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
        self.row_menu().popup(self.view.viewport().mapToGlobal(position))

    def row_menu(self) -> QMenu:
        """The selected rows' context menu."""
        menu = QMenu(self)
        menu.addActions([self.update_action, self.start_action, self.stop_action, self.delete_action])
        menu.addSeparator()
        menu.addAction(self.takeover_action)
        rows = self.selected_rows()
        marked = [row.model_id for row in rows if self.row_jobs.mark_of(row.model_id) is not None]
        if marked:
            dismiss = menu.addAction("Dismiss the rolled-back mark")
            dismiss.setObjectName("dismissMarkAction")
            dismiss.triggered.connect(lambda: self._dismiss_marks(marked))
        menu.addSeparator()
        menu.addActions([self.copy_action, self.export_action])
        return menu

    def _show_column_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        self._fill_column_menu(menu)
        menu.popup(self.view.horizontalHeader().mapToGlobal(position))

    def _fill_column_menu(self, menu: QMenu) -> None:
        menu.clear()
        header = self.view.horizontalHeader()
        for column in Column:
            action = menu.addAction(column.label)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(column is not Column.MODEL_ID)
            action.toggled.connect(lambda shown, c=column: self.set_column_hidden(c, not shown))

    def set_column_hidden(self, column: Column, hidden: bool) -> None:
        self.view.horizontalHeader().setSectionHidden(column, hidden)

    # -- settings --------------------------------------------------------------------------------------------

    _fit_columns_once = False

    def fit_columns(self) -> None:
        """Hide the optional columns, least needed first, until the shown ones fit the table without scrolling
        (a first start on a small screen; the header's state is saved from then on)."""
        header = self.view.horizontalHeader()
        room = self.view.viewport().width()
        for column in OPTIONAL_COLUMNS:
            shown = [c for c in Column if not header.isSectionHidden(c)]
            if sum(header.sectionSize(c) for c in shown[:-1]) + COLUMN_WIDTHS.get(shown[-1], 100) <= room:
                return
            header.setSectionHidden(column, True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and watched is getattr(self, "view", None):
            self._select_a_row()
        return super().eventFilter(watched, event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """Runs once the whole first frame is painted: the window paints before its children, and a worker started
        from its paintEvent held the GIL while the table painted (the table's paint took 80 ms instead of 10)."""
        # The first Python wrapper of the table's viewport (the status delegate asks for it) makes PySide create
        # the enums of every widget class while it finds the viewport's class: ~20 ms, taken here, not when the
        # first rows arrive.
        self.view.viewport()
        self.cell_delegate.turn_budget_s = TURN_BUDGET_S
        self._import_wizards()
        self.first_painted.emit()

    def _import_wizards(self) -> None:
        """Import the wizard's modules (pydantic, the schema: ~0.3 s of Python) on a worker, then make the wizard
        and its dock here: imported on the GUI thread, they froze the window just after its first paint."""

        def work() -> None:
            importlib.import_module("ui.wizard_launcher")
            importlib.import_module("engine.drafts.store")
            self._wizards_importable.emit()

        try:
            self.executor.submit(work)
        except RuntimeError:  # the executor is shut down (the app is closing)
            return

    @property
    def wizards(self) -> WizardLauncher:
        """Opens the create/update wizard and owns the Drafts dock (made once the window has painted)."""
        return self._wizards or self._make_wizards()

    @property
    def drafts_panel(self) -> DraftsPanel:
        return self.wizards.panel

    def _make_wizards(self) -> WizardLauncher:
        if self._wizards is not None:
            return self._wizards
        from engine.drafts.store import DraftStore
        from ui.wizard_launcher import WizardLauncher

        self._wizards = launcher = WizardLauncher(self, self._drafts or DraftStore())
        panel = launcher.panel
        if not self.restoreDockWidget(panel):
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
            self.tabifyDockWidget(self.jobs, panel)
            self.jobs.raise_()
        self.view_menu.addAction(panel.toggleViewAction())
        return launcher

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        header = self.settings.value("table/header")
        if header is not None:
            self.view.horizontalHeader().restoreState(header)
        else:
            self._fit_columns_once = True

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("table/header", self.view.horizontalHeader().saveState())
        self.settings.sync()

    _close_confirmed = False

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.jobs.running_count()
        if running and not self._close_confirmed:
            event.ignore()
            asking = self.close_box is not None and self.close_box.isVisible()
            if self.leaving is None and not asking:
                if self.close_box is not None:
                    self.close_box.deleteLater()
                journaled = self.backend is not None and self.backend.journaled
                self.close_box = CloseWhileRunningBox(self, running, journaled=journaled)
                self.close_box.chosen.connect(self.leave)
                self.close_box.open()
            return
        self.save_settings()
        self._ticker.stop()
        self._animation.stop()
        self.refresher.stop()
        for task in list(self._tasks):
            task.cancel()
        super().closeEvent(event)
        self.left.emit()

    def leave(self, choice: CloseChoice) -> None:
        """Carry out the answer to closing while jobs run: the window closes for good once they have ended."""
        if choice is CloseChoice.STAY or self.leaving is not None:
            return
        self.leaving = choice
        if self.jobs.running_count() == 0:  # they ended while the question was open
            self._close_for_good()
            return
        if choice is CloseChoice.KEEP_RUNNING:
            running = self.jobs.running_count()
            self.refresher.stop()  # nobody sees the rows; the jobs poll what they change themselves
            self.notifier.notify(
                "LISA Desktop keeps running in the background",
                f"{running} job(s) still running; LISA Desktop quits by itself once they end.",
            )
            self.hide()
            return
        asked = self.jobs.cancel_all()
        self.jobs.show()
        self.jobs.raise_()
        self._update_actions()
        self.statusBar().showMessage(
            f"Cancelling {asked} job(s): each rolls back what it did; the window closes once every job has ended."
        )

    def _close_for_good(self) -> None:
        self._close_confirmed = True
        self.close()


COLUMN_WIDTHS: dict[Column, int] = {
    Column.MODEL_ID: 160,
    Column.NAME: 170,
    Column.HOSTING: 88,
    Column.TYPE: 85,
    Column.STATUS: 155,
    Column.INSTANCE_TYPE: 95,
    Column.CAPACITY: 115,
    Column.RUNNING_TASKS: 60,
    Column.HEALTHY_INSTANCES: 70,
    Column.STREAMING: 80,
    Column.FEATURES: 150,
    Column.ALLOWED_GROUPS: 150,
    Column.LAST_MODIFIED: 130,
}
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    Column.ALLOWED_GROUPS,
    Column.FEATURES,
    Column.STREAMING,
    Column.LAST_MODIFIED,
    Column.TYPE,
)
"""Hidden first, in this order, while the columns do not fit the table's first width (View → Columns shows them)."""
DETAILS_WIDTH = 380
"""The Details dock's first width; 320 on a screen narrower than 1500 px."""


def export_shape(row: ModelRow, *, include_secrets: bool = False) -> dict[str, object]:
    """The model's configuration as a create file takes it: LISA's API shape without the live-only fields, its
    API key masked unless `include_secrets`."""
    from ui.wizard.form import stored_config  # pydantic: not on the first paint's path

    return stored_config(row.revealed_config() if include_secrets else row.config)
