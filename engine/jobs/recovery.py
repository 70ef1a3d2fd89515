"""Finishing a job whose process died: resume it or roll it back, from its journal and from what AWS holds now.

`RECOVERY` is the one table that says, for each job kind and each stage a job can die in, which of the two it gets
and how. The stage is read off the job's journal points (`stage_of`). Before the table is consulted the model's
record is read: a record that the job no longer holds (its final write, or its rollback's, landed; or a create
never wrote it; or a delete removed it) is already settled, and recovery only tidies up after it.

Every action is idempotent: running recovery twice, or after a recovery that died too, does the same thing again
and makes nothing twice (a revision, a stack, a LiteLLM entry). A rollback gets a deadline of its own
(`JobSettings.rollback_deadline_s`), counted from when it starts.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from engine.aws.discovery import caller_identity, deployment_name
from engine.aws.ecs import ServiceRef, TaskDefinition, revision_of
from engine.aws.models_table import HOLD_ATTRIBUTES, HOLDER_ATTRIBUTE
from engine.errors import LisaDesktopError, ModelNotFound, StatusNotAllowed
from engine.jobs.capacity_step import group_from_journal, restore, scale_to_zero_group
from engine.jobs.context import Gateways, JobContext, JobSettings
from engine.jobs.create_job import CREATE, GUARDRAILS_POINT_KEY, CreateJob, ValidatedCreate, cut_reason
from engine.jobs.delete_job import DeleteJob
from engine.jobs.ecs_step import Rollout, retire, roll_back, same_task_definition
from engine.jobs.events import JobEvent, StepState
from engine.jobs.guardrails_step import POINTS, undo_from_journal
from engine.jobs.journal import JobRecorder, JobStillRunning, Journal, JournalJob, Phase, new_job_id
from engine.jobs.lease import hold_of
from engine.jobs.lifecycle import registrations_of
from engine.jobs.update_job import PENDING_CONTAINER_ATTRIBUTE, JobResult, Outcome, changes_text, holder_text
from engine.schedules.job import SCHEDULE, recover_schedule
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from engine.schema.validate import parse_create

log = logging.getLogger(__name__)

INTERRUPTED: Final = "the process running the job ended before the job did"


class Action(StrEnum):
    RESUME = "resumed"
    ROLL_BACK = "rolled back"
    SETTLED = "settled already"
    """The record was no longer held by the job: only what comes after its last write is tidied up."""


class Stage(StrEnum):
    HELD = "held"
    """Intake at most: the record may be held; nothing else changed."""
    CHANGING = "changing"
    """Changing ECS, the Auto Scaling group, LiteLLM or CloudFormation."""
    REGISTERED = "registered"
    """A start registered the model with LiteLLM: only the record's final write is missing."""
    FINALIZING = "finalizing"
    """The final record write was under way."""
    UNDOING = "undoing"
    """The job was rolling itself back (or marking the model Failed)."""
    TAKEN_OVER = "taken over"
    """Another workstation's job whose lease expired: no journal, only what AWS holds now."""


@dataclass(frozen=True)
class Rule:
    action: Action
    how: str


_UPDATE_BACK = (
    "the service back on the revision it ran before (waiting until it is stable, with a deadline of its own), the "
    "revisions the job registered deregistered, the Auto Scaling group back to its sizes before, the record back "
    "to its status with the reason"
)
_START_BACK = (
    "every LiteLLM entry of the model's name removed, the Auto Scaling group to 0/0/0, a pending container change "
    "rolled back (it stays pending), the record back to Stopped with the reason"
)
_STOP = "the stop finished: LiteLLM entries removed, the Auto Scaling group to 0/0/0, the record Stopped"
_CREATE = (
    "the create finished: the stack of the model's name followed (created only if there is none), healthy "
    "capacity waited for, a LiteLLM entry of the model's name adopted (registered only if there is none), InService"
)
_DELETE = "the delete finished: LiteLLM entry removed, stack deleted (already gone is fine), record deleted"
_SCHEDULE_BACK = (
    "the model's scheduled actions back to those it had (the ones the job put deleted), the Auto Scaling group back "
    "to its sizes before, the record released with its schedule as it was"
)

