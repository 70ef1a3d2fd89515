"""Measures how long the app takes to show something, for benchmarks and the installer's smoke test.

With LISA_DESKTOP_STARTUP_PROBE=FILE the app writes, as JSON to FILE, the seconds from process start until the
first frame of the window, and the first frame of the table with rows, were completely painted (and whether those
rows were cached), then quits. A table frame counts once every cell in view is drawn: the table draws new cells
for a few milliseconds a turn and leaves the rest to the next frames.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from ui.main_window import MainWindow, Page

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
    """Times frames, not paint events: the window paints before its children, and work it queues from its own
    paint (start-up's, after the first frame) must not count. A frame is painted while the window's native window
    handles an Expose or UpdateRequest event, so a zero timer started then fires as soon as the frame is done.

    It watches the window alone: wrapping the table's viewport for Python would cost time the app does not spend.
    """

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self.timings: dict[str, float | bool | int] = {}
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.window and kind == QEvent.Type.Show:
            handle = self.window.windowHandle()
            if handle is not None:
                handle.installEventFilter(self)
        elif kind in (QEvent.Type.Expose, QEvent.Type.UpdateRequest):
            QTimer.singleShot(0, self._frame_done)
        return False

    def _frame_done(self) -> None:
        if "data_painted_s" in self.timings:
            return
        now = seconds_since_process_start()
        self.timings.setdefault("window_painted_s", now)
        window, rows = self.window, self.window.table_model.rowCount()
        if (
            rows > 0
            and window.pages.currentIndex() == Page.TABLE
            and window.view.isVisible()
            and window.pages.updatesEnabled()  # painted, not held until a fill is done
            and not window.cell_delegate.deferred  # every cell in view drawn
        ):
            self.timings |= {"data_painted_s": now, "cached": window.cached_at is not None, "rows": rows}
            self.path.write_text(json.dumps(self.timings))
            QApplication.quit()


def install_if_asked(window: MainWindow) -> StartupProbe | None:
    path = os.environ.get(PROBE_ENV)
    return StartupProbe(window, Path(path)) if path else None
