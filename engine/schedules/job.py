"""The schedule job: set or remove a LISA-hosted model's schedule as LISA's schedule management does
(`update_schedule` / `delete_schedule`), journaled and undone on failure.

validate → intake (the model held, its status unchanged, as LISA's schedule routes leave it) → the model's old
scheduled actions deleted → the new ones put → LISA's immediate scaling → one conditional write of
`model_config.autoScalingConfig.scheduling` that also releases the model. A failure (or a cancel) puts the old
actions, the group's sizes and the record back; recovery does the same from the journal after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from engine.aws.autoscaling import ScalingGroup
from engine.aws.discovery import caller_identity
from engine.aws.models_table import HEARTBEAT_ATTRIBUTE, HOLD_ATTRIBUTES, HOLDER_ATTRIBUTE, OPERATION_ATTRIBUTE
from engine.errors import InvalidInput, LisaDesktopError, Problem, StatusNotAllowed
from engine.jobs.capacity_step import group_from_journal, resize, restore, uncancellable
from engine.jobs.context import Gateways, JobCancelled, JobContext
from engine.jobs.events import StepState
from engine.jobs.journal import JournalJob, Phase
from engine.jobs.lease import LeaseLost, hold_of
from engine.jobs.update_job import JobResult, Outcome, abandoned, after_the_end, changes_text, holder_text
from engine.schedules.actions import (
    ScheduledAction,
    action_arn,
    actions_for,
    arn_parts,
    baseline_capacity,
    is_model_action,
)
from engine.schedules.gateway import ScheduledActions
from engine.schedules.record import SCHEDULING_PATH, schedule_of, stored_arns, stored_scheduling
from engine.schedules.timing import Now, wall_now, within_window
from engine.schema.config import SchedulingConfig
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord

log = logging.getLogger(__name__)

SCHEDULE: Final = "schedule"
"""The job kind, in the journal and on the hold."""
ALLOWED_STATUSES: Final = (ModelStatus.IN_SERVICE, ModelStatus.STOPPED)
"""LISA's schedule PUT/DELETE (get_model_and_validate_status)."""

Placed = tuple[str, ScheduledAction]
"""An action and the group it is on."""


@dataclass(frozen=True)
class ValidatedSchedule:
    record: ModelRecord
    group: str
    schedule: SchedulingConfig | None
    """The new schedule; None removes the model's."""

    @property
    def model_id(self) -> str:
        return self.record.model_id

    def plan(self) -> dict[str, Any]:
        """The journal's plan: what is set (the schedule holds no secret)."""
        new = self.schedule.dump() if self.schedule is not None else None
        return {"operation": SCHEDULE, "group": self.group, "schedule": new}


def validate_schedule(aws: Gateways, model_id: str, schedule: SchedulingConfig | None) -> ValidatedSchedule:
    """As LISA's UpdateScheduleHandler, in its order: the model exists (ModelNotFound), is InService or Stopped
    (StatusNotAllowed), has an Auto Scaling group (InvalidInput: not LISA-hosted); and no job holds it
    (StatusNotAllowed). Nothing is written."""
    record = aws.models.get(model_id)
    subject = f"schedule of {model_id}"
    if record.model_status not in ALLOWED_STATUSES:
        raise StatusNotAllowed(
            f"'{model_id}' is {record.model_status}: LISA sets or removes a schedule only when the model is "
            "InService or Stopped"
        )
    if not record.is_lisa_hosted or not record.auto_scaling_group:
        raise InvalidInput(
            [
                Problem(
                    "modelId",
                    f"'{model_id}' is not LISA-hosted: only a model with an Auto Scaling group can be scheduled "
                    "(LISA: Model does not have an Auto Scaling Group configured)",
                )
            ],
            subject,
        )
    hold = hold_of(record)
    if hold is not None:
        raise StatusNotAllowed(f"'{model_id}' is held by job {hold.job_id}: wait until it has finished")
    return ValidatedSchedule(record, record.auto_scaling_group, schedule)


def model_actions(aws: Gateways, record: ModelRecord, group: str) -> list[Placed]:
    """The model's actions now: those its record's ARNs name (on whichever group they say) and those named as LISA
    names a model's on its group."""
    gateway = ScheduledActions(aws.clients)
    named: dict[str, set[str]] = {}
    for arn in stored_arns(record):
        parts = arn_parts(arn)
        if parts is not None:
            named.setdefault(parts[0], set()).add(parts[1])
    found: list[Placed] = [(group, action) for action in gateway.of_model(group, record.model_id)]
    seen = {(where, action.name) for where, action in found}
    for where, names in named.items():
        on_group = gateway.of_group(where) if where != group else [a for _, a in found]
        found.extend((where, a) for a in on_group if a.name in names and (where, a.name) not in seen)
    return found


