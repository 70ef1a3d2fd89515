"""The status bar's permanent widgets: model counts, the refresh's state, the deployment and its switcher."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QStatusBar

from ui.dialogs import ConfirmDialog
from ui.formatting import ago
from ui.refresher import Refresher

MANAGE_CONNECTIONS = "manage-connections"
"""The switcher's last entry: opens the Connections dialog."""
SANDBOX_CHOICE = "sandbox"


class ConnectionSwitcher(QComboBox):
    chosen = Signal(str)
    """The user picked another deployment (a connection name, or 'sandbox'), confirmed when jobs were running."""
    manage_requested = Signal()

    def __init__(self, running_jobs: Callable[[], int]) -> None:
        super().__init__()
        self.setObjectName("connectionSwitcher")
        self.setToolTip("Switch to another deployment")
        self._running_jobs = running_jobs
        self.current_choice = SANDBOX_CHOICE
        self.activated.connect(self._on_activated)

    def set_connections(self, connections: Sequence[str], current: str | None, *, target_label: str = "") -> None:
        """The built-in sandbox, every connection, and `current` when it is none of them (a deployment named by
        --endpoint-url, shown as `target_label`); `current` selected."""
        shown = {self.itemData(i): self.itemText(i) for i in range(self.count())}
        self.clear()
        self.addItem("Sandbox (built-in)", SANDBOX_CHOICE)
        for name in connections:
            self.addItem(name, name)
        if current and self.findData(current) < 0:
            self.addItem(target_label or shown.get(current, current), current)
        self.insertSeparator(self.count())
        self.addItem("Manage connections…", MANAGE_CONNECTIONS)
        self.setCurrentIndex(max(self.findData(current or SANDBOX_CHOICE), 0))
        self.current_choice = str(self.currentData())

    def _show_current(self) -> None:
        self.setCurrentIndex(max(self.findData(self.current_choice), 0))

    def _on_activated(self, index: int) -> None:
        choice = str(self.itemData(index))
        if choice == MANAGE_CONNECTIONS:
            self._show_current()
            self.manage_requested.emit()
            return
        if choice == self.current_choice:
            return
        running = self._running_jobs()
        if not running:
            self.current_choice = choice
            self.chosen.emit(choice)
            return
        self._show_current()
        dialog = ConfirmDialog(
            self.window(),
            title="Switch deployment",
            text=f"{running} job(s) are still running on this deployment. Switching cancels them: each rolls back "
            "what it did, which can take a minute. Switch anyway?",
            confirm_label="Cancel the jobs and switch",
        )
        dialog.setObjectName("switchConfirmDialog")
        dialog.accepted.connect(lambda: self._switch_confirmed(choice))
        dialog.open()

    def _switch_confirmed(self, choice: str) -> None:
        self.current_choice = choice
        self._show_current()
        self.chosen.emit(choice)


class StatusWidgets:
    def __init__(self, status: QStatusBar, switcher: ConnectionSwitcher) -> None:
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionLabel")
        self.refresh_label = QLabel()
        self.refresh_label.setObjectName("refreshLabel")
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        for label in (self.count_label, self.refresh_label, self.connection_label):
            label.setMinimumWidth(40)  # the window may be narrower than their text (clipped, then whole again)
        status.addPermanentWidget(self.count_label)
        status.addPermanentWidget(self.refresh_label)
        status.addPermanentWidget(self.connection_label)
        status.addPermanentWidget(switcher)


def refresh_text(refresher: Refresher, *, cached_at: float | None, stale: bool) -> str:
    """Whether a refresh runs, how old the rows shown are, and when the next refresh comes."""
    parts: list[str] = []
    if refresher.in_flight:
        parts.append("refreshing…")
    if cached_at is not None:
        parts.append(f"cached data from {ago(time.time() - cached_at)}")
    elif refresher.last_success is not None:
        when = ago(time.monotonic() - refresher.last_success)
        parts.append(f"STALE: last good data {when}" if stale else f"refreshed {when}")
    elif stale:
        parts.append("STALE: the refresh failed")
    if refresher.paused:
        parts.append("auto-refresh paused (Ctrl+P to resume)")
    elif (due := refresher.seconds_until_next()) is not None:
        changing = len(refresher.watched)
        watching = f" · watching {changing} changing model{'s' if changing != 1 else ''}" if changing else ""
        parts.append(f"next in {max(0, round(due))} s{watching}")
    return " · ".join(parts)


def count_text(*, total: int, shown: int, loaded: int) -> str:
    """`total` counts the rows still being read; `loaded` the rows in the table, `shown` those the filter lets
    through."""
    return f"{total} models" if shown == loaded else f"{shown} of {total} models shown"
