"""The wizard with no deployment: pages, inline validation, Next gating, drafts that survive a kill."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from engine.drafts.files import export_draft
from engine.drafts.store import DraftKind, DraftStore
from engine.sandbox.catalog import catalog_by_id
from engine.schema.stored import stored_config
from lisa_desktop.cli import run as run_cli
from tests.ui.wizard import kill_child
from tests.ui.wizard.typing import choose, editor, set_variable, type_number, type_text
from ui.wizard.editors import BoolEditor, CommandEditor, EnvironmentEditor, GroupsEditor, MultilineEditor
from ui.wizard.form import Mode, WizardForm
from ui.wizard.specs import PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard

REPO = Path(__file__).resolve().parents[3]


def open_wizard(qtbot: QtBot, form: WizardForm, store: DraftStore | None = None) -> ModelWizard:
    wizard = ModelWizard(form, drafts=store)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def next_button(wizard: ModelWizard):  # type: ignore[no-untyped-def]
    return wizard.button(QWizard.WizardButton.NextButton)


def api_shape(model_id: str) -> dict:
    model = catalog_by_id()[model_id]
    return {**copy.deepcopy(model.config), "status": model.status.value}


def test_max_capacity_below_min_shows_the_message_by_the_field_and_disables_next(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {}))
    choose(wizard, "hostingType", "lisa_hosted")
    assert not next_button(wizard).isEnabled()
    assert "Model ID" in wizard.page_of(PageId.BASE).hint.text()
    type_text(qtbot, wizard, "modelId", "my-vllm-model")
    type_text(qtbot, wizard, "modelName", "org/my-model")
    type_text(qtbot, wizard, "instanceType", "g5.xlarge")
    choose(wizard, "inferenceContainer", "vllm")
    assert next_button(wizard).isEnabled(), wizard.validation.by_field
    next_button(wizard).click()
    assert wizard.currentId() == PAGE_IDS[PageId.CONTAINER]
    type_text(qtbot, wizard, "containerConfig.image.baseImage", "vllm/vllm-openai:v0.5.0")
    next_button(wizard).click()
    assert wizard.currentId() == PAGE_IDS[PageId.AUTO_SCALING]
    assert next_button(wizard).isEnabled()

    type_number(qtbot, wizard, "autoScalingConfig.minCapacity", 3)
    type_number(qtbot, wizard, "autoScalingConfig.maxCapacity", 2)
    page = wizard.page_of(PageId.AUTO_SCALING)
    message = page.rows["autoScalingConfig.maxCapacity"].message
    assert message.isVisible()
    assert "maxCapacity" in message.text() and "(3 > 2)" in message.text()
    assert not next_button(wizard).isEnabled()

    type_number(qtbot, wizard, "autoScalingConfig.maxCapacity", 4)
    assert not message.isVisible()
    assert next_button(wizard).isEnabled()


def test_a_typo_in_the_model_id_is_named_at_the_field(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {}))
    type_text(qtbot, wizard, "modelId", "My_Model")
    message = wizard.page_of(PageId.BASE).rows["modelId"].message
    assert message.isVisible()
    assert "lowercase letters" in message.text()
    assert not next_button(wizard).isEnabled()


def test_a_third_party_create_skips_the_hosted_pages_and_offline_submit_says_why(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {}))
    type_text(qtbot, wizard, "modelId", "haiku")
    type_text(qtbot, wizard, "modelName", "bedrock/anthropic.claude-3-haiku-20240307-v1:0")
    assert not editor(wizard, "instanceType").isVisible()
    next_button(wizard).click()
    assert wizard.currentId() == PAGE_IDS[PageId.GUARDRAILS]  # guardrails apply to every hosting type
    next_button(wizard).click()
    assert wizard.currentId() == PAGE_IDS[PageId.REVIEW]
    assert wizard.review.isComplete() is False
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert "offline" in wizard.review.submit_note.text()
    fields = [wizard.review.changes.item(row, 0).text() for row in range(wizard.review.changes.rowCount())]
    assert "Model ID" in fields and "Model name" in fields
    assert "intake" in wizard.review.steps.text() and "stack" not in wizard.review.steps.text()


def test_removing_a_variable_marks_it_for_deletion_and_the_command_is_a_list(qtbot: QtBot) -> None:
    base = api_shape("mistral-7b-instruct")
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, stored_config(base), base=base))
    env = editor(wizard, "containerConfig.environment")
    assert isinstance(env, EnvironmentEditor)
    assert env.value() == base["containerConfig"]["environment"]
    row = next(r for r in range(env.table.rowCount()) if env.table.item(r, 0).text() == "VLLM_MAX_MODEL_LEN")
    env.table.selectRow(row)
    env.remove_button.click()
    set_variable(wizard, "NEW_FLAG", "1")
    command = editor(wizard, "containerConfig.healthCheckConfig.command")
    assert isinstance(command, CommandEditor)
    command.form.setCurrentIndex(command.form.findText("CMD"))
    command.form.activated.emit(command.form.currentIndex())
    command.parts.item(0).setText("curl")
    command.add_part("-f")
    command.add_part("")
    command.parts.item(2).setText("http://localhost:8080/health")
    request = wizard.validation.request
    assert request is not None, (wizard.validation.by_field, wizard.validation.general)
    assert request["containerConfig"]["environment"] == {
        "VLLM_MAX_MODEL_LEN": "LISA_MARKED_FOR_DELETION",
        "NEW_FLAG": "1",
    }
    assert request["containerConfig"]["healthCheckCommand"] == ["CMD", "curl", "-f", "http://localhost:8080/health"]
    impact = wizard.page_of(PageId.CONTAINER).rows["containerConfig.environment"].impact
    assert impact.text() == "ECS restart required"
    locked = wizard.page_of(PageId.CONTAINER).rows["containerConfig.image.baseImage"]
    assert locked.lock_reason is not None and not locked.editor.isEnabled()


def test_a_repeated_variable_name_is_refused_at_the_table(qtbot: QtBot) -> None:
    base = api_shape("mistral-7b-instruct")
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, stored_config(base), base=base))
    wizard.next()
    env = editor(wizard, "containerConfig.environment")
    assert isinstance(env, EnvironmentEditor)
    env.add_variable("MAX_TOTAL_TOKENS", "1")
    message = wizard.page_of(PageId.CONTAINER).rows["containerConfig.environment"].message
    assert message.isVisible() and "repeated: MAX_TOTAL_TOKENS" in message.text()
    assert not next_button(wizard).isEnabled()
    assert not wizard.validation.ok


def test_closing_the_wizard_keeps_the_draft_with_every_value(qtbot: QtBot, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts.sqlite3")
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {}), store)
    type_text(qtbot, wizard, "modelId", "closing-model")
    wizard.reject()
    [draft] = store.list()
    assert draft.kind is DraftKind.CREATE
    assert draft.config["modelId"] == "closing-model"


def test_a_draft_typed_offline_survives_a_kill_reopens_with_every_value_and_exports_valid_yaml(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, isolated_data_dir: Path, tmp_path: Path
) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "tests.ui.wizard.kill_child"],
        cwd=REPO,
        env={**os.environ, "LISA_DESKTOP_DATA_DIR": str(isolated_data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    assert child.stdout.strip() == "typed"
    store = DraftStore()
    [draft] = store.list()
    wizard = open_wizard(qtbot, WizardForm(Mode(draft.kind.value), draft.config, base=draft.base), store)
    typed = kill_child.TYPED
    for path in ("modelId", "modelName", "modelUrl"):
        assert editor(wizard, path).value() == typed[path]
    description = editor(wizard, "modelDescription")
    assert isinstance(description, MultilineEditor)
    assert description.value() == typed["modelDescription"]
    groups = editor(wizard, "allowedGroups")
    assert isinstance(groups, GroupsEditor)
    assert groups.value() == ["admins", "ops"]
    tool_calls = editor(wizard, "features[toolCalls]")
    assert isinstance(tool_calls, BoolEditor) and tool_calls.value() is True

    exported = tmp_path / "offline-model.yaml"
    export_draft(draft, exported)
    assert run_cli(["models", "validate", str(exported)]) == 0


def test_tab_walks_a_variables_row_and_then_leaves_the_table(qtbot: QtBot) -> None:
    base = api_shape("mistral-7b-instruct")
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, stored_config(base), base=base))
    wizard.next()
    env = editor(wizard, "containerConfig.environment")
    assert isinstance(env, EnvironmentEditor)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    env.table.setFocus()
    env.table.setCurrentCell(0, 0)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is env.table)
    qtbot.keyClick(env.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is env.table and env.table.currentColumn() == 1
    qtbot.keyClick(env.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not env.table  # out of the table, on to the form's next control
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is env.table
