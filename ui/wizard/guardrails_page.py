"""The Guardrails page of the create and update wizards, as LISA's GuardrailsConfig: a list of guardrails with Add
and Remove; in an update the model's guardrails are listed and Remove marks one for deletion (LISA's
`markedForDeletion`) until the update is submitted.

The page edits the form's `guardrailsConfig` as a whole (key → guardrail, the keys as LISA's UI makes them);
every problem comes from the engine's schema and plan, under `guardrailsConfig.<key>.<field>`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ui.wizard.field_row import MESSAGE_STYLE
from ui.wizard.form import GUARDRAILS, Mode, Validation, WizardForm
from ui.wizard.form_page import EditHandler
from ui.wizard.guardrail_box import FIELDS, LABELS, MARKED, NAME, GuardrailBox, new_guardrail
from ui.wizard.specs import PAGE_SUBTITLES, Editor, FieldSpec, PageId

GUARDRAILS_FIELD: Final = FieldSpec(GUARDRAILS, "Guardrails", Editor.TEXT)
"""What the wizard's edit handler is told changed (the whole map)."""
KEY_PREFIX: Final = "guardrail-"
EMPTY: Final = 'No guardrails configured. Click "Add guardrail" to create one.'
READING: Final = "Reading the model's guardrails …"
NO_RESTART: Final = "Guardrail changes do not restart the model's containers: LiteLLM applies them to new requests."


