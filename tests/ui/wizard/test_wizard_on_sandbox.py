"""The wizard from the main window on the sandbox: create, update with the restart acknowledgement, a
third-party model's read-only fields, and a draft whose model changed underneath it."""

from __future__ import annotations

from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import row, select
from tests.ui.wizard.typing import editor, set_variable, type_number, type_text
from ui.backend import JobEnd, JobKind
from ui.main_window import MainWindow
from ui.wizard.review_page import RESTART_WARNING
from ui.wizard.specs import PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard

JOB_TIMEOUT_MS = 120_000


def open_wizard(window: MainWindow, qtbot: QtBot) -> ModelWizard:
    wizard = window.findChild(ModelWizard)
    assert wizard is not None
    qtbot.waitExposed(wizard)
    return wizard


def go_to(wizard: ModelWizard, page: PageId) -> None:
    while wizard.currentId() != PAGE_IDS[page]:
        button = wizard.button(QWizard.WizardButton.NextButton)
        assert button.isEnabled(), (wizard.currentId(), wizard.validation.by_field)
        button.click()


def submit_and_wait_closed(wizard: ModelWizard, qtbot: QtBot) -> None:
    """Click Submit; the wizard closes (and is deleted) once the job is started."""
    with qtbot.waitSignal(wizard.finished, timeout=10_000):
        submit_button(wizard).click()


def submit_button(wizard: ModelWizard):  # type: ignore[no-untyped-def]
    return wizard.button(QWizard.WizardButton.FinishButton)


def wait_for_job(window: MainWindow, qtbot: QtBot, model_id: str) -> str:
    qtbot.waitUntil(lambda: bool(window.jobs.history(model_id)), timeout=10_000)
    qtbot.waitUntil(lambda: window.jobs.history(model_id)[0].ended is not None, timeout=JOB_TIMEOUT_MS)
    summary = window.jobs.history(model_id)[0]
    return f"{summary.state}: {summary.message}"


