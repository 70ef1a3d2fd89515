"""The wizard's Schedule page (LISA-hosted models): none, every day (LISA's RECURRING) or per weekday (DAILY) with
a start and stop time per chosen day, the IANA time zone, LISA's rules checked as you type (its API's by the engine's
schema, and its web console's stop later than the start on the same day), and the next seven actions in the model's
time zone and the workstation's."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from engine.errors import Problem
from engine.schedules.timing import Now, next_actions, wall_now
from engine.schedules.zone import workstation_zone
from engine.schema.config import DAYS
from ui.wizard.field_names import label_of
from ui.wizard.form import Validation, WizardForm
from ui.wizard.schedule_form import (
    DAILY,
    RECURRING,
    SCHEDULING_PATH,
    console_problems,
    parsed_schedule,
    schedule_problems,
)
from ui.wizard.specs import PAGE_SUBTITLES, PageId

ScheduleEdit = Callable[[dict[str, Any] | None], None]
NONE_TEXT: Final = "None: the model runs until it is stopped"
TYPES: Final = ((NONE_TEXT, None), ("Every day", RECURRING), ("Per weekday", DAILY))
PREVIEW_COUNT: Final = 7
REFRESH_MS: Final = 60_000
"""The preview moves on as time passes."""
DEFAULT_WINDOW: Final = ("09:00", "17:00")
"""What a newly ticked day or a new every-day schedule starts with (every value is editable)."""
ERROR_STYLE: Final = "color: #d1242f;"
HINT: Final = (
    "Times are HH:MM (24-hour) in the time zone. Each stop is at least 2 hours after its start, on the same day: "
    "as in LISA's web console, a stop past midnight is refused (one the model already has is kept)."
)


class _Day:
    """One weekday's row: ticked or not, its start and stop, and what is wrong with them."""

    def __init__(self, day: str, grid: QGridLayout, row: int, parent: QWidget) -> None:
        self.day = day
        self.check = QCheckBox(day.capitalize(), parent)
        self.check.setObjectName(f"schedule:daily.{day}")
        self.start = _time_edit(f"schedule:daily.{day}.startTime", f"{day.capitalize()} start", parent)
        self.stop = _time_edit(f"schedule:daily.{day}.stopTime", f"{day.capitalize()} stop", parent)
        self.problems = _problem_label(f"schedule:daily.{day}.problems", parent)
        grid.addWidget(self.check, row, 0)
        grid.addWidget(self.start, row, 1)
        grid.addWidget(self.stop, row, 2)
        grid.addWidget(self.problems, row, 3)

    def window(self) -> dict[str, str] | None:
        if not self.check.isChecked():
            return None
        return {"startTime": self.start.text().strip(), "stopTime": self.stop.text().strip()}

    def show(self, window: Any) -> None:
        ticked = isinstance(window, Mapping)
        self.check.setChecked(ticked)
        if ticked:
            self.start.setText(str(window.get("startTime") or ""))
            self.stop.setText(str(window.get("stopTime") or ""))
        self.enable()

    def enable(self) -> None:
        on = self.check.isChecked()
        if on and not self.start.text() and not self.stop.text():
            self.start.setText(DEFAULT_WINDOW[0])
            self.stop.setText(DEFAULT_WINDOW[1])
        self.start.setEnabled(on)
        self.stop.setEnabled(on)


