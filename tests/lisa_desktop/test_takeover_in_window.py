"""A model left held by another workstation's job whose process died: the window shows who holds it and since
when, offers Take over… once the lease has expired (not before), asks with the holder and what will be done, and
shows the takeover in the Jobs panel until the model is settled."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow
from engine.sandbox.server import Sandbox
from lisa_desktop.app import Shell
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.lisa_desktop.test_deployment_backend import crashed_cli_job, endpoint_args
from tests.lisa_desktop.test_recovery_on_open import open_on, panel_row, sandbox, window
from tests.ui.test_main_window import select
from ui.background import Background
from ui.dialogs import ConfirmDialog
from ui.job_model import JobColumn
from ui.main_window import MainWindow
from ui.model_table import Column

__all__ = ["sandbox", "window"]

MODEL = "mistral-7b-instruct"
TITLE = f"Take over stop of {MODEL}"


def stuck_in_window(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, background: Background, elsewhere: Path
) -> tuple[Shell, DeploymentBackend, ModelRow]:
    """A stop killed right after its journal point 4 (unregistered from LiteLLM, instances still up) by a process
    of another workstation (its own data directory), then the window opened on the sandbox with that row selected."""
    crashed_cli_job(sandbox, "models", "stop", MODEL, "--yes", after_point=4, data_dir=elsewhere)
    shell = open_on(window, endpoint_args(sandbox), qtbot, background)
    assert shell.backend is not None
    # The window's first listing of a sandbox opened moments ago: a generous bound for a loaded machine.
    qtbot.waitUntil(
        lambda: (row := window.table_model.row_for(MODEL)) is not None and row.held_by is not None, timeout=30_000
    )
    row = window.table_model.row_for(MODEL)
    assert row is not None and row.status == "Stopping"
    select(window, MODEL)
    return shell, shell.backend, row


def status_tooltip(window: MainWindow) -> str:
    position = window.table_model.position_of(MODEL)
    assert position is not None
    return str(window.table_model.index(position, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole))


def confirm(window: MainWindow, qtbot: QtBot) -> ConfirmDialog:
    window.commands.takeover.trigger()
    dialog = window.takeover_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_taken_over_from_the_window_once_the_lease_has_expired(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, background: Background, tmp_path: Path
) -> None:
    shell, backend, row = stuck_in_window(window, sandbox, qtbot, background, tmp_path / "another-workstation")
    try:
        assert row.held_by is not None
        holder_job = row.held_by.split(" ")[0]
        action = window.commands.takeover
        assert action in window.menus.actions_menu.actions() and action in window.row_menu().actions()
        assert action not in window.menus.toolbar.actions()
        assert window.jobs.model.rowCount() == 0  # this workstation's journal knows nothing of that job

        # The heartbeat is fresh: the lease runs, and the window says whose it is.
        tooltip = status_tooltip(window)
        assert f"\nHeld by {row.held_by}\nLast heartbeat " in tooltip and ": the lease expires in 10 min" in tooltip
        hold = window.details.hold
        assert hold.isVisible() and hold.message.text().startswith(f"Held by {row.held_by}\nLast heartbeat ")
        assert "Take over" not in hold.message.text()
        assert not action.isEnabled()
        assert action.toolTip().startswith(f"Take over: the lease of {holder_job} is still running: it expires in ")

        backend.lease_s = 0  # as if ten minutes had gone by without a heartbeat
        qtbot.waitUntil(action.isEnabled, timeout=5_000)
        assert "its 0 s lease has expired" in status_tooltip(window)
        assert hold.message.text().endswith("its 0 s lease has expired.\nActions → Take over… settles the model.")

        dialog = confirm(window, qtbot)
        assert not dialog.confirm.isDefault()  # Enter cancels
        text = dialog.message.text()
        assert text.startswith(f"Take over the stop of {MODEL}?")
        assert f"Held by {row.held_by}\nLast heartbeat " in text
        assert "the stop finished: LiteLLM entries removed, the Auto Scaling group to 0/0/0, the record Stopped" in text
        dialog.confirm.click()

        qtbot.waitUntil(lambda: panel_row(window, TITLE) is not None, timeout=10_000)
        qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=120_000)
        position = panel_row(window, TITLE)
        assert position is not None
        panel = window.jobs.model
        assert panel.index(position, JobColumn.STATUS).data() == "Taken over: resumed"
        job = panel.job_at(position)
        assert job.job_id.startswith("job-") and job.job_id != holder_job  # the takeover's own job, journaled
        assert not job.ticket.cancellable
        assert job.end is not None and job.end.final_status == "Stopped"
        assert f"the lease of {holder_job} had expired" in job.end.message
        assert job.events and {event.job_id for event in job.events} == {job.job_id}
        assert any(event.message.startswith("taken over: resumed") for event in job.events)
        assert window.jobs.shown_job() == job.job_id
        assert window.jobs.outcome.text().startswith("Taken over: resumed: ")

        qtbot.waitUntil(
            lambda: (now := window.table_model.row_for(MODEL)) is not None and now.status == "Stopped", timeout=30_000
        )
        assert window.table_model.row_for(MODEL).held_by is None  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: not hold.isVisible(), timeout=5_000)
        assert not action.isEnabled()
        assert action.toolTip() == f"Take over: {MODEL} is Stopped and held by no job: there is nothing to take over"
        lines = window.details.jobs
        qtbot.waitUntil(lambda: "recovered by" in lines.item(0).text(), timeout=10_000)
        assert lines.count() == 1  # the journal's entry of the takeover, not the panel's again
    finally:
        window.close()
        shell.close()


def test_a_takeover_refused_because_the_lease_runs_again_changes_nothing_and_says_so(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, background: Background, tmp_path: Path
) -> None:
    shell, backend, row = stuck_in_window(window, sandbox, qtbot, background, tmp_path / "another-workstation")
    try:
        backend.lease_s = 0
        qtbot.waitUntil(window.commands.takeover.isEnabled, timeout=5_000)
        dialog = confirm(window, qtbot)
        backend.lease_s = 600  # while the question is open, the holder's lease counts as running again
        dialog.confirm.click()

        qtbot.waitUntil(lambda: panel_row(window, TITLE) is not None, timeout=10_000)
        qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=60_000)
        position = panel_row(window, TITLE)
        assert position is not None
        assert window.jobs.model.index(position, JobColumn.STATUS).data() == "Refused"
        end = window.jobs.model.job_at(position).end
        assert end is not None
        assert row.held_by is not None and row.held_by in end.message
        assert "the lease expires in" in end.message and end.message.endswith("Nothing was changed.")
        assert window.statusBar().currentMessage() == f"Take over {MODEL}: {end.message}"
        after = backend.model_row(MODEL)
        assert (after.status, after.held_by) == ("Stopping", row.held_by)
        qtbot.waitUntil(lambda: not window.commands.takeover.isEnabled(), timeout=5_000)  # the lease runs again
    finally:
        window.close()
        shell.close()
