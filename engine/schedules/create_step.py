"""LISA's CreateSchedule step of its CreateModel state machine (`state_machine/schedule_handlers.py`
handle_schedule_creation): once the stack's capacity is up, the schedule the request carries is set as
`update_schedule` sets it. A failure does not fail the create: it is recorded in `lastScheduleFailed` and
`lastScheduleFailure`, and the actions already put are removed, so the record and the group agree."""

from __future__ import annotations

from typing import Any

from engine.aws.discovery import caller_identity
from engine.errors import LisaDesktopError
from engine.jobs.context import JobCancelled, JobContext
from engine.jobs.events import StepState
from engine.jobs.lease import LeaseLost
from engine.schedules.actions import action_arn, actions_for, baseline_capacity
from engine.schedules.job import delete_action, put_action, scale_now
from engine.schedules.record import SCHEDULING_PATH, failure_entry, parse_schedule, scheduling_of, stored_scheduling
from engine.schedules.timing import Now, wall_now
from engine.schema.enums import ModelStatus

STEP = "schedule"


def create_schedule(ctx: JobContext, model_id: str, *, now: Now = wall_now) -> None:
    """Set the schedule the Creating record carries (as the create request gave it) on the model's group, then
    write it to the record in LISA's shape. Skipped without a schedule or a group; idempotent (a resumed create
    puts the same actions again)."""
    record = ctx.aws.models.get(model_id)
    given = scheduling_of(record)
    group = record.auto_scaling_group
    if given is None or not given.get("scheduleType"):
        ctx.report(STEP, StepState.SKIPPED, "no schedule: the model always runs")
        return
    if not group:
        ctx.report(STEP, StepState.FAILED, f"{model_id} has no Auto Scaling group: no schedule set")
        return
    put: list[str] = []
    try:
        schedule = parse_schedule(given)
        account = caller_identity(ctx.aws.clients).account
        arns = []
        for action in actions_for(model_id, schedule, baseline_capacity(record.config)):
            put_action(ctx, group, action, step=STEP)
            put.append(action.name)
            arns.append(action_arn(ctx.aws.clients.region, account, group, action.name))
        scale_now(ctx, group, schedule, record.config, now())
        data = stored_scheduling(schedule, arns, now())
        ctx.intent("record.schedule", scheduleEnabled=True)
        ctx.aws.models.transition_status(
            model_id, ModelStatus.CREATING, ModelStatus.CREATING, {SCHEDULING_PATH: data}, holder=ctx.holder
        )
        ctx.done("record.schedule")
        ctx.report(STEP, StepState.SUCCEEDED, f"{len(arns)} scheduled actions set")
    except LisaDesktopError as error:
        if isinstance(error, JobCancelled | LeaseLost):
            raise
        _record_failure(ctx, model_id, group, put, str(error), now)


def _record_failure(ctx: JobContext, model_id: str, group: str, put: list[str], error: str, now: Now) -> None:
    """LISA's update_schedule_failure_status; the actions this step put are removed first."""
    ctx.report(STEP, StepState.FAILED, f"setting the schedule failed (the create goes on): {error}")
    for name in put:
        delete_action(ctx, group, name, step=STEP)
    failed: dict[tuple[str, ...], Any] = {
        (*SCHEDULING_PATH, "lastScheduleFailed"): True,
        (*SCHEDULING_PATH, "lastScheduleFailure"): failure_entry(error, now()),
    }
    ctx.intent("record.schedule", scheduleEnabled=False, failed=True)
    ctx.aws.models.transition_status(model_id, ModelStatus.CREATING, ModelStatus.CREATING, failed, holder=ctx.holder)
    ctx.done("record.schedule")
