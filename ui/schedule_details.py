"""The details pane's Schedule section: a LISA-hosted model's schedule (type, time zone, windows), its status as
LISA's schedule status route reports it (ACTIVE, FAILED, DISABLED, the last failure) and its next actions, all
from the row (no AWS call)."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from engine.model_row import ModelRow
from engine.schedules.names import START
from engine.schedules.zone import workstation_zone
from ui import next_action

DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TYPE_TEXT: Final = {"RECURRING": "Every day (RECURRING)", "DAILY": "Per weekday (DAILY)"}
SHOWN_ACTIONS: Final = 3
ACTIVE: Final = "ACTIVE"
FAILED: Final = "FAILED"
DISABLED: Final = "DISABLED"


def scheduling_of(config: Mapping[str, Any]) -> Mapping[str, Any]:
    scaling = config.get("autoScalingConfig")
    scheduling = scaling.get("scheduling") if isinstance(scaling, Mapping) else None
    return scheduling if isinstance(scheduling, Mapping) else {}


def schedule_status(scheduling: Mapping[str, Any]) -> str:
    """As LISA's GetScheduleStatusHandler: DISABLED unless scheduleConfigured, FAILED when lastScheduleFailed,
    else ACTIVE."""
    if not scheduling.get("scheduleConfigured"):
        return DISABLED
    return FAILED if scheduling.get("lastScheduleFailed") else ACTIVE


def windows_text(scheduling: Mapping[str, Any]) -> str:
    if scheduling.get("scheduleType") == "RECURRING":
        window = scheduling.get("recurringSchedule")
        return f"every day {_window(window)}" if isinstance(window, Mapping) else "–"
    daily = scheduling.get("dailySchedule")
    if not isinstance(daily, Mapping):
        return "–"
    days = [f"{day[:3].capitalize()} {_window(daily[day])}" for day in DAYS if isinstance(daily.get(day), Mapping)]
    return "\n".join(days) or "–"


def _window(window: Mapping[str, Any]) -> str:
    return f"{window.get('startTime', '?')}–{window.get('stopTime', '?')}"


def _local(at: datetime) -> str:
    """`16:00`, or `Tue 02:00` when the workstation's day is another than the model's."""
    here = at.astimezone(ZoneInfo(workstation_zone()))
    return here.strftime("%H:%M") if here.date() == at.date() else here.strftime("%a %H:%M")


def failure_text(scheduling: Mapping[str, Any]) -> str:
    failure = scheduling.get("lastScheduleFailure")
    if not isinstance(failure, Mapping):
        return ""
    when = str(failure.get("timestamp") or "")
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(when).astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{failure.get('error') or 'unknown error'} ({when})" if when else str(failure.get("error") or "")


class ScheduleSection(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleSection")
        heading = QLabel("<b>Schedule</b>", self)
        self.facts: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        for key, label in (
            ("type", "Type"),
            ("zone", "Time zone"),
            ("windows", "Runs"),
            ("status", "Status"),
            ("failure", "Last failure"),
            ("next", "Next actions"),
        ):
            value = QLabel(self)
            value.setObjectName(f"schedule:{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[key] = value
            form.addRow(f"{label}:", value)
        self.form = form
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 6, 0, 0)
        column.addWidget(heading)
        column.addLayout(form)

    def show_row(self, row: ModelRow) -> None:
        """The row's schedule; hidden for a model that cannot have one (not LISA-hosted). The status shows whenever
        the record has a `scheduling` map, with a schedule or only the metadata LISA's schedule management left."""
        self.setVisible(row.lisa_hosted)
        scheduling = scheduling_of(row.config)
        kind = scheduling.get("scheduleType")
        configured = bool(kind)
        self.facts["type"].setText(TYPE_TEXT.get(str(kind), str(kind)) if configured else "None: runs until stopped")
        for key in ("zone", "windows", "next"):
            self.form.setRowVisible(self.facts[key], configured)
        self.form.setRowVisible(self.facts["status"], bool(scheduling))
        failure = failure_text(scheduling)
        self.form.setRowVisible(self.facts["failure"], bool(failure))
        self.facts["failure"].setText(failure)
        if scheduling:
            status = schedule_status(scheduling)
            colour = {ACTIVE: "#1a7f37", FAILED: "#d1242f"}.get(status)
            self.facts["status"].setText(f"<b style='color:{colour}'>{status}</b>" if colour else status)
            self.facts["status"].setToolTip(
                "As LISA's schedule status route reports it: ACTIVE (scheduled actions set), FAILED (the last "
                "change of the schedule failed), DISABLED (no schedule configured)"
            )
        if configured:
            self._show_times(row, scheduling)
        # A word-wrapped label keeps the height of its old text until its layout is told the text changed.
        self.form.invalidate()

    def _show_times(self, row: ModelRow, scheduling: Mapping[str, Any]) -> None:
        self.facts["zone"].setText(str(scheduling.get("timezone") or "UTC"))
        self.facts["windows"].setText(windows_text(scheduling))
        upcoming = next_action.upcoming(row.schedule_json, next_action.clock(), SHOWN_ACTIONS)
        lines = [
            f"{'Start' if action == START else 'Stop'} {at.strftime('%a %H:%M %Z')} · {_local(at)} local"
            for action, at in upcoming
        ]
        self.facts["next"].setText("<br>".join(html.escape(line) for line in lines) or "–")