class GuardrailsPage(QWizardPage):
    def __init__(self, on_edit: EditHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = PageId.GUARDRAILS
        self.setObjectName("page:guardrails")
        self.setTitle(PageId.GUARDRAILS.value)
        self.setSubTitle(PAGE_SUBTITLES[PageId.GUARDRAILS])
        self._on_edit = on_edit
        self._complete = True
        self.values: dict[str, dict[str, Any]] = {}
        """The page's guardrails by key, as the form's `guardrailsConfig` holds them."""
        self.existing: dict[str, dict[str, Any]] = {}
        """An update: the model's guardrails as the wizard's base holds them (Remove marks these)."""
        self.touched: set[tuple[str, str]] = set()
        """(key, field) the user edited, or that came with a value: their problems are shown at once."""
        self.read_problem: str | None = None
        """Why the model's guardrails could not be read (an update); None when they were, or are being read."""
        self.boxes: dict[str, GuardrailBox] = {}
        self._mode = Mode.CREATE

        self.add = QPushButton("&Add guardrail", self)
        self.add.setObjectName("addGuardrail")
        self.add.clicked.connect(self.add_guardrail)
        self.status = QLabel(self)
        self.status.setObjectName("guardrailsStatus")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addStretch(0)
        top.addWidget(self.add, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
        self.empty = QLabel(EMPTY, self)
        self.empty.setObjectName("guardrailsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)  # drawn muted, as LISA's grey placeholder
        body = QWidget()
        self.listing = QVBoxLayout(body)
        self.listing.addWidget(self.empty)
        self.listing.addStretch(1)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(body)
        self.problems = QLabel(self)
        self.problems.setObjectName("guardrailsProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(MESSAGE_STYLE)
        self.problems.hide()
        self.hint = QLabel(self)
        self.hint.setObjectName("pageHint")
        self.hint.setWordWrap(True)
        self.hint.hide()
        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addWidget(self.scroller, 1)
        column.addWidget(self.problems)
        column.addWidget(self.hint)

    # -- the form's values ----------------------------------------------------------------------------------

    def load(self, form: WizardForm) -> None:
        """Show the form's guardrails (those the update's model has, marked ones included)."""
        self._mode = form.mode
        base = _guardrails_of((form.base or {}).get(GUARDRAILS)) if form.mode is Mode.UPDATE else {}
        self.existing = base
        values = _guardrails_of(form.value(GUARDRAILS))
        if values != self.values or set(self.boxes) != set(values):
            for box in self.boxes.values():
                box.setParent(None)
                box.deleteLater()
            self.boxes = {}
            self.values = values
            for key, guardrail in values.items():
                self._add_box(key, guardrail)
        self.touched = {(key, field) for key, field in self.touched if key in self.values} | {
            (key, field) for key, guardrail in self.values.items() for field in FIELDS if guardrail.get(field)
        }
        reading = form.mode is Mode.UPDATE and form.guardrails is None
        self.add.setEnabled(not reading)
        if reading and self.read_problem:
            self.status.setText(
                f"The model's guardrails could not be read ({self.read_problem}): they cannot be changed now. "
                "Everything else can; reopen the wizard to try again."
            )
        elif reading:
            self.status.setText(READING)
        else:
            self.status.setText(NO_RESTART if form.mode is Mode.UPDATE else "")
        self.status.setVisible(bool(self.status.text()))
        self._show_empty()

    def _add_box(self, key: str, guardrail: Mapping[str, Any]) -> GuardrailBox:
        box = GuardrailBox(
            key, guardrail, on_edit=self._edited, on_remove=self.remove_guardrail, on_keep=self.keep_guardrail
        )
        self.boxes[key] = box
        self.listing.insertWidget(self.listing.count() - 1, box)
        box.show()  # now, not when the layout's queued show runs: the keyboard goes to it at once
        return box

    def _show_empty(self) -> None:
        self.empty.setVisible(not self.values)

    def _edited(self, key: str, field: str, value: Any) -> None:
        self.values[key][field] = value
        self.touched.add((key, field))
        if field == NAME:
            self.boxes[key].show_title(self.values[key])
        self._emit()

    def add_guardrail(self) -> None:
        """A new guardrail, as LISA's Add Guardrail makes it; the keyboard goes to its name."""
        number = 1
        while f"{KEY_PREFIX}{number}" in self.values or f"{KEY_PREFIX}{number}" in self.existing:
            number += 1
        key = f"{KEY_PREFIX}{number}"
        self.values[key] = new_guardrail()
        box = self._add_box(key, self.values[key])
        self._show_empty()
        self._emit()
        box.name.setFocus(Qt.FocusReason.OtherFocusReason)
        self.scroller.ensureWidgetVisible(box)

    def remove_guardrail(self, key: str) -> None:
        """A guardrail of the model (update) is marked for deletion, as LISA's UI does; a new one goes."""
        if key in self.existing:
            self.values[key][MARKED] = True
            self.boxes[key].show_title(self.values[key])
            self.boxes[key].keep.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            del self.values[key]
            box = self.boxes.pop(key)
            box.setParent(None)
            box.deleteLater()
            self.touched = {(k, field) for k, field in self.touched if k != key}
            self.add.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_empty()
        self._emit()

    def keep_guardrail(self, key: str) -> None:
        """Undo a removal: the guardrail is what the model has again (no change)."""
        if MARKED in self.existing.get(key, {}):
            self.values[key][MARKED] = self.existing[key][MARKED]
        else:
            self.values[key].pop(MARKED, None)
        self.boxes[key].show_title(self.values[key])
        self.boxes[key].remove.setFocus(Qt.FocusReason.OtherFocusReason)
        self._emit()

    def _emit(self) -> None:
        self._on_edit(GUARDRAILS_FIELD, copy.deepcopy(self.values) if self.values else None)

    # -- problems -------------------------------------------------------------------------------------------

    def show_validation(self, validation: Validation, form: WizardForm) -> None:
        """Each guardrail's problems under its fields (once touched); the others under the list."""
        placed: set[str] = set()
        waiting: list[str] = []
        local = False
        for key, box in self.boxes.items():
            shown: dict[str, list[str]] = box.local_problems()
            local = local or bool(shown)
            for field in FIELDS:
                path = f"{GUARDRAILS}.{key}.{field}"
                rules = [
                    rule
                    for where, found in validation.by_field.items()
                    if where == path or where.startswith(path + ".")
                    for rule in found
                ]
                placed.update(where for where in validation.by_field if where == path or where.startswith(path + "."))
                if not rules:
                    continue
                if (key, field) in self.touched or key in self.existing:
                    shown[field] = [*shown.get(field, []), *rules]
                else:
                    name = self.values[key].get(NAME) or box.title()
                    waiting.append(f"{name} › {LABELS[field].replace('&', '')}")
            box.show_problems(shown)
        others = [
            f"{where.removeprefix(GUARDRAILS + '.')}: {rule}"
            for where, rules in validation.by_field.items()
            if (where == GUARDRAILS or where.startswith(GUARDRAILS + ".")) and where not in placed
            for rule in rules
        ]
        self.problems.setText("\n".join(others))
        self.problems.setVisible(bool(others))
        self.hint.setText(f"Next is enabled once these are filled in: {', '.join(waiting)}" if waiting else "")
        self.hint.setVisible(bool(waiting))
        complete = not local and not any(
            where == GUARDRAILS or where.startswith(GUARDRAILS + ".") for where in validation.by_field
        )
        if complete != self._complete:
            self._complete = complete
            self.completeChanged.emit()

    def local_problems(self) -> list[str]:
        """The editors' own problems (a group given twice), as the review lists them."""
        return [
            f"Guardrails › {self.values[key].get(NAME) or box.title()} › {LABELS[field].replace('&', '')}: {problem}"
            for key, box in self.boxes.items()
            for field, problems in box.local_problems().items()
            for problem in problems
        ]

    def isComplete(self) -> bool:
        return self._complete


def _guardrails_of(value: Any) -> dict[str, dict[str, Any]]:
    """A `guardrailsConfig` as the page keeps it (a copy; anything but a mapping of mappings is none)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): copy.deepcopy(dict(item)) for key, item in value.items() if isinstance(item, Mapping)}
