"""Taking over a model that a job of another workstation (or of a process whose journal is gone) left held, once
that job's lease has expired: confirmed with the holder and what will be done, run on a worker, shown in the Jobs
panel as its events arrive, ending `Taken over: resumed` or `Taken over: rolled back`."""

from __future__ import annotations

import itertools
import logging
from typing import Final

from engine.errors import StatusNotAllowed
from engine.jobs.events import JobEvent
from ui.backend import Backend, JobEnd, JobKind, JobTicket, Takeover
from ui.background import Background
from ui.holds import HoldState
from ui.job_model import TAKEN_OVER_PREFIX, TAKEOVER_FAILED
from ui.job_panel import JobPanel, JobSignals
from ui.job_recovery import recovery_end

log = logging.getLogger(__name__)

_tracked_ids: Final = itertools.count(1)


def takeover_title(kind: JobKind, model_id: str) -> str:
    return f"Take over {kind.value} of {model_id}"


def confirmation_text(hold: HoldState, takeover: Takeover) -> str:
    return (
        f"Take over the {takeover.kind.value} of {hold.model_id}?\n\n"
        f"{hold.text()}, so that job is taken to be dead.\n\n"
        f"Taking over settles the model from what AWS holds now (no journal needed): {takeover.how}.\n\n"
        "Should that job still be running after all, it stops at its next heartbeat and changes nothing more."
    )


class _Relay:
    """The takeover's events, from the worker to the panel; the first one names the job, whose entry was tracked
    under a stand-in id (the job is made on the worker)."""

    def __init__(self, signals: JobSignals, tracked_id: str) -> None:
        self._signals = signals
        self._tracked_id = tracked_id
        self.job_id: str | None = None

    def __call__(self, event: JobEvent) -> None:
        if self.job_id is None:
            self.job_id = event.job_id
            self._signals.renamed.emit(self._tracked_id, event.job_id)
        self._signals.event.emit(event)


async def take_over(
    backend: Backend, panel: JobPanel, background: Background, model_id: str, kind: JobKind
) -> str | None:
    """Take the model over and show it in the panel. None when the model ended settled; else what went wrong and
    what to do (logged, and said in the panel entry)."""
    tracked_id = f"takeover-{next(_tracked_ids)}"
    panel.track(JobTicket(tracked_id, model_id, kind, lambda: None, cancellable=False), takeover_title(kind, model_id))
    panel.focus_job(tracked_id)
    relay = _Relay(panel.signals, tracked_id)
    try:
        taken = await background.run(backend.take_over, model_id, relay)
    except StatusNotAllowed as refusal:
        log.warning("taking over %s was refused: %s", model_id, refusal)
        message = f"{backend.describe_error(refusal)}. Nothing was changed."
        panel.signals.ended.emit(JobEnd(relay.job_id or tracked_id, model_id, kind, "refused", message))
        return f"Take over {model_id}: {message}"
    except Exception as error:
        log.exception("taking over %s failed", model_id)
        message = (
            f"Taking over failed: {backend.describe_error(error)}. Once AWS answers, refresh (F5) and take it over "
            f"again if it is still held, or run 'lisa-desktop jobs recover {model_id} --takeover' with the same "
            "deployment options."
        )
        panel.signals.ended.emit(JobEnd(relay.job_id or tracked_id, model_id, kind, TAKEOVER_FAILED, message))
        return message
    panel.signals.ended.emit(recovery_end(taken, prefix=TAKEN_OVER_PREFIX, failed=TAKEOVER_FAILED))
    if taken.settled:
        return None
    return (
        f"Taking over left {model_id} Failed: see the Jobs panel for what was done; the model can be deleted, or "
        "updated once its cause is fixed."
    )
