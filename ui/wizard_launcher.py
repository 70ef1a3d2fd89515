"""Opens the model wizard from the window (Create, Update, a draft, an imported file) and submits its jobs
through the window's backend. The window stays usable while a wizard is open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.drafts.files import import_draft
from engine.drafts.store import Draft, DraftStore
from engine.errors import LisaDesktopError, Problem
from engine.files import load_document
from engine.model_row import ModelRow
from engine.schema.validate import RequestKind, detect_kind
from ui.backend import CurrentModel, JobKind
from ui.background import on_worker
from ui.dialogs import warn
from ui.drafts_panel import DraftsPanel
from ui.wizard.form import Mode, WizardForm, stored_config
from ui.wizard.submitter import OFFLINE
from ui.wizard.wizard import ModelWizard

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class WizardLauncher:
    """Also the wizard's `Submitter`: submits through whichever backend the window has at that moment."""

    def __init__(self, window: MainWindow, store: DraftStore) -> None:
        self.window = window
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
                rows = window.selected_rows()
                if len(rows) != 1 or not rows[0].config:
                    raise _Refused(
                        "An update file changes an existing model: select that model in the table, then import."
                    )
                base = rows[0].config
            label = window.backend.label if window.backend is not None else None
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
        window = self.window
        label = window.backend.label if window.backend is not None else None
        wizard = ModelWizard(form, drafts=self.store, draft=draft, submitter=self, deployment=label, parent=window)
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
        return wizard

    # -- Submitter -------------------------------------------------------------------------------------------

    def refusal(self) -> str | None:
        window = self.window
        if window.backend is None:
            return OFFLINE
        if window.read_only:
            return f"read-only: {window.read_only}"
        return None

    async def current(self, model_id: str) -> CurrentModel:
        backend = self.window.backend
        if backend is None:
            raise _Refused(OFFLINE)
        return await on_worker(self.window.executor, backend.current_model, model_id)

    def submit(self, kind: JobKind, model_id: str, payload: Mapping[str, Any], ack_restart: bool) -> str:
        window = self.window
        backend = window.backend
        if backend is None:
            raise _Refused(OFFLINE)
        ticket = backend.submit(
            kind,
            model_id,
            on_event=window.jobs.signals.event.emit,
            on_end=window.jobs.signals.ended.emit,
            payload=dict(payload),
            ack_restart=ack_restart,
        )
        window.jobs.track(ticket, f"{kind.value.capitalize()} {model_id}")
        window.jobs.show()
        window.jobs.focus_job(ticket.job_id)
        window._update_pace()
        window.refresher.read_now([model_id])
        window.statusBar().showMessage(
            f"{kind.value.capitalize()} of {model_id} submitted: the Jobs panel follows it", 8000
        )
        return ticket.job_id


class _Refused(Exception):
    pass
