"""One qasync event loop for the whole session, as the window runs on in the app (see toolchain notes:
never stop it, never run_until_complete; awaited work finishes under qtbot.waitUntil)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from ui.backend import Backend
from ui.background import Background
from ui.main_window import MainWindow
from ui.refresher import Refresher


@pytest.fixture(scope="session")
def qt_loop(qapp: QApplication) -> qasync.QEventLoop:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


@pytest.fixture(scope="session")
def engine_executor() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="test-engine")
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def background(engine_executor: ThreadPoolExecutor) -> Iterator[Background]:
    """The test's own `Background` on the session's worker threads; its tasks still running are cancelled after
    the test. Failures are logged (no reporter)."""
    made = Background(engine_executor)
    yield made
    made.close()


def sandbox_args() -> argparse.Namespace:
    return argparse.Namespace(sandbox=True, connection=None, endpoint_url=None, region=None, deployment_prefix=None)


@pytest.fixture(scope="module")
def shared_backend() -> Iterator[DeploymentBackend]:
    """One sandbox for a module's read-only tests (nothing may change it)."""
    with DeploymentBackend.open(sandbox_args()) as backend:
        yield backend


@pytest.fixture
def own_backend() -> Iterator[DeploymentBackend]:
    """A sandbox of the test's own, for tests that change models."""
    with DeploymentBackend.open(sandbox_args()) as backend:
        yield backend


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path) -> WindowFactory:
    """A shown main window with its own settings file; with a backend, returned once the first refresh landed."""

    def make(
        backend: Backend | None = None, *, settings_file: Path | None = None, refresh_ms: tuple[int, int] | None = None
    ) -> MainWindow:
        """`refresh_ms`: the refresher's (slow, fast) periods instead of the window's, for tests that wait for a
        periodic refresh."""
        settings = QSettings(str(settings_file or tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        refresher = None
        if refresh_ms is not None:
            slow_ms, fast_ms = refresh_ms
            made: list[MainWindow] = []
            refresher = Refresher(
                background, ordering=lambda: made[0].table_model.ordering, slow_ms=slow_ms, fast_ms=fast_ms
            )
        window = MainWindow(settings, background, refresher=refresher)
        if refresher is not None:
            made.append(window)
            refresher.setParent(window)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        if backend is not None:
            window.set_backend(backend)
            qtbot.waitUntil(lambda: window.refresher.last_success is not None, timeout=60_000)
        return window

    return make
