"""The engine's worker threads: jobs run there, never on the GUI thread, and report through listeners."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engine.aws.errors import StatusChanged
from engine.jobs.context import Gateways, JobContext, JobSettings
from engine.jobs.create_job import CreateJob, validate_create
from engine.jobs.delete_job import DeleteJob, deletion_summary, guardrails_of, validate_delete
from engine.jobs.events import JobEvent, StepState
from engine.jobs.journal import JobRecorder, Journal, new_job_id
from engine.jobs.lease import Heartbeat, LeaseLost
from engine.jobs.recovery import recover_job
from engine.jobs.update_job import JobResult, Outcome, UpdateJob
from engine.jobs.validation import validate_update
from engine.schedules.job import SCHEDULE, ScheduleJob, validate_schedule
from engine.schedules.timing import Now, wall_now
from engine.schema.config import SchedulingConfig
from engine.schema.enums import ModelStatus
from engine.schema.requests import CreateModelRequest, UpdateModelRequest

__all__ = ["JobHandle", "JobRunner", "Listener", "new_job_id"]

Listener = Callable[[JobEvent], None]
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class JobHandle:
    job_id: str
    model_id: str
    future: Future[JobResult]
    context: JobContext
    events: list[JobEvent] = field(default_factory=list)
    under_way: threading.Event = field(default_factory=threading.Event)
    """Set once the model is held by this job (intake done), or once the job ended before that."""

    def cancel(self) -> None:
        """Ask the job to stop; it rolls back what it did and ends CANCELLED."""
        self.context.cancelled.set()

    def result(self, timeout: float | None = None) -> JobResult:
        return self.future.result(timeout)


FINAL_WRITES = frozenset({"finalize", "rollback.record", "fail.record", "record.delete"})
"""Journal steps whose `done` point means the job's last record write landed: the model is no longer held."""


def _still_held(recorder: JobRecorder) -> bool:
    """The job took hold of its model and none of its last record writes landed (it could not reach AWS)."""
    return "intake" in recorder.done_steps and not FINAL_WRITES.intersection(recorder.done_steps)


