"""The selected models' configurations, out of the window: copied as JSON, or exported to a YAML or JSON file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMainWindow

from engine.model_row import ModelRow
from ui.dialogs import warn

if TYPE_CHECKING:
    from ui.export_choice import ExportSecretsBox


def export_shape(row: ModelRow, *, include_secrets: bool = False) -> dict[str, object]:
    """The model's configuration as a create file takes it: LISA's API shape without the live-only fields, its
    API key masked unless `include_secrets`."""
    from engine.schema.stored import stored_config  # pydantic: not on the first paint's path

    return stored_config(row.revealed_config() if include_secrets else row.config)


class ConfigExport:
    def __init__(self, window: QMainWindow) -> None:
        self._window = window
        self.secrets_box: ExportSecretsBox | None = None
        """The last question whether to export an API key."""

    def copy(self, rows: Sequence[ModelRow]) -> None:
        """API keys masked, as the rows hold them."""
        if not rows:
            return
        configs = [dict(row.config) for row in rows]
        payload = configs[0] if len(configs) == 1 else configs
        QGuiApplication.clipboard().setText(json.dumps(payload, indent=2, sort_keys=True, default=str))
        self._window.statusBar().showMessage(f"Copied {len(rows)} model configuration(s) as JSON", 4000)

    def ask(self, row: ModelRow) -> None:
        """Ask where to export the model; first, when it has an API key, whether to include it."""
        if not row.secrets:
            self._ask_path(row, include_secrets=False)
            return
        from ui.export_choice import ExportSecretsBox

        box = self.secrets_box = ExportSecretsBox(self._window, row.model_id)
        box.chosen.connect(lambda include: self._ask_path(row, include_secrets=include))
        box.open()

    def _ask_path(self, row: ModelRow, *, include_secrets: bool) -> None:
        dialog = QFileDialog(
            self._window, f"Export {row.model_id}", f"{row.model_id}.yaml", "YAML (*.yaml *.yml);;JSON (*.json)"
        )
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen")
        dialog.fileSelected.connect(lambda path: self.export_to(row, path, include_secrets=include_secrets))
        dialog.open()

    def export_to(self, row: ModelRow, path: str, *, include_secrets: bool = False) -> None:
        from engine.files import dump_document  # PyYAML: not on the start-up path

        try:
            dump_document(export_shape(row, include_secrets=include_secrets), path)
        except OSError as error:
            warn(self._window, "Export failed", f"Cannot write {path}: {error.strerror or error}")
            return
        self._window.statusBar().showMessage(f"Exported {row.model_id} to {path}", 6000)
