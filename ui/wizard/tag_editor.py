"""Names entered as chips (tokens), as LISA's UI enters allowed groups: type a name, Enter (or a comma) adds it as
a chip; a chip's × (or Backspace in the empty entry) removes it; a name already there is refused with a message;
no chips reads "(public)" (or what the caller says none means). Every part is reachable and usable from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.wizard.flow_layout import FlowLayout

PUBLIC = "(public)"
"""What LISA's model list shows for a model with no allowed groups: every user may use it."""
CHIP_STYLE = (
    "#chip { border: 1px solid palette(mid); border-radius: 10px; background: palette(alternate-base); }"
    " #chip QToolButton { border: none; padding: 0 2px; }"
    " #chip QToolButton:focus { border: 1px solid palette(highlight); border-radius: 6px; }"
)
_ACTIVATE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Backspace, Qt.Key.Key_Delete)


def already_there(name: str) -> str:
    return f'"{name}" is already in the list: each group is given once'


class _Entry(QLineEdit):
    """The text box: Enter adds what is typed (and is not passed on to the dialog's default button); Backspace
    with nothing typed removes the last chip; leaving the box adds what is typed."""

    add_requested = Signal()
    remove_last_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.add_requested.emit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Backspace and not self.text() and not self.isReadOnly():
            self.remove_last_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self.text().strip() and not self.isReadOnly():
            self.add_requested.emit()


class _Dismiss(QToolButton):
    """A chip's ×: focusable with Tab; Enter, Space, Backspace or Delete on it removes the chip."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ACTIVATE_KEYS:
            self.click()
            event.accept()
            return
        super().keyPressEvent(event)


class Chip(QFrame):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName("chip")
        self.setAccessibleName(name)
        self.label = QLabel(name, self)
        self.dismiss = _Dismiss(self)
        self.dismiss.setObjectName("chipRemove")
        self.dismiss.setText("×")
        self.dismiss.setAccessibleName(f"Remove {name}")
        self.dismiss.setToolTip(f"Remove {name}")
        self.dismiss.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.dismiss.setCursor(Qt.CursorShape.PointingHandCursor)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 1, 3, 1)
        row.setSpacing(2)
        row.addWidget(self.label)
        row.addWidget(self.dismiss)


class TagInput(QWidget):
    changed = Signal()
    """The user added or removed a chip, or typed in the entry (never for set_tags)."""

    def __init__(
        self,
        placeholder: str = "",
        parent: QWidget | None = None,
        *,
        empty: str = PUBLIC,
        empty_tip: str = "No groups: every user may use the model",
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(CHIP_STYLE)
        self._tags: list[str] = []
        self._chips: list[Chip] = []
        self.chip_area = QWidget(self)
        self.chip_area.setObjectName("chips")
        self.flow = FlowLayout(self.chip_area)
        self.public = QLabel(f"<i>{empty}</i>", self.chip_area)
        self.public.setObjectName("publicLabel")
        self.public.setToolTip(empty_tip)
        self.flow.addWidget(self.public)
        self.line = _Entry(self)
        self.line.setPlaceholderText(placeholder)
        self.line.textEdited.connect(self._typed)
        self.line.add_requested.connect(self._add_typed)
        self.line.remove_last_requested.connect(self._remove_last)
        self.add_button = QPushButton("Add", self)
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self._add_typed)
        entry = QHBoxLayout()
        entry.setContentsMargins(0, 0, 0, 0)
        entry.addWidget(self.line, 1)
        entry.addWidget(self.add_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.chip_area)
        column.addLayout(entry)

    # -- what it holds -----------------------------------------------------------------------------------------

    def tags(self) -> list[str]:
        return list(self._tags)

    def pending(self) -> str:
        return self.line.text().strip()

    def values(self) -> list[str]:
        """The chips, and what is typed but not added yet (it counts as added, so that nothing typed is lost)."""
        pending = self.pending()
        return self.tags() + ([pending] if pending and pending not in self._tags else [])

    def problem(self) -> str | None:
        pending = self.pending()
        return already_there(pending) if pending and pending in self._tags else None

    def set_tags(self, names: list[str]) -> None:
        with QSignalBlocker(self.line):
            self.line.clear()
        self._tags = []
        self._rebuild(names)

    def set_locked(self, locked: bool) -> None:
        self.line.setReadOnly(locked)
        self.line.setEnabled(not locked)
        self.add_button.setEnabled(not locked)
        for chip in self._chips:
            chip.dismiss.setEnabled(not locked)

    # -- the user's edits ---------------------------------------------------------------------------------------

    def add(self, name: str) -> bool:
        """Add a chip; False (nothing added) for an empty name or one already there."""
        name = name.strip()
        if not name or name in self._tags:
            return False
        self._rebuild([*self._tags, name])
        return True

    def remove(self, name: str) -> None:
        if name in self._tags:
            self._rebuild([tag for tag in self._tags if tag != name])
            self.line.setFocus(Qt.FocusReason.OtherFocusReason)
            self.changed.emit()

    def _typed(self, text: str) -> None:
        """A comma ends a name: the names before it become chips (a pasted "a, b, c" too)."""
        if "," in text:
            *names, rest = text.split(",")
            left = rest.lstrip()
            for index, name in enumerate(names):
                if name.strip() in self._tags:  # refused: left in the entry, where the message points at it
                    left = ",".join([*names[index:], rest]).strip().rstrip(",")
                    break
                self.add(name)
            with QSignalBlocker(self.line):
                self.line.setText(left)
        self.changed.emit()

    def _add_typed(self) -> None:
        if self.add(self.line.text()):
            with QSignalBlocker(self.line):
                self.line.clear()
        self.changed.emit()

    def _remove_last(self) -> None:
        if self._tags:
            self.remove(self._tags[-1])

    def _rebuild(self, names: list[str]) -> None:
        for chip in self._chips:
            self.flow.removeWidget(chip)
            chip.hide()  # out of the tab chain at once, not only when the deletion comes
            chip.deleteLater()
        self._tags = list(dict.fromkeys(names))
        self._chips = []
        for name in self._tags:
            chip = Chip(name, self.chip_area)
            chip.dismiss.clicked.connect(lambda _checked=False, name=name: self.remove(name))
            self.flow.addWidget(chip)
            chip.show()  # now, not when the layout's queued show comes: Tab may be pressed before it
            self._chips.append(chip)
        self.public.setVisible(not self._tags)
        self._order_tabs()
        self.chip_area.updateGeometry()

    def _order_tabs(self) -> None:
        """Tab goes through the chips' × in order, then the entry and Add (new chips are put where they are
        shown, not at the end of the window's tab chain)."""
        previous: QWidget = self.chip_area
        for chip in self._chips:
            QWidget.setTabOrder(previous, chip.dismiss)
            previous = chip.dismiss
        QWidget.setTabOrder(previous, self.line)
        QWidget.setTabOrder(self.line, self.add_button)
