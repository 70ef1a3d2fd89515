"""Leaving a deployment with jobs still running asks first: quitting or switching cancels them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory, sandbox_args
from tests.ui.test_main_window import select
from ui.backend import JobKind
from ui.dialogs import ConfirmDialog
from ui.main_window import MainWindow


@pytest.fixture(scope="module")
def backend() -> Iterator[DeploymentBackend]:
    with DeploymentBackend.open(sandbox_args()) as opened:
        yield opened


def start_a_job(window: MainWindow, model_id: str) -> None:
    select(window, model_id)
    window._submit(JobKind.STOP, window.selected_rows())
    assert window.jobs.running_count() == 1


def test_quitting_with_a_running_job_asks_and_only_then_closes(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    start_a_job(window, "bge-large-en")
    assert not window.close()
    assert window.isVisible()
    dialog = window.findChild(ConfirmDialog, "quitConfirmDialog")
    assert dialog is not None and "1 job(s) are still running" in dialog.findChild(type(window.count_label)).text()
    dialog.reject()
    assert window.isVisible()
    window.close()
    [*_, again] = window.findChildren(ConfirmDialog, "quitConfirmDialog")
    again.confirm.click()
    assert not window.isVisible()


def test_switching_deployment_with_a_running_job_asks_first(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    window.set_connections(["prod"], "sandbox")
    requested: list[str] = []
    window.connection_requested.connect(requested.append)
    start_a_job(window, "mistral-7b-instruct")
    window.switcher.setCurrentIndex(1)
    window.switcher.activated.emit(1)
    assert requested == []
    assert window.switcher.currentData() == "sandbox"
    dialog = window.findChild(ConfirmDialog, "switchConfirmDialog")
    assert dialog is not None
    dialog.confirm.click()
    assert requested == ["prod"]
    assert window.switcher.currentData() == "prod"
    qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=120_000)
    window.switcher.setCurrentIndex(0)
    window.switcher.activated.emit(0)  # nothing running: no question
    assert requested == ["prod", "sandbox"]
