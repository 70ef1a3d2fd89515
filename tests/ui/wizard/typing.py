"""Drive the wizard as a user does: find a field's editor by its path and type into it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.wizard.editors import ChoiceEditor, EnvironmentEditor, FieldEditor, GroupsEditor, IntEditor, TextEditor
from ui.wizard.wizard import ModelWizard


def editor(wizard: ModelWizard, path: str) -> FieldEditor:
    found = wizard.findChild(FieldEditor, "field:" + path)
    assert found is not None, path
    return found


def type_text(qtbot: QtBot, wizard: ModelWizard, path: str, text: str) -> None:
    field = editor(wizard, path)
    assert isinstance(field, TextEditor | GroupsEditor)
    field.line.selectAll()
    qtbot.keyClick(field.line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field.line, text)


def type_number(qtbot: QtBot, wizard: ModelWizard, path: str, number: int) -> None:
    field = editor(wizard, path)
    assert isinstance(field, IntEditor)
    field.spin.selectAll()
    qtbot.keyClicks(field.spin, str(number))
    assert field.spin.value() == number


def choose(wizard: ModelWizard, path: str, text: str) -> None:
    """As picking an entry with the mouse: the combo's `activated` fires."""
    field = editor(wizard, path)
    assert isinstance(field, ChoiceEditor)
    index = field.combo.findText(text)
    assert index >= 0, (path, text)
    field.combo.setCurrentIndex(index)
    field.combo.activated.emit(index)


def set_variable(wizard: ModelWizard, name: str, value: str) -> None:
    """Edit a variable's value cell as a user commits an edit (or add the variable)."""
    field = editor(wizard, "containerConfig.environment")
    assert isinstance(field, EnvironmentEditor)
    table = field.table
    for row in range(table.rowCount()):
        cell = table.item(row, 0)
        if cell is not None and cell.text() == name:
            value_cell = table.item(row, 1)
            assert value_cell is not None
            value_cell.setText(value)
            return
    field.add_variable(name, value)
