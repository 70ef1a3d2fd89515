"""The selected model in full: live ECS/ASG facts, failure reason, recent ECS events, configuration (its API key
masked until Reveal), jobs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QFontDatabase, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.jobs.cause import RootCause
from engine.model_row import ModelRow
from ui.banner import Banner, BannerKind
from ui.formatting import capacity_text, local_time, yes_no
from ui.model_table import HOSTING_LABELS, context_window_text
from ui.root_cause_view import RootCauseView
from ui.schedule_details import ScheduleSection

if TYPE_CHECKING:
    from engine.aws.guardrails import Guardrail

NOTHING_SELECTED = "Select a model to see its details."
FAILURE_SHOWN = 240
"""Characters of a failure reason the pane shows (the rest is in its tooltip, the Jobs tab and the root cause)."""
REVEAL = "Reveal API key"
HIDE = "Hide API key"
RED = QColor("#c62828")


def event_time(iso: str | None) -> str:
    """An ECS event's ISO timestamp in local time (`11-27 14:03:07`); '' when missing or unreadable."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _text(value: Any) -> str:
    return "–" if value is None or value == "" else str(value)


LABELS_BESIDE_FROM = 260
"""The pane's width from which the facts' labels stand beside their values."""


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.row: ModelRow | None = None
        self._guardrails_of: str | None = None
        """The model whose guardrails the Guardrails line shows."""
        self.title = QLabel()
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        for heading in (self.title, self.subtitle):  # a long name is cut (whole in its tooltip), the dock not widened
            heading.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.failure = Banner(self, object_name="failureReason")
        self.failure.close_button.hide()
        self.hold = Banner(self, object_name="holdNote")
        self.hold.close_button.hide()
        for banner in (self.failure, self.hold):  # a long unbroken word (an exception's name) is cut at the edge
            banner.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.live_note = QLabel()
        self.live_note.setWordWrap(True)

        self.facts: dict[str, QLabel] = {}
        facts_form = QFormLayout()
        self.facts_form = facts_form
        for key, label in (
            ("status", "Status"),
            ("hosting", "Hosting"),
            ("instance", "Instance type"),
            ("capacity", "Min / Desired / Max"),
            ("healthy", "Healthy instances"),
            ("tasks", "Running tasks"),
            ("revision", "Task definition"),
            ("rollout", "Rollout"),
            ("litellm", "Registered in LiteLLM"),
            ("context", "Context window"),
            ("default", "Default model"),
            ("guardrails", "Guardrails"),
            ("modified", "Last modified"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            self.facts[key] = value
            facts_form.addRow(f"{label}:", value)

        self.events = QListWidget()
        self.events.setObjectName("serviceEvents")
        self.events.setWordWrap(True)
        overview = QWidget()
        overview_layout = QVBoxLayout(overview)
        self.root_cause = RootCauseView()  # first: when there is one, it is what the administrator comes to read
        self._root_cause_of: str | None = None
        overview_layout.addWidget(self.root_cause)
        overview_layout.addLayout(facts_form)
        self.schedule = ScheduleSection()
        overview_layout.addWidget(self.schedule)
        overview_layout.addWidget(self.live_note)
        overview_layout.addWidget(QLabel("Recent ECS service events:"))
        self.events.setMinimumHeight(120)
        overview_layout.addWidget(self.events, 1)

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.config = QPlainTextEdit()
        self.config.setObjectName("configText")
        self.config.setReadOnly(True)
        self.config.setFont(mono)
        self.reveal = QPushButton(REVEAL)
        self.reveal.setObjectName("revealSecrets")
        self.reveal.setCheckable(True)
        self.reveal.setToolTip("Show the model's API key in clear here (Copy as JSON and Export still mask it)")
        self.reveal.toggled.connect(self._show_config)
        configuration = QWidget()
        configuration_layout = QVBoxLayout(configuration)
        configuration_layout.setContentsMargins(0, 0, 0, 0)
        reveal_row = QHBoxLayout()
        reveal_row.addStretch(1)
        reveal_row.addWidget(self.reveal)
        configuration_layout.addLayout(reveal_row)
        configuration_layout.addWidget(self.config, 1)
        self.jobs = QListWidget()
        self.jobs.setObjectName("jobHistory")
        self.jobs.setWordWrap(True)

        self.tabs = QTabWidget()
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.tabBar().setUsesScrollButtons(False)
        scroller = QScrollArea()  # a long failure reason must not squeeze the facts into clipped lines
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        # The overview follows the dock's width (its rows wrap), so the dock never widens over the table.
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setWidget(overview)
        self.tabs.addTab(scroller, "Overview")
        self.tabs.addTab(configuration, "Configuration")
        self.tabs.addTab(self.jobs, "Jobs")

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.title)
        content_layout.addWidget(self.subtitle)
        content_layout.addWidget(self.failure)
        content_layout.addWidget(self.hold)
        content_layout.addWidget(self.tabs, 1)
        self.empty = QLabel(NOTHING_SELECTED)
        self.empty.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.pages)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """In a narrow dock each value goes under its label, rather than both squeezed side by side."""
        policy = (
            QFormLayout.RowWrapPolicy.WrapAllRows
            if event.size().width() < LABELS_BESIDE_FROM
            else QFormLayout.RowWrapPolicy.DontWrapRows
        )
        for form in (self.facts_form, self.schedule.form):
            if form.rowWrapPolicy() != policy:
                form.setRowWrapPolicy(policy)
        super().resizeEvent(event)

    def show_row(self, row: ModelRow | None) -> None:
        if row is None or self.row is None or row.model_id != self.row.model_id:
            with QSignalBlocker(self.reveal):
                self.reveal.setChecked(False)  # another model: its key is not revealed until asked
        if row is None or row.model_id != self._root_cause_of:
            self.show_root_cause(None, None)
        self.row = row
        if row is None:
            self._guardrails_of = None
            self.pages.setCurrentIndex(0)
            return
        self.pages.setCurrentIndex(1)
        self.title.setText(row.model_id)
        self.title.setToolTip(row.model_id)
        self.subtitle.setText(f"{row.model_name} · {row.model_type}")
        self.subtitle.setToolTip(self.subtitle.text())
        if row.unreadable is not None:
            self.failure.show_message(
                BannerKind.ERROR,
                f"This version cannot read the stored record ({row.unreadable}). Configuration shows the item as "
                "stored; Copy as JSON copies it.",
            )
        elif row.shown_failure_reason:
            reason = row.shown_failure_reason
            shown = reason if len(reason) <= FAILURE_SHOWN else reason[: FAILURE_SHOWN - 1].rstrip() + "…"
            self.failure.show_message(BannerKind.ERROR, f"Failure reason: {shown}")
            self.failure.setToolTip(reason)
        else:
            self.failure.hide()
        live: Mapping[str, Any] = row.live or {}
        self.facts["status"].setText(row.status)
        self.facts["hosting"].setText(HOSTING_LABELS.get(row.hosting, row.hosting))
        self.facts["instance"].setText(_text(row.instance_type))
        self.facts["capacity"].setText(capacity_text(row))
        self.facts["healthy"].setText(_text(row.healthy_instances))
        self.facts["tasks"].setText(_text(row.running_tasks))
        revision = live.get("taskDefinitionRevision")
        self.facts["revision"].setText("–" if revision is None else f"revision {revision}")
        self.facts["rollout"].setText(_text(live.get("rolloutState")))
        registered = live.get("litellmRegistered", row.litellm_registered)
        self.facts["litellm"].setText("–" if registered is None else yes_no(bool(registered)))
        self.facts["modified"].setText(local_time(row.last_modified) or "–")
        window = context_window_text(row.context_window)
        self.facts["context"].setText(f"{window} tokens" if window else "–")
        self.facts["default"].setText(yes_no(row.is_default))
        if self._guardrails_of != row.model_id:
            self.facts["guardrails"].setText("reading …")
            self.facts["guardrails"].setToolTip("")
        self.schedule.show_row(row)
        self.live_note.setText(f"Some live facts are missing: {row.live_error}" if row.live_error else "")
        self.live_note.setVisible(bool(row.live_error))
        self.events.clear()
        events = live.get("events") or []
        for event in events:
            self.events.addItem(f"{event_time(event.get('time'))}  {event.get('message', '')}".strip())
        if not events:
            self.events.addItem("No ECS events." if row.lisa_hosted else "Third-party model: no ECS service.")
        self._show_config()

    def _show_config(self) -> None:
        row = self.row
        if row is None:
            return
        revealing = self.reveal.isChecked() and bool(row.secrets)
        self.reveal.setVisible(bool(row.secrets))
        self.reveal.setText(HIDE if revealing else REVEAL)
        config = row.revealed_config() if revealing else row.config
        self.config.setPlainText(
            json.dumps(dict(config), indent=2, sort_keys=True, default=str)
            if config
            else "The configuration arrives with the first refresh (the rows shown are cached)."
        )

    def show_guardrails(
        self, model_id: str, guardrails: Sequence[Guardrail] | None, problem: str | None = None
    ) -> None:
        """The model's guardrails, read on selection (None with `problem`: they could not be read); ignored once
        another model is shown."""
        if self.row is None or self.row.model_id != model_id:
            return
        self._guardrails_of = model_id
        label = self.facts["guardrails"]
        if guardrails is None:
            label.setText(f"could not be read: {problem}" if problem else "–")
        elif not guardrails:
            label.setText("none")
        else:
            label.setText(
                "\n".join(
                    f"{guardrail.name} — {guardrail.mode}, {guardrail.identifier}:{guardrail.version}"
                    for guardrail in sorted(guardrails, key=lambda guardrail: guardrail.name)
                )
            )
        label.setToolTip(
            "\n".join(
                f"{guardrail.name}: LiteLLM {guardrail.litellm_name} ({guardrail.guardrail_id})"
                for guardrail in guardrails or ()
            )
        )

    def show_root_cause(self, model_id: str | None, cause: RootCause | None) -> None:
        """The root cause of `model_id`'s last failure (None: none known); hidden once another model is shown."""
        self._root_cause_of = model_id if cause is not None else None
        self.root_cause.show_cause(cause)

    def show_hold(self, text: str | None, *, expired: bool = False) -> None:
        """Who holds the model, when a job this window is not running does (None: none does); red once its lease
        has expired."""
        if text is None:
            self.hold.hide()
        elif text != self.hold.message.text() or self.hold.isHidden():
            self.hold.show_message(BannerKind.ERROR if expired else BannerKind.INFO, text)

    def set_history(self, lines: Sequence[str]) -> None:
        """The model's jobs, newest first: when, kind, outcome, by whom, recovered by whom."""
        self.jobs.clear()
        self.jobs.addItems(list(lines) or ["No jobs of this workstation for this model yet."])

    def set_history_problem(self, text: str) -> None:
        """Said above the jobs this window knows of, when the journal cannot be read."""
        self.jobs.insertItem(0, text)
        self.jobs.item(0).setForeground(RED)