RECOVERY: Final[dict[tuple[str, Stage], Rule]] = {
    ("update", Stage.HELD): Rule(Action.ROLL_BACK, "the record back to its status, released"),
    ("update", Stage.CHANGING): Rule(Action.ROLL_BACK, _UPDATE_BACK),
    ("update", Stage.FINALIZING): Rule(Action.ROLL_BACK, f"the final write did not land: {_UPDATE_BACK}"),
    ("update", Stage.UNDOING): Rule(Action.ROLL_BACK, f"the rollback again from its start: {_UPDATE_BACK}"),
    ("start", Stage.HELD): Rule(Action.ROLL_BACK, "the record back to Stopped, released"),
    ("start", Stage.CHANGING): Rule(Action.ROLL_BACK, _START_BACK),
    ("start", Stage.REGISTERED): Rule(
        Action.RESUME, "the record InService with the LiteLLM id the job registered; the previous revision retired"
    ),
    ("start", Stage.FINALIZING): Rule(Action.RESUME, "the record InService with the LiteLLM id the job registered"),
    ("start", Stage.UNDOING): Rule(Action.ROLL_BACK, f"the rollback again from its start: {_START_BACK}"),
    ("update", Stage.TAKEN_OVER): Rule(
        Action.ROLL_BACK,
        "from AWS's truth: the service back on the newest ACTIVE revision that runs the environment the record "
        "stores (newer revisions deregistered), the group to the record's min/max/desired, the record back to "
        "InService with the reason",
    ),
    ("start", Stage.TAKEN_OVER): Rule(Action.ROLL_BACK, _START_BACK),
    **{("stop", stage): Rule(Action.RESUME, _STOP) for stage in Stage},
    **{(CREATE, stage): Rule(Action.RESUME, _CREATE) for stage in Stage},
    **{("delete", stage): Rule(Action.RESUME, _DELETE) for stage in Stage},
    **{(SCHEDULE, stage): Rule(Action.ROLL_BACK, _SCHEDULE_BACK) for stage in Stage},
}
"""(job kind, stage it died in) → what recovery does. Settled records (not held by the job) skip the table."""

_FORWARD_CHANGES: Final = (
    "ecs.register",
    "ecs.deploy",
    "capacity.resize",
    "litellm.register",
    "litellm.unregister",
    "stack.create",
    "stack.delete",
    "record.stack",
    "record.outputs",
    "record.delete",
    *POINTS.values(),
)


def stage_of(job: JournalJob) -> Stage:
    """The stage the job's points show it died in."""
    steps = [point.step for point in job.points]
    if any(step.startswith(("rollback.", "fail.")) for step in steps):
        return Stage.UNDOING
    if "finalize" in steps:
        return Stage.FINALIZING
    if job.kind == "start" and job.done("litellm.register") is not None:
        return Stage.REGISTERED
    if any(step in _FORWARD_CHANGES for step in steps):
        return Stage.CHANGING
    return Stage.HELD


@dataclass(frozen=True)
class Recovered:
    """What recovery did with one job."""

    job_id: str
    model_id: str
    kind: str
    action: Action
    how: str
    outcome: str
    message: str
    final_status: str | None
    """The model's status afterwards (None: it does not exist, as after a delete or a create never written)."""

    @property
    def settled(self) -> bool:
        """The model ended InService or Stopped, or does not exist (deleted, or a create that never wrote it)."""
        return self.final_status in (None, str(ModelStatus.IN_SERVICE), str(ModelStatus.STOPPED))

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "modelId": self.model_id,
            "kind": self.kind,
            "action": str(self.action),
            "how": self.how,
            "outcome": self.outcome,
            "message": self.message,
            "finalStatus": self.final_status,
        }


def recoverer_text(aws: Gateways) -> str:
    try:
        who = caller_identity(aws.clients).arn
    except LisaDesktopError:
        who = "unknown caller"
    return f"{who} on {socket.gethostname()}"