def _placed_json(placed: Iterable[Placed]) -> list[dict[str, Any]]:
    return [{"group": group, **action.to_json()} for group, action in placed]


def _placed_from(data: object) -> list[Placed]:
    if not isinstance(data, list):
        return []
    return [(str(item["group"]), ScheduledAction.from_json(item)) for item in data if isinstance(item, Mapping)]


class ScheduleJob:
    """One validated schedule change of one model. `run()` executes every step on the calling (worker) thread."""

    def __init__(self, ctx: JobContext, validated: ValidatedSchedule, *, now: Now = wall_now) -> None:
        self.ctx = ctx
        self.validated = validated
        self.record = validated.record
        self.group = validated.group
        self.now = now
        self._before: list[Placed] = []
        self._capacity_before: ScalingGroup | None = None
        self._intake_done = False
        self._finalized: JobResult | None = None
        """The result once the final record write landed: nothing after it is undone."""

    def run(self) -> JobResult:
        ctx, schedule = self.ctx, self.validated.schedule
        what = f"{schedule.scheduleType} schedule ({schedule.timezone})" if schedule is not None else "no schedule"
        ctx.report("validate", StepState.SUCCEEDED, f"schedule of {self.record.model_id}: {what}")
        try:
            self._before = model_actions(ctx.aws, self.record, self.group)
            self._intake()
            self._remove_old()
            arns = self._put_new(schedule) if schedule is not None else []
            if schedule is not None:
                self._scale_now(schedule)
            return self._finalize(schedule, arns)
        except LeaseLost as error:
            return abandoned(ctx, SCHEDULE, self.record.model_id, error)
        except Exception as error:
            if self._finalized is not None:
                return after_the_end(self._finalized, error)
            if not self._intake_done:
                raise
            if isinstance(error, JobCancelled):
                return self._undo("cancelled by the operator", Outcome.CANCELLED)
            if not isinstance(error, LisaDesktopError):
                log.error("schedule of %s failed", self.record.model_id, exc_info=error)
            return self._undo(str(error) or type(error).__name__, Outcome.ROLLED_BACK)

    # -- steps ------------------------------------------------------------------------------------------------

    def _intake(self) -> None:
        ctx, status = self.ctx, self.record.model_status
        ctx.report("intake", StepState.STARTED, f"holding {self.record.model_id} ({status}, unchanged)")
        holder = holder_text(ctx)
        ctx.intent(
            "intake",
            fromStatus=str(status),
            toStatus=str(status),
            holder=holder,
            group=self.group,
            before=_placed_json(self._before),
        )
        self.record = ctx.aws.models.transition_status(
            self.record.model_id,
            status,
            status,
            {HOLDER_ATTRIBUTE: holder, HEARTBEAT_ATTRIBUTE: ctx.aws.models.now_ms(), OPERATION_ATTRIBUTE: SCHEDULE},
            touch=False,
            unheld=True,
        )
        self._intake_done = True
        ctx.took_hold(holder)
        ctx.done("intake", fromStatus=str(status), toStatus=str(status))
        ctx.report("intake", StepState.SUCCEEDED, f"{self.record.model_id} is held by job {ctx.job_id}")

    def _remove_old(self) -> None:
        if not self._before:
            self.ctx.report("schedule", StepState.SKIPPED, "the model has no scheduled actions to remove")
        for group, action in self._before:
            delete_action(self.ctx, group, action.name, step="schedule")

    def _put_new(self, schedule: SchedulingConfig) -> list[str]:
        ctx = self.ctx
        baseline = baseline_capacity(self.record.config)
        account = caller_identity(ctx.aws.clients).account
        arns = []
        for action in actions_for(self.record.model_id, schedule, baseline):
            put_action(ctx, self.group, action, step="schedule")
            arns.append(action_arn(ctx.aws.clients.region, account, self.group, action.name))
        return arns

    def _scale_now(self, schedule: SchedulingConfig) -> None:
        # Read first: a resize that raises after it went through must still be undone.
        self._capacity_before = self.ctx.aws.autoscaling.describe_one(self.group)
        if scale_now(self.ctx, self.group, schedule, self.record.config, self.now()) is None:
            self._capacity_before = None

    def _finalize(self, schedule: SchedulingConfig | None, arns: list[str]) -> JobResult:
        ctx, model_id = self.ctx, self.record.model_id
        current = ctx.aws.models.get(model_id)  # LISA's status monitor may have moved it meanwhile: kept
        data = stored_scheduling(schedule, arns, self.now()) if schedule is not None else None
        ctx.report("finalize", StepState.STARTED, "writing the schedule to the record")
        ctx.intent("finalize", status=str(current.model_status), scheduleEnabled=data is not None)
        ctx.aws.models.transition_status(
            model_id,
            current.model_status,
            current.model_status,
            scheduling_attributes(current, data),
            remove_attributes=HOLD_ATTRIBUTES,
            touch=False,
            holder=ctx.holder,
        )
        message = f"{len(arns)} scheduled actions set" if data is not None else "schedule removed"
        self._finalized = JobResult(ctx.job_id, model_id, SCHEDULE, Outcome.SUCCEEDED, message, current.model_status)
        ctx.done("finalize", status=str(current.model_status))
        ctx.report("finalize", StepState.SUCCEEDED, f"{model_id}: {message}")
        return self._finalized

    def _undo(self, reason: str, outcome: Outcome) -> JobResult:
        ctx = uncancellable(self.ctx)
        ending = "was cancelled and rolled back" if outcome is Outcome.CANCELLED else "failed and was rolled back"
        try:
            status = roll_back_schedule(ctx, self.record.model_id, self.group, self._before, self._capacity_before)
        except LeaseLost as error:
            return abandoned(ctx, SCHEDULE, self.record.model_id, error)
        message = f"schedule of {self.record.model_id} {ending}: {reason} ({changes_text(ctx)})"
        ctx.report("rollback", StepState.ROLLED_BACK, message)
        return JobResult(ctx.job_id, self.record.model_id, SCHEDULE, outcome, message, status)


