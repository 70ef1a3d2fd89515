"""The wizard's Guardrails page: a create with two guardrails and an update removing one, on the sandbox (the
guardrails table and the sandbox's LiteLLM agree after each), the Details pane listing them, a guardrail without an
identifier refused as you type, adding one with the keyboard alone, and a draft that keeps them."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget, QWizard
from pytestqt.qtbot import QtBot

from engine.aws.guardrails import Guardrail, GuardrailsTable
from engine.drafts.store import DraftStore
from engine.sandbox.catalog import catalog_by_id
from engine.sandbox.rag_and_guardrails import GUARDED_MODEL, GUARDRAILS
from engine.schema.stored import stored_config
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from tests.ui.wizard.test_wizard_on_sandbox import go_to, open_wizard, submit_and_wait_closed, wait_for_job
from tests.ui.wizard.typing import type_text
from ui.main_window import MainWindow
from ui.wizard.form import Mode, WizardForm
from ui.wizard.guardrail_box import EVERYONE, GuardrailBox
from ui.wizard.guardrails_page import GuardrailsPage
from ui.wizard.specs import PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard

SONNET = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"
BEDROCK_URL = "https://bedrock-runtime.us-east-1.amazonaws.com"
MODEL = "guarded-by-wizard"


def agreed(backend: DeploymentBackend, model_id: str) -> dict[str, tuple[str, str, str]]:
    """guardrailName → (identifier, version, mode), once the guardrails table and the sandbox's LiteLLM agree."""
    sandbox = backend.target.sandbox
    assert sandbox is not None
    table = GuardrailsTable(backend.aws.clients, backend.aws.deployment.guardrails_table_name)
    rows = {g.name: g for g in table.of_model(model_id)}
    suffix = f"-{model_id}"
    in_litellm = {
        g.guardrail_name.removesuffix(suffix): g.id
        for g in sandbox.litellm.guardrails()
        if g.guardrail_name.endswith(suffix)
    }
    assert {name: g.guardrail_id for name, g in rows.items()} == in_litellm
    return {name: (g.identifier, g.version, g.mode) for name, g in rows.items()}


def page_of(wizard: ModelWizard) -> GuardrailsPage:
    return wizard.guardrails_page


def box(wizard: ModelWizard, name: str) -> GuardrailBox:
    [found] = [b for key, b in page_of(wizard).boxes.items() if page_of(wizard).values[key]["guardrailName"] == name]
    return found


def add(
    qtbot: QtBot, wizard: ModelWizard, name: str, identifier: str, version: str = "", mode: int = 0
) -> GuardrailBox:
    page = page_of(wizard)
    page.add.click()
    added = list(page.boxes.values())[-1]
    qtbot.keyClicks(added.name, name)
    qtbot.keyClicks(added.identifier, identifier)
    if version:
        added.version.selectAll()
        qtbot.keyClicks(added.version, version)
    if mode:
        added.mode.setCurrentIndex(mode)
        added.mode.activated.emit(mode)  # as picking the entry with the mouse
    return added


def review_rows(wizard: ModelWizard) -> dict[str, tuple[str, ...]]:
    table = wizard.review.changes
    return {
        table.item(r, 0).text(): tuple(table.item(r, c).text() for c in range(1, 4)) for r in range(table.rowCount())
    }


def guardrails_fact(window: MainWindow) -> str:
    return window.details.facts["guardrails"].text()


