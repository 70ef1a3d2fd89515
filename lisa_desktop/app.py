"""The GUI composition root: one QApplication, a qasync event loop, the engine's worker threads (wrapped in the
one `Background` every part of the window runs its work through), the window, and the deployment behind it
(opened, switched and closed off the GUI thread)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

# Before PySide6: its import hook inspects each module as it loads, which sets off pydantic's lazy imports; when
# pydantic's validators were first loaded on a worker, now and then that left them partly initialised (ImportError)
# and the deployment never opened. Loaded here, before the hook, they are complete.
import pydantic._internal._validators  # noqa: F401
from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from engine.model_row import ModelRow
from engine.private_files import private_dir, private_file
from lisa_desktop import __version__
from lisa_desktop.deployment_choice import ENDPOINT_CHOICE, cache_key_for, endpoint_args, endpoint_choice
from lisa_desktop.logs import configure_logging
from lisa_desktop.snapshot import SaveSchedule, Snapshot, SnapshotStore
from lisa_desktop.startup_probe import install_if_asked
from lisa_desktop.unexpected import UnexpectedErrors
from lisa_desktop.user_files import UnreadableFile, check_drafts, move_aside
from resources import resource
from ui.background import Background, import_modules
from ui.main_window import MainWindow, Page
from ui.model_table import FIRST_FILL

if TYPE_CHECKING:
    import asyncio

    from engine.aws.inventory_process import InventoryReader
    from lisa_desktop.connections import ConnectionStore
    from lisa_desktop.deployment_backend import DeploymentBackend
    from lisa_desktop.team_backend import TeamBackend

log = logging.getLogger(__name__)

APP_NAME = "LISA Desktop"
ORGANIZATION = "LISA Desktop"
ENGINE_THREADS = 3
"""Refresh, details and opening a deployment can overlap; jobs run on the backend's own runner threads."""


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource("icons/lisa-desktop.svg"))))
    return app


LAST_CHOICE = "startup/lastChoice"
LAST_KEY = "startup/lastCacheKey"


def choice_of(args: argparse.Namespace) -> str:
    """How the deployment was named on the command line ('' for none: the default connection or the sandbox)."""
    if getattr(args, "sandbox", False):
        return "sandbox"
    if getattr(args, "endpoint_url", None):
        return (
            f"endpoint:{args.endpoint_url}|{getattr(args, 'deployment_prefix', None)}|{getattr(args, 'region', None)}"
        )
    if getattr(args, "connection", None):
        return (
            f"connection:{args.connection}|{getattr(args, 'deployment_prefix', None)}|{getattr(args, 'region', None)}"
        )
    return ""


def wants_sandbox(args: argparse.Namespace, store: ConnectionStore) -> bool:
    """The built-in sandbox opens when asked for, or when nothing else is named or configured."""
    if getattr(args, "sandbox", False):
        return True
    named = getattr(args, "connection", None) or getattr(args, "endpoint_url", None)
    return not named and store.default_name() is None


def args_for(choice: str, base: argparse.Namespace) -> argparse.Namespace:
    """The options that open the switcher's choice: 'sandbox', a connection name or an `endpoint_choice`."""
    if choice.startswith(ENDPOINT_CHOICE):
        return endpoint_args(choice, base)
    values = vars(base) | {"sandbox": choice == "sandbox", "endpoint_url": None, "deployment_prefix": None}
    values["connection"] = None if choice == "sandbox" else choice
    return argparse.Namespace(**values)


