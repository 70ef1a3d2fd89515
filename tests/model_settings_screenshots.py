"""The context window and the default model (issue #21, parts 3 and 4): the table with its Context and ★ (default)
columns and the default's Details at 1280×800 and 1920×1080 (drawn by tests.screenshots on the sandbox), the "Set as
default" question, and the "Context window…" dialog filled and refusing a value (a size of its own: drawn once, by
tests.dialog_screenshots, or alone over a plain 1280×800 window):

QT_QPA_PLATFORM=offscreen python -m tests.model_settings_screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from engine.model_row import ModelRow
from tests.screenshots import LARGE, SIZE, refit, run_offscreen, save, select, until
from ui.background import Background
from ui.context_window_dialog import ContextWindowDialog
from ui.main_window import MainWindow
from ui.model_settings_commands import confirm_default
from ui.model_table import Column


async def render_default_and_context(window: MainWindow, out: Path) -> None:
    """The table sorted by context window, the default model selected, at both sizes; then as it was."""
    window.view.sortByColumn(Column.CONTEXT_WINDOW, Qt.SortOrder.DescendingOrder)
    select(window, "mistral-7b-instruct")
    await until(lambda: window.details.facts["context"].text().endswith("tokens"))
    await asyncio.sleep(0.3)
    save(window, out, "model-table-default-context")
    row = window.table_model.row_for("claude-3-5-sonnet")
    assert row is not None
    question = confirm_default(window, row)
    question.open()
    save(question, out, "set-default-confirm")
    question.reject()
    window.resize(*LARGE)
    await asyncio.sleep(0.5)
    await refit(window)
    save(window, out, f"model-table-default-context-{LARGE[0]}x{LARGE[1]}")
    window.resize(*SIZE)
    await asyncio.sleep(0.5)
    await refit(window)
    window.view.sortByColumn(Column.MODEL_ID, Qt.SortOrder.AscendingOrder)


def render_context_window_dialog(parent: QWidget, out: Path) -> None:
    """The dialog with the model's value, a new one typed, and a refused one (its rule under the field)."""
    row = ModelRow.of(
        model_id="nova-pro",
        model_name="bedrock/amazon.nova-pro-v1:0",
        hosting="third_party",
        model_type="textgen",
        status="InService",
        context_window=300_000,
    )
    dialog = ContextWindowDialog(parent, row)
    dialog.show()
    dialog.entry.setText("128000")
    QApplication.processEvents()
    save(dialog, out, "context-window-dialog")
    dialog.entry.setText("0")
    dialog.accept()  # refused by LISA's rule before anything is sent
    QApplication.processEvents()
    save(dialog, out, "context-window-dialog-refused")
    dialog.reject()


async def render(out: Path, background: Background) -> None:
    window = QWidget()
    window.resize(*SIZE)
    window.show()
    render_context_window_dialog(window, out)
    window.close()


def main() -> None:
    run_offscreen(render, __doc__)


if __name__ == "__main__":
    main()
