"""The main window: the live model table, its filter, the details pane, the job panel and every action.

The window owns no AWS logic: it draws rows a Backend returns, asks the Backend to start jobs, and runs the
Backend's blocking calls through the `Background` the composition root gives it (worker threads, awaited on
the qasync loop). It composes the parts in ui/window_*.py: pages, table view, actions and menus, status bar, job
submission, details, export, start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.model_row import ModelRow
from engine.schema.enums import TRANSITIONAL_STATUSES
from ui.backend import SANDBOX_LABEL, Backend, JobEnd, JobKind
from ui.background import Background
from ui.banner import Banner, BannerKind
from ui.close_question import CloseChoice, CloseWhileRunningBox
from ui.details_pane import DetailsPane
from ui.dialogs import ConfirmDialog, ShortcutsDialog
from ui.holds import HoldState
from ui.job_history import JobHistoryDialog
from ui.job_panel import RUN_BY_NOT_CANCELLABLE, JobPanel
from ui.job_recovery import recover_interrupted
from ui.model_filter import ModelFilterProxy
from ui.model_settings_commands import ModelSettingsCommands
from ui.model_table import ROW_ROLE, ModelTableModel
from ui.notifier import Notifier
from ui.refresher import Refresher
from ui.row_jobs import RowJobs
from ui.status_bar import MessageBar
from ui.takeover import take_over
from ui.window_actions import WindowActions
from ui.window_details import DetailsFeed
from ui.window_export import ConfigExport, export_shape
from ui.window_jobs import JobSubmission, confirm_delete, confirm_stop, confirm_takeover, hold_of
from ui.window_menus import WindowMenus
from ui.window_pages import Page, WindowPages
from ui.window_startup import StartupSequence, restore_layout, save_layout
from ui.window_status import MANAGE_CONNECTIONS, ConnectionSwitcher, StatusWidgets, count_text, refresh_text
from ui.window_table import (
    fit_columns,
    fit_live_headers,
    make_current_if_none,
    make_view,
    select_before_row_key,
    select_row_under,
)

if TYPE_CHECKING:
    from engine.drafts.store import DraftStore
    from ui.connection_service import ConnectionService
    from ui.connections_dialog import ConnectionsDialog
    from ui.drafts_panel import DraftsPanel
    from ui.wizard_launcher import WizardLauncher

__all__ = ["MANAGE_CONNECTIONS", "MainWindow", "Page", "export_shape"]

TRANSITIONAL_VALUES = frozenset(status.value for status in TRANSITIONAL_STATUSES)
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
DETAILS_WIDTH = 380
"""The Details dock's first width; `DETAILS_NARROW` on a screen narrower than 1500 px."""
DETAILS_NARROW = 210
"""Leaves the table the room of every column at 1280 px (window_table.fit_columns)."""
JOBS_EMPTY_HEIGHT = 110
"""The Jobs dock's first height, while it lists no job: its headers and a row or two."""
JOBS_HEIGHT = 260
"""The least height the Jobs dock grows to once it lists a job (more where the table leaves room)."""


