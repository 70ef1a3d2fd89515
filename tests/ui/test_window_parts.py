"""The parts the main window is composed of, on their own: its pages and the wizard launcher, which no longer
needs the window (it reads what it needs through a WizardContext)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMainWindow
from pytestqt.qtbot import QtBot

from engine.drafts.store import DraftStore
from lisa_desktop.deployment_backend import DeploymentBackend
from ui.backend import Backend, JobKind
from ui.background import Background
from ui.window_pages import Page, WindowPages
from ui.wizard.submitter import OFFLINE
from ui.wizard_launcher import WizardContext, WizardLauncher


def pages_with(rows: list[str]) -> WindowPages:
    return WindowPages(QLabel("the table"), has_rows=lambda: bool(rows))


def test_a_problem_takes_the_error_page_only_while_no_rows_are_shown(qtbot: QtBot) -> None:
    rows: list[str] = []
    pages = pages_with(rows)
    qtbot.addWidget(pages)
    assert pages.show_problem("Cannot reach the deployment", "timed out")
    assert pages.currentIndex() == Page.ERROR
    assert "timed out" in pages.error_label.text()

    rows.append("a model")
    pages.show_table(painted=False, filled=None)
    assert not pages.show_problem("Cannot reach the deployment", "timed out again")  # the caller shows a banner
    assert pages.currentIndex() == Page.TABLE
    pages.show_loading("another deployment")
    assert pages.currentIndex() == Page.TABLE  # the last data stays on screen
    assert pages.loading_label.text() == "Loading models from another deployment…"


def test_the_table_page_says_when_it_is_shown_for_the_first_time(qtbot: QtBot) -> None:
    pages = pages_with(["a model"])
    qtbot.addWidget(pages)
    assert pages.show_table(painted=False, filled=None)
    assert not pages.show_table(painted=False, filled=None)  # already on screen
    pages.show_empty()
    assert pages.currentIndex() == Page.EMPTY
    assert not pages.show_table(painted=False, filled=None)  # shown before: no first-time work again


def launcher(qtbot: QtBot, tmp_path: Path, background: Background, backend: Backend | None, read_only=lambda: None):
    window = QMainWindow()
    qtbot.addWidget(window)
    submitted: list[tuple[JobKind, str]] = []

    def submit(kind: JobKind, model_id: str, _payload: object, _ack: bool) -> str | None:
        if backend is None:
            return None
        submitted.append((kind, model_id))
        return "job-1"

    made = WizardContext(
        backend=lambda: backend,
        read_only=read_only,
        selected_rows=list,
        background=background,
        submit=submit,
    )
    return WizardLauncher(window, DraftStore(tmp_path / "drafts"), made), window, submitted


def test_offline_the_launcher_refuses_to_submit(qtbot: QtBot, tmp_path: Path, background: Background) -> None:
    wizards, _window, submitted = launcher(qtbot, tmp_path, background, None)
    assert wizards.refusal() == OFFLINE
    with pytest.raises(Exception, match=OFFLINE):
        wizards.submit(JobKind.UPDATE, "m", {}, False)
    assert submitted == []


def test_the_launcher_says_why_read_only_credentials_cannot_submit_and_reports_a_submitted_job(
    qtbot: QtBot, tmp_path: Path, background: Background, shared_backend: DeploymentBackend
) -> None:
    reason: list[str | None] = ["no ssm:PutParameter"]
    wizards, window, submitted = launcher(qtbot, tmp_path, background, shared_backend, read_only=lambda: reason[0])
    assert wizards.refusal() == "read-only: no ssm:PutParameter"
    reason[0] = None
    assert wizards.refusal() is None
    assert wizards.submit(JobKind.UPDATE, "m", {}, False) == "job-1"
    assert submitted == [(JobKind.UPDATE, "m")]
    assert window.statusBar().currentMessage() == "Update of m submitted: the Jobs panel follows it"
