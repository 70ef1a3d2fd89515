"""When the window opens on a deployment: finish the jobs of this workstation whose process died (a crash, a kill,
a closed laptop), each shown in the Jobs panel as it is resumed or rolled back."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ui.backend import Backend, InterruptedJob, JobEnd, JobKind, JobTicket, RecoveredJob
from ui.background import Background
from ui.job_model import RECOVERED_PREFIX, RECOVERY_FAILED
from ui.job_panel import JobPanel

log = logging.getLogger(__name__)

TRY_AGAIN = "Reopen the window, or run 'lisa-desktop jobs recover' with the same deployment options, to try again."


@dataclass(frozen=True)
class RecoveryReport:
    models: list[str]
    """The models recovery touched: their rows are read again."""
    problem: str | None = None
    """Why recovery could not run or failed, with what to do; None when it ran."""


def recovery_title(kind: JobKind, model_id: str) -> str:
    return f"Recover {kind.value} of {model_id}"


def recovery_end(item: RecoveredJob, *, prefix: str = RECOVERED_PREFIX, failed: str = RECOVERY_FAILED) -> JobEnd:
    """`recovered: rolled back` (or resumed, settled already; a takeover's `prefix` is `taken over: `); a recovery
    that left the model Failed `failed`."""
    outcome = f"{prefix}{item.action}" if item.settled else failed
    return JobEnd(item.job_id, item.model_id, item.kind, outcome, item.message, item.final_status)


def _ticket(job_id: str, model_id: str, kind: JobKind) -> JobTicket:
    return JobTicket(job_id, model_id, kind, lambda: None, cancellable=False)


async def recover_interrupted(backend: Backend, panel: JobPanel, background: Background) -> RecoveryReport:
    """Find the interrupted jobs (a journal read), show each in the panel, recover them on a worker (AWS calls,
    minutes perhaps) and show how each ended. Failures are logged and returned for the window to show."""
    try:
        found = await background.run(backend.interrupted_jobs)
    except Exception as error:
        log.exception("reading the job journal for interrupted jobs failed")
        return RecoveryReport([], f"Interrupted jobs cannot be looked for: {backend.describe_error(error)}")
    if not found:
        return RecoveryReport([])
    for job in found:
        panel.track(_ticket(job.job_id, job.model_id, job.kind), recovery_title(job.kind, job.model_id))
    panel.show()
    try:
        recovered = await background.run(backend.recover_interrupted, panel.signals.event.emit)
    except Exception as error:
        log.exception("recovering the interrupted jobs failed")
        reason = backend.describe_error(error)
        for job in found:
            message = f"Recovering this job failed: {reason}. {TRY_AGAIN}"
            panel.signals.ended.emit(JobEnd(job.job_id, job.model_id, job.kind, RECOVERY_FAILED, message))
        return RecoveryReport(_models(found), f"Recovering interrupted jobs failed: {reason}. {TRY_AGAIN}")
    _show_ends(panel, found, recovered)
    failed = [item.model_id for item in recovered if not item.settled]
    problem = None
    if failed:
        problem = (
            f"Recovery left {', '.join(failed)} Failed: see the Jobs panel for what was done; the model can be "
            "deleted, or updated once its cause is fixed."
        )
    return RecoveryReport(sorted({*_models(found), *(item.model_id for item in recovered)}), problem)


def _show_ends(panel: JobPanel, found: Sequence[InterruptedJob], recovered: Sequence[RecoveredJob]) -> None:
    done = {item.job_id for item in recovered}
    for item in recovered:
        if panel.model.job(item.job_id) is None:  # died between the look and the recovery
            panel.track(_ticket(item.job_id, item.model_id, item.kind), recovery_title(item.kind, item.model_id))
        panel.signals.ended.emit(recovery_end(item))
    for job in found:
        if job.job_id not in done:
            message = "Not recovered here: another process holds it (a 'jobs recover', or its own process is back)."
            panel.signals.ended.emit(JobEnd(job.job_id, job.model_id, job.kind, "skipped", message))


def _models(jobs: Sequence[InterruptedJob]) -> list[str]:
    return sorted({job.model_id for job in jobs})
