"""A page of fields (base configuration, container, auto scaling, load balancer), built from the specs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget, QWizardPage

from engine.rules.capabilities import Impact
from ui.wizard.field_names import tooltip_of
from ui.wizard.field_row import FieldRow
from ui.wizard.form import Mode, Validation, WizardForm
from ui.wizard.specs import PAGE_FIELDS, PAGE_SUBTITLES, Editor, FieldSpec, PageId

EditHandler = Callable[[FieldSpec, Any], None]


class FormPage(QWizardPage):
    def __init__(self, page: PageId, on_edit: EditHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.setObjectName(f"page:{page.name.lower()}")
        self.setTitle(page.value)
        self.setSubTitle(PAGE_SUBTITLES[page])
        self._complete = True
        self.banner = QLabel(self)
        self.banner.setObjectName("pageBanner")
        self.banner.setWordWrap(True)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setStyleSheet("padding: 6px;")
        self.banner.hide()
        body = QWidget()
        self.layout_ = QFormLayout(body)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.rows: dict[str, FieldRow] = {}
        self.touched: set[str] = set()
        """Fields the user edited (or that came with a value): their problems are shown at once; an untouched
        empty field is listed under the page instead of drawn red before anyone typed in it."""
        for spec in PAGE_FIELDS[page]:
            row = FieldRow(spec, body)
            row.editor.edited.connect(lambda spec=spec, row=row: self._edited(spec, row, on_edit))
            label = "" if spec.editor is Editor.BOOL else spec.label
            self.layout_.addRow(label, row)
            row.setToolTip(tooltip_of(spec.path))
            label_widget = self.layout_.labelForField(row)
            if label_widget is not None:
                label_widget.setToolTip(tooltip_of(spec.path))
            self.rows[spec.path] = row
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.hint = QLabel(self)
        self.hint.setObjectName("pageHint")
        self.hint.setWordWrap(True)
        self.hint.hide()
        column = QVBoxLayout(self)
        column.addWidget(self.banner)
        column.addWidget(scroll)
        column.addWidget(self.hint)

    def _edited(self, spec: FieldSpec, row: FieldRow, on_edit: EditHandler) -> None:
        self.touched.add(spec.path)
        on_edit(spec, row.editor.value())

    def load(self, form: WizardForm) -> None:
        """Show the form's values, which fields apply, which are read-only (and why) and their impact."""
        hosted_page = self.page is not PageId.BASE
        locked_everywhere = [
            reason for spec in PAGE_FIELDS[self.page] if form.shows(spec) and (reason := form.lock_reason(spec))
        ]
        shown = [spec for spec in PAGE_FIELDS[self.page] if form.shows(spec)]
        whole_page_locked = form.mode is Mode.UPDATE and hosted_page and len(locked_everywhere) == len(shown)
        for position, spec in enumerate(PAGE_FIELDS[self.page]):
            row = self.rows[spec.path]
            self.layout_.setRowVisible(position, form.shows(spec))
            value = form.value(spec.path)
            row.editor.set_value(form.shown_value(spec))
            if value not in (None, "", [], {}, False):
                self.touched.add(spec.path)
        self.refresh_locks(form)
        if whole_page_locked:
            self.banner.setText(
                f"{form.model_id} is a {form.hosting} model: nothing on this page can be changed by an update. "
                "Each field says why."
            )
        self.banner.setVisible(whole_page_locked)

    def refresh_locks(self, form: WizardForm) -> None:
        """Which fields are read-only now (and why), and the update's impact of the others."""
        for spec in PAGE_FIELDS[self.page]:
            row = self.rows[spec.path]
            reason = form.lock_reason(spec)
            if reason != row.lock_reason or not row.lock_checked:
                row.set_lock(reason)
            if spec.editor is Editor.BOOL and row.editor.value() != bool(shown := form.shown_value(spec)):
                row.editor.set_value(shown)  # a switch another field sets (streaming follows the model type)
            capability = spec.capability
            impact = capability.impact if capability else Impact.NONE if spec.separate_write else None
            row.set_impact(impact if form.mode is Mode.UPDATE and reason is None else None)

    def show_validation(self, validation: Validation, form: WizardForm) -> None:
        complete = True
        waiting: list[str] = []
        for spec in PAGE_FIELDS[self.page]:
            row = self.rows[spec.path]
            rules = list(validation.by_field.get(spec.path, ()))
            local = row.editor.local_problem()
            if local:
                rules.append(local)
            shown = form.shows(spec)
            row.show_problems(rules if shown and spec.path in self.touched else [])
            row.show_note(validation.notes.get(spec.path))
            if rules and shown and row.lock_reason is None:
                complete = False
                if spec.path not in self.touched:
                    waiting.append(spec.label)
        self.hint.setText(f"Next is enabled once these are filled in: {', '.join(waiting)}" if waiting else "")
        self.hint.setVisible(bool(waiting))
        if complete != self._complete:
            self._complete = complete
            self.completeChanged.emit()

    def local_problems(self) -> list[str]:
        return [f"{row.spec.label}: {problem}" for row in self.rows.values() if (problem := row.editor.local_problem())]

    def isComplete(self) -> bool:
        return self._complete