class MainWindow(QMainWindow):
    connection_requested = Signal(str)
    """The user picked another deployment in the switcher (a connection name, or 'sandbox')."""
    open_retry_requested = Signal()
    """The deployment could not be opened and the user asked to try again."""
    rows_refreshed = Signal(object)
    """list[ModelRow]: every successful refresh's rows, in display order (the composition root keeps them as the
    start-up snapshot, with `table_model.ordering.name`). Signals carry row lists as `object`: a `list` signal
    converts each item to a QVariant on the GUI thread."""
    left = Signal()
    """The window closed for good, also when it was hidden while jobs ended in the background: the app quits
    (closing a hidden window does not end the app by itself)."""
    first_painted = Signal()
    """The window has painted once (emitted just after that paint): start-up work that would compete with the
    first paint for the GIL, such as opening the deployment, waits for it."""

    connection_service: ConnectionService | None = None
    """Given by the composition root once the connections can be read."""
    connections_dialog: ConnectionsDialog | None = None

    def __init__(
        self,
        settings: QSettings,
        background: Background,
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
        self.background = background
        self.backend: Backend | None = None
        self.read_only: str | None = None
        self.stale = False
        self.cached_at: float | None = None
        """Epoch seconds of the snapshot on screen until the first refresh lands."""
        self._rows_to_come = 0
        """Rows of a snapshot still being read (its first screenful is shown)."""
        self.leaving: CloseChoice | None = None
        """How the window is being closed while jobs run (it closes once they end); None while it is not."""
        self.history_dialog: JobHistoryDialog | None = None
        self.close_box: CloseWhileRunningBox | None = None
        """The question asked when the window is closed while jobs run (the last one asked)."""
        self.takeover_dialog: ConfirmDialog | None = None
        """The last confirmation of a takeover asked for."""
        self._fit_columns_once = False
        self._close_confirmed = False

        self.table_model = ModelTableModel(self)
        self.table_model.hold_note = self._hold_note
        self.table_model.filled.connect(self._update_counts)
        self.proxy = ModelFilterProxy(self.table_model, self)
        self.view, self.cell_delegate, self.status_delegate = make_view(self.proxy)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.installEventFilter(self)
        self.refresher = refresher or Refresher(background, self, ordering=lambda: self.table_model.ordering)
        self.refresher.faces = self.table_model.faces
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

        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.filter_problem)
        table_layout.addWidget(self.view)
        self.pages = WindowPages(table_page, has_rows=lambda: self.table_model.rowCount() > 0)
        self.pages.retry_requested.connect(self.retry)
        self.loading_label = self.pages.loading_label
        self.empty_label = self.pages.empty_label
        self.error_label = self.pages.error_label
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
        self.view.doubleClicked.connect(lambda _index: self.details_dock.show())
        self.jobs = JobPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs)
        self.jobs.job_finished.connect(self._on_job_finished)
        self.jobs.running_changed.connect(lambda _count: self.update_pace())
        self.row_jobs = RowJobs(self.table_model, self.jobs.model, settings, self)
        self.jobs.signals.event.connect(self.row_jobs.on_event)
        self.jobs.signals.ended.connect(self.row_jobs.on_end)
        self.submission = JobSubmission(
            self.jobs, self.refresher, backend=lambda: self.backend, pace_changed=self.update_pace
        )
        self.details_feed = DetailsFeed(
            self.details, self.jobs, background, backend=lambda: self.backend, hold_of=self.hold_of
        )
        self.config_export = ConfigExport(self)
        self.model_settings = ModelSettingsCommands(
            self,
            background,
            self.refresher,
            backend=lambda: self.backend,
            say=lambda text, ms: self.statusBar().showMessage(text, ms),
        )
        self._drafts = drafts
        self._wizards: WizardLauncher | None = None
        """The wizard and the Drafts dock import pydantic and the schema (half a second): imported on a worker
        after the first paint and then made (StartupSequence), or made when first asked for."""
        self.startup = StartupSequence(
            self,
            background,
            view=self.view,
            cell_delegate=self.cell_delegate,
            make_wizards=self._make_wizards,
            first_painted=self.first_painted,
        )

        self.commands = WindowActions(
            self,
            self,
            refresh_now=self.refresher.refresh_now,
            write_refusal=self._write_refusal,
            hold_of=self.hold_of,
        )
        self.menus = WindowMenus(
            self, self.commands, view=self.view, filter_box=self.filter_box, docks=[self.details_dock, self.jobs]
        )
        self.setStatusBar(MessageBar(self))
        self.switcher = ConnectionSwitcher(running_jobs=self.jobs.running_count)
        self.set_connections(connections, current_connection)
        self.switcher.chosen.connect(self.connection_requested)
        self.switcher.manage_requested.connect(self.show_connections)
        status = StatusWidgets(self.statusBar(), self.switcher)
        self.connection_label = status.connection_label
        self.refresh_label = status.refresh_label
        self.count_label = status.count_label

        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._update_refresh_label)
        self._ticker.timeout.connect(self._update_takeover)  # a lease expires with time alone
        self._ticker.start()
        self._animation = QTimer(self)
        self._animation.setInterval(120)
        # Only the in-progress status cells repaint: a full repaint calls the model's data() hundreds of
        # times, and each call waits for the GIL while a refresh parses on the worker thread.
        self._animation.timeout.connect(self.status_delegate.tick)

        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        QWidget.setTabOrder(self.filter_box, self.view)
        QWidget.setTabOrder(self.view, self.details.tabs)
        QWidget.setTabOrder(self.details.tabs, self.jobs.jobs_view)
        self.resize(1280, 780)
        screen = QGuiApplication.primaryScreen()
        narrow = screen is not None and screen.availableGeometry().width() < 1500
        self.resizeDocks([self.details_dock], [DETAILS_NARROW if narrow else DETAILS_WIDTH], Qt.Orientation.Horizontal)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)  # Details: full height
        for listing in (self.jobs.jobs_view, self.jobs.events_view):  # an empty Jobs dock: little more than headers
            listing.setMinimumHeight(listing.header().sizeHint().height() + 2 * listing.frameWidth() + 4)
        self.resizeDocks([self.jobs], [JOBS_EMPTY_HEIGHT], Qt.Orientation.Vertical)  # grows with the first job
        self.jobs.model.rowsInserted.connect(lambda *_: QTimer.singleShot(0, self, self._on_job_listed))
        self._size_jobs_dock = settings.value("window/state") is None
        """Size the Jobs dock once shown (sizes given before the first layout do not hold); not when the user's
        sizes were restored."""
        self._fit_columns_once = not restore_layout(self, self.view, settings)
        self.show_loading("the deployment")
        self._update_actions()

    # -- connections -----------------------------------------------------------------------------------------

    def set_connections(self, connections: Sequence[str], current: str | None, *, target_label: str = "") -> None:
        """The switcher's choices: the built-in sandbox, every connection, and `current` when it is none of them
        (a deployment named by --endpoint-url, shown as `target_label`); `current` selected."""
        self.switcher.set_connections(connections, current, target_label=target_label)

    def show_connections(self) -> None:
        """The Connections dialog, non-modal; the switcher follows its changes."""
        if self.connection_service is None:
            return
        if self.connections_dialog is None:
            from ui.connections_dialog import ConnectionsDialog

            dialog = ConnectionsDialog(self.connection_service, self.background, self, settings=self.settings)
            dialog.changed.connect(lambda names: self.set_connections(names, self.switcher.current_choice))
            self.connections_dialog = dialog
        self.connections_dialog.show()
        self.connections_dialog.raise_()
        self.connections_dialog.activateWindow()

    # -- deployment ------------------------------------------------------------------------------------------

    def show_loading(self, what: str) -> None:
        self.pages.show_loading(what)
        self.connection_label.setText(f"Opening {what}…")

    def show_open_failed(self, message: str) -> None:
        """The deployment could not be opened at all (no credentials, unreachable, not a LISA deployment)."""
        if self.pages.show_problem("Cannot open the deployment", message):
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
        if self.table_model.set_live_note(None if backend.aws_access else "no AWS access"):
            fit_live_headers(self.view)
        self.refresher.set_backend(backend)
        self.row_jobs.set_deployment(backend.cache_key)
        self.details_feed.forget()
        self.recovery_banner.hide()
        self.background.start(self._check_write_access(backend), what="checking write access")
        self.background.start(self._recover(backend), what="recovering interrupted jobs")
        self._update_actions()

    async def _recover(self, backend: Backend) -> None:
        """Finish the jobs of this workstation on this deployment whose process died; then read their rows."""
        report = await recover_interrupted(backend, self.jobs, self.background)
        if backend is not self.backend:
            return
        if report.problem:
            self.recovery_banner.show_message(BannerKind.ERROR, report.problem, retry=True)
        if report.models:
            self.refresher.read_now(report.models)
            self.details_feed.forget(report.models)
            self.details_feed.follow(self.selected_rows(), at_once=False)
            self.statusBar().showMessage(f"Recovered interrupted jobs of {', '.join(report.models)}", 10_000)

    def _retry_recovery(self) -> None:
        self.recovery_banner.hide()
        if self.backend is not None:
            self.background.start(self._recover(self.backend), what="recovering interrupted jobs")

    async def _check_write_access(self, backend: Backend) -> None:
        try:
            reason = await self.background.run(backend.write_refusal)
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
            self.pages.show_empty()
        else:
            self._show_table()
        self._update_counts()
        self.update_pace()
        self._update_actions()
        self.details_feed.follow(self.selected_rows(), at_once=False)

    def _show_table(self) -> None:
        filled = self.table_model.filled if self.table_model.filling else None
        if self.pages.show_table(painted=self.startup.painted, filled=filled):
            if self._fit_columns_once:
                self._fit_columns_once = False
                QTimer.singleShot(0, self, self.fit_columns)
            if QApplication.focusWidget() is not self.filter_box:
                self.focus_table()

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
        if self.pages.show_problem("Cannot reach the deployment", message):  # with its own Retry
            self.banner.hide()
        else:
            self.banner.show_message(
                BannerKind.ERROR,
                f"Refresh failed — showing the last data, which may be out of date.\n{message}",
                retry=True,
            )
        self._update_refresh_label()

    def update_pace(self) -> None:
        """Refresh changing models often, and animate their status, while any is changing or has a job."""
        changing = {row.model_id for row in self.table_model.rows() if row.status in TRANSITIONAL_VALUES}
        transitional = bool(changing) or bool(self.jobs.running_models())
        self.refresher.watch(changing | self.jobs.running_models())
        if transitional and not self._animation.isActive():
            self._animation.start()
        elif not transitional:
            self._animation.stop()

    def _update_counts(self) -> None:
        total = self.table_model.row_total + self._rows_to_come
        self.count_label.setText(
            count_text(total=total, shown=self.proxy.rowCount(), loaded=self.table_model.rowCount())
        )

    def _update_refresh_label(self) -> None:
        self.refresh_label.setText(refresh_text(self.refresher, cached_at=self.cached_at, stale=self.stale))

    def toggle_pause(self) -> None:
        paused = not self.refresher.paused
        self.refresher.set_paused(paused)
        self.commands.pause.setChecked(paused)
        self.commands.pause.setText("Resume refresh" if paused else "Pause refresh")

    # -- selection -------------------------------------------------------------------------------------------

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
        self.details_feed.follow(self.selected_rows(), at_once=True)

    def _on_filter_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        problem = self.proxy.filter_error
        self.filter_problem.setText(problem or "")
        self.filter_problem.setVisible(bool(problem))
        self._update_counts()

    # -- actions ---------------------------------------------------------------------------------------------

    def _update_actions(self) -> None:
        self.commands.gate(self.selected_rows(), connected=self.backend is not None)
        self.details_feed.show_hold()

    def _update_takeover(self) -> None:
        self.commands.gate_takeover()
        self.details_feed.show_hold()

    def _write_refusal(self) -> str | None:
        if self.backend is None:
            return "no deployment is open"
        if self.leaving is not None:
            return "the window closes once the running jobs have ended"
        return self.read_only

    def create_model(self) -> None:
        """Always offered: with no deployment open (or read-only) the wizard still drafts, Submit says why not."""
        self.wizards.create()

    def update_model(self) -> None:
        if self.commands.explain_refusal(self.commands.update):
            self.wizards.update(self.selected_rows()[0])

    def start_selected(self) -> None:
        if self.commands.explain_refusal(self.commands.start):
            self.submission.submit(JobKind.START, self.selected_rows())

    def stop_selected(self) -> None:
        if self.commands.explain_refusal(self.commands.stop):
            rows = self.selected_rows()
            dialog = confirm_stop(self, rows)
            dialog.accepted.connect(lambda: self.submission.submit(JobKind.STOP, rows))
            dialog.open()

    def delete_selected(self) -> None:
        if self.commands.explain_refusal(self.commands.delete):
            rows = self.selected_rows()
            dialog = confirm_delete(self, rows)
            dialog.accepted.connect(lambda: self.submission.submit(JobKind.DELETE, rows))
            dialog.open()

    def set_default_selected(self) -> None:
        if self.commands.explain_refusal(self.commands.set_default):
            self.model_settings.set_default(self.selected_rows()[0])

    def edit_context_window(self) -> None:
        if self.commands.explain_refusal(self.commands.context_window):
            self.model_settings.edit_context_window(self.selected_rows()[0])

    def _on_job_finished(self, end: JobEnd) -> None:
        self.update_pace()
        self.refresher.read_now([end.model_id])
        if not self.isActiveWindow():
            self.notifier.notify(f"{end.kind.value.capitalize()} {end.model_id}: {end.outcome}", end.message)
        if self.details_feed.shows(end.model_id):
            self.details_feed.show_history(end.model_id)
            self.details_feed.fetch(end.model_id)
        if self.leaving is not None and self.jobs.model.running_here() == 0:
            self._close_for_good()

    def hold_of(self, row: ModelRow) -> tuple[HoldState | None, bool]:
        """The row's hold now, with the lease the deployment uses, and whether a job of this window holds it."""
        return hold_of(row, self.backend, self.jobs)

    def _hold_note(self, row: ModelRow) -> str | None:
        hold, ours = self.hold_of(row)
        return None if hold is None or ours else hold.text()

    def take_over_selected(self) -> None:
        """A model held by a job this window is not running, whose lease has expired: asks first."""
        backend = self.backend
        if not self.commands.explain_refusal(self.commands.takeover) or backend is None:
            return
        row = self.commands.selection[0]
        hold, _ = self.hold_of(row)
        takeover = backend.takeover_of(row.status)
        if hold is None or takeover is None:
            return
        dialog = self.takeover_dialog = confirm_takeover(self, row.model_id, hold, takeover)
        dialog.accepted.connect(
            lambda: self.background.start(self._take_over(backend, row.model_id, takeover.kind), what="taking over")
        )
        dialog.open()

    async def _take_over(self, backend: Backend, model_id: str, kind: JobKind) -> None:
        problem = await take_over(backend, self.jobs, self.background, model_id, kind)
        if problem is not None and backend is self.backend:
            self.statusBar().showMessage(problem, 20_000)

    def copy_selected(self) -> None:
        self.config_export.copy(self.selected_rows())

    def export_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            self.config_export.ask(rows[0])

    def export_to(self, row: ModelRow, path: str, *, include_secrets: bool = False) -> None:
        self.config_export.export_to(row, path, include_secrets=include_secrets)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self, SHORTCUTS).open()

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
            dialog = self.history_dialog = JobHistoryDialog(self, backend, self.background)
        dialog.show()
        dialog.raise_()
        dialog.reload()

    def show_about(self) -> None:
        from ui.about import open_about

        self.about_box = open_about(self, self.connection_label.text() or "not connected")

    def cancel_shown_job(self) -> None:
        if not self.jobs.cancel_shown():
            shown = self.jobs.shown_job()
            job = self.jobs.model.job(shown) if shown is not None else None
            if job is not None and job.running and job.ticket.run_by:
                self.statusBar().showMessage(RUN_BY_NOT_CANCELLABLE.format(who=job.ticket.run_by), 8000)
                return
            self.statusBar().showMessage("Cancel: select a running job in the Jobs dock first", 6000)

    # -- focus -----------------------------------------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_box.setFocus()
        self.filter_box.selectAll()

    def focus_table(self) -> None:
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_details(self) -> None:
        self.details_dock.show()
        self.details_dock.raise_()
        self.details.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.details.focusNextChild()

    def focus_jobs(self) -> None:
        self.jobs.show()
        self.jobs.raise_()
        self.jobs.jobs_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_drafts(self) -> None:
        panel = self.drafts_panel
        panel.show()
        panel.raise_()
        panel.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is getattr(self, "view", None):
            if event.type() == QEvent.Type.FocusIn:
                make_current_if_none(self.view)
            select_before_row_key(self.view, event)
        return super().eventFilter(watched, event)

    # -- menus -----------------------------------------------------------------------------------------------

    def _show_context_menu(self, position: QPoint) -> None:
        select_row_under(self.view, position)
        self.row_menu().popup(self.view.viewport().mapToGlobal(position))

    def row_menu(self) -> QMenu:
        """The selected rows' context menu."""
        marked = [row.model_id for row in self.selected_rows() if self.row_jobs.mark_of(row.model_id) is not None]
        return self.menus.row_menu(marked, self._dismiss_marks)

    def _dismiss_marks(self, model_ids: Sequence[str]) -> None:
        for model_id in model_ids:
            self.row_jobs.dismiss(model_id)

    def fit_columns(self) -> None:
        fit_columns(self.view)

    # -- start-up --------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.startup.window_painted()

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
        from ui.wizard_launcher import WizardContext, WizardLauncher

        context = WizardContext(
            backend=lambda: self.backend,
            read_only=lambda: self.read_only,
            selected_rows=self.selected_rows,
            background=self.background,
            submit=self.submission.submit_edit,
            submit_after=self.submission.submit_after,
            read_now=self.refresher.read_now,
        )
        self._wizards = launcher = WizardLauncher(self, self._drafts or DraftStore(), context)
        panel = launcher.panel
        table = panel.table  # tabbed with the Jobs dock: as small as it when empty
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 4)
        if not self.restoreDockWidget(panel):
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
            self.tabifyDockWidget(self.jobs, panel)
            self.jobs.raise_()
        self.menus.add_dock(panel)
        return launcher

    # -- closing ---------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._size_jobs_dock:
            self._size_jobs_dock = False
            QTimer.singleShot(0, self, self._size_jobs_dock_once)

    def _size_jobs_dock_once(self) -> None:
        if self.jobs.model.rowCount() == 0:
            self.resizeDocks([self.jobs], [JOBS_EMPTY_HEIGHT], Qt.Orientation.Vertical)
        else:
            self.fit_jobs_dock()

    def fit_jobs_dock(self) -> None:
        """Grow the Jobs dock, while it is no taller than when empty (its first height, or the user's as small),
        to show its jobs and the events of one: the table keeps the height of its rows, up to 15 of them, and the
        dock takes at least `JOBS_HEIGHT` and at most 60% of the height they share. A taller dock, the user's, is
        left as it is."""
        jobs = self.jobs
        if jobs.isFloating() or not jobs.isVisible() or jobs.height() > JOBS_EMPTY_HEIGHT + 24:
            return
        central = self.centralWidget()
        shared = (central.height() if central is not None else 0) + jobs.height()
        header = self.view.horizontalHeader().height()
        rows = min(max(self.proxy.rowCount(), 5), 15) * self.view.verticalHeader().defaultSectionSize()
        table = header + rows + 2 * self.view.frameWidth() + 8
        height = min(max(JOBS_HEIGHT, shared - table), int(shared * 0.6))
        self.resizeDocks([jobs], [height], Qt.Orientation.Vertical)
        QTimer.singleShot(0, self, self._fit_job_list)

    def _on_job_listed(self) -> None:
        self.fit_jobs_dock()
        self._fit_job_list()

    def _fit_job_list(self) -> None:
        """The job list as tall as its jobs (2 to 5 rows), the rest of the dock to the events of the one shown."""
        listing = self.jobs.jobs_view
        splitter = listing.parentWidget()
        if not isinstance(splitter, QSplitter) or splitter.count() != 2:
            return
        rows = min(max(self.jobs.model.rowCount(), 2), 5)
        row_height = max(listing.sizeHintForRow(0), listing.fontMetrics().height() + 4)
        wanted = listing.header().sizeHint().height() + rows * row_height + 2 * listing.frameWidth() + 2
        sizes = splitter.sizes()
        total = sum(sizes)
        if sizes[0] < wanted < total:  # grows only: a list the user made taller stays so
            splitter.setSizes([wanted, total - wanted])

    def save_settings(self) -> None:
        save_layout(self, self.view, self.settings)

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.jobs.model.running_here()  # a change run by LISA goes on without this window
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
        self.background.close()  # none of the window's work outlives its widgets
        super().closeEvent(event)
        self.left.emit()

    def leave(self, choice: CloseChoice) -> None:
        """Carry out the answer to closing while jobs run: the window closes for good once they have ended."""
        if choice is CloseChoice.STAY or self.leaving is not None:
            return
        self.leaving = choice
        if self.jobs.model.running_here() == 0:  # they ended while the question was open
            self._close_for_good()
            return
        if choice is CloseChoice.KEEP_RUNNING:
            running = self.jobs.model.running_here()
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
