"""Measures how long the app takes to show something, for benchmarks and the installer's smoke test.

With LISA_DESKTOP_STARTUP_PROBE=FILE the app writes, as JSON to FILE, the seconds from process start to the
first painted window and to the first painted table with rows (and whether those rows were cached), then quits.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from ui.main_window import MainWindow

PROBE_ENV = "LISA_DESKTOP_STARTUP_PROBE"


def seconds_since_process_start() -> float:
    """From the kernel's record of when this process started (Linux); else from this module's import."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started_ticks = int(fields[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


_IMPORTED = time.monotonic()


class StartupProbe(QObject):
    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self.timings: dict[str, float | bool] = {}
        window.view.viewport().installEventFilter(self)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            if "window_painted_s" not in self.timings:
                self.timings["window_painted_s"] = seconds_since_process_start()
            if watched is self.window.view.viewport() and self.window.table_model.rowCount() > 0:
                self.timings["data_painted_s"] = seconds_since_process_start()
                self.timings["cached"] = self.window.cached_at is not None
                self.timings["rows"] = self.window.table_model.rowCount()
                self.window.view.viewport().removeEventFilter(self)
                self.window.removeEventFilter(self)
                QTimer.singleShot(0, self._finish)
        return False

    def _finish(self) -> None:
        self.path.write_text(json.dumps(self.timings))
        QApplication.quit()


def install_if_asked(window: MainWindow) -> StartupProbe | None:
    path = os.environ.get(PROBE_ENV)
    return StartupProbe(window, Path(path)) if path else None
