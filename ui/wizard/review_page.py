"""The last page: what will change (old → new, from plan()), the steps that will run, what is wrong, and the
container-restart acknowledgement that must be ticked before Submit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from engine.plan import Plan, Step, create_steps
from ui.wizard import guardrail_review
from ui.wizard.field_names import label_of, tooltip_of
from ui.wizard.form import Mode, Validation, WizardForm
from ui.wizard.schedule_form import SCHEDULING_PATH, given_schedule, schedule_text
from ui.wizard.specs import CONTEXT_WINDOW, PAGE_SUBTITLES, PageId

RESTART_WARNING = "Container restart required — this will cause a temporary outage"
RESTART_ACK = "&I understand: the model's containers restart and it is briefly unavailable"
STEP_TEXT = {
    str(Step.METADATA): "metadata — one conditional write of the model record; nothing else is touched",
    str(Step.INTAKE): "intake — the record moves to a transitional status, only if nobody changed it meanwhile",
    str(Step.ECS): "ECS — a new task-definition revision rolls out (containers restart); rolled back on failure",
    str(Step.CAPACITY): "capacity — the Auto Scaling group takes the new bounds; waits for healthy instances",
    str(Step.LITELLM_UNREGISTER): "LiteLLM — the model is unregistered",
    str(Step.LITELLM_REGISTER): "LiteLLM — the model is registered",
    str(Step.FINALIZE): "finalize — the new configuration is stored and the status restored",
    "network": "network — the deployment's VPC and subnets are found",
    "stack": "stack — a CloudFormation stack builds the ECS service, Auto Scaling group and load balancer",
    "litellm": "LiteLLM — the model is registered",
    **guardrail_review.STEP_TEXT,
}
SCHEDULE_STEPS = (
    "intake — the model is held, its status unchanged (LISA's schedule route)",
    "schedule — the model's scheduled actions are replaced by the new schedule's (or removed)",
    "capacity — outside the schedule's window now, the model is scaled to 0 at once (as LISA)",
    "finalize — the schedule is written to the record (autoScalingConfig.scheduling)",
)
SCHEDULE_THEN = (
    "the schedule job sets the schedule (LISA's update request carries no schedule: its UI calls the schedule "
    "route on its own); it does not run when the update fails"
)
CONTEXT_WINDOW_STEP = (
    "context window — one write of the model record's contextWindow, as LISA's context-window route writes it; "
    "nothing restarts"
)
CONTEXT_WINDOW_IMPACT = "written first, on its own"
RUN_BY_NOTE = (
    "Run by {who}: Submit sends the change to {who}'s API once the checks above pass; {who}'s state machine runs it "
    "and the Jobs panel follows it. {who} cannot cancel a change it accepted: no Cancel is offered."
)
RUN_BY_STEP_TEXT = {
    str(Step.ECS): "ECS — a new task-definition revision rolls out (containers restart); LISA does not roll it back "
    "on failure",
}
"""Steps that LISA's state machine runs differently from this console's jobs."""
RUN_BY_ROLLOUT = (
    "The new task-definition revision replaces the running containers; while they start and pass their health "
    "checks the model may not answer. If the rollout fails, LISA does not put the previous revision back."
)
HIDDEN = "••••••"
NOW_COLUMN, IMPACT_COLUMN = 1, 3
"""Empty for a create (nothing exists yet): hidden then."""


class ReviewPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page:review")
        self.setTitle(PageId.REVIEW.value)
        self.setSubTitle(PAGE_SUBTITLES[PageId.REVIEW])
        self.setFinalPage(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.changes = QTableWidget(0, 4, self)
        self.changes.setObjectName("reviewChanges")
        self.changes.setHorizontalHeaderLabels(["Field", "Now", "New", "Impact"])
        self.changes.verticalHeader().hide()
        self.changes.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.changes.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changes.setWordWrap(False)
        header = self.changes.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.steps = QLabel(self)
        self.steps.setObjectName("reviewSteps")
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.problems = QLabel(self)
        self.problems.setObjectName("reviewProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #d1242f;")
        self.warning = QFrame(self)
        self.warning.setObjectName("restartWarning")
        self.warning.setStyleSheet(
            "#restartWarning { background: rgba(227, 160, 8, 0.22); border: 1px solid rgb(191, 135, 0);"
            " border-radius: 4px; }"
        )
        warning_text = QLabel(f"<b>⚠ {RESTART_WARNING}</b>", self.warning)
        warning_text.setObjectName("restartWarningText")
        warning_text.setWordWrap(True)
        self.warning_detail = QLabel(self.warning)
        self.warning_detail.setWordWrap(True)
        self.ack = QCheckBox(RESTART_ACK, self.warning)
        self.ack.setObjectName("restartAck")
        self.ack.toggled.connect(lambda _on: self.completeChanged.emit())
        box = QVBoxLayout(self.warning)
        box.addWidget(warning_text)
        box.addWidget(self.warning_detail)
        box.addWidget(self.ack)
        self.warning.hide()
        self.submit_note = QLabel(self)
        self.submit_note.setObjectName("submitNote")
        self.submit_note.setWordWrap(True)
        column = QVBoxLayout(self)
        column.addWidget(self.summary)
        column.addWidget(self.changes, 1)
        column.addWidget(self.steps)
        column.addWidget(self.problems)
        column.addWidget(self.warning)
        column.addWidget(self.submit_note)
        self._validation = Validation()
        self._refusal: str | None = None
        self._change_set: tuple[str, ...] | None = None
        self._run_by: str | None = None
        self._failure: str | None = None
        """Why the last Submit did not go through; shown until the next review."""

    @property
    def requires_ack(self) -> bool:
        plan = self._validation.plan
        return plan is not None and plan.requires_ack

    def show_review(
        self, form: WizardForm, validation: Validation, refusal: str | None, *, run_by: str | None = None
    ) -> None:
        """Draw the review; the acknowledgement resets whenever the set of changes differs from the last one.
        `run_by`: who runs the job when not this console (team mode: `LISA`, which cannot cancel it)."""
        self._validation = validation
        self._refusal = refusal
        self._run_by = run_by
        self._failure = None
        plan = validation.plan
        if form.mode is Mode.CREATE:
            self._show_create(form, validation)
        else:
            self._show_update(form, plan)
            if validation.schedule_changed:
                self._show_schedule(form, validation)
            if validation.context_window is not None:
                self._show_context_window(form, validation)
        change_set = tuple(change.describe() for change in plan.changes) if plan else ()
        if change_set != self._change_set:
            self._change_set = change_set
            self.ack.setChecked(False)
        self.warning.setVisible(self.requires_ack)
        problems = list(validation.general) + [
            f"{label_of(path)}: {rule}" for path, rules in validation.by_field.items() for rule in rules
        ]
        self.problems.setText(
            "Cannot submit yet:\n" + "\n".join(f"• {problem}" for problem in problems) if problems else ""
        )
        self.problems.setVisible(bool(problems))
        self._show_submit_note()
        self.completeChanged.emit()

    def _show_create(self, form: WizardForm, validation: Validation) -> None:
        request = validation.request or form.create_request()
        self.summary.setText(
            f"<b>Create {form.model_id or '(no model id yet)'}</b>, a {form.hosting} model. These fields will be set:"
        )
        plain = {key: value for key, value in request.items() if not guardrail_review.is_guardrail_field(key)}
        rows: list[tuple[str, ...]] = [(path, "—", _show(path, value), "") for path, value in _leaves(plain)]
        rows.extend(guardrail_review.create_rows(request))
        self._fill(rows, create=True)
        steps = guardrail_review.create_steps_with_guardrails(create_steps(form.hosting), request)
        self.steps.setText(_steps_html(steps, self._run_by))

    def _show_update(self, form: WizardForm, plan: Plan | None) -> None:
        status = f" (now {form.status})" if form.status else ""
        if plan is None:
            self.summary.setText(f"<b>Update {form.model_id}</b>{status}")
            self._fill([], create=False)
            self.steps.setText("")
            return
        count = len(plan.changes)
        self.summary.setText(
            f"<b>Update {form.model_id}</b>{status}: {count} field{'s' if count != 1 else ''} change."
            + (" Containers restart." if plan.restarts_containers else " The model keeps serving.")
        )
        rows = []
        for change in plan.changes:
            if guardrail_review.is_guardrail_field(change.field):
                continue  # one row per guardrail, below
            new = "(removed)" if change.removed else _show(change.field, change.new)
            note = " (follows from the new bounds)" if change.derived else ""
            rows.append((change.field, _show(change.field, change.old), new, str(change.impact), note))
        rows.extend(guardrail_review.update_rows(plan))
        self._fill(rows, create=False)
        notes = "".join(f"<br>Note: {text}" for text in plan.deferred)
        self.steps.setText(_steps_html(tuple(str(step) for step in plan.steps), self._run_by) + notes)
        self.warning_detail.setText(
            RUN_BY_ROLLOUT
            if self._run_by
            else "The new task-definition revision replaces the running containers; while they start and pass their "
            "health checks the model may not answer. If the rollout fails, the previous revision is put back."
        )

    def _show_schedule(self, form: WizardForm, validation: Validation) -> None:
        """A schedule change: its own row, and (alone) the schedule job's steps, as LISA's schedule route runs."""
        self._add_row(
            SCHEDULING_PATH,
            schedule_text(given_schedule(form.base_config)),
            schedule_text(validation.schedule),
            "schedule job",
        )
        if validation.plan is None:
            status = f" (now {form.status})" if form.status else ""
            self.summary.setText(
                f"<b>Update {form.model_id}</b>{status}: the schedule changes. The model keeps serving until its "
                "schedule stops it."
            )
            self.steps.setText(_steps_html(SCHEDULE_STEPS))
        else:
            self.steps.setText(self.steps.text() + f"<br><b>Then</b>, once the update succeeded: {SCHEDULE_THEN}")

    def _show_context_window(self, form: WizardForm, validation: Validation) -> None:
        """A context window change: its own row, and its write, which comes before any job."""
        tokens = validation.context_window
        self._add_row(
            CONTEXT_WINDOW, _show(CONTEXT_WINDOW, form.current_context_window), str(tokens), CONTEXT_WINDOW_IMPACT
        )
        if validation.plan is None and not validation.schedule_changed:
            status = f" (now {form.status})" if form.status else ""
            self.summary.setText(
                f"<b>Update {form.model_id}</b>{status}: the context window changes. The model keeps serving."
            )
            self.steps.setText(_steps_html((CONTEXT_WINDOW_STEP,)) + "No job runs.")
        else:
            self.summary.setText(self.summary.text() + " The context window is written first, on its own.")
            self.steps.setText(f"<b>First</b>: {CONTEXT_WINDOW_STEP}<br>" + self.steps.text())

    def _add_row(self, path: str, *cells: str) -> None:
        """One more row of (now, new, impact) after the plan's, for a change that is not in the update request."""
        row = self.changes.rowCount()
        self.changes.setRowCount(row + 1)
        for column, text in enumerate((label_of(path), *cells)):
            item = QTableWidgetItem(text)
            item.setToolTip(tooltip_of(path) if column == 0 else text)
            self.changes.setItem(row, column, item)

    def _fill(self, rows: Sequence[tuple[str, ...]], *, create: bool) -> None:
        """Rows of (API path, now, new, impact[, note]): the field is shown by its form label, the path in the
        label's tooltip."""
        self.changes.setColumnHidden(NOW_COLUMN, create)
        self.changes.setColumnHidden(IMPACT_COLUMN, create)
        self.changes.setRowCount(len(rows))
        for row, (path, *values) in enumerate(rows):
            note = values.pop() if len(values) > 3 else ""
            label = QTableWidgetItem(label_of(path) + note)
            label.setToolTip(tooltip_of(path))
            self.changes.setItem(row, 0, label)
            for column, text in enumerate(values, start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.changes.setItem(row, column, item)

    def show_failure(self, message: str) -> None:
        """Why Submit did not go through (shown until the next change is reviewed)."""
        self._failure = message
        self._show_submit_note()

    def _show_submit_note(self) -> None:
        if self._failure:
            self.submit_note.setText(self._failure)
            return
        if self._refusal:
            note = f"Submit is not available: {self._refusal}. Save the draft and submit it later."
        elif not self._validation.ok:
            note = "Submit is enabled once the problems above are fixed."
        elif self.requires_ack and not self.ack.isChecked():
            note = "Tick the acknowledgement above to enable Submit."
        elif self._run_by:
            note = ""
        else:
            note = "Submit starts the job; the Jobs panel follows it."
        if self._run_by and not self._refusal:
            note = f"{note}\n{RUN_BY_NOTE.format(who=self._run_by)}".strip()
        self.submit_note.setText(note)

    def isComplete(self) -> bool:
        self._show_submit_note()
        if self._refusal or not self._validation.ok:
            return False
        return not self.requires_ack or self.ack.isChecked()


def _steps_html(steps: tuple[str, ...], run_by: str | None = None) -> str:
    texts = {**STEP_TEXT, **RUN_BY_STEP_TEXT} if run_by else STEP_TEXT
    items = "".join(f"<li>{texts.get(step, step)}</li>" for step in steps)
    title = f"Steps {run_by}'s state machine runs" if run_by else "Steps that will run"
    return f"<b>{title}</b><ol style='margin-top:2px'>{items}</ol>"


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value and not prefix.endswith("environment"):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _show(path: str, value: Any) -> str:
    if value is None:
        return "(unset)"
    if path.endswith("apiKey"):
        return HIDDEN
    if path == "features" and isinstance(value, list):
        names = [str(item.get("name")) for item in value if isinstance(item, Mapping)]
        return ", ".join(label_of(f"features[{name}]") for name in names) or "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)
