"""Opens the model wizard from the window (Create, Update, a draft, an imported file) and submits its jobs
through the window's backend. The window stays usable while a wizard is open."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QMainWindow

from engine.drafts.files import import_draft
from engine.drafts.store import Draft, DraftStore
from engine.errors import LisaDesktopError, Problem
from engine.files import load_document
from engine.model_row import ModelRow
from engine.schema.stored import stored_config
from engine.schema.validate import RequestKind, detect_kind
from ui.backend import Backend, CurrentModel, JobKind
from ui.background import Background
from ui.dialogs import warn
from ui.drafts_panel import DraftsPanel
from ui.model_settings_commands import MESSAGE_MS, context_window_failure, context_window_set
from ui.wizard.form import Mode, WizardForm
from ui.wizard.submitter import OFFLINE
from ui.wizard.wizard import ModelWizard

SubmitEdit = Callable[[JobKind, str, Mapping[str, Any], bool], str | None]
"""Start a create or update job (kind, model id, request, restart acknowledged) and follow it in the window;
returns the job's id, None when no deployment is open."""


@dataclass(frozen=True)
class WizardContext:
    """What the launcher reads of the window, at the moment it needs it."""

    backend: Callable[[], Backend | None]
    read_only: Callable[[], str | None]
    """Why the credentials cannot change models; None when they can."""
    selected_rows: Callable[[], list[ModelRow]]
    background: Background
    submit: SubmitEdit
    submit_after: Callable[[str, JobKind, str, Mapping[str, Any]], None] | None = None
    """Start a job once another has succeeded (job id, then as `submit`); None: not offered."""
    read_now: Callable[[list[str]], None] | None = None
    """Re-read these models' rows at once (a write made without a job); None: the next refresh shows it."""


