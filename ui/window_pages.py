"""What the window's centre shows: the loading page, the model table, the empty deployment, or the error page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QLabel, QProgressBar, QStackedWidget, QVBoxLayout, QWidget

EMPTY_TEXT = (
    "<b>No models in this deployment yet.</b><br>Create one with Ctrl+N, or from the command line: "
    "<code>lisa-desktop models create FILE</code>"
)


class Page:
    LOADING, TABLE, EMPTY, ERROR = range(4)


class WindowPages(QStackedWidget):
    """The message pages are shown only while the table has no rows: with rows, the last data stays on screen
    (a banner says what went wrong)."""

    retry_requested = Signal()

    def __init__(self, table_page: QWidget, has_rows: Callable[[], bool]) -> None:
        super().__init__()
        self._has_rows = has_rows
        self._table_shown = False
        self.loading_label = QLabel("Loading models…")
        self.empty_label = QLabel()
        self.error_label = QLabel()
        self.addWidget(self._message_page(self.loading_label, busy=True))
        self.addWidget(table_page)
        self.addWidget(self._message_page(self.empty_label))
        self.addWidget(self._message_page(self.error_label))

    def _message_page(self, label: QLabel, *, busy: bool = False) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout.addWidget(label)
        if busy:
            bar = QProgressBar()
            bar.setRange(0, 0)
            bar.setMaximumWidth(240)
            bar.setTextVisible(False)
            layout.addWidget(bar, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            retry = QLabel('<a href="retry">Retry now</a>')
            retry.setAlignment(Qt.AlignmentFlag.AlignCenter)
            retry.linkActivated.connect(lambda _link: self.retry_requested.emit())
            retry.setVisible(label is self.error_label)
            layout.addWidget(retry)
        layout.addStretch(2)
        return page

    def show_loading(self, what: str) -> None:
        self.loading_label.setText(f"Loading models from {what}…")
        if not self._has_rows():
            self.setCurrentIndex(Page.LOADING)

    def show_problem(self, title: str, message: str) -> bool:
        """The error page, when there is no last data to show; returns whether it is shown (else the caller says
        it over the table)."""
        self.error_label.setText(f"<b>{title}</b><br>{message}")
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        if self._has_rows():
            return False
        self.setCurrentIndex(Page.ERROR)
        return True

    def show_empty(self) -> None:
        self.empty_label.setText(EMPTY_TEXT)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.setCurrentIndex(Page.EMPTY)

    def show_table(self, *, painted: bool, filled: SignalInstance | None) -> bool:
        """The table page; when another page was on screen, painted one event-loop turn after the table has all
        its rows (`filled` fires then; None when it has them already). The view repaints whole after each fill
        chunk, so thousands of rows arriving on the loading page are painted once; the table's
        first layout and paint and the work that filled it then each hold the GUI thread alone, with the
        input and timers that came meanwhile handled between them.

        Returns True the first time the table page is shown."""
        if self.currentIndex() == Page.TABLE:
            return False
        if painted and self.updatesEnabled():
            self.setUpdatesEnabled(False)
            if filled is not None:
                filled.connect(self._reveal, Qt.ConnectionType.SingleShotConnection)
            else:
                self._reveal()
        self.setCurrentIndex(Page.TABLE)
        first, self._table_shown = not self._table_shown, True
        return first

    def _reveal(self) -> None:
        QTimer.singleShot(0, self, lambda: self.setUpdatesEnabled(True))
