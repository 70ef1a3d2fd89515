"""The Drafts dock and the wizard with no deployment open: drafts are typed, listed, duplicated, deleted,
exported and imported offline."""

from __future__ import annotations

from pathlib import Path

import yaml
from PySide6.QtWidgets import QDockWidget, QMessageBox, QWizard
from pytestqt.qtbot import QtBot

from engine.drafts.store import DraftKind
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from tests.ui.wizard.typing import type_text
from ui.dialogs import ConfirmDialog
from ui.main_window import MainWindow
from ui.wizard.wizard import ModelWizard

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def shown_wizard(window: MainWindow) -> ModelWizard:
    shown = [wizard for wizard in window.findChildren(ModelWizard) if wizard.isVisible()]
    assert len(shown) == 1
    return shown[0]


def titles(window: MainWindow) -> list[str]:
    table = window.drafts_panel.table
    return [table.item(row, 0).text() for row in range(table.rowCount())]


def test_offline_the_wizard_drafts_and_says_why_it_cannot_submit(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()  # no deployment could be opened
    assert window.commands.create.isEnabled()
    assert "draft" in window.commands.create.toolTip()
    assert not window.commands.update.isEnabled()
    window.commands.create.trigger()
    wizard = shown_wizard(window)
    type_text(qtbot, wizard, "modelId", "offline-haiku")
    type_text(qtbot, wizard, "modelName", "bedrock/anthropic.claude-3-haiku-20240307-v1:0")
    wizard.button(QWizard.WizardButton.NextButton).click()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert "offline: no deployment is open" in wizard.review.submit_note.text()
    wizard.button(QWizard.WizardButton.CustomButton1).click()  # Save draft
    assert titles(window) == ["Create offline-haiku"]
    assert window.drafts_panel.table.item(0, 2).text() == "ready to submit"
    wizard.reject()


def test_duplicate_delete_export_and_reopen_a_draft(make_window: WindowFactory, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window()
    store = window.wizards.store
    draft = store.create(DraftKind.CREATE, yaml.safe_load((EXAMPLES / "third-party-bedrock.yaml").read_text()))
    panel = window.drafts_panel
    panel.reload()
    panel.select(draft.draft_id)
    panel.duplicate_button.click()
    assert titles(window) == ["Create claude-3-5-sonnet", "Create claude-3-5-sonnet"]
    copy_id = panel.selected_id()
    assert copy_id is not None and copy_id != draft.draft_id

    panel.delete_button.click()
    dialog = panel.findChild(ConfirmDialog)
    assert dialog is not None
    dialog.confirm.click()
    assert [d.draft_id for d in store.list()] == [draft.draft_id]

    exported = tmp_path / "claude.json"
    panel.export_to(draft.draft_id, str(exported))
    assert exported.read_text().lstrip().startswith("{")
    panel.export_to(draft.draft_id, str(tmp_path / "claude.txt"))
    box = panel.findChild(QMessageBox, "warningBox")
    assert box is not None and ".yaml, .yml or .json" in box.text()
    box.close()

    panel.select(draft.draft_id)
    panel.open_button.click()
    wizard = shown_wizard(window)
    assert wizard.draft is not None and wizard.draft.draft_id == draft.draft_id
    panel.open_button.click()  # the same draft again: the open wizard comes forward, no second one
    assert shown_wizard(window) is wizard
    wizard.reject()


def test_import_a_create_file_opens_it_as_a_draft_and_an_update_file_needs_its_model(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    draft = window.wizards.import_file(str(EXAMPLES / "hosted-vllm.yaml"))
    assert draft is not None and draft.kind is DraftKind.CREATE
    wizard = shown_wizard(window)
    assert wizard.form.value("containerConfig.image.baseImage") == "vllm/vllm-openai:v0.5.0"
    wizard.reject()

    assert window.wizards.import_file(str(EXAMPLES / "update-container-env.yaml")) is None
    box = window.findChild(QMessageBox, "warningBox")
    assert box is not None and "select that model in the table" in box.text()
    assert [d.kind for d in window.wizards.store.list()] == [DraftKind.CREATE]


def test_the_drafts_dock_appears_on_its_own_after_the_first_paint(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.findChild(QDockWidget, "draftsDock") is not None, timeout=20_000)
    dock = window.findChild(QDockWidget, "draftsDock")
    assert dock is window.drafts_panel
    assert dock.toggleViewAction() in window.menus.view_menu.actions()


def test_an_update_file_with_fields_lisa_does_not_know_imports_without_them_and_says_so(
    make_window: WindowFactory, shared_backend: DeploymentBackend, tmp_path: Path
) -> None:
    window = make_window(shared_backend)
    select(window, "mistral-7b-instruct")
    path = tmp_path / "from-lisa.yaml"
    path.write_text("modelDescription: via a file\nstatus: InService\ncontextWindow: 32768\n")
    draft = window.wizards.import_file(str(path))
    assert draft is not None and draft.kind is DraftKind.UPDATE
    assert draft.request() == {"modelDescription": "via a file"}
    assert "ignored: status, contextWindow" in window.statusBar().currentMessage()
    shown_wizard(window).reject()
