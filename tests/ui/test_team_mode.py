"""Team mode in the window, against the sandbox's LISA REST API with no AWS access: the table is read through the
API (its live columns say so), changes are sent to LISA's routes and followed in the Jobs panel as run by LISA
(no Cancel), and LISA's refusals are shown with LISA's text."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.sandbox.server import Sandbox
from lisa_desktop.deployment_backend import DeploymentBackend
from lisa_desktop.team_backend import NO_AWS_ACCESS, TeamBackend, open_backend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from tests.ui.wizard.test_wizard_on_sandbox import go_to, open_wizard, submit_and_wait_closed, wait_for_job
from tests.ui.wizard.typing import set_variable
from ui.backend import JobKind, JobTicket
from ui.job_model import JobRecord
from ui.job_panel import RUN_BY_NOT_CANCELLABLE
from ui.main_window import MainWindow
from ui.model_table import LIVE_COLUMNS, Column
from ui.window_table import column_need, header_text, live_note_of
from ui.wizard.review_page import RUN_BY_NOTE
from ui.wizard.specs import PageId

TIMEOUT_MS = 60_000
SEEDED = 15


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


@contextmanager
def team_backend(sandbox: Sandbox, token: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamBackend]:
    """The window's backend as `lisa-desktop --lisa-api URL` opens it, LISA_API_TOKEN set."""
    monkeypatch.setenv("LISA_API_TOKEN", token)
    args = argparse.Namespace(
        sandbox=False,
        connection=None,
        endpoint_url=None,
        region=None,
        deployment_prefix=None,
        lisa_api=sandbox.lisa_api_url,
    )
    with open_backend(args) as backend:
        assert isinstance(backend, TeamBackend) and not isinstance(backend, DeploymentBackend)
        yield backend


@pytest.fixture
def admin_backend(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamBackend]:
    with team_backend(sandbox, sandbox.lisa_api_admin_token, monkeypatch) as backend:
        yield backend


def ended_job(window: MainWindow, qtbot: QtBot, job_id: str) -> JobRecord:
    qtbot.waitUntil(lambda: (job := window.jobs.model.job(job_id)) is not None and not job.running, timeout=TIMEOUT_MS)
    job = window.jobs.model.job(job_id)
    assert job is not None
    return job


def test_the_window_lists_through_the_api_only(
    make_window: WindowFactory, admin_backend: TeamBackend, sandbox: Sandbox
) -> None:
    start = len(sandbox.lisa_api_requests)
    window = make_window(admin_backend)
    rows = window.table_model.rows()
    assert len(rows) == SEEDED
    assert not admin_backend.aws_access and admin_backend.run_by == "LISA"
    assert "no AWS access" in admin_backend.label
    hosted = next(row for row in rows if row.model_id == "mistral-7b-instruct")
    assert hosted.live_error == NO_AWS_ACCESS and hosted.running_tasks is None
    received = sandbox.lisa_api_requests[start:]
    assert ("GET", "/models", 200) in [(r.method, r.path, r.status) for r in received]
    # reads only: the models, and LISA's global configuration for the default model's mark
    assert all(r.method == "GET" and r.path.startswith(("/models", "/configuration")) for r in received)
    assert any(row.is_default for row in rows)
    model = window.table_model
    for column in Column:
        header = str(model.headerData(column, Qt.Orientation.Horizontal))
        assert ("no AWS access" in header) == (column in LIVE_COLUMNS), header
    painted = window.view.horizontalHeader()
    assert [header_text(column, live_note_of(painted, column)) for column in sorted(LIVE_COLUMNS)] == [
        "Capacity\nno AWS\naccess",
        "Tasks\nno AWS\naccess",
        "Healthy\nno AWS\naccess",
    ]
    assert painted.height() >= 3 * painted.fontMetrics().lineSpacing()
    assert all(painted.sectionSize(column) >= column_need(window.view, column) for column in LIVE_COLUMNS)


def test_an_update_and_a_stop_through_the_api_end_in_the_jobs_panel_run_by_lisa(
    make_window: WindowFactory, admin_backend: TeamBackend, sandbox: Sandbox, qtbot: QtBot
) -> None:
    window = make_window(admin_backend)
    start = len(sandbox.lisa_api_requests)
    change = {"modelDescription": "changed in team mode, from the window"}
    job_id = window.submission.submit_edit(JobKind.UPDATE, "claude-3-5-sonnet", change, False)
    assert job_id is not None
    running = window.jobs.model.job(job_id)
    assert running is not None and running.title == "Update claude-3-5-sonnet — run by LISA"
    assert running.ticket.run_by == "LISA" and not running.ticket.cancellable
    window.jobs.focus_job(job_id)
    if running.running:
        assert running.state == "Run by LISA"
        assert not window.jobs.cancel_button.isEnabled()
        assert window.jobs.cancel_button.toolTip() == RUN_BY_NOT_CANCELLABLE.format(who="LISA")
        assert not window.jobs.cancel_shown()
    job = ended_job(window, qtbot, job_id)
    assert job.end is not None and job.end.outcome == "succeeded", job.end
    assert job.end.message == "LISA's update of claude-3-5-sonnet is done" and job.end.final_status == "InService"
    assert any(event.data.get("runBy") == "LISA" for event in job.events)
    assert not window.jobs.cancel_button.isEnabled()
    puts = [(r.method, r.path, r.body) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]
    assert puts == [("PUT", "/models/claude-3-5-sonnet", change)]

    start = len(sandbox.lisa_api_requests)
    row = window.table_model.row_for("bge-large-en")
    assert row is not None and row.status == "InService"
    window.submission.submit(JobKind.STOP, [row])
    stop = window.jobs.history("bge-large-en")[0]
    assert stop.title == "Stop bge-large-en — run by LISA"
    stopped = ended_job(window, qtbot, stop.job_id)
    assert stopped.end is not None and stopped.end.outcome == "succeeded", stopped.end
    assert stopped.end.final_status == "Stopped"
    changes = [(r.method, r.path, r.body) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]
    assert changes == [("PUT", "/models/bge-large-en", {"enabled": False})]
    qtbot.waitUntil(lambda: (r := window.table_model.row_for("bge-large-en")) is not None and r.status == "Stopped")


