"""The context window in the update wizard (issue #21): an optional field of the Base page, checked as the "Context
window…" dialog checks it, listed on the Review page, and written on its own before any job, as the dialog writes
it (LISA's `PUT /models/{id}/context-window`); a context window alone starts no job, and a refused write changes
nothing else."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from engine.drafts.store import DraftStore
from engine.errors import ModelNotFound
from engine.sandbox.catalog import catalog_by_id
from engine.schema.stored import stored_config
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.rows import make_row
from tests.ui.test_main_window import row, select
from tests.ui.wizard.test_features_and_groups import shown_changes
from tests.ui.wizard.test_wizard import api_shape, next_button, open_wizard
from tests.ui.wizard.test_wizard_on_sandbox import go_to, submit_and_wait_closed, submit_button, wait_for_job
from tests.ui.wizard.test_wizard_on_sandbox import open_wizard as open_window_wizard
from tests.ui.wizard.typing import editor, set_variable, type_text
from ui.context_window_dialog import ContextWindowDialog
from ui.main_window import MainWindow
from ui.wizard.editors import MultilineEditor
from ui.wizard.form import Mode, WizardForm
from ui.wizard.review_page import CONTEXT_WINDOW_IMPACT
from ui.wizard.specs import CONTEXT_WINDOW, PageId
from ui.wizard.wizard import ModelWizard

FIELD = "Context window"


def update_form(model_id: str) -> WizardForm:
    """An update of a catalog model, its base as LISA's API returns it (with its contextWindow)."""
    base = api_shape(model_id)
    window = catalog_by_id()[model_id].context_window
    if window is not None:
        base[CONTEXT_WINDOW] = window
    return WizardForm(Mode.UPDATE, stored_config(base), base=base)


def describe(qtbot: QtBot, wizard: ModelWizard, text: str) -> None:
    field = editor(wizard, "modelDescription")
    assert isinstance(field, MultilineEditor)
    field.text.selectAll()
    qtbot.keyClicks(field.text, text)


def field_message(wizard: ModelWizard) -> str:
    row = wizard.page_of(PageId.BASE).rows[CONTEXT_WINDOW]
    return row.message.text() if row.message.isVisible() else ""


def test_the_field_is_offered_in_an_update_only_with_the_models_value(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, update_form("nova-pro"))
    row = wizard.page_of(PageId.BASE).rows[CONTEXT_WINDOW]
    assert row.isVisible() and row.lock_reason is None and row.impact.text() == "No interruption"
    assert editor(wizard, CONTEXT_WINDOW).value() == "300000"
    assert "nothing is changed yet" in wizard.review.problems.text()  # the value as read is no change

    created = open_wizard(qtbot, WizardForm(Mode.CREATE, {}))
    assert not created.page_of(PageId.BASE).rows[CONTEXT_WINDOW].isVisibleTo(created)
    assert CONTEXT_WINDOW not in created.form.create_request()


@pytest.mark.parametrize("typed", ["0", "-1", "abc", "1.5"])
def test_a_bad_value_is_refused_by_the_dialogs_rule_and_words(qtbot: QtBot, typed: str) -> None:
    dialog = ContextWindowDialog(None, make_row("nova-pro", context_window=300_000))
    qtbot.addWidget(dialog)
    dialog.entry.setText(typed)
    dialog.accept()
    refused = dialog.problem.text()

    wizard = open_wizard(qtbot, update_form("nova-pro"))
    type_text(qtbot, wizard, CONTEXT_WINDOW, typed)
    rule = field_message(wizard)
    assert rule and refused == f"contextWindow: {rule}. Nothing was written."
    assert not next_button(wizard).isEnabled()
    assert f"{FIELD}: {rule}" in wizard.review.problems.text()
    assert "nothing is changed yet" not in wizard.review.problems.text()
    assert wizard.validation.context_window is None and wizard.validation.request is None

    type_text(qtbot, wizard, CONTEXT_WINDOW, "")  # empty: left as it is
    assert field_message(wizard) == "" and next_button(wizard).isEnabled()
    assert wizard.validation.context_window is None


def test_the_review_lists_the_change_beside_the_updates_and_says_it_is_written_first(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, update_form("nova-pro"))
    type_text(qtbot, wizard, CONTEXT_WINDOW, " 128000 ")
    assert wizard.validation.context_window == 128_000
    assert wizard.validation.request == {}  # not part of LISA's update request
    go_to(wizard, PageId.REVIEW)
    rows = {label: (now, new) for label, (now, new) in shown_changes(wizard).items()}
    assert rows == {FIELD: ("300000", "128000")}
    assert wizard.review.changes.item(0, 3).text() == CONTEXT_WINDOW_IMPACT
    assert "the context window changes" in wizard.review.summary.text()
    assert "No job runs" in wizard.review.steps.text()
    assert not wizard.review.problems.isVisible()

    describe(qtbot, wizard, "now with a smaller window")
    assert set(shown_changes(wizard)) == {"Description", FIELD}
    steps = wizard.review.steps.text()
    assert steps.startswith("<b>First</b>: context window") and "metadata" in steps


def test_an_environment_that_sets_another_context_window_is_refused_at_the_field(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, update_form("mistral-7b-instruct"))
    type_text(qtbot, wizard, CONTEXT_WINDOW, "12000")
    set_variable(wizard, "VLLM_MAX_MODEL_LEN", "8192")  # LISA's update then sets the record's context window
    rule = field_message(wizard)
    assert "sets it to 8192" in rule and "replacing 12000" in rule
    assert wizard.validation.request is None
    type_text(qtbot, wizard, CONTEXT_WINDOW, "8192")  # the same value: nothing to refuse
    assert field_message(wizard) == "" and wizard.validation.request is not None


