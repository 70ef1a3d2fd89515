"""The start-up probe times the first frame of the table with rows only once every cell in view is drawn."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow
from lisa_desktop.startup_probe import StartupProbe
from ui.background import Background
from ui.main_window import MainWindow
from ui.model_table import FIRST_FILL


class FrameLog(StartupProbe):
    """The probe, noting for each frame whether the table was held or had cells left, and whether it counted."""

    frames: list[tuple[bool, int, bool]]

    def _frame_done(self) -> None:
        window = self.window
        held, left = not window.pages.updatesEnabled(), len(window.cell_delegate.deferred)
        super()._frame_done()
        self.frames.append((held, left, "data_painted_s" in self.timings))


def test_a_table_frame_counts_once_the_fill_is_painted_and_every_cell_drawn(
    qtbot: QtBot, background: Background, tmp_path: Path
) -> None:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    probe = FrameLog(window, tmp_path / "probe.json")
    probe.frames = []
    with qtbot.waitSignal(window.first_painted):
        window.show()
    window.cell_delegate.turn_budget_s = 0.0  # one new cell a turn: the table needs many frames
    rows = [ModelRow(f"m{n:05}", f"org/m{n}", "third_party", "textgen", "InService") for n in range(FIRST_FILL * 10)]
    window.refresher.succeeded.emit(rows)
    qtbot.waitUntil(probe.path.exists, timeout=20_000)
    counted = [index for index, (_, _, done) in enumerate(probe.frames) if done]
    first = counted[0]
    assert probe.frames[first][:2] == (False, 0)
    assert any(left for _, left, _ in probe.frames[:first])  # frames with cells left came before, not counted
    assert probe.timings["rows"] == len(rows)
