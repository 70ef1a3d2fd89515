"""The details pane shows the root cause of a model's last failure, opens the AWS console and copies ARNs."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from pytestqt.qtbot import QtBot

from engine.jobs.cause import ConsoleLink, LogExcerpt, RootCause
from engine.jobs.events import JobEvent, StepState
from tests.ui.rows import make_row
from ui.backend import JobKind
from ui.details_pane import DetailsPane
from ui.job_model import JobSummary
from ui.root_cause_view import latest_root_cause

STACK = "arn:aws:cloudformation:eu-west-1:111122223333:stack/lisa-m/uuid"
CAUSE = RootCause(
    items=(
        "3 tasks, the latest 1a2b3c4d, stopped: Essential container in task exited (EssentialContainerExited); "
        "container model exit code 1",
    ),
    log=LogExcerpt("/lisa/m", "m/model/1a2b3c4d", ("INFO loading", "torch.OutOfMemoryError: CUDA out of memory")),
    links=(
        ConsoleLink("ECS service", "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/c/services/s/health"),
        ConsoleLink("CloudFormation stack", "https://eu-west-1.console.aws.amazon.com/cloudformation/home"),
    ),
    arns=(("CloudFormation stack", STACK),),
)


class Opened(QObject):
    """Where QDesktopServices sends https URLs during the test (instead of a browser)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


def job(state: str, cause: RootCause | None) -> JobSummary:
    data = {"rootCause": cause.to_data()} if cause is not None else {}
    events = (JobEvent("job-1", "m", "ecs", StepState.FAILED, "the rollout failed", data=data),)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    return JobSummary("job-1", JobKind.UPDATE, "Update m", state, stamp, stamp, "", events)


def test_the_details_pane_shows_the_root_cause_with_console_links_and_arns(qtbot: QtBot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.resize(420, 760)
    pane.show()
    pane.show_row(make_row("m", failure_reason="update of m failed and was rolled back"))
    view = pane.root_cause
    assert view.isHidden()

    pane.show_root_cause("m", CAUSE)

    assert view.isVisible()
    assert "Essential container in task exited" in view.findings.text()
    assert "container log: torch.OutOfMemoryError: CUDA out of memory" in view.findings.text()
    assert view.log.toPlainText().splitlines() == list(CAUSE.log.lines)  # type: ignore[union-attr]

    opened = Opened()
    QDesktopServices.setUrlHandler("https", opened, "open")
    try:
        [service, stack] = view.open_button.menu().actions()
        assert (service.text(), stack.text()) == ("ECS service", "CloudFormation stack")
        service.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert opened.urls == [CAUSE.links[0].url]
    [copy] = view.copy_button.menu().actions()
    copy.trigger()
    assert QGuiApplication.clipboard().text() == STACK

    pane.show_row(make_row("m"))
    assert view.isVisible(), "the same model refreshed: still shown"
    pane.show_row(make_row("other"))
    assert view.isHidden(), "another model: not its root cause"


def test_the_latest_failure_s_root_cause_until_a_later_job_succeeds() -> None:
    other = RootCause(items=("older",))
    assert latest_root_cause([job("Rolled back", CAUSE), job("Rolled back", other)]) == CAUSE
    assert latest_root_cause([job("Cancelled", None), job("Rolled back", CAUSE)]) == CAUSE
    assert latest_root_cause([job("Succeeded", None), job("Rolled back", CAUSE)]) is None
    assert latest_root_cause([]) is None
