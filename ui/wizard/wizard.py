"""The create/update wizard: Base configuration → Container → Auto scaling → Schedule → Load balancer →
Guardrails → Review.

Every edit is validated at once by the engine's schema and plan (ui.wizard.form), and saved as a draft a
moment later, so closing the wizard, losing the connection or killing the app loses no typed value.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget, QWizard

from engine.drafts.conflict import Comparison, Side, compare
from engine.drafts.store import Draft, DraftKind, DraftStore
from engine.schema.enums import ModelHostingType
from ui.backend import CurrentModel, JobKind
from ui.wizard.conflict_dialog import ConflictDialog
from ui.wizard.form import Mode, Validation, WizardForm
from ui.wizard.form_page import FormPage
from ui.wizard.guardrails_page import GuardrailsPage
from ui.wizard.review_page import ReviewPage
from ui.wizard.schedule_form import SCHEDULING_PATH
from ui.wizard.schedule_page import SchedulePage
from ui.wizard.specs import HOSTED_PAGES, FieldSpec, PageId
from ui.wizard.submitter import OFFLINE, Submitter

if TYPE_CHECKING:
    import asyncio

    from engine.aws.guardrails import Guardrail

log = logging.getLogger(__name__)

AUTOSAVE_MS = 1000
"""A draft is saved this long after the last edit (and when the wizard closes)."""
PAGE_ORDER = (
    PageId.BASE,
    PageId.CONTAINER,
    PageId.AUTO_SCALING,
    PageId.SCHEDULE,
    PageId.LOAD_BALANCER,
    PageId.GUARDRAILS,
    PageId.REVIEW,
)
PAGE_IDS = {page: index for index, page in enumerate(PAGE_ORDER)}


class ModelWizard(QWizard):
    submitted = Signal(str)
    """The job id, once Submit started the job."""
    draft_saved = Signal(str)
    """The draft id, after each save."""

    def __init__(
        self,
        form: WizardForm,
        *,
        drafts: DraftStore | None = None,
        draft: Draft | None = None,
        submitter: Submitter | None = None,
        deployment: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelWizard")
        self.form = form
        self.drafts = drafts
        self.draft = draft
        self.submitter = submitter
        self.deployment = deployment
        self.validation = Validation()
        self.conflict_dialog: ConflictDialog | None = None
        self._dirty = False
        self._done = False
        self._submitting: asyncio.Task[None] | None = None
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.HaveCustomButton1)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Sa&ve draft")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Submit")
        self.button(QWizard.WizardButton.CustomButton1).setObjectName("saveDraftButton")
        self.button(QWizard.WizardButton.FinishButton).setObjectName("submitButton")
        self.customButtonClicked.connect(lambda _which: self.save_draft())
        self.pages: dict[PageId, FormPage] = {}
        self.guardrails_page = GuardrailsPage(self._on_edit, self)
        self.setPage(PAGE_IDS[PageId.GUARDRAILS], self.guardrails_page)
        for page in PAGE_ORDER[:-1]:
            if page in (PageId.GUARDRAILS, PageId.SCHEDULE):
                continue
            form_page = FormPage(page, self._on_edit, self)
            self.pages[page] = form_page
            self.setPage(PAGE_IDS[page], form_page)
        self.schedule_page = SchedulePage(self._on_schedule_edit, self)
        self.setPage(PAGE_IDS[PageId.SCHEDULE], self.schedule_page)
        self.review = ReviewPage(self)
        self.setPage(PAGE_IDS[PageId.REVIEW], self.review)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_draft)
        self.resize(900, 720)
        self._load_pages()
        self.revalidate()
        self._update_title()

    # -- pages -----------------------------------------------------------------------------------------------

    def page_of(self, page: PageId) -> FormPage:
        return self.pages[page]

    def nextId(self) -> int:
        current = self.currentId()
        for page in PAGE_ORDER:
            if PAGE_IDS[page] > current and self.page_applies(page):
                return PAGE_IDS[page]
        return -1

    def page_applies(self, page: PageId) -> bool:
        """A create of a model that is not LISA-hosted skips the hosted pages; an update shows them all (for a
        third-party model read-only, each field saying why). Only a LISA-hosted model has a schedule."""
        if page is PageId.SCHEDULE:
            return self.form.hosting is ModelHostingType.LISA_HOSTED
        if page in HOSTED_PAGES and self.form.mode is Mode.CREATE:
            return self.form.hosting is ModelHostingType.LISA_HOSTED
        return True

    def _load_pages(self) -> None:
        for page in self.pages.values():
            page.load(self.form)
        self.guardrails_page.load(self.form)
        self.schedule_page.load(self.form)

    def set_existing_guardrails(self, guardrails: list[Guardrail] | None, problem: str | None = None) -> None:
        """An update: the model's guardrails as read (None with why, when they could not be)."""
        if guardrails is not None:
            self.form.set_existing_guardrails(guardrails)
        self.guardrails_page.read_problem = problem
        self.guardrails_page.load(self.form)
        self.revalidate()

    def _on_edit(self, spec: FieldSpec, value: Any) -> None:
        if not self.form.set_value(spec.path, value):
            self.revalidate()  # an editor's own check (a repeated variable name) may have changed
            return
        if spec.path == "hostingType":
            self._load_pages()
        else:
            for page in self.pages.values():
                page.refresh_locks(self.form)
        self._dirty = True
        self._autosave.start()
        self.revalidate()
        self._update_title()

    def _on_schedule_edit(self, scheduling: dict[str, Any] | None) -> None:
        if not self.form.set_value(SCHEDULING_PATH, scheduling):
            return
        self._dirty = True
        self._autosave.start()
        self.revalidate()
        self._update_title()

    def revalidate(self) -> None:
        validation = self.form.validate()
        for page in self.pages.values():
            if self.page_applies(page.page):
                validation.general.extend(page.local_problems())
        validation.general.extend(self.guardrails_page.local_problems())
        self.validation = validation
        for page in self.pages.values():
            page.show_validation(validation, self.form)
        self.guardrails_page.show_validation(validation, self.form)
        self.schedule_page.show_validation(validation, self.form)
        run_by = self.submitter.run_by() if self.submitter is not None else None
        self.review.show_review(self.form, validation, self.submit_refusal(), run_by=run_by)

    def submit_refusal(self) -> str | None:
        return OFFLINE if self.submitter is None else self.submitter.refusal()

    # -- drafts ----------------------------------------------------------------------------------------------

    def save_draft(self) -> Draft | None:
        """Save the form as a draft now (also called a moment after every edit, and on close)."""
        self._autosave.stop()
        if self.drafts is None or self._done:
            return None
        config = copy.deepcopy(self.form.config)
        try:
            if self.draft is None:
                kind = DraftKind.CREATE if self.form.mode is Mode.CREATE else DraftKind.UPDATE
                self.draft = self.drafts.create(kind, config, base=self.form.base, deployment=self.deployment)
            else:
                self.draft = self.drafts.save(dataclasses.replace(self.draft, config=config, base=self.form.base))
        except Exception as error:  # a full disk must not close the wizard and lose the form
            log.exception("saving the draft failed")
            self.button(QWizard.WizardButton.CustomButton1).setToolTip(f"The draft could not be saved: {error}")
            return None
        self._dirty = False
        self._update_title()
        self.draft_saved.emit(self.draft.draft_id)
        return self.draft

    def _update_title(self) -> None:
        what = f"Update {self.form.model_id}" if self.form.mode is Mode.UPDATE else "Create model"
        saved = ""
        if self.draft is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(self.draft.updated_at))
            saved = f" — draft {self.draft.draft_id[:8]}, saved {stamp}"
            self.button(QWizard.WizardButton.CustomButton1).setToolTip(
                f"Saved at {stamp}; every change is saved a second after you make it"
            )
        self.setWindowTitle(what + saved)

    def reject(self) -> None:
        if self._dirty:
            self.save_draft()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._dirty:
            self.save_draft()
        super().closeEvent(event)

    # -- submit ----------------------------------------------------------------------------------------------

    def accept(self) -> None:
        if self._done:
            super().accept()
            return
        submitter = self.submitter
        if not self.review.isComplete() or self._submitting is not None or submitter is None:
            return
        self._submitting = submitter.background.start(self._submit(), what="submitting the wizard")

    async def _submit(self) -> None:
        submitter = self.submitter
        assert submitter is not None
        finish = self.button(QWizard.WizardButton.FinishButton)
        finish.setEnabled(False)
        self.review.submit_note.setText("Checking that the model has not changed since this was started …")
        written: int | None = None
        try:
            if self.form.mode is Mode.UPDATE:
                current = await submitter.current(self.form.model_id)
                now = dict(current.config)
                comparison = compare(self.form.base or {}, now, self.form.config)
                if comparison.model_changed:
                    self._ask_rebase(now, comparison, current)
                    return
            kind = JobKind.CREATE if self.form.mode is Mode.CREATE else JobKind.UPDATE
            request = self.form.request()
            schedule = {"scheduling": self.validation.schedule}
            tokens = self.validation.context_window if kind is JobKind.UPDATE else None
            if tokens is not None:
                # Before the job: a refused write then changes nothing at all, and the job's own record writes
                # cannot race it.
                self.review.submit_note.setText("Writing the context window …")
                written = await submitter.set_context_window(self.form.model_id, tokens)
                self.form.context_window_written(written)
                if not request and not self.validation.schedule_changed:
                    self._finish(None)
                    return
                self.revalidate()
            if kind is JobKind.UPDATE and self.validation.schedule_changed and not request:
                # As LISA's UI: a schedule-only change goes to the schedule route, not the model's update.
                kind, request = JobKind.SCHEDULE, schedule
            job_id = submitter.submit(kind, self.form.model_id, request, self.review.ack.isChecked())
            if kind is JobKind.UPDATE and self.validation.schedule_changed:
                # LISA's update request carries no schedule: the schedule job follows once the update succeeded.
                submitter.submit_after(job_id, JobKind.SCHEDULE, self.form.model_id, schedule)
        except Exception as error:
            self._not_submitted(error, written)
            return
        finally:
            self._submitting = None
        self._finish(job_id)

    def _not_submitted(self, error: Exception, written: int | None) -> None:
        """Said on the review page, which stays open with every value (a context window written already is no
        longer among the changes)."""
        if written is None:
            self.review.show_failure(f"Not submitted: {error}")
        else:
            self.review.show_failure(
                f"The context window was set to {written:,} tokens, but the rest was not submitted: {error}"
            )
        self.button(QWizard.WizardButton.FinishButton).setEnabled(self.review.isComplete())

    def _ask_rebase(self, now: dict[str, Any], comparison: Comparison, current: CurrentModel) -> None:
        dialog = ConflictDialog(self.form.model_id, comparison, self, current=current)
        dialog.accepted.connect(lambda: self.rebase_onto(now, dialog.choices()))
        dialog.rejected.connect(self.revalidate)
        self.conflict_dialog = dialog
        dialog.open()

    def rebase_onto(self, now: dict[str, Any], choices: dict[str, Side] | None = None) -> None:
        """Start again from the model as it is now, with the draft's own changes on top (or, per field in
        `choices`, mine or theirs); review again."""
        self.form.rebase_onto(now, choices)
        self._load_pages()
        self._dirty = True
        self.save_draft()
        self.review.ack.setChecked(False)
        self.revalidate()

    def _finish(self, job_id: str | None) -> None:
        """The job now carries the change (the Jobs panel follows it); the draft stays, marked submitted. Without a
        job (a context window alone, written already) the draft has nothing left to submit and goes."""
        if self.drafts is not None:
            if job_id is None:
                if self.draft is not None:
                    self.drafts.delete(self.draft.draft_id)
                    self.draft = None
            else:
                if self._dirty or self.draft is None:
                    self.save_draft()
                if self.draft is not None:
                    self.draft = self.drafts.mark_submitted(self.draft.draft_id, job_id)
        self._done = True
        self._autosave.stop()
        if job_id is not None:
            self.submitted.emit(job_id)
        super().accept()