class WizardLauncher:
    """Also the wizard's `Submitter`: submits through whichever backend the window has at that moment."""

    def __init__(self, window: QMainWindow, store: DraftStore, context: WizardContext) -> None:
        self.window = window
        self.context = context
        self.store = store
        self.panel = DraftsPanel(store, window)
        self.panel.open_requested.connect(self.open_draft)
        self.panel.import_requested.connect(self.import_file)
        self.wizards: dict[str, ModelWizard] = {}
        """Open wizards by draft id (or 'new:<n>' before the first save): one wizard per draft."""
        self._opened = 0

    # -- opening ---------------------------------------------------------------------------------------------

    def create(self) -> ModelWizard:
        return self._open(WizardForm(Mode.CREATE, {}))

    def update(self, row: ModelRow) -> ModelWizard:
        return self._open(WizardForm(Mode.UPDATE, stored_config(row.config), base=row.config))

    def open_draft(self, draft_id: str) -> ModelWizard | None:
        existing = self.wizards.get(draft_id)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        try:
            draft = self.store.get(draft_id)
        except LisaDesktopError as error:
            warn(self.window, "Cannot open the draft", str(error))
            return None
        form = WizardForm(Mode(draft.kind.value), draft.config, base=draft.base)
        return self._open(form, draft)

    def import_file(self, path: str) -> Draft | None:
        """A create file becomes a create draft; an update file applies to the model selected in the table."""
        window = self.window
        try:
            kind = detect_kind(load_document(path))
            base: Mapping[str, Any] | None = None
            if kind is RequestKind.UPDATE:
                rows = self.context.selected_rows()
                if len(rows) != 1 or not rows[0].config:
                    raise _Refused(
                        "An update file changes an existing model: select that model in the table, then import."
                    )
                base = rows[0].config
            label = self._deployment_label()
            ignored: list[Problem] = []
            draft = import_draft(path, self.store, base=base, deployment=label, warnings=ignored)
        except (_Refused, LisaDesktopError) as error:
            warn(window, "Cannot import", str(error))
            return None
        if ignored:
            names = ", ".join(problem.field for problem in ignored)
            window.statusBar().showMessage(f"Imported; fields LISA does not know were ignored: {names}", 15000)
        self.panel.reload()
        self.open_draft(draft.draft_id)
        return draft

    def _open(self, form: WizardForm, draft: Draft | None = None) -> ModelWizard:
        label = self._deployment_label()
        wizard = ModelWizard(form, drafts=self.store, draft=draft, submitter=self, deployment=label, parent=self.window)
        self._opened += 1
        key = draft.draft_id if draft is not None else f"new:{self._opened}"
        self.wizards[key] = wizard

        def saved(draft_id: str) -> None:
            for name, open_wizard in list(self.wizards.items()):
                if open_wizard is wizard and name != draft_id:
                    del self.wizards[name]
            self.wizards[draft_id] = wizard
            self.panel.reload()

        def closed() -> None:
            for name, open_wizard in list(self.wizards.items()):
                if open_wizard is wizard:
                    del self.wizards[name]
            self.panel.reload()
            wizard.deleteLater()

        wizard.draft_saved.connect(saved)
        wizard.finished.connect(lambda _result: closed())
        wizard.show()
        wizard.activateWindow()  # the keyboard goes to the wizard just opened
        if form.mode is Mode.UPDATE:
            self._read_guardrails(wizard)
        return wizard

    def _read_guardrails(self, wizard: ModelWizard) -> None:
        """The update's model's guardrails, read off the GUI thread; the Guardrails page lists them when they
        arrive (what the update's guardrails are compared with)."""
        backend = self.context.backend()
        if backend is None:
            wizard.set_existing_guardrails(None, OFFLINE)
            return
        model_id = wizard.form.model_id
        self.context.background.start(
            self._guardrails_into(backend, wizard, model_id), what=f"reading the guardrails of {model_id}"
        )

    async def _guardrails_into(self, backend: Backend, wizard: ModelWizard, model_id: str) -> None:
        try:
            guardrails = await self.context.background.run(backend.model_guardrails, model_id)
        except Exception as error:
            if wizard in self.wizards.values():
                wizard.set_existing_guardrails(None, backend.describe_error(error))
            return
        if wizard in self.wizards.values():  # else closed meanwhile
            wizard.set_existing_guardrails(guardrails)

    def _deployment_label(self) -> str | None:
        backend = self.context.backend()
        return backend.label if backend is not None else None

    # -- Submitter -------------------------------------------------------------------------------------------

    @property
    def background(self) -> Background:
        return self.context.background

    def refusal(self) -> str | None:
        if self.context.backend() is None:
            return OFFLINE
        read_only = self.context.read_only()
        if read_only:
            return f"read-only: {read_only}"
        return None

    def run_by(self) -> str | None:
        backend = self.context.backend()
        return backend.run_by if backend is not None else None

    async def current(self, model_id: str) -> CurrentModel:
        backend = self.context.backend()
        if backend is None:
            raise _Refused(OFFLINE)
        return await self.context.background.run(backend.current_model, model_id)

    def submit(self, kind: JobKind, model_id: str, payload: Mapping[str, Any], ack_restart: bool) -> str:
        job_id = self.context.submit(kind, model_id, payload, ack_restart)
        if job_id is None:
            raise _Refused(OFFLINE)
        self.window.statusBar().showMessage(
            f"{kind.value.capitalize()} of {model_id} submitted: the Jobs panel follows it", 8000
        )
        return job_id

    async def set_context_window(self, model_id: str, tokens: int) -> int:
        backend = self.context.backend()
        if backend is None:
            raise _Refused(OFFLINE)
        try:
            written = await self.context.background.run(backend.set_context_window, model_id, tokens)
        except Exception as error:
            raise _Refused(context_window_failure(backend, error, model_id, tokens)) from error
        self.window.statusBar().showMessage(context_window_set(model_id, written), MESSAGE_MS)
        if self.context.read_now is not None:
            self.context.read_now([model_id])
        return written

    def submit_after(self, job_id: str, kind: JobKind, model_id: str, payload: Mapping[str, Any]) -> None:
        if self.context.submit_after is None:
            raise _Refused("this window cannot start a job after another")
        self.context.submit_after(job_id, kind, model_id, payload)


class _Refused(Exception):
    pass
