"""The audit log in the window: the selected model's journaled jobs in the details pane, and every job of the
deployment with its plan and steps in the Job history dialog (read off the GUI thread)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from ui.backend import JobEnd, JobKind
from ui.job_history import SESSION_ONLY


def test_the_details_pane_lists_the_models_journaled_jobs_and_the_windows_others(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    ends: list[JobEnd] = []
    window.jobs.job_finished.connect(ends.append)
    select(window, "bge-large-en")
    lines = window.details.jobs
    assert lines.item(0).text() == "No jobs of this workstation for this model yet."
    window.submission.submit(JobKind.STOP, window.selected_rows())
    qtbot.waitUntil(lambda: len(ends) == 1, timeout=60_000)
    ticket = window.jobs.model.job_at(0).ticket
    refused = own_backend.submit(
        JobKind.UPDATE,
        "bge-large-en",
        payload={"autoScalingInstanceConfig": "x"},
        on_event=window.jobs.signals.event.emit,
        on_end=window.jobs.signals.ended.emit,
    )
    window.jobs.track(refused, "Update bge-large-en")
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: lines.count() == 2 and " stop — succeeded" in lines.item(1).text(), timeout=20_000)
    newest, journaled = lines.item(0).text(), lines.item(1).text()
    assert "Update bge-large-en — Refused" in newest  # refused before it began: only this window knows of it
    assert " stop — succeeded (Stopped) · by " in journaled
    assert ticket.job_id not in journaled  # one line per job, not the panel's and the journal's


def test_job_history_lists_every_job_of_the_deployment_with_its_steps(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    ends: list[JobEnd] = []
    window.jobs.job_finished.connect(ends.append)
    select(window, "bge-large-en", "llama3-1-70b-instruct")
    window.submission.submit(JobKind.STOP, window.selected_rows())
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=60_000)
    assert window.commands.history.shortcut().toString() == "Ctrl+H"
    assert window.commands.history in window.menus.view_menu.actions()
    window.commands.history.trigger()
    dialog = window.history_dialog
    assert dialog is not None
    tree = dialog.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 2, timeout=10_000)
    assert dialog.note.text().startswith("2 jobs of this workstation on this deployment")
    assert SESSION_ONLY in dialog.note.text()
    items = [tree.topLevelItem(index) for index in range(2)]
    assert sorted(item.text(1) for item in items if item) == ["stop of bge-large-en", "stop of llama3-1-70b-instruct"]
    first = items[0]
    assert first is not None and first.text(2) == "succeeded (Stopped)"
    steps = [first.child(index).text(0).split("  ")[1] for index in range(2, first.childCount())]
    steps[-1] = steps[-1].partition(":")[0]  # `end: <the job's message>`
    assert {"intake intent", "litellm.unregister done", "capacity.resize done", "end"} <= set(steps)
    dialog.filter_box.setText("llama")
    assert [item.isHidden() for item in items if item] == ["llama" not in item.text(1) for item in items if item]
    window.commands.history.trigger()  # a second time: the same dialog, read again
    assert window.history_dialog is dialog
