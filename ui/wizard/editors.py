"""One editor widget per kind of field. Each reads and writes plain values (str, int, bool, list, dict) and
emits `edited` when the user changes it; setting a value from code does not emit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.wizard.specs import Editor, FieldSpec
from ui.wizard.tag_editor import TagInput

NOT_SET = "not set"
COMMAND_FORMS = ("CMD-SHELL", "CMD", "string")
"""How a health-check command is written: ["CMD-SHELL", "shell line"], ["CMD", "exe", "arg"…], or one string."""


class FieldEditor(QWidget):
    edited = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName(spec.object_name)
        self.setAccessibleName(spec.label)

    def _row(self) -> QHBoxLayout:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        return layout

    def _column(self) -> QVBoxLayout:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        return layout

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_locked(self, locked: bool) -> None:
        self.setEnabled(not locked)

    def local_problem(self) -> str | None:
        """A problem the editor sees before any schema does (a variable name given twice)."""
        return None


class TextEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(spec.placeholder)
        if spec.editor is Editor.SECRET:
            self.line.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.line.textEdited.connect(lambda _text: self.edited.emit())
        self._row().addWidget(self.line)

    def value(self) -> Any:
        return self.line.text()

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))


class MultilineEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.text = QPlainTextEdit(self)
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 3 + 14)
        self.text.textChanged.connect(self._changed)
        self._setting = False
        self._row().addWidget(self.text)

    def _changed(self) -> None:
        if not self._setting:
            self.edited.emit()

    def value(self) -> Any:
        return self.text.toPlainText()

    def set_value(self, value: Any) -> None:
        self._setting = True
        try:
            self.text.setPlainText("" if value is None else str(value))
        finally:
            self._setting = False


class IntEditor(FieldEditor):
    """A whole number; one step below the minimum reads "not set" (the field is left out)."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.spin = QSpinBox(self)
        self.spin.setRange(spec.minimum - 1, spec.maximum)
        self.spin.setSpecialValueText(NOT_SET)
        self.spin.setSuffix(spec.suffix)
        self.spin.setMinimumWidth(140)
        self.spin.setKeyboardTracking(True)
        self.spin.valueChanged.connect(lambda _value: self.edited.emit())
        row = self._row()
        row.addWidget(self.spin)
        row.addStretch(1)

    def value(self) -> Any:
        number = self.spin.value()
        return None if number < self.spec.minimum else number

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(value if isinstance(value, int) and not isinstance(value, bool) else self.spin.minimum())


class BoolEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QCheckBox(spec.label, self)
        self.box.toggled.connect(lambda _on: self.edited.emit())
        self._row().addWidget(self.box)

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class ChoiceEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox(self)
        self.combo.addItems(list(spec.choices))
        self.combo.setMinimumWidth(180)
        self.combo.activated.connect(lambda _index: self.edited.emit())
        row = self._row()
        row.addWidget(self.combo)
        row.addStretch(1)

    def value(self) -> Any:
        return self.combo.currentText() or None

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if text and self.combo.findText(text) < 0:
            self.combo.addItem(text)  # a value a newer LISA allows: shown as it is, not silently replaced
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(self.combo.findText(text) if text else -1)


class GroupsEditor(FieldEditor):
    """Group names as chips (ui.wizard.tag_editor); a name typed but not added yet counts too."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.tags = TagInput(spec.placeholder, self)
        self.line: QLineEdit = self.tags.line
        self.line.setAccessibleName(spec.label)
        self.tags.changed.connect(self.edited.emit)
        self._row().addWidget(self.tags)

    def value(self) -> Any:
        return self.tags.values()

    def set_value(self, value: Any) -> None:
        self.tags.set_tags([str(name) for name in value or []])

    def set_locked(self, locked: bool) -> None:
        self.tags.set_locked(locked)

    def local_problem(self) -> str | None:
        return self.tags.problem()


class FormTable(QTableWidget):
    """A table inside a form: Tab moves along a row's cells, and from its last cell (Shift+Tab: its first, or from
    a table with no current cell) on to the form's next (previous) widget, never round and round the table."""

    def focusNextPrevChild(self, next: bool) -> bool:
        current = self.currentIndex()
        edge = self.columnCount() - 1 if next else 0
        if not current.isValid() or current.column() == edge:
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)


