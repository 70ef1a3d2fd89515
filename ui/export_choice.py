"""Asked before a model with an API key is exported: without the key (the default) or with it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.secrets import MASK


class ExportSecretsBox(QMessageBox):
    chosen = Signal(bool)
    """Emitted with whether the file is to include the API key; not emitted on Cancel."""

    def __init__(self, parent: QWidget, model_id: str) -> None:
        super().__init__(parent)
        self.setObjectName("exportSecretsBox")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(f"Export {model_id}")
        self.setText(f"{model_id} has an API key. Export it in the file?")
        self.setInformativeText(
            f"Without it the file reads apiKey: {MASK}; put the key in before creating a model from it. With it, "
            "anyone who can read the file can use the key."
        )
        self.without = self.addButton("Export without the API key", QMessageBox.ButtonRole.AcceptRole)
        self.without.setObjectName("exportWithoutSecrets")
        self.including = self.addButton("Include the API key", QMessageBox.ButtonRole.DestructiveRole)
        self.including.setObjectName("exportWithSecrets")
        self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.without)
        self.setEscapeButton(QMessageBox.StandardButton.Cancel)
        self.buttonClicked.connect(self._clicked)

    def _clicked(self, button: object) -> None:
        if button is self.without:
            self.chosen.emit(False)
        elif button is self.including:
            self.chosen.emit(True)