def recover_dead_jobs(
    aws: Gateways,
    journal: Journal,
    deployment: str,
    *,
    model_id: str | None = None,
    settings: JobSettings | None = None,
    emit: Callable[[JobEvent], None] = lambda event: None,
) -> list[Recovered]:
    """Recover every unfinished job of `deployment` (of `model_id` only, when given) whose process is gone, oldest
    first. A job whose process is still alive, or that another recovery holds, is left alone."""
    done: list[Recovered] = []
    who = recoverer_text(aws)
    for job in journal.dead_jobs(deployment=deployment, model_id=model_id):
        try:
            recorder = journal.adopt(job.job_id)
        except JobStillRunning:
            continue
        try:
            done.append(recover_job(aws, recorder, job, settings=settings or JobSettings(), emit=emit, who=who))
        finally:
            recorder.release()
    return done


def recover_job(
    aws: Gateways,
    recorder: JobRecorder,
    job: JournalJob,
    *,
    settings: JobSettings,
    emit: Callable[[JobEvent], None],
    who: str,
    reason: str = INTERRUPTED,
    stage: Stage | None = None,
) -> Recovered:
    """Resume or roll back one job that cannot go on (its lock held through `recorder`), and end it in the
    journal. `reason` says why it could not (its process died, by default); `stage` is read off its journal unless
    given (a takeover's)."""
    ctx = JobContext(job.job_id, job.model_id, aws, settings, emit, journal=recorder)
    ctx.interruption = reason
    record = _record_or_none(aws, job.model_id)
    hold = hold_of(record) if record is not None else None
    ctx.holder = hold.holder if hold is not None else None  # the dead job's hold: recovery writes under it
    if record is None or not _held_by(record, job.job_id):
        result = _settled(ctx, job, record)
        action, how = Action.SETTLED, "the record was no longer held by the job; what followed its last write redone"
    else:
        stage = stage or stage_of(job)
        rule = RECOVERY[(job.kind, stage)]
        action, how = rule.action, rule.how
        what = "was taken over" if stage is Stage.TAKEN_OVER else f"died while {stage}"
        ctx.report(
            "recover",
            StepState.STARTED,
            f"job {job.job_id} ({job.kind} of {job.model_id}) {what}: it is {action} ({how})",
        )
        try:
            result = _act(ctx, job, record, action, from_truth=stage is Stage.TAKEN_OVER)
        except Exception as error:
            log.exception("recovery of job %s failed", job.job_id)
            result = _mark_failed(ctx, job, f"recovering it failed: {type(error).__name__}: {error}")
    final = str(result.final_status) if result.final_status is not None else None
    message = result.message if reason in result.message else f"{reason}; {result.message}"
    recorder.end(str(result.outcome), message, final, recovered_by=who)
    ended = "taken over" if stage is Stage.TAKEN_OVER else "recovered"
    ctx.report("recover", StepState.SUCCEEDED, f"{ended}: {action}; {message}")
    return Recovered(job.job_id, job.model_id, job.kind, action, how, str(result.outcome), message, final)


def _record_or_none(aws: Gateways, model_id: str) -> ModelRecord | None:
    try:
        return aws.models.get(model_id)
    except ModelNotFound:
        return None


def _held_by(record: ModelRecord, job_id: str) -> bool:
    holder = record.to_item().get(HOLDER_ATTRIBUTE)
    return isinstance(holder, str) and holder.split(" ", 1)[0] == job_id


KIND_OF_STATUS: Final = {
    ModelStatus.UPDATING: "update",
    ModelStatus.STARTING: "start",
    ModelStatus.STOPPING: "stop",
    ModelStatus.CREATING: CREATE,
    ModelStatus.DELETING: "delete",
}
"""The job kind that leaves a model in each transitional status."""