def test_the_user_tokens_refusal_shows_lisas_403_text(
    make_window: WindowFactory, sandbox: Sandbox, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    with team_backend(sandbox, sandbox.lisa_api_user_token, monkeypatch) as backend:
        window = make_window(backend)
        job_id = window.submission.submit_edit(JobKind.UPDATE, "titan-embed-v2", {"modelDescription": "no"}, False)
        assert job_id is not None
        job = ended_job(window, qtbot, job_id)
        assert job.end is not None and job.end.outcome == "refused"
        assert "User does not have permission to update models" in job.end.message
        assert "(403)" in job.end.message
        put = [r for r in sandbox.lisa_api_requests if r.method == "PUT"][-1]
        assert (put.path, put.status, put.username) == ("/models/titan-embed-v2", 403, "sandbox-user")
        window.jobs.focus_job(job_id)
        assert "User does not have permission to update models" in window.jobs.outcome.text()


def test_the_consoles_checks_refuse_before_anything_is_sent(
    make_window: WindowFactory, admin_backend: TeamBackend, sandbox: Sandbox, qtbot: QtBot
) -> None:
    window = make_window(admin_backend)
    start = len(sandbox.lisa_api_requests)
    restart = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "4096"}}}
    job_id = window.submission.submit_edit(JobKind.UPDATE, "mistral-7b-instruct", restart, False)
    assert job_id is not None
    job = ended_job(window, qtbot, job_id)
    assert job.end is not None and job.end.outcome == "refused" and "acknowledge" in job.end.message.lower()
    assert all(r.method == "GET" for r in sandbox.lisa_api_requests[start:])


def test_the_wizards_review_says_lisa_runs_the_change_and_cannot_cancel_it(
    make_window: WindowFactory, admin_backend: TeamBackend, qtbot: QtBot
) -> None:
    window = make_window(admin_backend)
    row = window.table_model.row_for("mistral-7b-instruct")
    assert row is not None
    wizard = window.wizards.update(row)
    wizard.revalidate()
    note = wizard.review.submit_note.text()
    assert RUN_BY_NOTE.format(who="LISA") in note
    assert "LISA cannot cancel a change it accepted: no Cancel is offered" in note
    wizard.close()


def test_closing_the_window_does_not_wait_for_changes_lisa_runs(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    followed = JobTicket("job-followed", "bge-large-en", JobKind.STOP, lambda: None, cancellable=False, run_by="LISA")
    window.jobs.track(followed, "Stop bge-large-en — run by LISA")
    assert window.jobs.running_count() == 1 and window.jobs.model.running_here() == 0
    window.jobs.focus_job("job-followed")
    window.commands.cancel_job.trigger()
    assert window.statusBar().currentMessage() == RUN_BY_NOT_CANCELLABLE.format(who="LISA")
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert window.close_box is None

    other = make_window()
    own = JobTicket("job-own", "bge-large-en", JobKind.STOP, lambda: None)
    other.jobs.track(own, "Stop bge-large-en")
    other.close()
    assert other.isVisible() and other.close_box is not None and other.close_box.isVisible()
    other.close_box.reject()


def test_a_container_update_from_the_wizard_is_sent_to_lisa_and_followed(
    make_window: WindowFactory, admin_backend: TeamBackend, sandbox: Sandbox, qtbot: QtBot
) -> None:
    window = make_window(admin_backend)
    select(window, "mistral-7b-instruct")
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    go_to(wizard, PageId.CONTAINER)
    set_variable(wizard, "MAX_TOTAL_TOKENS", "12288")
    go_to(wizard, PageId.REVIEW)
    assert "LISA does not roll it back on failure" in wizard.review.steps.text()
    wizard.review.ack.click()
    start = len(sandbox.lisa_api_requests)
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, "mistral-7b-instruct")
    assert outcome == "Succeeded: LISA's update of mistral-7b-instruct is done", outcome
    assert window.jobs.history("mistral-7b-instruct")[0].title == "Update mistral-7b-instruct — run by LISA"
    puts = [r for r in sandbox.lisa_api_requests[start:] if r.method == "PUT"]
    assert [r.path for r in puts] == ["/models/mistral-7b-instruct"]
    assert puts[0].body["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "12288"
    model = admin_backend.api.get_model("mistral-7b-instruct")
    assert model["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "12288" and model["status"] == "InService"
