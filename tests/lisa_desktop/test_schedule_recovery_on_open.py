"""An interrupted schedule job in the journal is listed in the window when it opens (its kind is one the window
knows) and recovered: the model's scheduled actions are rolled back and the model released."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from engine.sandbox.server import Sandbox
from tests.lisa_desktop.test_deployment_backend import crashed_cli_job, endpoint_args
from tests.lisa_desktop.test_recovery_on_open import open_on, panel_row, sandbox, window
from ui.backend import JobKind
from ui.background import Background
from ui.job_model import JobColumn
from ui.main_window import MainWindow

__all__ = ["sandbox", "window"]

MODEL = "mistral-7b-instruct"


def test_an_interrupted_schedule_job_is_listed_and_rolled_back(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, background: Background
) -> None:
    crashed_cli_job(
        sandbox, "models", "schedule", MODEL, "--recurring", "08:00-18:00", "--timezone", "UTC", after_point=3
    )
    shell = open_on(window, endpoint_args(sandbox), qtbot, background)
    try:
        title = f"Recover schedule of {MODEL}"
        qtbot.waitUntil(lambda: panel_row(window, title) is not None, timeout=30_000)
        row = panel_row(window, title)
        assert row is not None
        job = window.jobs.model.job_at(row)
        assert job.ticket.kind is JobKind.SCHEDULE
        qtbot.waitUntil(lambda: window.jobs.running_count() == 0, timeout=120_000)
        assert window.jobs.model.index(row, JobColumn.STATUS).data() == "Recovered: rolled back"
        assert not window.recovery_banner.isVisible()
        group = sandbox.resources(MODEL).auto_scaling_group
        actions = sandbox.client("autoscaling").describe_scheduled_actions(AutoScalingGroupName=group)
        assert actions["ScheduledUpdateGroupActions"] == []
        qtbot.waitUntil(
            lambda: (shown := window.table_model.row_for(MODEL)) is not None and shown.status == "InService"
        )
    finally:
        window.close()
        shell.close()