def take_over(
    aws: Gateways,
    journal: Journal,
    deployment: str,
    model_id: str,
    *,
    lease_s: float,
    settings: JobSettings | None = None,
    emit: Callable[[JobEvent], None] = lambda event: None,
) -> Recovered:
    """Settle a model held by a job of another workstation (or a lost journal) whose lease has expired, from what
    AWS holds alone: the hold is taken with a conditional write (the old job, if it still runs, stops at its next
    renewal), then the table's TAKEN_OVER rule applies. StatusNotAllowed, naming the holder and its heartbeat,
    while the lease runs or when no job holds the model."""
    record = aws.models.get(model_id)
    hold = hold_of(record)
    # The job's kind as its intake wrote it; from the status only for a job of a version that did not write it
    # (LISA's status monitor may have overwritten the status since: Starting → InService).
    kind = (hold.operation or KIND_OF_STATUS.get(record.model_status)) if hold is not None else None
    if hold is None or kind is None or kind not in (*KIND_OF_STATUS.values(), SCHEDULE):
        raise StatusNotAllowed(
            f"'{model_id}' is {record.model_status} and held by no job: there is nothing to take over"
        )
    now = aws.models.now_ms()
    if not hold.expired(lease_s, now):
        raise StatusNotAllowed(
            f"'{model_id}' is {record.model_status}, {hold.describe(now, lease_s)}: it can be taken over once the "
            "lease has expired, or finished with 'jobs recover' on the workstation that holds it"
        )
    job_id = new_job_id()
    recorder = journal.begin(job_id, kind, model_id, deployment, {"operation": kind, "takeoverOf": hold.holder})
    try:
        ctx = JobContext(job_id, model_id, aws, settings or JobSettings(), emit, journal=recorder)
        holder = holder_text(ctx)
        ctx.intent("takeover", previousHolder=hold.holder, holder=holder)
        if not aws.models.renew_hold(model_id, hold.holder, new_holder=holder):
            raise StatusNotAllowed(f"'{model_id}' changed hands while it was being taken over: read it again")
        ctx.took_hold(holder)
        ctx.done("takeover", previousHolder=hold.holder)
        job = journal.job(job_id)
        assert job is not None
        who = recoverer_text(aws)
        reason = f"the lease of {hold.job_id} had expired ({hold.describe(now)}); taken over by {who}"
        return recover_job(
            aws,
            recorder,
            job,
            settings=settings or JobSettings(),
            emit=emit,
            who=who,
            reason=reason,
            stage=Stage.TAKEN_OVER,
        )
    finally:
        recorder.release()


def _act(
    ctx: JobContext, job: JournalJob, record: ModelRecord, action: Action, *, from_truth: bool = False
) -> JobResult:
    if job.kind == CREATE:
        return CreateJob(ctx, validated_from_record(ctx.aws, record, job)).resume()
    if job.kind == "delete":
        return DeleteJob(ctx, record).resume()
    if job.kind == SCHEDULE:
        return recover_schedule(ctx, job, record)
    if job.kind == "stop":
        return _finish_stop(ctx, job, record)
    if action is Action.RESUME:
        return _finish_start(ctx, job, record)
    if from_truth and job.kind == "update":
        _reconcile_with_record(ctx, record)
    return _roll_back(ctx, job, record)


# -- settled records -----------------------------------------------------------------------------------------


def _settled(ctx: JobContext, job: JournalJob, record: ModelRecord | None) -> JobResult:
    """The job's last record write landed (or none was ever needed): retire the previous revision of an update
    that succeeded, and say how the job ended."""
    if record is None:
        if job.kind == "delete":
            return _result(ctx, job, Outcome.SUCCEEDED, f"{job.model_id} is deleted", None)
        made = "nothing was written" if not job.reached("intake") else "its record is gone"
        return _result(ctx, job, Outcome.ROLLED_BACK, f"{job.kind} of {job.model_id} did not happen: {made}", None)
    other = hold_of(record)
    if other is not None:
        message = f"{job.model_id} is {record.model_status}, {other.describe(ctx.aws.models.now_ms())}: left to it"
        return _result(ctx, job, Outcome.FAILED, message, record.model_status)
    finalize = job.intent("finalize")
    # A start that failed and scaled back finalizes Stopped: its rollout was rolled back, nothing to retire.
    start_undone = job.kind == "start" and finalize is not None and finalize.data.get("status") != "InService"
    finalized = not start_undone and (
        job.done("finalize") is not None or (finalize is not None and job.intent("rollback.record") is None)
    )
    if job.kind == SCHEDULE and not finalized:
        made = "its intake never landed" if job.done("intake") is None else "it had been rolled back"
        message = f"schedule of {job.model_id} did not happen: {made}"
        return _result(ctx, job, Outcome.ROLLED_BACK, message, record.model_status)
    if finalized and job.kind in ("update", "start"):
        registered = job.done("ecs.register")
        if registered is not None:
            previous = str(registered.data["previousTaskDefinition"])
            new = str(registered.data["taskDefinition"])
            reg = job.intent("ecs.register")
            assert reg is not None
            rollout = Rollout(ServiceRef(str(reg.data["cluster"]), str(reg.data["service"])), previous, new)
            if not _deregistered(job, previous):
                retire(ctx, rollout)
        return _result(ctx, job, Outcome.SUCCEEDED, f"{job.kind} of {job.model_id} had finished", record.model_status)
    if job.done("rollback.record") is not None or (start_undone and record.model_status is not ModelStatus.FAILED):
        return _result(
            ctx, job, Outcome.ROLLED_BACK, f"{job.kind} of {job.model_id} had been rolled back", record.model_status
        )
    if record.model_status is ModelStatus.FAILED:
        return _result(ctx, job, Outcome.FAILED, record.failure_reason or "the model is Failed", ModelStatus.FAILED)
    return _result(ctx, job, Outcome.SUCCEEDED, f"{job.model_id} is {record.model_status}", record.model_status)


