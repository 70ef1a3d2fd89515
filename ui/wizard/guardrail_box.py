"""One guardrail on the Guardrails page: LISA's fields (name, Bedrock identifier and version, mode, description,
allowed groups), each with its problems under it, and Remove (or, for one marked for removal, Keep)."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.schema.enums import GuardrailMode
from ui.wizard.field_row import MESSAGE_STYLE
from ui.wizard.tag_editor import TagInput

NAME, IDENTIFIER, VERSION, MODE, DESCRIPTION, GROUPS = (
    "guardrailName",
    "guardrailIdentifier",
    "guardrailVersion",
    "mode",
    "description",
    "allowedGroups",
)
MARKED: Final = "markedForDeletion"
FIELDS: Final = (NAME, IDENTIFIER, VERSION, MODE, DESCRIPTION, GROUPS)
LABELS: Final = {
    NAME: "Na&me",
    IDENTIFIER: "&Identifier",
    VERSION: "&Version",
    MODE: "M&ode",
    DESCRIPTION: "&Description",
    GROUPS: "Allowed &groups",
}
HELP: Final = {
    NAME: "Name of the AWS Bedrock guardrail. This must match the name of the guardrail in AWS Bedrock.",
    IDENTIFIER: "The ARN or ID of the AWS Bedrock guardrail.",
    VERSION: "The version of the guardrail to use. Default is DRAFT.",
    MODE: "When the guardrail should be executed.",
    DESCRIPTION: "Optional. A description of what this guardrail does.",
    GROUPS: "Optional. Groups that will have this guardrail applied to them. Type a group name and press Enter (or a "
    "comma) or click Add; Backspace removes the last one. None: it applies to everyone.",
}
MODES: Final = (
    (GuardrailMode.PRE_CALL, "Pre call — execute guardrail before LLM call"),
    (GuardrailMode.DURING_CALL, "During call — execute guardrail during LLM call"),
    (GuardrailMode.POST_CALL, "Post call — execute guardrail after LLM call"),
)
MARKED_NOTE: Final = "marked for removal: removed when the update is submitted"
EVERYONE: Final = "(everyone)"
"""What the groups show with none given: the guardrail applies to every user."""


def new_guardrail() -> dict[str, Any]:
    """A guardrail as LISA's Add Guardrail starts it."""
    return {
        NAME: "",
        IDENTIFIER: "",
        VERSION: "DRAFT",
        MODE: str(GuardrailMode.PRE_CALL),
        DESCRIPTION: "",
        GROUPS: [],
    }


def groups_of(value: Any) -> list[str]:
    """A guardrail's groups as a list (a draft may hold them as one comma-separated text)."""
    if isinstance(value, list):
        return [str(name) for name in value]
    return [name.strip() for name in _text(value).split(",") if name.strip()]


