"""One field on a wizard page: its editor, the update's impact, why it is read-only, and its problems."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.rules.capabilities import Impact
from ui.wizard.editors import FieldEditor, editor_for
from ui.wizard.specs import FieldSpec

IMPACT_STYLES = {
    Impact.NONE: "color: palette(window-text); background: rgba(46, 160, 67, 0.18);",
    Impact.ECS_RESTART: "color: palette(window-text); background: rgba(227, 160, 8, 0.30);",
    Impact.SERVICE_INTERRUPTION: "color: palette(window-text); background: rgba(218, 54, 51, 0.25);",
}
MESSAGE_STYLE = "color: #d1242f;"


class FieldRow(QWidget):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.editor: FieldEditor = editor_for(spec, self)
        self.impact = QLabel(self)
        self.impact.setObjectName("impact:" + spec.path)
        self.impact.setStyleSheet("padding: 1px 6px; border-radius: 7px;")
        self.impact.hide()
        self.message = QLabel(self)
        self.message.setObjectName("message:" + spec.path)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(MESSAGE_STYLE)
        self.message.hide()
        self.note = QLabel(self)
        self.note.setObjectName("note:" + spec.path)
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.note.setEnabled(False)  # drawn in the palette's disabled (muted) text colour
        self.note.setVisible(bool(spec.help))
        self.note.setText(spec.help)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.editor, 1)
        top.addWidget(self.impact, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 2)
        column.setSpacing(2)
        column.addLayout(top)
        column.addWidget(self.message)
        column.addWidget(self.note)

    def hasHeightForWidth(self) -> bool:
        """No: the form would then share its height among the rows by their heights for widths it guesses, and
        squeeze some (a growing list of chips) below what they show. The row asks instead for the height its
        wrapped notes take at its present width (sizeHint), and again whenever that width changes."""
        return False

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth() and self.width() > 0:
            hint.setHeight(max(layout.totalHeightForWidth(self.width()), layout.totalMinimumSize().height()))
        return hint

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        hint.setHeight(self.sizeHint().height())
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()

    @property
    def lock_reason(self) -> str | None:
        return self._lock_reason

    lock_checked = False

    def set_lock(self, reason: str | None) -> None:
        self.lock_checked = True
        self._lock_reason = reason
        self.editor.set_locked(reason is not None)
        if reason is not None:
            self.note.setText(f"Read-only: {reason}")
            self.editor.setToolTip(f"Read-only: {reason}")
        else:
            self.note.setText(self.spec.help)
            self.editor.setToolTip(self.spec.help)
        self.note.setVisible(bool(self.note.text()))

    _lock_reason: str | None = None

    def set_impact(self, impact: Impact | None) -> None:
        """The update's impact label of an editable field (None in create mode or when read-only)."""
        self.impact.setVisible(impact is not None)
        if impact is not None:
            self.impact.setText(impact.value)
            self.impact.setStyleSheet("padding: 1px 6px; border-radius: 7px;" + IMPACT_STYLES[impact])
            self.impact.setToolTip(f"Changing {self.spec.label} on the running model: {impact.value.lower()}")

    def show_note(self, note: str | None) -> None:
        """A consequence of other fields' values (shown instead of the help text while it applies)."""
        if self._lock_reason is not None:
            return
        text = note or self.spec.help
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_problems(self, rules: Sequence[str]) -> None:
        self.message.setText("\n".join(rules))
        self.message.setVisible(bool(rules))