def _deregistered(job: JournalJob, task_definition: str) -> bool:
    return any(
        p.step == "ecs.deregister" and p.phase is Phase.DONE and p.data.get("taskDefinition") == task_definition
        for p in job.points
    )


# -- update and start: roll back ------------------------------------------------------------------------------


def _original_status(job: JournalJob) -> ModelStatus:
    intake = job.intent("intake")
    if intake is not None and intake.data.get("fromStatus"):
        return ModelStatus(str(intake.data["fromStatus"]))
    return ModelStatus.STOPPED if job.kind == "start" else ModelStatus.IN_SERVICE


def _roll_back(ctx: JobContext, job: JournalJob, record: ModelRecord) -> JobResult:
    """Undo, from the journal, what an update or a start did; then put the record back with the reason."""
    _undo_ecs(ctx, job)
    group = record.auto_scaling_group
    if job.kind == "start":
        for litellm_id in dict.fromkeys(
            [*registrations_of(ctx, record.model_id), *([record.litellm_id] if record.litellm_id else [])]
        ):
            ctx.intent("rollback.litellm", litellmId=litellm_id)
            ctx.aws.litellm.unregister(litellm_id, missing_ok=True)
            ctx.done("rollback.litellm", litellmId=litellm_id)
            ctx.note_change(f"LiteLLM entry {litellm_id} removed", undo=True)
        if group:
            scale_to_zero_group(ctx, group, step="rollback")
    else:
        first_resize = next((p for p in job.points if p.step == "capacity.resize" and p.phase is Phase.INTENT), None)
        if first_resize is not None:
            before = first_resize.data.get("before") or {}
            restore(ctx, group_from_journal(str(first_resize.data["group"]), before), wait=False)
        undo_from_journal(ctx, job)
    original = _original_status(job)
    message = (
        f"{job.kind} of {job.model_id} was rolled back by recovery: {ctx.interruption} "
        f"({changes_text(ctx) if ctx.undone else 'nothing had changed in AWS'})"
    )
    attributes: dict[str, Any] = {}  # failure_reason only with Failed, as LISA writes it
    if job.kind == "start":
        attributes["litellm_id"] = None
    ctx.intent("rollback.record", status=str(original))
    ctx.aws.models.transition_status(
        job.model_id,
        record.model_status,
        original,
        attributes,
        remove_attributes=HOLD_ATTRIBUTES,
        holder=ctx.holder,
    )
    ctx.done("rollback.record", status=str(original))
    ctx.report("rollback", StepState.ROLLED_BACK, message)
    return _result(ctx, job, Outcome.ROLLED_BACK, message, original)