def test_create_with_two_guardrails_then_update_removing_one(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    window.commands.create.trigger()
    wizard = open_wizard(window, qtbot)
    type_text(qtbot, wizard, "modelId", MODEL)
    type_text(qtbot, wizard, "modelName", SONNET)
    type_text(qtbot, wizard, "modelUrl", BEDROCK_URL)
    go_to(wizard, PageId.GUARDRAILS)
    assert page_of(wizard).empty.isVisible()
    add(qtbot, wizard, "pii", "gr-pii123", "2")
    toxic = add(qtbot, wizard, "toxic", "gr-tox456", mode=2)
    qtbot.keyClicks(toxic.groups.line, "support, legal")
    assert toxic.groups.tags() == ["support"] and toxic.groups.values() == ["support", "legal"]  # typed counts too
    assert not page_of(wizard).empty.isVisible()
    assert toxic.title() == "toxic"
    go_to(wizard, PageId.REVIEW)
    rows = review_rows(wizard)
    assert rows["Guardrails: pii"][1] == "Bedrock gr-pii123:2, pre_call, for everyone"
    assert rows["Guardrails: toxic"][1] == "Bedrock gr-tox456:DRAFT, post_call, for support, legal"
    assert "guardrails — each guardrail is added to LiteLLM" in wizard.review.steps.text()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, MODEL)
    assert outcome.startswith("Succeeded"), outcome
    assert agreed(backend, MODEL) == {
        "pii": ("gr-pii123", "2", "pre_call"),
        "toxic": ("gr-tox456", "DRAFT", "post_call"),
    }

    qtbot.waitUntil(lambda: window.table_model.row_for(MODEL) is not None, timeout=30_000)
    select(window, MODEL)
    qtbot.waitUntil(lambda: "pii" in guardrails_fact(window), timeout=30_000)
    assert guardrails_fact(window) == "pii — pre_call, gr-pii123:2\ntoxic — post_call, gr-tox456:DRAFT"

    # Update is offered once the table has the created model InService (a listing after the job ended).
    qtbot.waitUntil(window.commands.update.isEnabled, timeout=30_000)
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    qtbot.waitUntil(lambda: wizard.form.guardrails is not None, timeout=30_000)
    go_to(wizard, PageId.GUARDRAILS)
    page = page_of(wizard)
    assert sorted(b.title() for b in page.boxes.values()) == ["pii", "toxic"]
    assert box(wizard, "toxic").groups.tags() == ["support", "legal"]
    box(wizard, "toxic").remove.click()
    removed = box(wizard, "toxic")
    assert removed.marked_note.isVisible() and "<s>" in removed.marked_note.text()
    assert removed.title() == "toxic (marked for removal)"
    assert not removed.fields.isVisible() and removed.keep.isVisible()
    go_to(wizard, PageId.REVIEW)
    rows = review_rows(wizard)
    assert list(rows) == ["Guardrails: toxic — removed"]
    now, new, impact = rows["Guardrails: toxic — removed"]
    assert now.startswith("Bedrock gr-tox456:DRAFT") and new == "(removed)"
    assert "containers do not restart" in impact
    assert not wizard.review.warning.isVisible()
    assert "The model keeps serving" in wizard.review.summary.text()
    assert "guardrails — LiteLLM's guardrails" in wizard.review.steps.text()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, MODEL)
    assert outcome.startswith("Succeeded"), outcome
    assert agreed(backend, MODEL) == {"pii": ("gr-pii123", "2", "pre_call")}
    qtbot.waitUntil(lambda: guardrails_fact(window) == "pii — pre_call, gr-pii123:2", timeout=30_000)