def test_a_third_party_models_container_and_scaling_fields_are_read_only_with_the_reason(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    select(window, "claude-3-5-sonnet")
    assert window.commands.update.isEnabled()
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    assert wizard.windowTitle().startswith("Update claude-3-5-sonnet")
    assert editor(wizard, "modelDescription").isEnabled()
    for page, path, label in (
        (PageId.CONTAINER, "containerConfig.environment", "Environment variables"),
        (PageId.AUTO_SCALING, "autoScalingConfig.minCapacity", "Min capacity"),
    ):
        go_to(wizard, page)
        field = wizard.page_of(page).rows[path]
        assert (
            field.lock_reason == f"{label} cannot be changed on a third_party model (only lisa_hosted models allow it)"
        )
        assert field.note.isVisible() and field.lock_reason in field.note.text()
        assert wizard.page_of(page).banner.isVisible()
    wizard.reject()


def test_update_env_var_and_min_capacity_needs_the_restart_ack_then_runs_and_a_new_revision_is_active(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    before = backend.model_row("mistral-7b-instruct").live
    assert before is not None
    window = make_window(backend)
    select(window, "mistral-7b-instruct")
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    go_to(wizard, PageId.CONTAINER)
    set_variable(wizard, "MAX_TOTAL_TOKENS", "8192")
    go_to(wizard, PageId.AUTO_SCALING)
    type_number(qtbot, wizard, "autoScalingConfig.minCapacity", 2)
    go_to(wizard, PageId.REVIEW)

    review = wizard.review
    shown = {
        review.changes.item(r, 0).text(): (review.changes.item(r, 1).text(), review.changes.item(r, 2).text())
        for r in range(review.changes.rowCount())
    }
    assert shown["Environment variable MAX_TOTAL_TOKENS"] == ("16384", "8192")
    assert shown["Min capacity"] == ("1", "2")
    assert review.warning.isVisible()
    assert RESTART_WARNING in review.warning.findChild(type(review.summary), "restartWarningText").text()
    assert "ecs" in review.steps.text().lower() and "capacity" in review.steps.text()
    assert not submit_button(wizard).isEnabled()
    review.ack.click()
    assert submit_button(wizard).isEnabled()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, "mistral-7b-instruct")
    assert outcome.startswith("Succeeded"), outcome
    assert window.jobs.shown_job() == window.jobs.history("mistral-7b-instruct")[0].job_id
    after = backend.model_row("mistral-7b-instruct")
    assert after.live is not None
    assert after.live["taskDefinitionRevision"] > before["taskDefinitionRevision"]
    assert after.config["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] == "8192"
    assert after.config["autoScalingConfig"]["minCapacity"] == 2
    drafts = window.wizards.store.list()
    assert drafts and drafts[0].submitted_job is not None


def test_create_a_third_party_model_through_the_wizard_and_it_appears_in_service(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    window.commands.create.trigger()
    wizard = open_wizard(window, qtbot)
    type_text(qtbot, wizard, "modelId", "haiku-from-wizard")
    type_text(qtbot, wizard, "modelName", "bedrock/anthropic.claude-3-haiku-20240307-v1:0")
    type_text(qtbot, wizard, "modelUrl", "https://bedrock-runtime.us-east-1.amazonaws.com")
    go_to(wizard, PageId.REVIEW)
    assert not wizard.review.warning.isVisible()
    assert submit_button(wizard).isEnabled(), wizard.review.submit_note.text()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, "haiku-from-wizard")
    assert outcome.startswith("Succeeded"), outcome
    qtbot.waitUntil(lambda: window.table_model.row_for("haiku-from-wizard") is not None, timeout=30_000)
    qtbot.waitUntil(lambda: row(window, "haiku-from-wizard").status == "InService", timeout=30_000)


def test_an_update_draft_whose_model_changed_underneath_shows_the_conflict_and_does_not_overwrite(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    select(window, "nova-pro")
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    type_text(qtbot, wizard, "allowedGroups", "research")
    wizard.reject()  # closed: kept as a draft
    [draft] = [d for d in window.wizards.store.list() if d.model_id == "nova-pro"]

    ended: list[JobEnd] = []
    backend.submit(
        JobKind.UPDATE,
        "nova-pro",
        on_event=lambda _event: None,
        on_end=ended.append,
        payload={"modelDescription": "changed by another administrator"},
    )
    qtbot.waitUntil(lambda: bool(ended), timeout=JOB_TIMEOUT_MS)
    assert ended[0].ok, ended[0].message

    window.drafts_panel.reload()
    window.drafts_panel.select(draft.draft_id)
    window.drafts_panel.open_button.click()
    wizard = open_wizard(window, qtbot)
    go_to(wizard, PageId.REVIEW)
    submit_button(wizard).click()
    qtbot.waitUntil(lambda: wizard.conflict_dialog is not None and wizard.conflict_dialog.isVisible())
    dialog = wizard.conflict_dialog
    assert dialog is not None
    fields = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    line = fields["Description"]
    assert dialog.table.item(line, 2).text() == "changed by another administrator"
    assert "Allowed groups" in fields
    assert "was changed after this draft was started, by" in dialog.intro.text()
    assert not window.jobs.history("nova-pro")  # nothing was submitted from the window
    assert backend.model_row("nova-pro").config["modelDescription"] == "changed by another administrator"

    dialog.rebase_button.click()
    assert wizard.isVisible() and wizard.form.base is not None
    assert wizard.form.base["modelDescription"] == "changed by another administrator"
    assert submit_button(wizard).isEnabled(), wizard.review.submit_note.text()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, "nova-pro")
    assert outcome.startswith("Succeeded"), outcome
    stored = backend.model_row("nova-pro").config
    assert stored["modelDescription"] == "changed by another administrator"
    assert stored["allowedGroups"] == ["research"]