class EnvironmentEditor(FieldEditor):
    """Environment variables as an editable name/value table. A removed variable is simply absent: the update
    request marks it LISA_MARKED_FOR_DELETION (engine.config_edit)."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        column = self._column()
        self.table = FormTable(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Name", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(150)
        self.table.itemChanged.connect(lambda _item: self.edited.emit())
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add variable", self)
        self.add_button.clicked.connect(self.add_variable)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        column.addWidget(self.table)
        column.addLayout(buttons)

    def add_variable(self, name: str = "", value: str = "") -> None:
        with QSignalBlocker(self.table):
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(value))
        self.table.setCurrentCell(row, 0)
        cell = self.table.item(row, 0)
        if not name and cell is not None:
            self.table.editItem(cell)
        self.edited.emit()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        with QSignalBlocker(self.table):
            for row in rows:
                self.table.removeRow(row)
        if rows:
            self.edited.emit()

    def _pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for row in range(self.table.rowCount()):
            name, value = self.table.item(row, 0), self.table.item(row, 1)
            pairs.append(((name.text() if name else "").strip(), value.text() if value else ""))
        return pairs

    def value(self) -> Any:
        return dict(self._pairs())

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.table):
            self.table.setRowCount(0)
            for name, text in dict(value or {}).items():
                row = self.table.rowCount()
                self.table.insertRow(row)
                self.table.setItem(row, 0, QTableWidgetItem(str(name)))
                self.table.setItem(row, 1, QTableWidgetItem(str(text)))

    def local_problem(self) -> str | None:
        names = [name for name, _ in self._pairs()]
        repeated = sorted({name for name in names if names.count(name) > 1 and name})
        if repeated:
            return f"each variable may appear once; repeated: {', '.join(repeated)}"
        return None

    def set_locked(self, locked: bool) -> None:
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
            if locked
            else QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.add_button.setEnabled(not locked)
        self.remove_button.setEnabled(not locked)


class CommandEditor(FieldEditor):
    """A health-check command as a list: its form (CMD-SHELL, CMD, or one plain string) and its parts."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        column = self._column()
        top = QHBoxLayout()
        self.form = QComboBox(self)
        self.form.setObjectName(spec.object_name + ".form")
        self.form.addItems(list(COMMAND_FORMS))
        self.form.setToolTip(
            "CMD-SHELL: one line run by the container's shell; CMD: the program and its arguments, one per line; "
            "string: one command line as LISA also accepts it"
        )
        self.form.activated.connect(lambda _index: self.edited.emit())
        self.add_button = QPushButton("Add part", self)
        self.add_button.clicked.connect(lambda: self.add_part(""))
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        top.addWidget(self.form)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        top.addStretch(1)
        self.parts = QListWidget(self)
        self.parts.setObjectName(spec.object_name + ".parts")
        self.parts.setFixedHeight(self.parts.fontMetrics().lineSpacing() * 3 + 16)
        self.parts.itemChanged.connect(lambda _item: self.edited.emit())
        column.addLayout(top)
        column.addWidget(self.parts)

    def add_part(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        with QSignalBlocker(self.parts):
            self.parts.addItem(item)
        if not text:
            self.parts.setCurrentItem(item)
            self.parts.editItem(item)
        self.edited.emit()

    def remove_selected(self) -> None:
        row = self.parts.currentRow()
        if row >= 0:
            with QSignalBlocker(self.parts):
                self.parts.takeItem(row)
            self.edited.emit()

    def part_texts(self) -> list[str]:
        return [self.parts.item(row).text() for row in range(self.parts.count())]

    def value(self) -> Any:
        parts = self.part_texts()
        if self.form.currentText() == "string":
            return " ".join(parts)
        return [self.form.currentText(), *parts]

    def set_value(self, value: Any) -> None:
        if isinstance(value, list) and value and value[0] in ("CMD", "CMD-SHELL"):
            form, parts = str(value[0]), [str(part) for part in value[1:]]
        elif isinstance(value, str):
            form, parts = "string", [value]
        else:
            form, parts = "CMD-SHELL", [str(part) for part in value or []]
        with QSignalBlocker(self.form), QSignalBlocker(self.parts):
            self.form.setCurrentText(form)
            self.parts.clear()
            for text in parts:
                item = QListWidgetItem(text)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.parts.addItem(item)

    def set_locked(self, locked: bool) -> None:
        self.form.setEnabled(not locked)
        self.add_button.setEnabled(not locked)
        self.remove_button.setEnabled(not locked)
        self.parts.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
            if locked
            else QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )


EDITORS: dict[Editor, type[FieldEditor]] = {
    Editor.TEXT: TextEditor,
    Editor.SECRET: TextEditor,
    Editor.MULTILINE: MultilineEditor,
    Editor.INT: IntEditor,
    Editor.OPTIONAL_INT: IntEditor,
    Editor.BOOL: BoolEditor,
    Editor.CHOICE: ChoiceEditor,
    Editor.GROUPS: GroupsEditor,
    Editor.ENVIRONMENT: EnvironmentEditor,
    Editor.COMMAND: CommandEditor,
}


def editor_for(spec: FieldSpec, parent: QWidget | None = None) -> FieldEditor:
    return EDITORS[spec.editor](spec, parent)