def test_the_update_wizard_compares_with_the_models_own_guardrails(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    """nova-pro's seeded guardrails are listed, not taken for additions: an untouched page changes nothing, and
    Keep undoes a removal."""
    window = make_window(backend)
    select(window, "nova-pro")
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    qtbot.waitUntil(lambda: wizard.form.guardrails is not None, timeout=30_000)
    page = page_of(wizard)
    assert len(page.boxes) == 2
    assert wizard.form.request() == {}
    first = next(iter(page.boxes.values()))
    first.remove.click()
    assert wizard.validation.plan is not None
    assert [str(c.action) for c in wizard.validation.plan.guardrails] == ["remove"]
    first.keep.click()
    assert wizard.form.request() == {}
    assert not first.marked_note.isVisible()
    wizard.reject()


def test_a_guardrail_without_an_identifier_is_refused_as_you_type(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    window.commands.create.trigger()
    wizard = open_wizard(window, qtbot)
    type_text(qtbot, wizard, "modelId", "guarded-no-identifier")
    type_text(qtbot, wizard, "modelName", SONNET)
    type_text(qtbot, wizard, "modelUrl", BEDROCK_URL)
    go_to(wizard, PageId.GUARDRAILS)
    page = page_of(wizard)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    added = add(qtbot, wizard, "pii", "")
    assert not page.isComplete() and not next_button.isEnabled()
    assert "Next is enabled once these are filled in: pii › Identifier" in page.hint.text()
    assert not added.messages["guardrailIdentifier"].isVisible()  # untouched: listed, not drawn red yet
    qtbot.keyClicks(added.identifier, "x")
    qtbot.keyClick(added.identifier, Qt.Key.Key_Backspace)
    message = added.messages["guardrailIdentifier"]
    assert message.isVisible() and message.text() == "must not be empty"
    assert not next_button.isEnabled()
    assert "guardrailsConfig.guardrail-1.guardrailIdentifier" in wizard.validation.by_field
    assert not wizard.review.isComplete()
    assert "Guardrail identifier: must not be empty" in wizard.review.problems.text()

    qtbot.keyClicks(added.identifier, "gr-1")
    assert not message.isVisible()
    assert page.isComplete() and next_button.isEnabled()
    dupe = add(qtbot, wizard, "pii", "gr-2")
    assert "each guardrail needs a name of its own" in dupe.messages["guardrailName"].text()
    assert not next_button.isEnabled()
    dupe.remove.click()
    assert page.isComplete() and next_button.isEnabled()
    go_to(wizard, PageId.REVIEW)
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled(), wizard.review.submit_note.text()
    wizard.reject()


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifiers)


def test_adding_a_guardrail_with_the_keyboard_alone(qtbot: QtBot) -> None:
    form = WizardForm(Mode.CREATE, {"modelId": "keyboard-guarded", "modelName": SONNET, "modelUrl": BEDROCK_URL})
    wizard = ModelWizard(form)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and wizard.isAncestorOf(focused()))
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_IDS[PageId.GUARDRAILS])
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: focused().objectName() == "guardrail:guardrail-1:guardrailName")
    qtbot.keyClicks(focused(), "pii")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "guardrail:guardrail-1:guardrailIdentifier"
    qtbot.keyClicks(focused(), "gr-pii123")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "guardrail:guardrail-1:guardrailVersion"
    qtbot.keyClicks(focused(), "4")  # the tab selected DRAFT: typing replaces it
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "guardrail:guardrail-1:mode"
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "guardrail:guardrail-1:description"
    qtbot.keyClicks(focused(), "Masks personal data")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "guardrail:guardrail-1:allowedGroups"
    qtbot.keyClicks(focused(), "support")
    press(qtbot, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # the label's mnemonic: back to the name
    assert focused().objectName() == "guardrail:guardrail-1:guardrailName"
    assert form.value("guardrailsConfig") == {
        "guardrail-1": {
            "guardrailName": "pii",
            "guardrailIdentifier": "gr-pii123",
            "guardrailVersion": "4",
            "mode": "during_call",
            "description": "Masks personal data",
            "allowedGroups": ["support"],
        }
    }
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_IDS[PageId.REVIEW])
    assert "Guardrails: pii" in review_rows(wizard)