class Shell(QObject):
    """Owns the open deployment: opens it on a worker thread, hands it to the window, switches, closes."""

    def __init__(
        self,
        window: MainWindow,
        background: Background,
        snapshots: SnapshotStore,
        store: ConnectionStore | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.background = background
        self.snapshots = snapshots
        self._save_schedule = SaveSchedule()
        self._store = store
        self.settings = settings
        self.shown_key: str | None = None
        """The cache key of the snapshot on screen, if one is."""
        self._unread = 0
        """Rows of that snapshot not read yet (only its first screenful was)."""
        self.backend: DeploymentBackend | TeamBackend | None = None  # imported on a worker: no boto3 to paint
        self._stack: ExitStack | None = None
        self._args = argparse.Namespace()
        self._closed = False
        self._lock = threading.Lock()
        """Orders close() against a deployment being opened on a worker (whichever comes last closes it)."""
        self.problem_page: QWidget | None = None
        """The page naming a file that cannot be read, while it is shown."""
        self._fresh_settings: QSettings | None = None
        self.reader: InventoryReader | None = None
        """The inventory reader every deployment opened here reads through: the process's shared one, started
        after the first paint and closed at exit."""
        window.rows_refreshed.connect(self._save_snapshot)
        window.connection_requested.connect(
            lambda choice: background.start(self.switch(choice), what="opening the deployment")
        )
        window.open_retry_requested.connect(
            lambda: background.start(self.open(self._args), what="opening the deployment")
        )

    def begin(self, args: argparse.Namespace) -> None:
        """Start the inventory reader's helper process (it imports boto3 while the deployment opens) and
        `start(args)` on the running loop."""
        self.background.submit(self._start_reader, what="starting the inventory reader")
        self.background.start(self.start(args), what="opening the deployment")

    def _start_reader(self) -> None:
        import_modules("engine.aws.inventory_process")
        from engine.aws.inventory_process import shared_reader

        reader = shared_reader()
        with self._lock:
            if self._closed:
                return
            self.reader = reader
        reader.start()

    @property
    def store(self) -> ConnectionStore:
        if self._store is None:
            from lisa_desktop.connections import ConnectionStore  # after the first paint: pydantic is slow

            self._store = ConnectionStore()
        return self._store

    def show_snapshot(self, args: argparse.Namespace) -> None:
        """The last rows seen of this deployment, before anything is opened (a fast first paint)."""
        self.show_snapshot_of(cache_key_for(args, self.store))

    def show_snapshot_of(self, key: str, *, screenful: bool = False) -> None:
        """With `screenful`, only the rows of the first screen if they can be told (`read_the_rest` reads the
        others): thousands of rows take long to read, and this is on the way to the first paint."""
        first = FIRST_FILL if screenful else None
        snapshot = self.snapshots.load_faces(key, first=first, order=self.window.table_model.ordering.name)
        if snapshot is not None:
            self.shown_key = key
            self._unread = snapshot.more
            self.window.show_snapshot(snapshot.rows, snapshot.saved_at, more=snapshot.more, sorted_by=snapshot.order)

    async def read_the_rest(self) -> None:
        """The rest of a snapshot of which the first screenful is shown, read on a worker."""
        key, self._unread = self.shown_key, 0
        if key is None:
            return
        snapshot = await self.background.run(self.snapshots.load_faces, key)
        window = self.window
        if key != self.shown_key or window.cached_at is None:
            return  # another deployment, or fresh rows, are shown meanwhile
        if snapshot is None:  # unreadable after all: the count stops promising more rows
            window.show_snapshot(window.table_model.rows(), window.cached_at)
        else:
            window.show_snapshot(snapshot.rows, snapshot.saved_at, sorted_by=snapshot.order)

    def paint_early(self, args: argparse.Namespace) -> None:
        """Before the connections are read: the snapshot of the deployment opened last time this way."""
        if self.settings is None:
            return
        if self.settings.value(LAST_CHOICE) == choice_of(args):
            self.show_snapshot_of(str(self.settings.value(LAST_KEY) or ""), screenful=True)

    async def start(self, args: argparse.Namespace) -> None:
        """After the first paint: check the user's files, decide the deployment, fill the switcher, correct the
        snapshot, open. A file that cannot be read is named on a page of its own (Start fresh, Open folder)."""
        try:
            await self._check_files()
            await self._start(args)
        except UnreadableFile as problem:
            log.warning("%s", problem)
            self.show_unreadable(problem, args)

    async def _check_files(self) -> None:
        settings = self.settings or self.window.settings
        if settings is not self._fresh_settings and settings.status() != QSettings.Status.NoError:
            reason = (
                "it is not a valid settings (INI) file"
                if settings.status() == QSettings.Status.FormatError
                else "it cannot be read or written"
            )
            raise UnreadableFile(Path(settings.fileName()), "the settings file", reason, "the default settings")
        await self.background.run(import_modules, "engine.drafts.store", "lisa_desktop.connections")
        from engine.drafts.store import default_path

        await self.background.run(check_drafts, default_path())
        await self.background.run(self.store.all)

    def show_unreadable(self, problem: UnreadableFile, args: argparse.Namespace) -> None:
        from ui.file_problem import FileProblemPage

        self.clear_problem()
        page = self.problem_page = FileProblemPage(problem.path, str(problem), problem.fresh)
        page.start_fresh.connect(lambda: self._start_fresh(problem, args))
        page.retry.connect(lambda: self._retry_start(args))
        self.window.pages.addWidget(page)
        self.window.pages.setCurrentWidget(page)
        self.window.connection_label.setText("Not connected")

    def clear_problem(self) -> None:
        page, self.problem_page = self.problem_page, None
        if page is not None:
            self.window.pages.removeWidget(page)
            page.deleteLater()

    def _retry_start(self, args: argparse.Namespace) -> None:
        self.clear_problem()
        self.window.pages.setCurrentIndex(Page.LOADING if self.window.table_model.rowCount() == 0 else Page.TABLE)
        self.window.show_loading("the deployment")
        self.begin(args)

    def _start_fresh(self, problem: UnreadableFile, args: argparse.Namespace) -> None:
        settings = self.settings or self.window.settings
        try:
            aside = move_aside(problem.path)
        except OSError as error:
            self.window.statusBar().showMessage(f"Cannot move {problem.path} aside: {error}", 10_000)
            return
        log.warning("%s moved aside to %s", problem.path, aside)
        if problem.path == Path(settings.fileName()):
            settings.clear()
            settings.sync()
            self._fresh_settings = settings  # its status stays FormatError, though the file it writes is new
        self.window.statusBar().showMessage(f"Moved {problem.path.name} aside to {aside}", 10_000)
        self._retry_start(args)

    async def _start(self, args: argparse.Namespace) -> None:
        if self._unread:
            await self.read_the_rest()
        choice = choice_of(args)
        store = self.store
        if wants_sandbox(args, store):
            args.sandbox = True
        current = "sandbox" if args.sandbox else (getattr(args, "connection", None) or store.default_name())
        label = getattr(args, "endpoint_url", None) or ""
        self.window.set_connections([c.name for c in store.all()], endpoint_choice(args) or current, target_label=label)
        from lisa_desktop.connection_service import StoredConnections

        self.window.connection_service = StoredConnections(store)
        key = cache_key_for(args, store)
        if key != self.shown_key:
            self.window.table_model.apply([])
            self.window.cached_at = None
            self.show_snapshot_of(key)
        if self.settings is not None:
            self.settings.setValue(LAST_CHOICE, choice)
            self.settings.setValue(LAST_KEY, key)
        await self.open(args)

    async def open(self, args: argparse.Namespace) -> None:
        self._args = args
        what = "the built-in sandbox" if getattr(args, "sandbox", False) else "the deployment"
        self.window.show_loading(what)
        stack = ExitStack()
        try:
            opened = await self.background.run(self._enter, stack, args)
        except Exception as error:
            from engine.errors import LisaDesktopError
            from lisa_desktop.messages import describe

            stack.close()
            if not isinstance(error, LisaDesktopError):
                self.window.show_open_failed(f"an unexpected error: {type(error).__name__}: {error}")
                raise
            log.warning("cannot open the deployment: %s", describe(error))
            self.window.show_open_failed(describe(error))
            return
        with self._lock:
            keep = not self._closed and opened is not None
            if keep:
                self._stack = stack
        if opened is None or not keep:
            stack.close()
            return
        backend, snapshot = opened
        self.backend = backend
        if snapshot is not None and self.window.cached_at is not None:
            # the cached rows' configurations
            self.window.show_snapshot(snapshot.rows, snapshot.saved_at, sorted_by=snapshot.order)
        self.window.set_backend(backend)

    def _enter(
        self, stack: ExitStack, args: argparse.Namespace
    ) -> tuple[DeploymentBackend | TeamBackend, Snapshot | None] | None:
        """On a worker: open the deployment, and read its whole snapshot (with the configurations). None
        when the app closed meanwhile: the deployment is closed again here, as no one else will (the event loop
        that would resume `open` has stopped), else a sandbox's server would keep the process alive."""
        import_modules("lisa_desktop.team_backend", *(["engine.sandbox.server"] if args.sandbox else []))
        from lisa_desktop.team_backend import open_backend

        backend = stack.enter_context(open_backend(args, store=self.store, reader=self.reader))
        with self._lock:
            closed = self._closed
        if closed:
            stack.close()
            return None
        snapshot = self.snapshots.load(backend.cache_key)
        if snapshot is not None:
            self.window.table_model.faces.prepare(snapshot.rows)  # on the worker, not when the table paints
        return backend, snapshot

    async def switch(self, choice: str) -> None:
        old = self._stack
        self._stack, self.backend = None, None
        self.window.table_model.apply([])
        if old is not None:
            await self.background.run(old.close)
        args = args_for(choice, self._args)
        self.show_snapshot(args)
        await self.open(args)

    def _save_snapshot(self, rows: list[ModelRow]) -> None:
        """On a worker, when due."""
        backend = self.backend
        if backend is not None:
            order = self.window.table_model.ordering.name
            if not self._save_schedule.due(backend.cache_key, order, rows, time.monotonic()):
                return
            self.background.submit(
                lambda: self.snapshots.save(backend.cache_key, rows, order=order), what="saving the snapshot"
            )

    def close(self) -> None:
        """Close the open deployment; one still being opened is closed by its worker when it is ready."""
        with self._lock:
            self._closed = True
            stack, self._stack = self._stack, None
            self.reader = None
        if stack is not None:
            stack.close()


FIRST_PAINT_WAIT_MS = 500
"""How long start-up waits for the first paint before opening the deployment anyway (a window started
minimised, say, paints only when shown)."""


def start_after_first_paint(window: MainWindow, start: Callable[[], object]) -> None:
    """Call `start` once, after the window's first paint: opening a deployment on a worker thread makes boto3
    clients (Python busy for a good part of a second), which slowed a cached first paint when it ran alongside
    it."""
    started = False

    def once() -> None:
        nonlocal started
        if not started:
            started = True
            start()

    window.first_painted.connect(once)
    QTimer.singleShot(FIRST_PAINT_WAIT_MS, once)


def keep_private(settings: QSettings) -> None:
    """The settings file 0600 in a 0700 folder (it names the connections and the deployments' models). A missing
    file is created empty, 0600: Qt's first save would make it 0644 (its later saves keep the mode they replace)."""
    path = Path(settings.fileName())
    private_dir(path.parent)
    private_file(path)


def run_app(args: argparse.Namespace) -> int:
    """Paint the window, from the snapshot when there is one, before anything else: only then import asyncio and
    qasync (slow to import), install qasync's loop over the Qt event loop already running, and open the deployment."""
    import ui.about

    ui.about.log_file = configure_logging()
    app = create_application()
    executor = ThreadPoolExecutor(max_workers=ENGINE_THREADS, thread_name_prefix="lisa-engine")
    settings = QSettings()
    keep_private(settings)
    background = Background(executor)
    window = MainWindow(settings, background)
    window.left.connect(app.quit)  # also when it was hidden while jobs ended in the background
    shell = Shell(window, background, SnapshotStore(), settings=settings)
    errors = UnexpectedErrors(window.error_banner, str(ui.about.log_file or "")).install()
    background.reporter = errors.report
    install_if_asked(window)
    shell.paint_early(args)
    window.show()
    loops: list[asyncio.AbstractEventLoop] = []

    def after_first_paint() -> None:
        import asyncio

        import qasync

        loop = qasync.QEventLoop(app, already_running=True)
        asyncio.set_event_loop(loop)
        errors.watch_loop(loop)
        loops.append(loop)
        shell.begin(args)

    start_after_first_paint(window, after_first_paint)
    try:
        app.exec()
    finally:
        errors.uninstall()
        background.close()
        shell.close()
        executor.shutdown(wait=False, cancel_futures=True)
        for loop in loops:
            loop.stop()
            loop.close()
    return 0
