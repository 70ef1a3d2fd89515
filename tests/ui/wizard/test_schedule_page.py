"""The wizard's Schedule page: set, change and remove a LISA-hosted model's schedule through the update wizard on
the sandbox (a schedule-only change runs the schedule job, as LISA's UI calls the schedule route), LISA's rules
shown as you type, the preview of the next actions for a fixed clock, and keyboard-only use."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from engine.drafts.store import DraftStore
from engine.sandbox.catalog import catalog_by_id
from engine.schedules.timing import NOW_ENV
from engine.schema.stored import stored_config
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from tests.ui.wizard.test_wizard_on_sandbox import (
    JOB_TIMEOUT_MS,
    go_to,
    open_wizard,
    submit_and_wait_closed,
    wait_for_job,
)
from tests.ui.wizard.typing import type_text
from ui.wizard.form import Mode, WizardForm
from ui.wizard.schedule_page import SchedulePage
from ui.wizard.specs import PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard

MODEL = "mistral-7b-instruct"
MONDAY_10_BERLIN = "2026-03-02T10:00:00+01:00"
"""Inside an 08:00–18:00 window: setting the schedule does not scale the model to 0 at once."""


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's clock (the schedule job's immediate scaling, the page's preview) and the workstation's zone."""
    monkeypatch.setenv(NOW_ENV, MONDAY_10_BERLIN)
    monkeypatch.setenv("TZ", "America/New_York")


def scheduled_actions(backend: DeploymentBackend, model_id: str) -> dict[str, dict[str, Any]]:
    sandbox = backend.target.sandbox
    assert sandbox is not None
    group = sandbox.resources(model_id).auto_scaling_group
    answer = sandbox.client("autoscaling").describe_scheduled_actions(AutoScalingGroupName=group)
    return {action["ScheduledActionName"]: action for action in answer["ScheduledUpdateGroupActions"]}


def page(wizard: ModelWizard) -> SchedulePage:
    return wizard.schedule_page


def type_into(qtbot: QtBot, edit: Any, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def choose_type(wizard: ModelWizard, text: str) -> None:
    combo = page(wizard).type
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def choose_zone(qtbot: QtBot, wizard: ModelWizard, zone: str) -> None:
    combo = page(wizard).zone
    line = combo.lineEdit()
    type_into(qtbot, line, zone)
    assert combo.currentText() == zone


def review_rows(wizard: ModelWizard) -> dict[str, tuple[str, str]]:
    table = wizard.review.changes
    return {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())
    }


def submit_button(wizard: ModelWizard):  # type: ignore[no-untyped-def]
    return wizard.button(QWizard.WizardButton.FinishButton)


def api_shape(model_id: str) -> dict[str, Any]:
    model = catalog_by_id()[model_id]
    return {**copy.deepcopy(model.config), "status": model.status.value}


def update_wizard(qtbot: QtBot, model_id: str, store: DraftStore | None = None) -> ModelWizard:
    base = api_shape(model_id)
    wizard = ModelWizard(WizardForm(Mode.UPDATE, stored_config(base), base=base), drafts=store)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


# -- on the sandbox, through the window ----------------------------------------------------------------------


def test_an_every_day_schedule_set_through_the_update_wizard_puts_the_two_actions_and_the_record(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    select(window, MODEL)
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    go_to(wizard, PageId.SCHEDULE)
    assert page(wizard).type.currentData() is None
    assert page(wizard).zone.currentText() == "America/New_York"  # the workstation's
    choose_type(wizard, "Every day")
    choose_zone(qtbot, wizard, "Europe/Berlin")
    type_into(qtbot, page(wizard).start, "08:00")
    type_into(qtbot, page(wizard).stop, "18:00")
    go_to(wizard, PageId.REVIEW)
    assert review_rows(wizard)["Auto scaling › Scheduling"] == ("none", "every day 08:00–18:00 (Europe/Berlin)")
    assert "scheduled actions" in wizard.review.steps.text()
    assert not wizard.review.warning.isVisible()
    assert submit_button(wizard).isEnabled(), wizard.review.submit_note.text()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, MODEL)
    assert outcome.startswith("Succeeded"), outcome
    assert window.jobs.history(MODEL)[0].kind.value == "schedule"

    actions = scheduled_actions(backend, MODEL)
    assert set(actions) == {f"{MODEL}-daily-start", f"{MODEL}-daily-stop"}
    assert actions[f"{MODEL}-daily-start"]["Recurrence"] == "0 8 * * *"
    assert actions[f"{MODEL}-daily-stop"]["Recurrence"] == "0 18 * * *"
    assert {action["TimeZone"] for action in actions.values()} == {"Europe/Berlin"}
    scheduling = backend.model_row(MODEL).config["autoScalingConfig"]["scheduling"]
    assert scheduling["scheduleType"] == "RECURRING"
    assert scheduling["recurringSchedule"] == {"startTime": "08:00", "stopTime": "18:00"}
    assert scheduling["scheduleEnabled"] is True
    assert len(scheduling["scheduledActionArns"]) == 2


