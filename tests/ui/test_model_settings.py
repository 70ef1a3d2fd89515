"""The context window and the default model in the window (issue #21, parts 3 and 4): the table's columns, the
Details lines, "Set as default…" and "Context window…" on the sandbox."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from engine.aws.configuration_table import ConfigurationTable
from engine.sandbox.catalog import DEFAULT_MODEL_ID
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import row, select
from ui.context_window_dialog import ContextWindowDialog
from ui.main_window import MainWindow
from ui.model_table import DEFAULT_MARK, ROW_ROLE, Column, compact_tokens

TEXTGEN_IN_SERVICE = "claude-3-5-sonnet"


def cell(window: MainWindow, model_id: str, column: Column) -> str:
    text: str = window.table_model.index_for(model_id, column).data()
    return text


def shown(window: MainWindow) -> list[str]:
    proxy = window.proxy
    return [proxy.index(position, 0).data(ROW_ROLE).model_id for position in range(proxy.rowCount())]


def configuration(backend: DeploymentBackend) -> ConfigurationTable:
    return ConfigurationTable(backend.aws.clients, backend.aws.deployment.prefix)


def test_the_columns_show_the_seeded_context_window_and_the_default_and_sort(
    make_window: WindowFactory, shared_backend: DeploymentBackend
) -> None:
    window = make_window(shared_backend)
    assert cell(window, "mistral-7b-instruct", Column.CONTEXT_WINDOW) == "16,384"
    assert cell(window, "nova-pro", Column.CONTEXT_WINDOW) == "300,000"
    assert cell(window, "broken-model", Column.CONTEXT_WINDOW) == ""  # no context window recorded
    assert [model_id for model_id in shown(window) if cell(window, model_id, Column.DEFAULT)] == [DEFAULT_MODEL_ID]
    assert cell(window, DEFAULT_MODEL_ID, Column.DEFAULT) == DEFAULT_MARK

    window.view.sortByColumn(Column.CONTEXT_WINDOW, Qt.SortOrder.DescendingOrder)
    windows = [row(window, model_id).context_window for model_id in shown(window)]
    known = [value for value in windows if value is not None]
    assert known == sorted(known, reverse=True) and known[0] == 300_000
    assert windows[len(known) :] == [None] * (len(windows) - len(known))  # unknown last
    window.view.sortByColumn(Column.DEFAULT, Qt.SortOrder.AscendingOrder)
    assert shown(window)[0] == DEFAULT_MODEL_ID


def test_details_say_the_context_window_and_whether_the_model_is_the_default(
    make_window: WindowFactory, shared_backend: DeploymentBackend
) -> None:
    window = make_window(shared_backend)
    select(window, DEFAULT_MODEL_ID)
    facts = window.details.facts
    assert (facts["context"].text(), facts["default"].text()) == ("16,384 tokens", "Yes")
    select(window, "broken-model")
    assert (facts["context"].text(), facts["default"].text()) == ("–", "No")


@pytest.mark.parametrize(
    ("model_ids", "reason"),
    [
        (("llama3-8b-tgi",), "model 'llama3-8b-tgi' is Stopped: only an InService model can be the default"),
        (("bge-large-en",), "model 'bge-large-en' is of type embedding: only a textgen model can be the default"),
        ((DEFAULT_MODEL_ID,), f"{DEFAULT_MODEL_ID} is already the default model"),
        ((TEXTGEN_IN_SERVICE, "nova-pro"), "set the default model works on one model at a time (2 are selected)"),
        ((), "select a model to set the default model"),
    ],
)
def test_set_as_default_is_refused_with_the_reason(
    make_window: WindowFactory, shared_backend: DeploymentBackend, model_ids: tuple[str, ...], reason: str
) -> None:
    window = make_window(shared_backend)
    select(window, *model_ids)
    action = window.commands.set_default
    assert not action.isEnabled()
    assert action.toolTip().startswith(f"Set as default: {reason}")
    assert action in window.row_menu().actions()


def test_both_actions_are_offered_for_an_in_service_textgen_model_and_refused_read_only(
    make_window: WindowFactory, shared_backend: DeploymentBackend
) -> None:
    window = make_window(shared_backend)
    select(window, TEXTGEN_IN_SERVICE)
    assert window.commands.set_default.isEnabled() and window.commands.context_window.isEnabled()
    select(window, "falcon-40b-legacy")  # Deleting: LISA's context-window route takes any status
    assert window.commands.context_window.isEnabled() and not window.commands.set_default.isEnabled()
    window.set_read_only("AccessDenied: not authorized to perform dynamodb:PutItem")
    for action in (window.commands.set_default, window.commands.context_window):
        assert not action.isEnabled() and "dynamodb:PutItem" in action.toolTip()


def test_set_as_default_writes_a_configuration_version_and_moves_the_mark(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    before = configuration(own_backend).latest()
    assert before is not None and before.default_model == DEFAULT_MODEL_ID
    window = make_window(own_backend)
    select(window, TEXTGEN_IN_SERVICE)
    window.commands.set_default.trigger()
    dialog = window.model_settings.confirmation
    assert dialog is not None and dialog.isVisible()
    assert f"This will set {TEXTGEN_IN_SERVICE} as the default model." in dialog.message.text()
    dialog.confirm.click()
    qtbot.waitUntil(lambda: row(window, TEXTGEN_IN_SERVICE).is_default, timeout=30_000)
    assert not row(window, DEFAULT_MODEL_ID).is_default  # a full listing: the old default is unmarked
    assert cell(window, TEXTGEN_IN_SERVICE, Column.DEFAULT) == DEFAULT_MARK
    assert cell(window, DEFAULT_MODEL_ID, Column.DEFAULT) == ""
    after = configuration(own_backend).latest()
    assert after is not None
    assert after.version == before.version + 1
    assert after.default_model == TEXTGEN_IN_SERVICE
    assert after.item["changeReason"] == f"Set default model to: {TEXTGEN_IN_SERVICE}"
    assert {key: value for key, value in after.configuration.items() if key != "global"} == {
        key: value for key, value in before.configuration.items() if key != "global"
    }
    message = window.statusBar().currentMessage()
    assert message == f"{TEXTGEN_IN_SERVICE} is now the default model (was {DEFAULT_MODEL_ID})"
    assert not window.commands.set_default.isEnabled()  # it is the default now


def test_a_refused_set_as_default_is_shown_with_what_to_do_and_writes_nothing(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    select(window, TEXTGEN_IN_SERVICE)
    window.commands.set_default.trigger()
    dialog = window.model_settings.confirmation
    assert dialog is not None
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    sandbox.client("dynamodb").update_item(  # stopped meanwhile, behind the window's back
        TableName=sandbox.table_name,
        Key={"model_id": {"S": TEXTGEN_IN_SERVICE}},
        UpdateExpression="SET model_status = :s",
        ExpressionAttributeValues={":s": {"S": "Stopped"}},
    )
    before = configuration(own_backend).latest()
    dialog.confirm.click()
    qtbot.waitUntil(lambda: window.model_settings.failure_box is not None, timeout=30_000)
    box = window.model_settings.failure_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert f"{TEXTGEN_IN_SERVICE} was not made the default model" in box.text()
    assert "is Stopped: only an InService model can be the default" in box.text()
    assert "Nothing was written. Refresh (F5)" in box.text()
    after = configuration(own_backend).latest()
    assert after is not None and before is not None
    assert (after.version, after.default_model) == (before.version, DEFAULT_MODEL_ID)
    box.close()


def open_context_dialog(window: MainWindow, model_id: str) -> ContextWindowDialog:
    select(window, model_id)
    window.commands.context_window.trigger()
    dialog = window.model_settings.context_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.model_id == model_id
    return dialog


def test_the_context_window_override_writes_the_record_and_the_column_shows_it(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    dialog = open_context_dialog(window, "nova-pro")
    assert dialog.entry.text() == "300000"
    dialog.entry.setText("128000")
    dialog.save.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    assert own_backend.aws.models.get("nova-pro").context_window == 128_000
    qtbot.waitUntil(lambda: row(window, "nova-pro").context_window == 128_000, timeout=30_000)
    assert cell(window, "nova-pro", Column.CONTEXT_WINDOW) == "128,000"
    qtbot.waitUntil(lambda: window.details.facts["context"].text() == "128,000 tokens", timeout=30_000)
    assert window.statusBar().currentMessage() == "nova-pro: context window set to 128,000 tokens"


def test_a_model_without_one_gets_a_context_window(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    dialog = open_context_dialog(window, "broken-model")  # Failed, none recorded: LISA's route takes it
    assert dialog.entry.text() == ""
    dialog.entry.setText("4096")
    dialog.accept()
    qtbot.waitUntil(lambda: cell(window, "broken-model", Column.CONTEXT_WINDOW) == "4,096", timeout=30_000)
    assert own_backend.aws.models.get("broken-model").context_window == 4096


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("0", "Input should be greater than 0 (got '0')"),
        ("-1", "Input should be greater than 0 (got '-1')"),
        ("abc", "Input should be a valid integer"),
        ("", "Input should be a valid integer"),
        ("1.5", "Input should be a valid integer"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    make_window: WindowFactory, shared_backend: DeploymentBackend, typed: str, rule: str
) -> None:
    window = make_window(shared_backend)
    dialog = open_context_dialog(window, "nova-pro")
    dialog.entry.setText(typed)
    dialog.save.click()
    assert dialog.isVisible() and not dialog.saving
    problem = dialog.problem.text()
    assert problem.startswith("contextWindow: ") and rule in problem and problem.endswith("Nothing was written.")
    assert shared_backend.aws.models.get("nova-pro").context_window == 300_000
    dialog.entry.setText("8192" if typed else "1")  # typing again clears the problem
    dialog.entry.textEdited.emit(dialog.entry.text())
    assert not dialog.problem.isVisible()
    dialog.reject()


def test_a_failed_override_stays_in_the_dialog_with_what_to_do(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    dialog = open_context_dialog(window, "nova-pro")
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    sandbox.client("dynamodb").delete_item(TableName=sandbox.table_name, Key={"model_id": {"S": "nova-pro"}})
    dialog.entry.setText("1000")
    dialog.save.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=30_000)
    assert dialog.isVisible()
    assert "nova-pro" in dialog.problem.text()
    assert dialog.problem.text().endswith("Nothing was written. Refresh (F5): the model is gone.")
    stored = sandbox.client("dynamodb").get_item(TableName=sandbox.table_name, Key={"model_id": {"S": "nova-pro"}})
    assert "Item" not in stored  # no stub item made by the write
    dialog.reject()


def test_the_dialog_is_keyboard_usable(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(shared_backend)
    dialog = open_context_dialog(window, "nova-pro")
    labels = [label for label in dialog.findChildren(QLabel) if label.buddy() is dialog.entry]
    assert labels and "&Context window" in labels[0].text()
    qtbot.waitUntil(dialog.entry.hasFocus)
    dialog.entry.setText("0")
    qtbot.keyClick(dialog.entry, Qt.Key.Key_Return)  # Enter saves, and the value is checked first
    assert dialog.isVisible() and dialog.problem.text().startswith("contextWindow: ")
    dialog.reject()


@pytest.mark.parametrize(
    ("whole", "short"),
    [("131,072", "131.1K"), ("200,000", "200K"), ("16,384", "16.4K"), ("1,500,000", "1.5M"), ("512", "512"), ("", "")],
)
def test_a_narrow_context_column_shows_lisas_compact_form(whole: str, short: str) -> None:
    assert compact_tokens(whole) == short
