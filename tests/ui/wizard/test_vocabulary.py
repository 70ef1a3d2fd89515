"""One vocabulary: fields named by their form labels (API path in the tooltip) on the review, in problems and in
the conflict dialog; the create review without empty columns; the conflict dialog's author, legend and per-field
mine / theirs."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

from engine.config_edit import config_of
from engine.drafts.conflict import Side, compare, rebase
from engine.schema.stored import stored_config
from tests.ui.wizard.test_wizard import api_shape, open_wizard
from tests.ui.wizard.typing import choose, set_variable, type_number, type_text
from ui.backend import CurrentModel
from ui.wizard.conflict_dialog import KEEP_COLUMN, UNKNOWN_AUTHOR, ConflictDialog, who_changed
from ui.wizard.field_names import label_of
from ui.wizard.form import Mode, WizardForm
from ui.wizard.review_page import IMPACT_COLUMN, NOW_COLUMN
from ui.wizard.specs import PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("autoScalingInstanceConfig.minCapacity", "Min capacity"),
        ("autoScalingConfig.minCapacity", "Min capacity"),
        ("containerConfig.healthCheckInterval", "Health check interval (container)"),
        ("loadBalancerConfig.healthCheckConfig.interval", "Health check interval (load balancer)"),
        ("containerConfig.environment.MAX_TOTAL_TOKENS", "Environment variable MAX_TOTAL_TOKENS"),
        ("features[toolCalls]", "Tool calls"),
        ("features[summarization].overview", "Summarization capabilities"),
        ("modelDescription", "Description"),
        ("enabled", "Running (start / stop)"),
        ("autoScalingConfig.metricConfig", "Auto scaling › Metric config"),
        ("guardrailsConfig.pii", "Guardrails › Pii"),
    ],
)
def test_paths_of_every_dialect_are_named_by_the_form_label(path: str, label: str) -> None:
    assert label_of(path) == label


def review_rows(wizard: ModelWizard) -> dict[str, tuple[str, str, str]]:
    table = wizard.review.changes
    return {
        table.item(r, 0).text(): (table.item(r, 0).toolTip(), table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }


def go_to_review(wizard: ModelWizard) -> None:
    wizard.setStartId(wizard.currentId())
    while wizard.currentId() != PAGE_IDS[PageId.REVIEW]:
        wizard.next()


def test_the_create_review_names_fields_by_label_and_shows_no_empty_columns(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {}))
    choose(wizard, "hostingType", "lisa_hosted")
    type_text(qtbot, wizard, "modelId", "my-vllm-model")
    type_text(qtbot, wizard, "modelName", "org/my-model")
    type_text(qtbot, wizard, "instanceType", "g5.xlarge")
    choose(wizard, "inferenceContainer", "vllm")
    type_number(qtbot, wizard, "autoScalingConfig.minCapacity", 3)
    type_number(qtbot, wizard, "autoScalingConfig.maxCapacity", 2)
    rows = review_rows(wizard)
    assert rows["Model ID"] == ("API field: modelId", "—", "my-vllm-model")
    assert rows["Min capacity"][0] == "API field: autoScalingConfig.minCapacity"
    assert rows["Health check interval (load balancer)"][0].endswith("loadBalancerConfig.healthCheckConfig.interval")
    assert not any("." in label for label in rows), "no API path where a label exists"
    table = wizard.review.changes
    assert table.isColumnHidden(NOW_COLUMN) and table.isColumnHidden(IMPACT_COLUMN)
    problems = wizard.review.problems.text()
    assert "Min capacity:" in problems and "autoScalingConfig" not in problems


def test_the_update_review_shows_now_and_impact_by_label(qtbot: QtBot) -> None:
    base = api_shape("mistral-7b-instruct")
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, stored_config(base), base=base))
    set_variable(wizard, "MAX_TOTAL_TOKENS", "8192")
    type_number(qtbot, wizard, "autoScalingConfig.minCapacity", 2)
    rows = review_rows(wizard)
    assert rows["Min capacity"] == ("API field: autoScalingInstanceConfig.minCapacity", "1", "2")
    assert rows["Environment variable MAX_TOTAL_TOKENS"][2] == "8192"
    table = wizard.review.changes
    assert not table.isColumnHidden(NOW_COLUMN) and not table.isColumnHidden(IMPACT_COLUMN)
    label = wizard.page_of(PageId.AUTO_SCALING).layout_.labelForField(
        wizard.page_of(PageId.AUTO_SCALING).rows["autoScalingConfig.minCapacity"]
    )
    assert isinstance(label, QLabel) and label.toolTip() == "API field: autoScalingConfig.minCapacity"


BASE = api_shape("mistral-7b-instruct")


def conflict_case() -> tuple[dict, dict, dict]:
    now = copy.deepcopy(BASE)
    now["modelDescription"] = "theirs"
    now["autoScalingConfig"]["maxCapacity"] = 4
    draft = config_of(copy.deepcopy(BASE))
    draft["modelDescription"] = "mine"
    draft["streaming"] = not BASE.get("streaming", False)
    return BASE, now, draft


def test_the_conflict_dialog_names_fields_explains_colours_and_takes_a_side_per_field(qtbot: QtBot) -> None:
    base, now, draft = conflict_case()
    dialog = ConflictDialog("mistral-7b-instruct", compare(base, now, draft))
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog.table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert set(rows) == {"Description", "Max capacity", "Streaming"}
    assert table.item(rows["Max capacity"], 0).toolTip() == "API field: autoScalingConfig.maxCapacity"
    legend = " ".join(
        label.text() for label in dialog.findChildren(QLabel) if label.parent().objectName() == "conflictLegend"
    )
    assert "changed there and in your draft" in legend and "changed there only" in legend
    assert "changed in your draft only" in legend
    assert UNKNOWN_AUTHOR in dialog.intro.text() and "Someone" not in dialog.intro.text()
    keep = table.cellWidget(rows["Description"], KEEP_COLUMN)
    assert isinstance(keep, QComboBox)
    assert dialog.choices() == {
        "modelDescription": Side.MINE,
        "autoScalingConfig.maxCapacity": Side.THEIRS,
        "streaming": Side.MINE,
    }
    keep.setCurrentIndex(keep.findData(Side.THEIRS.value))
    dialog.choose("streaming", Side.THEIRS)
    rebased = rebase(base, now, draft, dialog.choices())
    assert rebased["modelDescription"] == "theirs"
    assert rebased["streaming"] == now.get("streaming")
    assert rebased["autoScalingConfig"]["maxCapacity"] == 4
    dialog.all_mine.click()
    assert set(dialog.choices().values()) == {Side.MINE}


def test_the_conflict_dialog_names_who_changed_the_model_where_the_record_says() -> None:
    holder = "job-1234 (arn:aws:iam::123456789012:user/ana on ws-7, since 2026-12-06 12:00:00Z)"
    assert holder in who_changed(CurrentModel({}, holder=holder))
    lisa = CurrentModel(
        {},
        status_reason="Auto Scaling completed",
        status_updated="2026-12-06T12:00:41+00:00",
        last_modified=1_796_558_400_000,
    )
    assert who_changed(lisa).startswith("LISA, whose status note says “Auto Scaling completed”")
    later = CurrentModel(
        {},
        status_reason="Auto Scaling completed",
        status_updated="2026-12-06T12:00:41+00:00",
        last_modified=1_896_558_400_000,
    )
    assert who_changed(later).startswith(UNKNOWN_AUTHOR)
    assert who_changed(CurrentModel({})) == UNKNOWN_AUTHOR


def test_the_wizard_rebases_with_the_choices_made_in_the_dialog(qtbot: QtBot) -> None:
    base, now, draft = conflict_case()
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, draft, base=base))
    wizard._ask_rebase(now, compare(base, now, draft), CurrentModel(now))
    dialog = wizard.conflict_dialog
    assert dialog is not None
    dialog.choose("modelDescription", Side.THEIRS)
    dialog.rebase_button.click()
    assert wizard.form.config["modelDescription"] == "theirs"
    assert wizard.form.config["streaming"] == draft["streaming"]
    assert wizard.form.base == now