def test_a_per_weekday_schedule_then_turned_off(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    model = "bge-large-en"
    window = make_window(backend)
    select(window, model)
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    go_to(wizard, PageId.SCHEDULE)
    choose_type(wizard, "Per weekday")
    choose_zone(qtbot, wizard, "Europe/Berlin")
    days = page(wizard).days
    days["monday"].check.click()
    assert days["monday"].start.text() == "09:00"  # a ticked day starts with a window
    type_into(qtbot, days["monday"].stop, "18:00")
    days["wednesday"].check.click()
    type_into(qtbot, days["wednesday"].start, "07:30")
    go_to(wizard, PageId.REVIEW)
    assert review_rows(wizard)["Auto scaling › Scheduling"][1] == "Mon 09:00–18:00, Wed 07:30–17:00 (Europe/Berlin)"
    submit_and_wait_closed(wizard, qtbot)
    assert wait_for_job(window, qtbot, model).startswith("Succeeded")
    actions = scheduled_actions(backend, model)
    assert {name: action["Recurrence"] for name, action in actions.items()} == {
        f"{model}-monday-start": "0 9 * * 1",
        f"{model}-monday-stop": "0 18 * * 1",
        f"{model}-wednesday-start": "30 7 * * 3",
        f"{model}-wednesday-stop": "0 17 * * 3",
    }
    assert backend.model_row(model).config["autoScalingConfig"]["scheduling"]["scheduleType"] == "DAILY"

    qtbot.waitUntil(
        lambda: (found := window.table_model.row_for(model)) is not None and found.schedule_json is not None,
        timeout=30_000,
    )
    select(window, model)
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    go_to(wizard, PageId.SCHEDULE)
    assert page(wizard).type.currentData() == "DAILY"
    assert page(wizard).days["wednesday"].start.text() == "07:30"
    choose_type(wizard, "None: the model runs until it is stopped")
    go_to(wizard, PageId.REVIEW)
    assert review_rows(wizard)["Auto scaling › Scheduling"][1] == "none"
    submit_and_wait_closed(wizard, qtbot)
    assert wait_for_job(window, qtbot, model).startswith("Succeeded")
    assert scheduled_actions(backend, model) == {}
    assert backend.model_row(model).config["autoScalingConfig"].get("scheduling") is None


# -- the page alone ----------------------------------------------------------------------------------------


def test_a_window_under_two_hours_and_bad_times_are_shown_by_the_field_and_block_submit(qtbot: QtBot) -> None:
    wizard = update_wizard(qtbot, MODEL)
    wizard.setStartId(PAGE_IDS[PageId.SCHEDULE])
    wizard.restart()
    choose_type(wizard, "Every day")
    type_into(qtbot, page(wizard).start, "08:00")
    type_into(qtbot, page(wizard).stop, "09:30")
    problems = page(wizard).recurring_problems
    assert problems.isVisible()
    assert problems.text() == "stopTime: must be at least 2 hours after startTime"
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert not wizard.validation.ok

    type_into(qtbot, page(wizard).start, "8:7x")
    assert problems.text() == "startTime: must be a time as HH:MM or H:MM (00:00 to 23:59)"
    choose_zone(qtbot, wizard, "Mars/Olympus")
    assert page(wizard).zone_problems.text().startswith("timezone: Invalid timezone: Mars/Olympus")
    assert page(wizard).preview.rowCount() == 0
    assert "once the schedule keeps LISA's rules" in page(wizard).preview_title.text()

    choose_zone(qtbot, wizard, "Europe/Berlin")
    type_into(qtbot, page(wizard).start, "08:00")
    type_into(qtbot, page(wizard).stop, "20:00")
    assert not problems.isVisible() and not page(wizard).zone_problems.isVisible()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.validation.ok

    choose_type(wizard, "Per weekday")
    assert page(wizard).daily_problems.text() == (
        "dailySchedule: must give at least one day (monday..sunday) with startTime and stopTime"
    )
    page(wizard).days["friday"].check.click()
    type_into(qtbot, page(wizard).days["friday"].stop, "25:00")
    assert page(wizard).days["friday"].problems.text() == "stopTime: must be a time as HH:MM or H:MM (00:00 to 23:59)"
    assert not page(wizard).daily_problems.isVisible()
    assert not wizard.validation.ok


SAME_DAY = "must be later than startTime on the same day, as LISA's web console requires"


def test_a_stop_not_later_than_the_start_on_the_same_day_is_refused_as_lisas_web_console_does(qtbot: QtBot) -> None:
    wizard = update_wizard(qtbot, MODEL)
    wizard.setStartId(PAGE_IDS[PageId.SCHEDULE])
    wizard.restart()
    schedule = page(wizard)
    assert "a stop past midnight is refused" in schedule.hint.text()
    choose_type(wizard, "Every day")
    choose_zone(qtbot, wizard, "Europe/Berlin")
    type_into(qtbot, schedule.start, "22:00")
    type_into(qtbot, schedule.stop, "06:00")
    assert schedule.recurring_problems.isVisible()
    assert schedule.recurring_problems.text() == f"stopTime: {SAME_DAY}"
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert not wizard.validation.ok
    assert wizard.validation.general == [f"Auto scaling › Scheduling › Recurring schedule › Stop time: {SAME_DAY}"]
    type_into(qtbot, schedule.stop, "22:00")  # equal: the console's rule, not the 2-hour one, as LISA's console
    assert schedule.recurring_problems.text() == f"stopTime: {SAME_DAY}"
    type_into(qtbot, schedule.start, "21:00")
    type_into(qtbot, schedule.stop, "23:59")
    assert not schedule.recurring_problems.isVisible()
    assert wizard.validation.ok

    choose_type(wizard, "Per weekday")
    days = schedule.days
    days["monday"].check.click()
    days["thursday"].check.click()
    type_into(qtbot, days["thursday"].start, "23:00")
    type_into(qtbot, days["thursday"].stop, "01:30")
    assert days["thursday"].problems.text() == f"stopTime: {SAME_DAY}"
    assert not days["monday"].problems.isVisible()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.validation.general == [
        f"Auto scaling › Scheduling › Daily schedule › Thursday › Stop time: {SAME_DAY}"
    ]
    assert wizard.review.problems.text().startswith("Cannot submit yet:")
    assert not wizard.review.isComplete()


def test_a_stop_past_midnight_the_model_already_has_is_kept_as_lisas_api_set_it(qtbot: QtBot) -> None:
    base = api_shape(MODEL)
    base["autoScalingConfig"]["scheduling"] = {
        "scheduleType": "DAILY",
        "timezone": "Europe/Berlin",
        "dailySchedule": {"wednesday": {"startTime": "22:00", "stopTime": "02:00"}, "monday": None},
        "scheduleEnabled": True,
        "scheduleConfigured": True,
        "lastScheduleFailed": False,
        "nextScheduledAction": {"action": "START", "scheduledTime": "2026-03-04T22:00:00+01:00"},
    }
    wizard = ModelWizard(WizardForm(Mode.UPDATE, stored_config(base), base=base))
    qtbot.addWidget(wizard)
    wizard.show()
    schedule = page(wizard)
    assert schedule.type.currentData() == "DAILY"
    assert schedule.days["wednesday"].stop.text() == "02:00"
    assert not schedule.days["wednesday"].problems.isVisible()
    assert schedule.isComplete()
    assert wizard.validation.general == ["nothing is changed yet: edit a field to make an update"]

    type_text(qtbot, wizard, "allowedGroups", "ops")  # another field: the stored schedule goes along unchanged
    assert wizard.validation.ok, (wizard.validation.general, wizard.validation.by_field)
    assert not wizard.validation.schedule_changed

    schedule.days["friday"].check.click()
    type_into(qtbot, schedule.days["friday"].start, "21:00")
    type_into(qtbot, schedule.days["friday"].stop, "03:00")  # a new window past midnight: refused
    assert schedule.days["friday"].problems.text() == f"stopTime: {SAME_DAY}"
    assert not schedule.days["wednesday"].problems.isVisible()
    assert not wizard.validation.ok
    type_into(qtbot, schedule.days["wednesday"].stop, "03:00")  # the stored window changed: refused as well
    assert schedule.days["wednesday"].problems.text() == f"stopTime: {SAME_DAY}"


def test_the_preview_lists_the_next_seven_actions_in_the_models_zone_and_the_local_time(qtbot: QtBot) -> None:
    wizard = update_wizard(qtbot, MODEL)
    page(wizard).now = lambda: datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Monday 17:00 in Berlin
    choose_type(wizard, "Every day")
    choose_zone(qtbot, wizard, "Europe/Berlin")
    type_into(qtbot, page(wizard).start, "08:00")
    type_into(qtbot, page(wizard).stop, "18:00")
    preview = page(wizard).preview
    rows = [tuple(preview.item(r, c).text() for c in range(3)) for r in range(preview.rowCount())]
    assert rows[:3] == [
        ("Stop", "Mon 02 Mar 18:00 CET", "Mon 02 Mar 12:00 EST"),
        ("Start", "Tue 03 Mar 08:00 CET", "Tue 03 Mar 02:00 EST"),
        ("Stop", "Tue 03 Mar 18:00 CET", "Tue 03 Mar 12:00 EST"),
    ]
    assert len(rows) == 7
    header = [preview.horizontalHeaderItem(c).text() for c in range(3)]
    assert header == ["Action", "Model's time (Europe/Berlin)", "Local time (America/New_York)"]


def test_a_change_of_the_schedule_and_other_fields_runs_the_update_then_the_schedule_job(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    model = "llama3-1-70b-instruct"
    window = make_window(backend)
    select(window, model)
    window.commands.update.trigger()
    wizard = open_wizard(window, qtbot)
    type_text(qtbot, wizard, "allowedGroups", "ops")
    go_to(wizard, PageId.SCHEDULE)
    assert page(wizard).type.currentData() == "RECURRING"  # the stored schedule
    assert page(wizard).zone.currentText() == "America/New_York"
    assert (page(wizard).start.text(), page(wizard).stop.text()) == ("07:00", "20:00")
    type_into(qtbot, page(wizard).stop, "21:00")
    go_to(wizard, PageId.REVIEW)
    rows = review_rows(wizard)
    assert rows["Auto scaling › Scheduling"] == (
        "every day 07:00–20:00 (America/New_York)",
        "every day 07:00–21:00 (America/New_York)",
    )
    assert "Allowed groups" in rows
    assert "once the update succeeded" in wizard.review.steps.text()
    submit_and_wait_closed(wizard, qtbot)
    qtbot.waitUntil(lambda: len(window.jobs.history(model)) == 2, timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.jobs.history(model)[0].ended is not None, timeout=JOB_TIMEOUT_MS)
    kinds = sorted(summary.kind.value for summary in window.jobs.history(model))
    assert kinds == ["schedule", "update"]
    assert all(summary.state == "Succeeded" for summary in window.jobs.history(model)), [
        (summary.kind, summary.message) for summary in window.jobs.history(model)
    ]
    config = backend.model_row(model).config
    assert "ops" in config["allowedGroups"]
    assert config["autoScalingConfig"]["scheduling"]["recurringSchedule"]["stopTime"] == "21:00"
    assert scheduled_actions(backend, model)[f"{model}-daily-stop"]["Recurrence"] == "0 21 * * *"


def test_a_stored_schedule_alone_is_no_change(qtbot: QtBot) -> None:
    wizard = update_wizard(qtbot, "llama3-1-70b-instruct")
    assert wizard.validation.general == ["nothing is changed yet: edit a field to make an update"]
    type_into(qtbot, page(wizard).stop, "21:00")
    assert wizard.validation.ok and wizard.validation.schedule_changed
    assert wizard.validation.request == {}


def test_drafts_keep_the_schedule_as_typed(qtbot: QtBot, tmp_path: Any) -> None:
    store = DraftStore(tmp_path / "drafts")
    wizard = update_wizard(qtbot, MODEL, store)
    choose_type(wizard, "Per weekday")
    choose_zone(qtbot, wizard, "Asia/Tokyo")
    page(wizard).days["tuesday"].check.click()
    type_into(qtbot, page(wizard).days["tuesday"].stop, "20:00")
    draft = wizard.save_draft()
    assert draft is not None
    [saved] = store.list()
    reopened = ModelWizard(WizardForm(Mode.UPDATE, saved.config, base=saved.base), drafts=store, draft=saved)
    qtbot.addWidget(reopened)
    assert page(reopened).type.currentData() == "DAILY"
    assert page(reopened).zone.currentText() == "Asia/Tokyo"
    assert page(reopened).days["tuesday"].check.isChecked()
    assert page(reopened).days["tuesday"].stop.text() == "20:00"
    assert not page(reopened).days["monday"].check.isChecked()


def test_a_third_party_model_has_no_schedule_page(qtbot: QtBot) -> None:
    wizard = update_wizard(qtbot, "claude-3-5-sonnet")
    assert not wizard.page_applies(PageId.SCHEDULE)
    assert update_wizard(qtbot, MODEL).page_applies(PageId.SCHEDULE)


def test_the_page_is_usable_with_the_keyboard_alone(qtbot: QtBot) -> None:
    wizard = update_wizard(qtbot, MODEL)
    wizard.setStartId(PAGE_IDS[PageId.SCHEDULE])
    wizard.restart()
    schedule = page(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    qtbot.keyClick(wizard, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)  # Sc&hedule
    qtbot.waitUntil(lambda: QApplication.focusWidget() is schedule.type)
    qtbot.keyClick(schedule.type, Qt.Key.Key_Down)
    assert schedule.type.currentData() == "RECURRING"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is schedule.zone.lineEdit() or QApplication.focusWidget() is schedule.zone
    type_into(qtbot, schedule.zone.lineEdit(), "Europe/Paris")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is schedule.start
    type_into(qtbot, schedule.start, "07:00")
    qtbot.keyClick(schedule.start, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is schedule.stop
    type_into(qtbot, schedule.stop, "19:00")
    assert wizard.validation.schedule == {
        "scheduleType": "RECURRING",
        "timezone": "Europe/Paris",
        "recurringSchedule": {"startTime": "07:00", "stopTime": "19:00"},
    }
    qtbot.keyClick(schedule.type, Qt.Key.Key_Down)
    assert schedule.type.currentData() == "DAILY"
    schedule.type.setFocus()
    qtbot.keyClick(schedule.type, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is schedule.days["monday"].check
    qtbot.keyClick(schedule.days["monday"].check, Qt.Key.Key_Space)
    assert schedule.days["monday"].check.isChecked()
    qtbot.keyClick(schedule.days["monday"].check, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is schedule.days["monday"].start
    assert wizard.validation.schedule is not None
    assert wizard.validation.schedule["dailySchedule"] == {"monday": {"startTime": "09:00", "stopTime": "17:00"}}


def test_a_create_carries_the_schedule_in_its_request(qtbot: QtBot) -> None:
    wizard = ModelWizard(WizardForm(Mode.CREATE, {}))
    qtbot.addWidget(wizard)
    form = wizard.form
    for path, value in (
        ("hostingType", "lisa_hosted"),
        ("modelId", "scheduled-model"),
        ("modelName", "org/model"),
        ("instanceType", "g5.xlarge"),
        ("inferenceContainer", "vllm"),
        ("containerConfig.image.baseImage", "vllm/vllm-openai:v0.5.0"),
    ):
        form.set_value(path, value)
    wizard._load_pages()
    assert wizard.page_applies(PageId.SCHEDULE)
    choose_type(wizard, "Every day")
    choose_zone(qtbot, wizard, "Europe/Berlin")
    assert wizard.validation.ok, (wizard.validation.general, wizard.validation.by_field)
    assert wizard.validation.request is not None
    assert wizard.validation.request["autoScalingConfig"]["scheduling"] == {
        "scheduleType": "RECURRING",
        "timezone": "Europe/Berlin",
        "recurringSchedule": {"startTime": "09:00", "stopTime": "17:00"},
    }
    form.set_value("hostingType", "third_party")
    assert not wizard.page_applies(PageId.SCHEDULE)