def scale_now(
    ctx: JobContext, group_name: str, schedule: SchedulingConfig, model_config: Mapping[str, Any], now: datetime
) -> ScalingGroup | None:
    """LISA's scale_immediately / check_daily_immediate_scaling at `now`: outside today's window the group goes to
    0/0/0 at once; inside it, a group at 0 goes back to the baseline capacity. As in LISA, a failure here is
    reported and the schedule still set. Returns the group as it was before a resize (None: none made)."""
    try:
        group = ctx.aws.autoscaling.describe_one(group_name)
        if group is None:
            raise LisaDesktopError(f"Auto Scaling group {group_name} does not exist")
        if not within_window(schedule, now):
            ctx.report("capacity", StepState.STARTED, "outside the schedule's window now: scaling to 0 at once")
            resize(ctx, group_name, min_size=0, max_size=0, desired=0, wait=False)
            return group
        if group.desired_capacity == 0:
            baseline = baseline_capacity(model_config)
            ctx.report("capacity", StepState.STARTED, "inside the schedule's window now: scaling up from 0")
            resize(
                ctx,
                group_name,
                min_size=baseline.min_size,
                max_size=baseline.max_size,
                desired=baseline.desired,
                wait=False,
            )
            return group
        ctx.report("capacity", StepState.SKIPPED, "inside the schedule's window now: the group runs already")
    except LisaDesktopError as error:
        if isinstance(error, JobCancelled | LeaseLost):
            raise
        ctx.report("capacity", StepState.FAILED, f"scaling at once failed (the schedule is still set): {error}")
    return None


def scheduling_attributes(record: ModelRecord, data: dict[str, Any] | None) -> dict[str | tuple[str, ...], Any]:
    """Where the schedule goes: `model_config.autoScalingConfig.scheduling`, or a new `autoScalingConfig` holding
    only it when the record has none (as LISA's update_model_schedule_record)."""
    if isinstance(record.config.get("autoScalingConfig"), Mapping):
        return {SCHEDULING_PATH: data}
    return {SCHEDULING_PATH[:2]: {"scheduling": data}}


