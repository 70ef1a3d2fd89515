"""Starting jobs from the window: the confirmations asked first, and the submission that follows each job."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import QWidget

from engine.model_row import ModelRow
from ui.backend import Backend, JobEnd, JobKind, Takeover
from ui.dialogs import ConfirmDialog
from ui.holds import HoldState, hold_state
from ui.job_panel import JobPanel
from ui.refresher import Refresher
from ui.takeover import confirmation_text


class JobSubmission:
    """Each job is followed in the Jobs panel, and its models are re-read (and watched) at once."""

    def __init__(
        self,
        jobs: JobPanel,
        refresher: Refresher,
        *,
        backend: Callable[[], Backend | None],
        pace_changed: Callable[[], None],
    ) -> None:
        self._jobs = jobs
        self._refresher = refresher
        self._backend = backend
        self._pace_changed = pace_changed
        self._after: dict[str, tuple[JobKind, str, dict[str, Any]]] = {}
        """job id → the job to submit once it has succeeded (`submit_after`)."""
        jobs.job_finished.connect(self._follow_up)

    def submit(self, kind: JobKind, rows: Sequence[ModelRow]) -> None:
        """One job per row; nothing with no deployment open."""
        backend = self._backend()
        if backend is not None:
            self._start(backend, kind, [row.model_id for row in rows])

    def submit_edit(self, kind: JobKind, model_id: str, payload: Mapping[str, Any], ack_restart: bool) -> str | None:
        """A create or update request (LISA's API shape); returns the job's id, None with no deployment open."""
        backend = self._backend()
        if backend is None:
            return None
        return self._start(backend, kind, [model_id], payload=dict(payload), ack_restart=ack_restart)

    def submit_after(self, job_id: str, kind: JobKind, model_id: str, payload: Mapping[str, Any]) -> None:
        """Submit this job once job `job_id` has succeeded; not at all when it did not (a change LISA makes in two
        requests: the model's update, then its schedule)."""
        self._after[job_id] = (kind, model_id, dict(payload))

    def _follow_up(self, end: JobEnd) -> None:
        follow = self._after.pop(end.job_id, None)
        if follow is not None and end.ok:
            kind, model_id, payload = follow
            self.submit_edit(kind, model_id, payload, False)

    def _start(self, backend: Backend, kind: JobKind, model_ids: Sequence[str], **request: Any) -> str | None:
        jobs = self._jobs
        first: str | None = None
        for model_id in model_ids:
            ticket = backend.submit(
                kind, model_id, on_event=jobs.signals.event.emit, on_end=jobs.signals.ended.emit, **request
            )
            run_by = f" — run by {ticket.run_by}" if ticket.run_by else ""
            jobs.track(ticket, f"{kind.value.capitalize()} {ticket.model_id or model_id}{run_by}")
            first = first or ticket.job_id
        if first is not None:
            jobs.show()
            jobs.focus_job(first)
        self._pace_changed()
        self._refresher.read_now(model_ids)
        return first


def hold_of(row: ModelRow, backend: Backend | None, jobs: JobPanel) -> tuple[HoldState | None, bool]:
    """The row's hold now, with the lease the deployment uses, and whether a job of this window holds it."""
    lease_s = backend.lease_s if backend is not None else None
    hold = hold_state(row, now_ms=int(time.time() * 1000), lease_s=lease_s)
    if hold is None:
        return None, False
    ours = row.model_id in jobs.running_models() or hold.job_id in jobs.model.running_jobs()
    return hold, ours


def confirm_stop(parent: QWidget, rows: Sequence[ModelRow]) -> ConfirmDialog:
    names = ", ".join(row.model_id for row in rows[:5]) + (" …" if len(rows) > 5 else "")
    return ConfirmDialog(
        parent,
        title="Stop models" if len(rows) > 1 else "Stop model",
        text=f"Stop {names}?\n\nIts containers and instances are shut down and the model stops serving "
        "requests until it is started again.",
        confirm_label=f"Stop {len(rows)} models" if len(rows) > 1 else "Stop",
    )


def confirm_delete(parent: QWidget, rows: Sequence[ModelRow]) -> ConfirmDialog:
    if len(rows) == 1:
        text = (
            f"Delete {rows[0].model_id} ({rows[0].model_name})?\n\nIts LiteLLM registration, its AWS resources "
            "(CloudFormation stack) and its record are removed. This cannot be undone."
        )
        type_back = rows[0].model_id
    else:
        listed = "\n".join(f"• {row.model_id}" for row in rows[:10]) + ("\n• …" if len(rows) > 10 else "")
        text = f"Delete these {len(rows)} models? This cannot be undone.\n\n{listed}"
        type_back = f"delete {len(rows)} models"
    return ConfirmDialog(parent, title="Delete", text=text, confirm_label="Delete permanently", type_back=type_back)


def confirm_takeover(parent: QWidget, model_id: str, hold: HoldState, takeover: Takeover) -> ConfirmDialog:
    """Shows the holder, its heartbeat and what taking over does for that kind of job."""
    dialog = ConfirmDialog(
        parent,
        title=f"Take over {model_id}",
        text=confirmation_text(hold, takeover),
        confirm_label=f"Take over the {takeover.kind.value}",
    )
    dialog.setObjectName("takeoverConfirmDialog")
    return dialog