def _time_edit(name: str, accessible: str, parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText("HH:MM")
    edit.setMaxLength(5)
    edit.setFixedWidth(edit.fontMetrics().horizontalAdvance("00:00") * 2 + 16)
    return edit


def _problem_label(name: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


def _show_problems(label: QLabel, problems: list[str]) -> None:
    label.setText("\n".join(problems))
    label.setVisible(bool(problems))


class SchedulePage(QWizardPage):
    def __init__(self, on_edit: ScheduleEdit, parent: QWidget | None = None, *, now: Now = wall_now) -> None:
        super().__init__(parent)
        self.setObjectName("page:schedule")
        self.setTitle(PageId.SCHEDULE.value)
        self.setSubTitle(PAGE_SUBTITLES[PageId.SCHEDULE])
        self.now = now
        """The clock of the preview (tests set a fixed one)."""
        self._on_edit = on_edit
        self._loading = False
        self._complete = True
        self._form: WizardForm | None = None

        self.type = QComboBox(self)
        self.type.setObjectName("schedule:type")
        for text, value in TYPES:
            self.type.addItem(text, value)
        self.zone = QComboBox(self)
        self.zone.setObjectName("schedule:timezone")
        self.zone.setEditable(True)
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone.addItems(sorted(zoneinfo.available_timezones()))
        completer = QCompleter(self.zone.model(), self.zone)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.zone.setCompleter(completer)
        self.zone.setToolTip("An IANA time zone: type part of its name (Berlin, New_York) to find it")
        self.zone_problems = _problem_label("schedule:timezone.problems", self)

        self.recurring = QWidget(self)
        self.recurring.setObjectName("schedule:recurring")
        every_day = QGridLayout(self.recurring)
        every_day.setContentsMargins(0, 0, 0, 0)
        self.start = _time_edit("schedule:recurring.startTime", "Start every day", self.recurring)
        self.stop = _time_edit("schedule:recurring.stopTime", "Stop every day", self.recurring)
        for position, (text, edit) in enumerate((("S&tart", self.start), ("St&op", self.stop))):
            label = QLabel(text, self.recurring)
            label.setBuddy(edit)
            every_day.addWidget(label, 0, 2 * position)
            every_day.addWidget(edit, 0, 2 * position + 1)
        every_day.setColumnStretch(4, 1)
        self.recurring_problems = _problem_label("schedule:recurring.problems", self.recurring)
        every_day.addWidget(self.recurring_problems, 1, 0, 1, 5)

        self.daily = QWidget(self)
        self.daily.setObjectName("schedule:daily")
        grid = QGridLayout(self.daily)
        grid.setContentsMargins(0, 0, 0, 0)
        for column, heading in enumerate(("Day", "Start", "Stop")):
            grid.addWidget(QLabel(f"<b>{heading}</b>", self.daily), 0, column)
        self.days = {day: _Day(day, grid, row, self.daily) for row, day in enumerate(DAYS, start=1)}
        grid.setColumnStretch(3, 1)
        self.daily_problems = _problem_label("schedule:daily.problems", self.daily)
        grid.addWidget(self.daily_problems, len(DAYS) + 1, 0, 1, 4)

        self.preview_title = QLabel(self)
        self.preview_title.setObjectName("schedule:previewTitle")
        self.preview = QTableWidget(0, 3, self)
        self.preview.setObjectName("schedule:preview")
        self.preview.verticalHeader().hide()
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.preview.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("schedule:hint")
        self.hint.setWordWrap(True)

        fields = QFormLayout()
        fields.addRow("Sc&hedule", self.type)
        fields.addRow("Time &zone", self.zone)
        fields.addRow("", self.zone_problems)
        fields.addRow("", self.hint)
        fields.addRow("Every day", self.recurring)
        fields.addRow("Days", self.daily)
        self._fields = fields
        page_layout = QVBoxLayout(self)
        page_layout.addLayout(fields)
        page_layout.addWidget(self.preview_title)
        page_layout.addWidget(self.preview, 1)
        self.setTabOrder(self.type, self.zone)
        self.setTabOrder(self.zone, self.start)
        self.setTabOrder(self.start, self.stop)
        previous: QWidget = self.stop
        for day in self.days.values():
            for widget in (day.check, day.start, day.stop):
                self.setTabOrder(previous, widget)
                previous = widget

        self.type.currentIndexChanged.connect(self._type_chosen)
        self.zone.currentTextChanged.connect(lambda _text: self._edited())
        for edit in (self.start, self.stop):
            edit.textEdited.connect(lambda _text: self._edited())
        for day in self.days.values():
            day.check.toggled.connect(lambda _on, day=day: self._day_ticked(day))
            day.start.textEdited.connect(lambda _text: self._edited())
            day.stop.textEdited.connect(lambda _text: self._edited())
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_preview)
        self._timer.start()
        self._show_type()

    # -- the form's schedule in, the page's out ----------------------------------------------------------------

    def load(self, form: WizardForm) -> None:
        """Show the form's schedule (a model's stored one, a draft's, or none with the workstation's zone)."""
        self._form = form
        scheduling = form.value(SCHEDULING_PATH)
        given = scheduling if isinstance(scheduling, Mapping) and scheduling.get("scheduleType") else {}
        self._loading = True
        try:
            kind = given.get("scheduleType")
            self.type.setCurrentIndex(max(0, self.type.findData(kind)) if kind else 0)
            self.zone.setCurrentText(str(given.get("timezone") or workstation_zone()))
            recurring = given.get("recurringSchedule")
            recurring = recurring if isinstance(recurring, Mapping) else {}
            self.start.setText(str(recurring.get("startTime") or ""))
            self.stop.setText(str(recurring.get("stopTime") or ""))
            daily = given.get("dailySchedule")
            daily = daily if isinstance(daily, Mapping) else {}
            for day, row in self.days.items():
                row.show(daily.get(day))
        finally:
            self._loading = False
        self._show_type()
        self.refresh_preview()

    def scheduling(self) -> dict[str, Any] | None:
        """The schedule as typed, in LISA's SchedulingConfig shape (None: no schedule)."""
        kind = self.type.currentData()
        if kind is None:
            return None
        data: dict[str, Any] = {"scheduleType": kind, "timezone": self.zone.currentText().strip()}
        if kind == RECURRING:
            data["recurringSchedule"] = {"startTime": self.start.text().strip(), "stopTime": self.stop.text().strip()}
        else:
            data["dailySchedule"] = {day: window for day, row in self.days.items() if (window := row.window())}
        return data

    def _type_chosen(self) -> None:
        if (
            not self._loading
            and self.type.currentData() == RECURRING
            and not self.start.text()
            and not self.stop.text()
        ):
            self.start.setText(DEFAULT_WINDOW[0])
            self.stop.setText(DEFAULT_WINDOW[1])
        self._show_type()
        self._edited()

    def _day_ticked(self, day: _Day) -> None:
        if self._loading:
            return
        day.enable()
        self._edited()

    def _show_type(self) -> None:
        kind = self.type.currentData()
        self.zone.setEnabled(kind is not None)
        self._fields.setRowVisible(self.hint, kind is not None)
        self._fields.setRowVisible(self.recurring, kind == RECURRING)
        self._fields.setRowVisible(self.daily, kind == DAILY)

    def _edited(self) -> None:
        if self._loading:
            return
        self._on_edit(self.scheduling())

    # -- what is wrong, and what will happen ---------------------------------------------------------------

    def local_problems(self) -> list[str]:
        """What LISA's web console refuses beyond its API's rules (a stop not later than its start on the same
        day), which the engine's schema, keeping the API's rules, does not: as the review lists them."""
        if self._form is None:
            return []
        return [
            f"{label_of(f'autoScalingConfig.{problem.field}')}: {problem.rule}"
            for problem in console_problems(self._form.config, self._form.base_config)
        ]

    def show_validation(self, validation: Validation, form: WizardForm) -> None:
        """LISA's rules for the schedule, each under the field it names; `local_problems` join `validation`'s
        problems (unless the wizard added them), so that the review lists them and Submit stays disabled."""
        self._form = form
        problems = schedule_problems(form.config, form.base_config)
        for text in self.local_problems():
            if text not in validation.general:
                validation.general.append(text)
        zone: list[str] = []
        recurring: list[str] = []
        general: list[str] = []
        per_day: dict[str, list[str]] = {day: [] for day in DAYS}
        for problem in problems:
            where = problem.field.removeprefix("scheduling").lstrip(".")
            text = _text(problem, where)
            if where.startswith("timezone"):
                zone.append(text)
            elif where.startswith("recurringSchedule"):
                recurring.append(text)
            elif where.startswith("dailySchedule.") and where.split(".")[1] in per_day:
                per_day[where.split(".")[1]].append(text)
            else:
                general.append(text)
        _show_problems(self.zone_problems, zone)
        _show_problems(self.recurring_problems, recurring)
        _show_problems(self.daily_problems, general)
        for day, row in self.days.items():
            _show_problems(row.problems, per_day[day])
        complete = not problems
        if complete != self._complete:
            self._complete = complete
            self.completeChanged.emit()
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """The next seven actions of the schedule as typed, in its zone and the workstation's."""
        schedule = parsed_schedule(self._form.config) if self._form is not None else None
        local = ZoneInfo(workstation_zone())
        self.preview.setHorizontalHeaderLabels(
            ["Action", f"Model's time ({schedule.timezone if schedule else 'its zone'})", f"Local time ({local.key})"]
        )
        if schedule is None:
            self.preview_title.setText(
                "<b>Next actions</b>: none (no schedule)"
                if self.type.currentData() is None
                else "<b>Next actions</b>: shown once the schedule keeps LISA's rules"
            )
            self.preview.setRowCount(0)
            return
        upcoming = next_actions(schedule, self.now(), PREVIEW_COUNT)
        self.preview_title.setText(f"<b>Next {len(upcoming)} actions</b> from {_when(self.now().astimezone(local))}")
        self.preview.setRowCount(len(upcoming))
        for row, action in enumerate(upcoming):
            texts = (
                "Start" if action.action == "START" else "Stop",
                _when(action.at),
                _when(action.at.astimezone(local)),
            )
            for column, text in enumerate(texts):
                self.preview.setItem(row, column, QTableWidgetItem(text))

    def isComplete(self) -> bool:
        return self._complete


def _text(problem: Problem, where: str) -> str:
    name = where.rsplit(".", 1)[-1] if where else "schedule"
    return f"{name}: {problem.rule}"


def _when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %H:%M %Z")