def _undo_ecs(ctx: JobContext, job: JournalJob) -> None:
    """The service back on the revision it ran before the job; every revision the job registered deregistered,
    also one whose registration the journal has no answer for (the process died during the call)."""
    intent = job.intent("ecs.register")
    if intent is None:
        return
    ref = ServiceRef(str(intent.data["cluster"]), str(intent.data["service"]))
    previous = str(intent.data["previousTaskDefinition"])
    registered = job.done("ecs.register")
    new = str(registered.data["taskDefinition"]) if registered is not None else previous
    roll_back(ctx, Rollout(ref, previous, new), ctx.interruption)
    if registered is None:
        family = str(intent.data["family"])
        before = revision_of(previous) or 0
        for arn in ctx.aws.ecs.active_revisions(family):
            if (revision_of(arn) or 0) > before and not same_task_definition(arn, previous):
                ctx.intent("ecs.deregister", taskDefinition=arn, why="registered by the interrupted job")
                ctx.aws.ecs.deregister_task_definition(arn)
                ctx.done("ecs.deregister", taskDefinition=arn)
                ctx.note_change(f"revision {revision_of(arn)} deregistered", undo=True)


def _reconcile_with_record(ctx: JobContext, record: ModelRecord) -> None:
    """No journal: the record still stores the configuration from before the update (its final write never
    landed), so ECS and Auto Scaling are brought back to it. The service goes back to the newest ACTIVE revision
    whose container runs the stored environment, and the revisions after it are deregistered; the group goes back
    to the stored min/max/desired."""
    stack = record.cloudformation_stack_name
    environment = (record.config.get("containerConfig") or {}).get("environment")
    if stack and isinstance(environment, dict):
        ref = ctx.aws.stacks.model_resources(stack, record.cloudformation_stack_arn).service_ref
        if ref is not None:
            service = ctx.aws.ecs.describe_service(ref)
            revisions = ctx.aws.ecs.active_revisions(
                ctx.aws.ecs.describe_task_definition(service.task_definition_arn).family
            )
            target = next(
                (arn for arn in revisions if _runs(ctx.aws.ecs.describe_task_definition(arn), environment)), None
            )
            if target is None:
                raise LisaDesktopError(
                    f"no ACTIVE revision of {stack}'s task definition runs the environment the record stores"
                )
            roll_back(ctx, Rollout(ref, target, service.task_definition_arn), ctx.interruption)
            for arn in revisions:
                if (revision_of(arn) or 0) > (revision_of(target) or 0) and not same_task_definition(arn, target):
                    ctx.intent("ecs.deregister", taskDefinition=arn, why="newer than the stored configuration")
                    ctx.aws.ecs.deregister_task_definition(arn)
                    ctx.done("ecs.deregister", taskDefinition=arn)
                    ctx.note_change(f"revision {revision_of(arn)} deregistered", undo=True)
    scaling = record.config.get("autoScalingConfig")
    if record.auto_scaling_group and isinstance(scaling, dict):
        stored = {"min": scaling.get("minCapacity"), "max": scaling.get("maxCapacity")}
        stored["desired"] = scaling.get("desiredCapacity", stored["min"])
        group = ctx.aws.autoscaling.describe_one(record.auto_scaling_group)
        now = (group.min_size, group.max_size, group.desired_capacity) if group is not None else None
        if now != (stored["min"], stored["max"], stored["desired"]):
            restore(ctx, group_from_journal(record.auto_scaling_group, stored), wait=False)


def _runs(definition: TaskDefinition, environment: dict[str, Any]) -> bool:
    containers = definition.container_definitions
    running = (
        {str(e.get("name")): str(e.get("value")) for e in (containers[0].get("environment") or ())}
        if containers
        else {}
    )
    return all(running.get(str(key)) == str(value) for key, value in environment.items())


# -- start and stop: resume -----------------------------------------------------------------------------------


