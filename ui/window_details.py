"""The details pane of the one selected model: its row, its journaled jobs and who holds it, read off the GUI
thread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from engine.model_row import ModelRow
from ui.backend import Backend, JournalEntry
from ui.background import Background
from ui.details_pane import DetailsPane
from ui.job_history import model_history
from ui.job_panel import JobPanel
from ui.root_cause_view import latest_root_cause
from ui.window_actions import HoldOf

log = logging.getLogger(__name__)


class DetailsFeed:
    def __init__(
        self,
        details: DetailsPane,
        jobs: JobPanel,
        background: Background,
        *,
        backend: Callable[[], Backend | None],
        hold_of: HoldOf,
    ) -> None:
        self._details = details
        self._jobs = jobs
        self._background = background
        self._backend = backend
        self._hold_of = hold_of
        self._journal: dict[str, list[JournalEntry]] = {}
        """The journaled jobs of models shown in the details pane, as last read."""
        self._journal_reads = 0
        self._latest_read: dict[str, int] = {}
        """Per model, the journal read asked for last: an older read that ends later (queued behind a refresh on
        the workers) must not put back a job that has ended as still running."""

    def forget(self, model_ids: Iterable[str] | None = None) -> None:
        """Drop the journal read of these models (of every model with None): it is out of date."""
        if model_ids is None:
            self._journal = {}
            return
        for model_id in model_ids:
            self._journal.pop(model_id, None)

    def shows(self, model_id: str) -> bool:
        return self._details.row is not None and self._details.row.model_id == model_id

    def follow(self, rows: list[ModelRow], *, at_once: bool) -> None:
        """The pane follows a single selected model: its table row at once when the selection changed, then the
        detailed row (recent ECS events) from a worker; after a refresh only the detailed fetch, so the pane
        does not flicker back to the summary."""
        if len(rows) != 1:
            self._details.show_row(None)
            return
        row = rows[0]
        if at_once or not self.shows(row.model_id):
            self._details.show_row(row)
            self.show_history(row.model_id)
            self.show_hold()
        self.fetch(row.model_id)

    def show_history(self, model_id: str) -> None:
        """The pane's Jobs tab: the model's journaled jobs as last read, and this window's others."""
        ours = self._jobs.history(model_id)
        self._details.set_history(model_history(ours, self._journal.get(model_id, [])))
        self._details.show_root_cause(model_id, latest_root_cause(self._jobs.history(model_id)))

    def show_hold(self) -> None:
        """Who holds the pane's model, when a job this window is not running does."""
        row = self._details.row
        hold, ours = self._hold_of(row) if row is not None else (None, False)
        if hold is None or ours:
            self._details.show_hold(None)
            return
        after = "\nActions → Take over… settles the model." if hold.expired else ""
        self._details.show_hold(f"{hold.text()}.{after}", expired=hold.expired)

    def fetch(self, model_id: str) -> None:
        backend = self._backend()
        if backend is not None:
            self._background.start(self._load(backend, model_id), what=f"reading the details of {model_id}")

    async def _load_guardrails(self, backend: Backend, model_id: str) -> None:
        """The model's guardrails: one query of the guardrails table per selection (and per refresh of the
        selected model), never one per row."""
        try:
            guardrails = await self._background.run(backend.model_guardrails, model_id)
        except Exception as error:
            if backend is self._backend():
                self._details.show_guardrails(model_id, None, backend.describe_error(error))
            return
        if backend is self._backend():
            self._details.show_guardrails(model_id, guardrails)

    async def _load(self, backend: Backend, model_id: str) -> None:
        self._journal_reads += 1
        read = self._latest_read[model_id] = self._journal_reads
        try:
            journaled = await self._background.run(lambda: backend.job_history(model_id, with_steps=False))
        except Exception as error:
            log.exception("reading the job journal of %s failed", model_id)
            self._details.set_history_problem(f"Cannot read the job journal: {backend.describe_error(error)}")
        else:
            if backend is self._backend() and self._latest_read.get(model_id) == read:
                self._journal[model_id] = journaled
                if self.shows(model_id):
                    self.show_history(model_id)
        await self._load_guardrails(backend, model_id)
        try:
            row = await self._background.run(backend.model_row, model_id)
        except Exception:  # the table row stays shown; the next refresh tries again
            return
        if backend is self._backend() and self.shows(model_id):
            self._details.show_row(row)
            self.show_history(model_id)
            self.show_hold()