def test_a_typed_context_window_survives_a_draft_and_a_rebase(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = DraftStore(tmp_path / "drafts.sqlite3")
    wizard = open_wizard(qtbot, update_form("nova-pro"), store)
    type_text(qtbot, wizard, CONTEXT_WINDOW, "64000")
    draft = wizard.save_draft()
    assert draft is not None
    wizard.close()
    reopened = open_wizard(qtbot, WizardForm(Mode.UPDATE, draft.config, base=draft.base), store)
    assert editor(reopened, CONTEXT_WINDOW).value() == "64000"
    assert reopened.validation.context_window == 64_000

    now = {**(draft.base or {}), "modelDescription": "changed meanwhile", CONTEXT_WINDOW: 200_000}
    reopened.rebase_onto(now)
    assert reopened.form.current_context_window == 200_000
    assert reopened.validation.context_window == 64_000  # still what was typed


# -- on the sandbox, from the window ----------------------------------------------------------------------------


def update_wizard(window: MainWindow, qtbot: QtBot, model_id: str) -> ModelWizard:
    select(window, model_id)
    window.commands.update.trigger()
    wizard = open_window_wizard(window, qtbot)
    qtbot.waitUntil(lambda: wizard.form.guardrails is not None, timeout=30_000)
    return wizard


def reviewed_update(window: MainWindow, qtbot: QtBot, model_id: str, description: str, tokens: str) -> ModelWizard:
    """The model's update wizard on its Review page: a new description and the context window `tokens`."""
    wizard = update_wizard(window, qtbot, model_id)
    describe(qtbot, wizard, description)
    type_text(qtbot, wizard, CONTEXT_WINDOW, tokens)
    go_to(wizard, PageId.REVIEW)
    return wizard


def test_a_context_window_alone_is_written_as_the_dialog_writes_it_and_starts_no_job(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    model = "nova-pro"
    window = make_window(backend)
    wizard = update_wizard(window, qtbot, model)
    type_text(qtbot, wizard, CONTEXT_WINDOW, "128000")
    draft = wizard.save_draft()
    assert draft is not None
    go_to(wizard, PageId.REVIEW)
    assert submit_button(wizard).isEnabled(), wizard.review.submit_note.text()
    submit_and_wait_closed(wizard, qtbot)
    record = backend.aws.models.get(model)
    assert record.context_window == 128_000
    assert record.model_status.value == "InService"
    assert window.jobs.history(model) == []
    assert window.statusBar().currentMessage() == f"{model}: context window set to 128,000 tokens"
    # The row is read again at once, not at the next 30-second refresh.
    qtbot.waitUntil(lambda: row(window, model).context_window == 128_000, timeout=10_000)
    # Nothing is left to submit: no draft stays behind.
    assert draft.draft_id not in [kept.draft_id for kept in window.wizards.store.list()]


def test_an_update_with_a_context_window_writes_both(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    model = "claude-3-5-sonnet"
    window = make_window(backend)
    wizard = reviewed_update(window, qtbot, model, "Sonnet, with a smaller window", "100000")
    submit_and_wait_closed(wizard, qtbot)
    assert backend.aws.models.get(model).context_window == 100_000  # written before the job started
    outcome = wait_for_job(window, qtbot, model)
    assert outcome.startswith("Succeeded"), outcome
    record = backend.aws.models.get(model)
    assert record.config["modelDescription"] == "Sonnet, with a smaller window"
    assert record.context_window == 100_000


def test_a_refused_context_window_is_said_and_nothing_else_changes(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = "titan-embed-v2"
    before = backend.aws.models.get(model)
    window = make_window(backend)
    wizard = reviewed_update(window, qtbot, model, "never stored", "4096")

    def refused(model_id: str, tokens: object) -> int:
        raise ModelNotFound(model_id)

    monkeypatch.setattr(backend, "set_context_window", refused)
    submit_button(wizard).click()
    note = wizard.review.submit_note
    qtbot.waitUntil(lambda: note.text().startswith("Not submitted: "), timeout=30_000)
    assert f"model '{model}' was not found" in note.text()
    assert note.text().endswith("Nothing was written. Refresh (F5): the model is gone.")
    assert wizard.isVisible() and submit_button(wizard).isEnabled()
    assert wizard.validation.context_window == 4096  # still to do, as typed
    assert window.jobs.history(model) == []
    after = backend.aws.models.get(model)
    assert (after.config, after.context_window) == (before.config, before.context_window)
    wizard.reject()


def test_a_job_that_cannot_start_after_the_write_says_what_was_written_and_offers_the_rest(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = "cohere-embed-english-v3"
    window = make_window(backend)
    wizard = reviewed_update(window, qtbot, model, "English embeddings, longer inputs", "1024")

    def cannot_start(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the job could not be started")

    monkeypatch.setattr(backend, "submit", cannot_start)
    submit_button(wizard).click()
    note = wizard.review.submit_note
    qtbot.waitUntil(lambda: "was not submitted" in note.text(), timeout=30_000)
    assert note.text() == (
        "The context window was set to 1,024 tokens, but the rest was not submitted: the job could not be started"
    )
    assert backend.aws.models.get(model).context_window == 1024
    assert set(shown_changes(wizard)) == {"Description"}  # what is left to submit
    assert wizard.isVisible() and submit_button(wizard).isEnabled()
    wizard.reject()