def _finish_start(ctx: JobContext, job: JournalJob, record: ModelRecord) -> JobResult:
    """The start registered the model: write what its final write would have, then retire the old revision."""
    registered = job.done("litellm.register")
    assert registered is not None
    litellm_id = str(registered.data["litellmId"])
    for extra in registrations_of(ctx, record.model_id):
        if extra != litellm_id:
            ctx.aws.litellm.unregister(extra, missing_ok=True)
    ctx.intent("finalize", status=str(ModelStatus.IN_SERVICE), litellm_id=litellm_id)
    ctx.aws.models.transition_status(
        job.model_id,
        record.model_status,
        ModelStatus.IN_SERVICE,
        {"litellm_id": litellm_id},
        remove_attributes=(*HOLD_ATTRIBUTES, PENDING_CONTAINER_ATTRIBUTE),
        holder=ctx.holder,
    )
    ctx.done("finalize", status=str(ModelStatus.IN_SERVICE))
    ecs = job.done("ecs.register")
    reg = job.intent("ecs.register")
    if ecs is not None and reg is not None:
        ref = ServiceRef(str(reg.data["cluster"]), str(reg.data["service"]))
        retire(ctx, Rollout(ref, str(ecs.data["previousTaskDefinition"]), str(ecs.data["taskDefinition"])))
    message = (
        f"start of {job.model_id} finished by recovery ({ctx.interruption}): InService as LiteLLM entry {litellm_id}"
    )
    return _result(ctx, job, Outcome.SUCCEEDED, message, ModelStatus.IN_SERVICE)


def _finish_stop(ctx: JobContext, job: JournalJob, record: ModelRecord) -> JobResult:
    ids = [*([record.litellm_id] if record.litellm_id else []), *registrations_of(ctx, record.model_id)]
    for litellm_id in dict.fromkeys(ids):
        ctx.intent("litellm.unregister", litellmId=litellm_id)
        ctx.aws.litellm.unregister(litellm_id, missing_ok=True)
        ctx.done("litellm.unregister", litellmId=litellm_id)
    if record.auto_scaling_group:
        scale_to_zero_group(ctx, record.auto_scaling_group)
    ctx.intent("finalize", status=str(ModelStatus.STOPPED))
    ctx.aws.models.transition_status(
        job.model_id,
        record.model_status,
        ModelStatus.STOPPED,
        {"litellm_id": None},
        remove_attributes=(*HOLD_ATTRIBUTES,),
        holder=ctx.holder,
    )
    ctx.done("finalize", status=str(ModelStatus.STOPPED))
    message = f"stop of {job.model_id} finished by recovery ({ctx.interruption}): Stopped, out of LiteLLM, 0 instances"
    return _result(ctx, job, Outcome.SUCCEEDED, message, ModelStatus.STOPPED)


# -- create: resume -------------------------------------------------------------------------------------------


def validated_from_record(aws: Gateways, record: ModelRecord, job: JournalJob | None = None) -> ValidatedCreate:
    """The create as its record stores it (`model_config` is the request less its guardrails), with the guardrails
    its intake journaled: what a resumed create carries on with. The request is not in the journal, which holds
    no secret."""
    from engine.stack_template import stack_name

    intake = job.intent("intake") if job is not None else None
    guardrails = intake.data.get(GUARDRAILS_POINT_KEY) if intake is not None else None
    request = parse_create({**record.config, **({GUARDRAILS_POINT_KEY: guardrails} if guardrails else {})})
    hosting = request.effective_hosting_type
    name = deployment_name(aws.deployment.prefix)
    stack = stack_name(name, request.modelId) if record.is_lisa_hosted else None
    return ValidatedCreate(request, hosting, dict(record.config), name, stack)


# -- failure of recovery itself ----------------------------------------------------------------------------------


def _mark_failed(ctx: JobContext, job: JournalJob, reason: str) -> JobResult:
    """Recovery could not bring the model back: Failed, with the reason, released, so an operator looks at it."""
    message = cut_reason(f"{job.kind} of {job.model_id}: {ctx.interruption}; {reason} ({changes_text(ctx)})")
    try:
        record = ctx.aws.models.get(job.model_id)
        ctx.aws.models.transition_status(
            job.model_id,
            record.model_status,
            ModelStatus.FAILED,
            {"failure_reason": message},
            remove_attributes=HOLD_ATTRIBUTES,
            holder=ctx.holder,
        )
    except LisaDesktopError as error:
        message = f"{message}; and the record could not be marked Failed: {error}"
    ctx.report("recover", StepState.FAILED, message)
    return _result(ctx, job, Outcome.FAILED, message, ModelStatus.FAILED)


def _result(ctx: JobContext, job: JournalJob, outcome: Outcome, message: str, status: ModelStatus | None) -> JobResult:
    return JobResult(job.job_id, job.model_id, job.kind, outcome, message, status)
