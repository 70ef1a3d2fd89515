"""The "Context window…" dialog: one model's `contextWindow` override, written at once as LISA's
`PUT /models/{id}/context-window` writes it (LISA's own UI only shows the value; its API sets it).

Window-modal and opened with `open()`: refreshes and job events go on while it asks. The value is checked by LISA's
rule before anything is sent; a refusal names the field and the dialog stays open with the value as typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import InvalidInput
from engine.model_row import ModelRow

INTRO = (
    "LISA's contextWindow: the most tokens the model takes in one request (LISA's chat shows how much of it a "
    "session uses). It replaces what LISA derived from the container (VLLM_MAX_MODEL_LEN, MAX_TOTAL_TOKENS) or "
    "the model's files, and is written at once, whatever the model's status."
)
SAVING = "Saving…"
WIDTH = 460


class ContextWindowDialog(QDialog):
    """Asks for the context window; `submitted` carries the checked value, and the caller reports back with
    `failed()` (the dialog stays open) or `done_saving()` (it closes)."""

    submitted = Signal(int)

    def __init__(self, parent: QWidget | None, row: ModelRow) -> None:
        super().__init__(parent)
        self.setObjectName("contextWindowDialog")
        self.setWindowTitle(f"Context window of {row.model_id}")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.model_id = row.model_id
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setMinimumWidth(WIDTH)
        self.entry = QLineEdit("" if row.context_window is None else str(row.context_window))
        self.entry.setObjectName("contextWindowEntry")
        self.entry.setPlaceholderText("e.g. 8192")
        self.entry.setToolTip("An integer greater than 0 (LISA's UpdateContextWindowRequest)")
        label = QLabel("&Context window (tokens):")
        label.setBuddy(self.entry)
        form = QFormLayout()
        form.addRow(label, self.entry)
        current = QLabel(f"{row.context_window:,} tokens" if row.context_window is not None else "none recorded")
        form.addRow("Now:", current)
        self.problem = QLabel()
        self.problem.setObjectName("contextWindowProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("QLabel { color: #c62828; }")
        self.problem.hide()
        self.entry.textEdited.connect(lambda _text: self.problem.hide())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save: QPushButton = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save.setObjectName("contextWindowSave")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.entry.selectAll()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        self.save.setDefault(True)  # the button box picks its own default as it is shown: Enter saves
        self.entry.setFocus()

    @property
    def saving(self) -> bool:
        return not self.entry.isEnabled()

    def accept(self) -> None:
        """Check the value by LISA's rule: refused, it is said under the field and nothing is sent."""
        if self.saving:
            return
        from engine.model_settings import parse_context_window  # pydantic: loaded with the deployment already

        try:
            tokens = parse_context_window(self.entry.text().strip())
        except InvalidInput as refusal:
            self.failed("; ".join(str(problem) for problem in refusal.problems) + ". Nothing was written.")
            return
        self._set_saving(True)
        self.problem.setText(SAVING)
        self.problem.setStyleSheet("")
        self.problem.show()
        self.adjustSize()
        self.submitted.emit(tokens)

    def failed(self, message: str) -> None:
        """The value was refused or could not be written: said here, the value kept for another try."""
        self._set_saving(False)
        self.problem.setStyleSheet("QLabel { color: #c62828; }")
        self.problem.setText(message)
        self.problem.show()
        self.adjustSize()  # the intro's wrapped lines keep their height
        self.entry.setFocus()

    def done_saving(self) -> None:
        self._set_saving(False)
        super().accept()

    def _set_saving(self, saving: bool) -> None:
        self.entry.setEnabled(not saving)
        self.save.setEnabled(not saving)
