"""The details pane's root cause of a model's last failure: what AWS said, the container's last log lines, links
into the AWS console and the ARNs to copy."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication, QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.jobs.cause import RootCause, last_root_cause
from ui.job_model import JobSummary

TITLE = "Root cause of the last failure"
LOG_LINES_SHOWN = 12
"""The log excerpt's lines on show, wrapped (it scrolls beyond)."""
SUCCEEDED = "Succeeded"


def latest_root_cause(history: Sequence[JobSummary]) -> RootCause | None:
    """The root cause of the model's latest failure, from its jobs newest first; None when none was gathered or a
    later job succeeded (the failure is behind it)."""
    for job in history:
        cause = last_root_cause(job.events)
        if cause is not None:
            return cause
        if job.state == SUCCEEDED:
            return None
    return None


class RootCauseView(QFrame):
    """Hidden until `show_cause` is given a root cause."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rootCause")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.cause: RootCause | None = None
        title = QLabel(f"<b>{TITLE}</b>")
        self.findings = QLabel()
        self.findings.setObjectName("rootCauseFindings")
        self.findings.setWordWrap(True)
        self.findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log = QPlainTextEdit()
        self.log.setObjectName("rootCauseLog")
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # read without scrolling sideways
        self.log.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setFixedHeight(self._log_height(LOG_LINES_SHOWN))
        self.open_button = _menu_button("Open in AWS console", "openInConsole")
        self.copy_button = _menu_button("Copy ARN", "copyArn")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.findings)
        layout.addWidget(self.log)
        layout.addLayout(buttons)
        self.hide()

    def show_cause(self, cause: RootCause | None) -> None:
        self.cause = cause
        if cause is None:
            self.hide()
            return
        self.findings.setText("\n".join(f"• {line}" for line in cause.lines()) or "AWS kept nothing that explains it.")
        self.log.setVisible(cause.log is not None)
        if cause.log is not None:
            self.log.setToolTip(f"Last lines of {cause.log.stream} in log group {cause.log.group}")
            self.log.setPlainText("\n".join(cause.log.lines) or "(the log stream is empty)")
        self._fit_log()
        self.open_button.setVisible(bool(cause.links))
        self.copy_button.setVisible(bool(cause.arns))
        open_menu, copy_menu = self.open_button.menu(), self.copy_button.menu()
        open_menu.clear()
        copy_menu.clear()
        for link in cause.links:
            action = open_menu.addAction(link.label)
            action.setToolTip(link.url)
            action.triggered.connect(lambda _=False, url=link.url: QDesktopServices.openUrl(QUrl(url)))
        for label, arn in cause.arns:
            action = copy_menu.addAction(f"{label}: {arn}")
            action.triggered.connect(lambda _=False, arn=arn: QGuiApplication.clipboard().setText(arn))
        self.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_log()

    def _fit_log(self) -> None:
        """The log as tall as its wrapped lines, up to `LOG_LINES_SHOWN` (it scrolls beyond)."""
        if self.log.isHidden():
            return
        room = self.log.viewport().width() - 2 * int(self.log.document().documentMargin())
        if room <= 0:
            return
        flags = Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextWrapAnywhere
        wrapped = self.log.fontMetrics().boundingRect(QRect(0, 0, room, 100_000), flags, self.log.toPlainText())
        lines = max(1, -(-wrapped.height() // self.log.fontMetrics().lineSpacing()))
        height = self._log_height(min(lines, LOG_LINES_SHOWN))
        if height != self.log.height():
            self.log.setFixedHeight(height)

    def _log_height(self, lines: int) -> int:
        margins = 2 * (self.log.frameWidth() + int(self.log.document().documentMargin())) + 2
        return self.log.fontMetrics().lineSpacing() * lines + margins


def _menu_button(text: str, name: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(name)
    button.setText(text)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setMenu(QMenu(button))
    return button