def test_a_draft_keeps_the_guardrails(qtbot: QtBot, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts.sqlite3")
    form = WizardForm(Mode.CREATE, {"modelId": "drafted-guarded", "modelName": SONNET, "modelUrl": BEDROCK_URL})
    wizard = ModelWizard(form, drafts=store)
    qtbot.addWidget(wizard)
    wizard.show()
    go_to(wizard, PageId.GUARDRAILS)
    add(qtbot, wizard, "pii", "gr-pii123", "2", mode=1)
    add(qtbot, wizard, "toxic", "")
    wizard.reject()  # closed: saved as a draft
    [draft] = store.list()
    assert sorted(g["guardrailName"] for g in draft.config["guardrailsConfig"].values()) == ["pii", "toxic"]

    reopened = ModelWizard(WizardForm(Mode(draft.kind.value), draft.config, base=draft.base), drafts=store, draft=draft)
    qtbot.addWidget(reopened)
    reopened.show()
    go_to(reopened, PageId.GUARDRAILS)
    pii, toxic = box(reopened, "pii"), box(reopened, "toxic")
    assert (pii.identifier.text(), pii.version.text(), pii.mode.currentData()) == ("gr-pii123", "2", "during_call")
    assert toxic.identifier.text() == "" and not page_of(reopened).isComplete()
    assert reopened.form.value("guardrailsConfig") == draft.config["guardrailsConfig"]


def seeded_guardrails() -> list[Guardrail]:
    return [
        Guardrail(
            f"id-{seed.name}", seed.model_id, seed.name, seed.identifier, seed.version, seed.mode, seed.description
        )
        for seed in GUARDRAILS
    ]


def test_an_update_draft_keeps_the_guardrail_marked_for_removal(qtbot: QtBot, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts.sqlite3")
    model = catalog_by_id()[GUARDED_MODEL]
    base = {**copy.deepcopy(model.config), "status": model.status.value}
    wizard = ModelWizard(WizardForm(Mode.UPDATE, stored_config(base), base=base), drafts=store)
    qtbot.addWidget(wizard)
    wizard.show()
    assert not page_of(wizard).add.isEnabled()  # until the model's guardrails are read
    wizard.set_existing_guardrails(seeded_guardrails())
    assert page_of(wizard).add.isEnabled()
    box(wizard, "harmful-content").remove.click()
    assert wizard.form.request()["guardrailsConfig"]["guardrail-harmful-content"]["markedForDeletion"] is True
    wizard.reject()
    [draft] = store.list()

    reopened = ModelWizard(WizardForm(Mode.UPDATE, draft.config, base=draft.base), drafts=store, draft=draft)
    qtbot.addWidget(reopened)
    reopened.show()
    reopened.set_existing_guardrails(seeded_guardrails())
    marked = box(reopened, "harmful-content")
    assert marked.title() == "harmful-content (marked for removal)" and marked.keep.isVisibleTo(marked)
    plan = reopened.validation.plan
    assert plan is not None and [(str(c.action), c.name) for c in plan.guardrails] == [("remove", "harmful-content")]


def test_a_guardrails_groups_are_chips_as_the_models_allowed_groups(qtbot: QtBot) -> None:
    """LISA's UserGroupsInput, as the Base page's allowed groups: Enter or a comma adds a chip, a group given twice is
    refused with a message under the field (and Next waits), a chip's × removes it, none reads "(everyone)"."""
    form = WizardForm(Mode.CREATE, {"modelId": "chip-guarded", "modelName": SONNET, "modelUrl": BEDROCK_URL})
    wizard = ModelWizard(form)
    qtbot.addWidget(wizard)
    wizard.show()
    go_to(wizard, PageId.GUARDRAILS)
    added = add(qtbot, wizard, "pii", "gr-pii123")
    groups = added.groups
    assert groups.public.isVisibleTo(added) and groups.public.text() == f"<i>{EVERYONE}</i>"
    assert groups.line.placeholderText() == "Enter group name"

    qtbot.keyClicks(groups.line, "support")
    qtbot.keyClick(groups.line, Qt.Key.Key_Return)
    assert wizard.currentId() == PAGE_IDS[PageId.GUARDRAILS]  # Enter adds the group; it does not press Next
    qtbot.keyClicks(groups.line, "legal,ops")
    assert groups.tags() == ["support", "legal"] and groups.line.text() == "ops"
    qtbot.keyClick(groups.line, Qt.Key.Key_Enter)
    assert groups.tags() == ["support", "legal", "ops"] and not groups.public.isVisibleTo(added)
    assert form.value("guardrailsConfig")["guardrail-1"]["allowedGroups"] == ["support", "legal", "ops"]

    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert next_button.isEnabled()
    qtbot.keyClicks(groups.line, "legal")
    qtbot.keyClick(groups.line, Qt.Key.Key_Return)
    message = added.messages["allowedGroups"]
    assert message.isVisible() and message.text() == '"legal" is already in the list: each group is given once'
    assert not next_button.isEnabled() and not page_of(wizard).isComplete()
    assert "Guardrails › pii › Allowed groups: " in "\n".join(wizard.validation.general)
    groups.line.selectAll()
    qtbot.keyClick(groups.line, Qt.Key.Key_Backspace)
    assert not message.isVisible() and next_button.isEnabled()

    legal = next(chip for chip in groups._chips if chip.name == "legal")
    legal.dismiss.click()
    assert form.value("guardrailsConfig")["guardrail-1"]["allowedGroups"] == ["support", "ops"]
    go_to(wizard, PageId.REVIEW)
    assert review_rows(wizard)["Guardrails: pii"][1] == "Bedrock gr-pii123:DRAFT, pre_call, for support, ops"