class GuardrailBox(QGroupBox):
    def __init__(
        self,
        key: str,
        values: Mapping[str, Any],
        *,
        on_edit: Callable[[str, str, Any], None],
        on_remove: Callable[[str], None],
        on_keep: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"guardrail:{key}")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Enter guardrail name")
        self.identifier = QLineEdit(self)
        self.identifier.setPlaceholderText("Enter guardrail identifier (ARN or ID)")
        self.version = QLineEdit(self)
        self.version.setPlaceholderText("Enter version (e.g., DRAFT, 1, 2)")
        self.mode = QComboBox(self)
        for mode, text in MODES:
            self.mode.addItem(text, str(mode))
        self.description = QPlainTextEdit(self)
        self.description.setTabChangesFocus(True)
        self.description.setPlaceholderText("Enter description")
        self.description.setFixedHeight(self.description.fontMetrics().lineSpacing() * 3 + 12)
        self.groups = TagInput("Enter group name", self, empty=EVERYONE, empty_tip="No groups: applied to every user")
        self.editors: dict[str, QWidget] = {
            NAME: self.name,
            IDENTIFIER: self.identifier,
            VERSION: self.version,
            MODE: self.mode,
            DESCRIPTION: self.description,
            GROUPS: self.groups,
        }
        self.messages: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for field, widget in self.editors.items():
            entry = self.groups.line if widget is self.groups else widget
            entry.setObjectName(f"guardrail:{key}:{field}")
            entry.setToolTip(f"{HELP[field]}\nAPI field: guardrailsConfig.{key}.{field}")
            message = QLabel(self)
            message.setObjectName(f"message:guardrailsConfig.{key}.{field}")
            message.setWordWrap(True)
            message.setStyleSheet(MESSAGE_STYLE)
            message.hide()
            self.messages[field] = message
            cell = QWidget(self)
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(widget)
            column.addWidget(message)
            label = QLabel(LABELS[field], self)
            label.setBuddy(entry)
            label.setToolTip(HELP[field])
            form.addRow(label, cell)
        self.fields = QWidget(self)
        self.fields.setLayout(form)
        self.marked_note = QLabel(self)
        self.marked_note.setObjectName(f"guardrail:{key}:marked")
        self.marked_note.setWordWrap(True)
        self.marked_note.setTextFormat(Qt.TextFormat.RichText)
        self.marked_note.hide()
        self.remove = QPushButton("&Remove guardrail", self)
        self.remove.setObjectName(f"guardrail:{key}:remove")
        self.keep = QPushButton("&Keep guardrail", self)
        self.keep.setObjectName(f"guardrail:{key}:keep")
        self.keep.setToolTip("Undo the removal: the guardrail stays as it is")
        self.keep.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.marked_note, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.keep)
        buttons.addWidget(self.remove)
        column = QVBoxLayout(self)
        column.addWidget(self.fields)
        column.addLayout(buttons)
        self.set_values(values)
        self.name.textEdited.connect(lambda text: on_edit(key, NAME, text))
        self.identifier.textEdited.connect(lambda text: on_edit(key, IDENTIFIER, text))
        self.version.textEdited.connect(lambda text: on_edit(key, VERSION, text))
        self.mode.activated.connect(lambda _index: on_edit(key, MODE, self.mode.currentData()))
        self.description.textChanged.connect(self._description_changed(on_edit))
        self.groups.changed.connect(lambda: on_edit(key, GROUPS, self.groups.values()))
        self.remove.clicked.connect(lambda: on_remove(key))
        self.keep.clicked.connect(lambda: on_keep(key))

    def _description_changed(self, on_edit: Callable[[str, str, Any], None]) -> Callable[[], None]:
        def changed() -> None:
            if not self._loading:
                on_edit(self.key, DESCRIPTION, self.description.toPlainText())

        return changed

    _loading = False

    def set_values(self, values: Mapping[str, Any]) -> None:
        self._loading = True
        try:
            self.name.setText(_text(values.get(NAME)))
            self.identifier.setText(_text(values.get(IDENTIFIER)))
            self.version.setText(_text(values.get(VERSION)))
            mode = self.mode.findData(values.get(MODE))
            self.mode.setCurrentIndex(max(mode, 0))
            if self.description.toPlainText() != _text(values.get(DESCRIPTION)):
                self.description.setPlainText(_text(values.get(DESCRIPTION)))
            if groups_of(values.get(GROUPS)) != self.groups.values():
                self.groups.set_tags(groups_of(values.get(GROUPS)))
        finally:
            self._loading = False
        self.show_title(values)

    def show_title(self, values: Mapping[str, Any]) -> None:
        """The guardrail's name as its box title; one marked for removal is labelled, and struck through."""
        marked = bool(values.get(MARKED))
        name = _text(values.get(NAME)) or "New guardrail"
        self.setTitle(f"{name} (marked for removal)" if marked else name)
        self.fields.setVisible(not marked)
        struck = html.escape(f"{name} — Bedrock {_text(values.get(IDENTIFIER))} {_text(values.get(VERSION))}")
        self.marked_note.setText(f"<s>{struck}</s><br>{MARKED_NOTE}.")
        self.marked_note.setVisible(marked)
        self.keep.setVisible(marked)
        self.remove.setVisible(not marked)
        self.setAccessibleName(f"Guardrail {name}{' (marked for removal)' if marked else ''}")

    def local_problems(self) -> dict[str, list[str]]:
        """Problems the editors see before any schema does (a group given twice)."""
        problem = self.groups.problem()
        return {GROUPS: [problem]} if problem and self.fields.isVisibleTo(self) else {}

    def show_problems(self, problems: Mapping[str, Sequence[str]]) -> None:
        for field, message in self.messages.items():
            rules = problems.get(field, ())
            message.setText("\n".join(rules))
            message.setVisible(bool(rules))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