class JobRunner:
    """Runs jobs on a small pool of worker threads (each model's job on its own thread, for bulk actions).

    With a `journal`, every job is written to it (under `deployment`, the key of the deployment it changes) so
    that `engine.jobs.recovery` can finish it if this process dies."""

    def __init__(self, max_workers: int = 4, *, journal: Journal | None = None, deployment: str = "") -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lisa-job")
        self._calls = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lisa-job-call")
        """`call_soon`'s thread (started when first used): such calls do not wait behind queued jobs."""
        self._lock = threading.Lock()
        self.jobs: dict[str, JobHandle] = {}
        self.journal = journal
        self.deployment = deployment

    def submit_update(
        self,
        aws: Gateways,
        model_id: str,
        change: UpdateModelRequest,
        *,
        ack_restart: bool = False,
        settings: JobSettings | None = None,
        listeners: tuple[Listener, ...] = (),
        model_warmup_cap_s: float | None = None,
    ) -> JobHandle:
        """Validate and run an update (or start/stop) of one model. Validation errors end the future with
        the error (StatusNotAllowed, InvalidInput, ModelNotFound) and nothing is written."""

        def work(ctx: JobContext) -> JobResult:
            validated = validate_update(aws, model_id, change, ack_restart=ack_restart)
            if ctx.journal is not None:
                ctx.journal.set_plan(validated.plan.to_dict())
            return UpdateJob(ctx, validated, change, model_warmup_cap_s=model_warmup_cap_s).run()

        kind = "update" if change.enabled is None else ("start" if change.enabled else "stop")
        return self._submit(aws, model_id, kind, {"operation": kind}, settings, listeners, work)

    def submit_create(
        self,
        aws: Gateways,
        request: CreateModelRequest,
        *,
        settings: JobSettings | None = None,
        listeners: tuple[Listener, ...] = (),
    ) -> JobHandle:
        """Validate and run the create of one model (`CreateJob`). Validation errors end the future with the
        error (ModelAlreadyExists, InvalidInput) and nothing is written; `under_way` is set once the record is
        written as Creating. A failed create ends with Outcome FAILED and the model Failed."""

        def work(ctx: JobContext) -> JobResult:
            return CreateJob(ctx, validate_create(aws, request)).run()

        plan = {
            "operation": "create",
            "modelId": request.modelId,
            "hostingType": str(request.effective_hosting_type),
            "modelName": request.modelName,
        }
        return self._submit(aws, request.modelId, "create", plan, settings, listeners, work)

    def submit_delete(
        self,
        aws: Gateways,
        model_id: str,
        *,
        settings: JobSettings | None = None,
        listeners: tuple[Listener, ...] = (),
    ) -> JobHandle:
        """Validate and run the delete of one model (`DeleteJob`). Validation errors end the future with the
        error (StatusNotAllowed, ModelNotFound); `under_way` is set once the model is Deleting."""

        def work(ctx: JobContext) -> JobResult:
            record = validate_delete(aws, model_id)
            if ctx.journal is not None:
                removes = deletion_summary(record, guardrails_of(aws, model_id))
                ctx.journal.set_plan({"operation": "delete", "removes": removes})
            return DeleteJob(ctx, record).run()

        return self._submit(aws, model_id, "delete", {"operation": "delete"}, settings, listeners, work)

    def submit_schedule(
        self,
        aws: Gateways,
        model_id: str,
        schedule: SchedulingConfig | None,
        *,
        now: Now = wall_now,
        settings: JobSettings | None = None,
        listeners: tuple[Listener, ...] = (),
    ) -> JobHandle:
        """Validate and run the setting (or, with None, the removal) of a LISA-hosted model's schedule
        (`ScheduleJob`). Validation errors end the future with the error (StatusNotAllowed, InvalidInput,
        ModelNotFound) and nothing is written; `now` is the clock LISA's immediate scaling reads."""

        def work(ctx: JobContext) -> JobResult:
            validated = validate_schedule(aws, model_id, schedule)
            if ctx.journal is not None:
                ctx.journal.set_plan(validated.plan())
            return ScheduleJob(ctx, validated, now=now).run()

        return self._submit(aws, model_id, SCHEDULE, {"operation": SCHEDULE}, settings, listeners, work)

    def _submit(
        self,
        aws: Gateways,
        model_id: str,
        kind: str,
        plan: Mapping[str, object],
        settings: JobSettings | None,
        listeners: tuple[Listener, ...],
        work: Callable[[JobContext], JobResult],
    ) -> JobHandle:
        job_id = new_job_id()
        recorder = self.journal.begin(job_id, kind, model_id, self.deployment, plan) if self.journal else None

        def emit(event: JobEvent) -> None:
            handle.events.append(event)
            if event.step in ("intake", "finalize") and event.state is StepState.SUCCEEDED:
                handle.under_way.set()
            for listener in listeners:
                listener(event)

        ctx = JobContext(job_id, model_id, aws, settings or JobSettings(), emit, journal=recorder)
        handle = JobHandle(job_id, model_id, Future(), ctx)

        def run() -> None:
            if not handle.future.set_running_or_notify_cancel():
                if recorder is not None:
                    recorder.end("cancelled", "cancelled before it started", None)
                return
            heartbeat = Heartbeat(
                aws.models,
                model_id,
                lambda: ctx.holder,
                interval_s=ctx.settings.heartbeat_s,
                lease_s=ctx.settings.lease_s,
                on_lost=ctx.lose_lease,
            )
            if ctx.settings.heartbeat_s > 0:
                heartbeat.start()
            try:
                result = work(ctx)
            except Exception as error:
                refused_at_intake = isinstance(error, StatusChanged) and (
                    recorder is None or "intake" not in recorder.done_steps
                )
                if (
                    recorder is not None
                    and "intake" in recorder.steps
                    and not isinstance(error, LeaseLost)
                    and not refused_at_intake  # its conditional write failed: nothing was written, nothing held
                ):
                    handle.future.set_result(self._last_resort(aws, recorder, ctx, error))
                    return
                if recorder is not None:
                    recorder.end("refused", f"{type(error).__name__}: {error}", None)
                handle.future.set_exception(error)
            except BaseException as error:
                if recorder is not None:
                    recorder.end("failed", f"{type(error).__name__}: {error}", None)
                handle.future.set_exception(error)
            else:
                if recorder is not None and _still_held(recorder) and not ctx.lease_lost.is_set():
                    result = dataclasses.replace(
                        result,
                        message=f"{result.message}; the model is still held by this job: once AWS answers again, "
                        f"run 'lisa-desktop jobs recover {model_id}'",
                    )
                    recorder.leave_unfinished(result.message)
                elif recorder is not None:
                    final = str(result.final_status) if result.final_status is not None else None
                    recorder.end(str(result.outcome), result.message, final)
                handle.future.set_result(result)
            finally:
                heartbeat.stop()
                handle.under_way.set()

        with self._lock:
            self.jobs[job_id] = handle
        self._pool.submit(run)
        return handle

    def submit_call(self, work: Callable[[], T]) -> Future[T]:
        """`work()` on the runner's job threads, not journaled: a change another system runs, followed from here
        (team mode: LISA's state machines run it). The caller handles its result and its failure."""
        return self._pool.submit(work)

    def call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        """`fn(*args)` on the runner's own thread, after this returns (a refused job's end callback, say); its
        exception is logged."""

        def call() -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("a call made by the job runner failed")

        self._calls.submit(call)

    def _last_resort(self, aws: Gateways, recorder: JobRecorder, ctx: JobContext, error: Exception) -> JobResult:
        """A job that took hold of its model ended on an exception nothing else handled: recovery finishes it here
        and now, as it would after a crash (resume or roll back, by its table), so the model is never left held."""
        log.error("job %s ended on an unexpected error; recovering it", ctx.job_id, exc_info=error)
        assert self.journal is not None
        job = self.journal.job(ctx.job_id)
        assert job is not None
        reason = f"the job ended on an unexpected error ({type(error).__name__}: {error})"
        who = f"its own process ({socket.gethostname()}, pid {os.getpid()})"
        recovered = recover_job(aws, recorder, job, settings=ctx.settings, emit=ctx.emit, who=who, reason=reason)
        status = ModelStatus(recovered.final_status) if recovered.final_status else None
        message = f"{type(error).__name__}: {error}; {recovered.action}: {recovered.message}"
        return JobResult(ctx.job_id, ctx.model_id, job.kind, Outcome(recovered.outcome), message, status)

    def shutdown(self, *, cancel: bool = True) -> None:
        if cancel:
            for handle in list(self.jobs.values()):
                handle.cancel()
        self._pool.shutdown(wait=True)
        self._calls.shutdown(wait=True)
