"""The table's "Next action" column: the same text as the engine's `next_action_text`, computed from the row's
short schedule; the seeded models' at a fixed clock; moved on by the minute timer; a scheduled stop fired in
the sandbox seen in the table as Stopped; and the details' Schedule section with its status as LISA reports it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow, json_text
from engine.schedules import timing
from engine.schedules.actions import day_schedules
from engine.schedules.record import parse_schedule
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import row, select
from ui import next_action
from ui.main_window import MainWindow
from ui.model_table import Column
from ui.next_action import next_action_text
from ui.schedule_details import ScheduleSection

MONDAY_10_NEW_YORK = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
"""A moment the seeded models' statuses agree with their schedules: llama3-8b-tgi (Tuesday to Friday) Stopped,
llama3-1-70b-instruct (every day 07:00-20:00 in New York) InService."""
SCHEDULES = (
    {
        "scheduleType": "RECURRING",
        "timezone": "Europe/Berlin",
        "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
    },
    {
        "scheduleType": "RECURRING",
        "timezone": "America/New_York",
        "recurringSchedule": {"startTime": "22:00", "stopTime": "6:00"},
    },
    {
        "scheduleType": "DAILY",
        "timezone": "Asia/Kolkata",
        "dailySchedule": {
            "monday": {"startTime": "09:00", "stopTime": "17:00"},
            "friday": {"startTime": "23:30", "stopTime": "02:00"},
        },
    },
    {
        "scheduleType": "DAILY",
        "timezone": "Europe/London",
        "dailySchedule": {"sunday": {"startTime": "01:30", "stopTime": "04:00"}},
    },
)


@pytest.fixture(autouse=True)
def fresh_instant() -> Iterator[None]:
    yield
    next_action._shown_at.clear()


def short_form(schedule: dict) -> str:
    parsed = parse_schedule(schedule)
    windows = [[day, window.startTime, window.stopTime] for day, window in day_schedules(parsed)]
    return json_text({"timezone": parsed.timezone, "windows": windows})


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_the_column_says_what_the_engine_says_across_weeks_and_clock_changes(schedule: dict) -> None:
    parsed = parse_schedule(schedule)
    compact = short_form(schedule)
    moment = datetime(2026, 3, 20, 0, 7, tzinfo=UTC)  # the week of Europe's and a week after America's DST change
    for _ in range(24 * 9):
        assert next_action_text(compact, moment) == (timing.next_action_text(parsed, moment) or ""), moment
        moment += timedelta(minutes=53)


def test_no_schedule_reads_empty() -> None:
    assert next_action_text(None, MONDAY_10_NEW_YORK) == ""


def texts(window: MainWindow) -> dict[str, str]:
    model = window.table_model
    return {r.model_id: model.index(p, Column.NEXT_ACTION).data() for p, r in enumerate(model.rows())}


def test_the_seeded_schedules_next_actions_at_a_fixed_clock_moved_on_by_the_minute_timer(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(shared_backend)
    monkeypatch.setattr(next_action, "clock", lambda: MONDAY_10_NEW_YORK)
    window.table_model.next_action_timer.timeout.emit()
    shown = texts(window)
    assert row(window, "llama3-8b-tgi").status == "Stopped"
    assert shown["llama3-8b-tgi"] == "starts Tue 09:00 CET"  # Tue–Fri 09:00–17:00 Europe/Berlin
    assert row(window, "llama3-1-70b-instruct").status == "InService"
    assert shown["llama3-1-70b-instruct"] == "stops 20:00 EST"  # every day 07:00–20:00 America/New_York
    assert {model for model, text in shown.items() if text} == {"llama3-8b-tgi", "llama3-1-70b-instruct"}
    assert window.table_model.index(0, Column.NEXT_ACTION).data(3).startswith("No schedule")  # tooltip

    tuesday_evening_in_berlin = datetime(2026, 3, 3, 17, 30, tzinfo=UTC)
    monkeypatch.setattr(next_action, "clock", lambda: tuesday_evening_in_berlin)
    window.table_model.next_action_timer.timeout.emit()
    shown = texts(window)
    assert shown["llama3-8b-tgi"] == "starts Wed 09:00 CET"
    assert shown["llama3-1-70b-instruct"] == "stops 20:00 EST"
    assert window.table_model.next_action_timer.interval() == 60_000


def test_a_fired_scheduled_stop_shows_the_model_stopped_after_a_refresh(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    model = "llama3-1-70b-instruct"
    window = make_window(own_backend, refresh_ms=(300, 300))
    assert row(window, model).status == "InService"
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    assert sandbox.simulator.fire_scheduled_action(f"{model}-daily-stop")
    qtbot.waitUntil(lambda: row(window, model).status == "Stopped", timeout=60_000)
    assert row(window, model).schedule_json is not None  # the schedule stays: it starts the model again


def test_details_show_the_schedule_its_status_and_next_actions(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setattr(next_action, "clock", lambda: MONDAY_10_NEW_YORK)
    window = make_window(shared_backend)
    select(window, "llama3-8b-tgi")
    section = window.details.schedule
    qtbot.waitUntil(section.isVisible)
    facts = {key: label.text() for key, label in section.facts.items()}
    assert facts["type"] == "Per weekday (DAILY)"
    assert facts["zone"] == "Europe/Berlin"
    assert facts["windows"].splitlines() == [f"{day} 09:00–17:00" for day in ("Tue", "Wed", "Thu", "Fri")]
    assert "ACTIVE" in facts["status"]
    assert facts["next"].split("<br>") == [
        "Start Tue 09:00 CET · 08:00 local",
        "Stop Tue 17:00 CET · 16:00 local",
        "Start Wed 09:00 CET · 08:00 local",
    ]
    assert not section.facts["failure"].isVisible()

    select(window, "mistral-7b-instruct")
    assert section.facts["type"].text() == "None: runs until stopped"
    assert not section.facts["zone"].isVisible()
    select(window, "claude-3-5-sonnet")
    assert not section.isVisible()


def test_a_failed_schedule_reads_failed_with_the_last_failure() -> None:
    from ui.schedule_details import failure_text, schedule_status

    scheduling = {
        "scheduleType": "RECURRING",
        "scheduleConfigured": True,
        "lastScheduleFailed": True,
        "lastScheduleFailure": {"timestamp": "2026-03-02T10:00:00+00:00", "error": "AccessDenied", "retryCount": 0},
    }
    assert schedule_status(scheduling) == "FAILED"
    assert failure_text(scheduling).startswith("AccessDenied (2026-03-02 ")
    assert schedule_status({"scheduleConfigured": True}) == "ACTIVE"
    assert schedule_status({}) == "DISABLED"


def hosted_row(scheduling: dict[str, Any] | None) -> ModelRow:
    return ModelRow.of(
        model_id="m",
        model_name="org/m",
        hosting="lisa_hosted",
        model_type="textgen",
        status="InService",
        config={"autoScalingConfig": {"minCapacity": 1, "maxCapacity": 2, "scheduling": scheduling}},
    )


@pytest.fixture
def section(qtbot: QtBot) -> ScheduleSection:
    shown = ScheduleSection()
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


FAILURE = {"timestamp": "2026-03-02T10:00:00+00:00", "error": "AccessDenied: autoscaling", "retryCount": 0}


def test_the_section_shows_a_failed_schedule_with_its_last_failure(section: ScheduleSection) -> None:
    section.show_row(
        hosted_row(
            {
                "scheduleType": "RECURRING",
                "timezone": "Europe/Berlin",
                "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
                "scheduleEnabled": True,
                "scheduleConfigured": True,
                "lastScheduleFailed": True,
                "lastScheduleFailure": FAILURE,
            }
        )
    )
    assert section.facts["status"].isVisible()
    assert "FAILED" in section.facts["status"].text()
    assert section.facts["failure"].isVisible()
    assert section.facts["failure"].text().startswith("AccessDenied: autoscaling (2026-03-02 ")


def test_the_section_shows_disabled_for_a_record_with_only_lisas_schedule_metadata(section: ScheduleSection) -> None:
    """A create whose schedule LISA could not set leaves the flags and the failure in `scheduling`, no schedule:
    LISA's status route reports DISABLED (not configured), which the section shows with the failure."""
    section.show_row(
        hosted_row(
            {
                "scheduleEnabled": False,
                "scheduleConfigured": False,
                "lastScheduleFailed": True,
                "lastScheduleFailure": FAILURE,
            }
        )
    )
    assert section.facts["type"].text() == "None: runs until stopped"
    assert section.facts["status"].isVisible()
    assert section.facts["status"].text() == "DISABLED"
    assert section.facts["failure"].isVisible()
    assert not section.facts["windows"].isVisible() and not section.facts["next"].isVisible()

    section.show_row(hosted_row({"scheduleEnabled": False, "scheduleConfigured": False}))
    assert section.facts["status"].isVisible() and section.facts["status"].text() == "DISABLED"
    assert not section.facts["failure"].isVisible()

    section.show_row(hosted_row(None))
    assert not section.facts["status"].isVisible()


def test_the_next_actions_take_the_height_their_text_needs_after_another_model_was_shown(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The word-wrapped label kept the height of the previous model's text: the third action was cut off."""
    monkeypatch.setattr(next_action, "clock", lambda: MONDAY_10_NEW_YORK)
    window = make_window(shared_backend)
    window.resize(1280, 800)
    next_actions = window.details.schedule.facts["next"]

    def fits() -> bool:
        return next_actions.height() >= next_actions.heightForWidth(next_actions.width())

    for model in ("llama3-1-70b-instruct", "mistral-7b-instruct", "llama3-8b-tgi"):
        select(window, model)
        qtbot.waitUntil(lambda: window.details.schedule.isVisible())
        if next_actions.isVisible():
            assert next_actions.text().count("<br>") == 2  # three actions
            qtbot.waitUntil(fits, timeout=3000)