def put_action(ctx: JobContext, group: str, action: ScheduledAction, *, step: str) -> None:
    point = "rollback.schedule.put" if step == "rollback" else "schedule.put"
    ctx.intent(point, group=group, name=action.name)
    ScheduledActions(ctx.aws.clients).put(group, action)
    ctx.done(point, group=group, name=action.name)
    undo = step == "rollback"
    ctx.note_change(f"scheduled action {action.name} put ({action.recurrence} {action.time_zone})", undo=undo)
    sizes = f"{action.capacity.min_size}/{action.capacity.max_size}/{action.capacity.desired}"
    ctx.report(
        step,
        StepState.ROLLED_BACK if undo else StepState.SUCCEEDED,
        f"{action.name}: {action.recurrence} {action.time_zone} → {sizes}",
    )


def delete_action(ctx: JobContext, group: str, name: str, *, step: str) -> None:
    point = "rollback.schedule.delete" if step == "rollback" else "schedule.delete"
    ctx.intent(point, group=group, name=name)
    ScheduledActions(ctx.aws.clients).delete(group, name)
    ctx.done(point, group=group, name=name)
    undo = step == "rollback"
    ctx.note_change(f"scheduled action {name} deleted", undo=undo)
    ctx.report(step, StepState.ROLLED_BACK if undo else StepState.SUCCEEDED, f"{name} deleted from {group}")


def roll_back_schedule(
    ctx: JobContext, model_id: str, group: str, before: list[Placed], capacity_before: ScalingGroup | None
) -> ModelStatus:
    """The model's scheduled actions back to `before` (the ones made since deleted, the old ones put back), the
    group back to its sizes before, then the record released with its schedule as it was. Idempotent. Returns
    the model's status."""
    gateway = ScheduledActions(ctx.aws.clients)
    wanted = {(where, action.name): action for where, action in before}
    groups = {group, *(where for where, _ in before)}
    now: dict[tuple[str, str], ScheduledAction] = {}
    for where in groups:
        for action in gateway.of_group(where):
            if (where, action.name) in wanted or (where == group and is_model_action(action.name, model_id)):
                now[(where, action.name)] = action
    for (where, name), _action in now.items():
        if (where, name) not in wanted:
            delete_action(ctx, where, name, step="rollback")
    for (where, name), action in wanted.items():
        if now.get((where, name)) != action:
            put_action(ctx, where, action, step="rollback")
    if capacity_before is not None:
        restore(ctx, capacity_before, wait=False)
    record = ctx.aws.models.get(model_id)
    ctx.intent("rollback.record", status=str(record.model_status))
    ctx.aws.models.transition_status(
        model_id,
        record.model_status,
        record.model_status,
        remove_attributes=HOLD_ATTRIBUTES,
        touch=False,
        holder=ctx.holder,
    )
    ctx.done("rollback.record", status=str(record.model_status))
    return record.model_status


# -- recovery ---------------------------------------------------------------------------------------------------


def recover_schedule(ctx: JobContext, job: JournalJob, record: ModelRecord) -> JobResult:
    """A schedule job whose process died while it held the model: rolled back from its journal (the actions it
    saw before, the group's sizes before its first resize). Taken over without a journal: the actions the record's
    schedule (still the old one: the final write never landed) stands for."""
    group = record.auto_scaling_group or ""
    intake = job.intent("intake")
    if intake is not None and "before" in intake.data:
        before = _placed_from(intake.data.get("before"))
        group = str(intake.data.get("group") or group)
    else:
        before = _record_actions(record, group)
    resized = next((p for p in job.points if p.step == "capacity.resize" and p.phase is Phase.INTENT), None)
    capacity = group_from_journal(str(resized.data["group"]), resized.data.get("before") or {}) if resized else None
    status = roll_back_schedule(ctx, job.model_id, group, before, capacity)
    message = (
        f"schedule of {job.model_id} was rolled back by recovery: {ctx.interruption} "
        f"({changes_text(ctx) if ctx.undone else 'nothing had changed in AWS'})"
    )
    ctx.report("rollback", StepState.ROLLED_BACK, message)
    return JobResult(job.job_id, job.model_id, SCHEDULE, Outcome.ROLLED_BACK, message, status)


def _record_actions(record: ModelRecord, group: str) -> list[Placed]:
    schedule = schedule_of(record)
    if schedule is None or not group:
        return []
    return [(group, action) for action in actions_for(record.model_id, schedule, baseline_capacity(record.config))]


__all__ = [
    "ALLOWED_STATUSES",
    "SCHEDULE",
    "ScheduleJob",
    "ValidatedSchedule",
    "recover_schedule",
    "roll_back_schedule",
    "validate_schedule",
]
