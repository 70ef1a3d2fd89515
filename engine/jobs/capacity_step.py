"""The capacity step: resize a model's Auto Scaling group and wait until its instances are healthy.

What LISA's UpdateModel does in HandleJobIntake (UpdateAutoScalingGroup) and HandlePollCapacity (healthy
instances == desired capacity), with a deadline instead of 30 polls of 60 s, and backoff that goes back to its
first delay whenever the counts move, so the end is seen within seconds. These functions act on Auto Scaling
only; the caller (the update job) decides what a failure means and writes the models table.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from engine.aws.autoscaling import ScalingGroup
from engine.errors import InvalidInput, LisaDesktopError, Problem
from engine.jobs import root_cause
from engine.jobs.cause import RootCause
from engine.jobs.context import JobContext, StepTimeout
from engine.jobs.events import StepState
from engine.jobs.polling import poll_until

ACTIVITY_LOOKBACK_S: Final = 120


class CapacityNotHealthy(LisaDesktopError):
    """The group's instances did not all become healthy before the deadline (the group is left as it was set)."""

    def __init__(
        self,
        group: str,
        healthy: int,
        wanted: int,
        deadline_s: float,
        *,
        pending: int = 0,
        root_cause: RootCause | None = None,
    ) -> None:
        self.group = group
        self.healthy = healthy
        self.wanted = wanted
        self.deadline_s = deadline_s
        self.pending = pending
        self.root_cause = root_cause
        still = f", {pending} still pending" if pending else ""
        after = seconds_text(deadline_s)
        text = f"{healthy} of {wanted} instances healthy after {after} s{still} (Auto Scaling group {group})"
        if root_cause is not None:
            text += f"; root cause: {root_cause.summary()}"
        super().__init__(text)


def seconds_text(value: float) -> str:
    """`1800`, `2.5`: whole seconds without decimals, short deadlines (tests, the sandbox) with one."""
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def pending_count(group: ScalingGroup) -> int:
    """Instances still booting (`Pending`, `Pending:Wait`, `Pending:Proceed`)."""
    return sum(1 for i in group.instances if i.lifecycle_state.startswith("Pending"))


def in_service_count(group: ScalingGroup) -> int:
    """Instances InService, healthy or not."""
    return sum(1 for i in group.instances if i.lifecycle_state == "InService")


def capacity_reached(group: ScalingGroup) -> bool:
    """Healthy in-service instances == desired capacity and none pending; desired 0 is reached when no instance
    is left InService (terminating ones do not count)."""
    if pending_count(group):
        return False
    if group.desired_capacity == 0:
        return in_service_count(group) == 0
    return group.healthy_in_service_count == group.desired_capacity


def sizes(group: ScalingGroup) -> str:
    """`min/max/desired`, e.g. `1/3/2`."""
    return f"{group.min_size}/{group.max_size}/{group.desired_capacity}"


def progress_message(group: ScalingGroup) -> str:
    """`1/2 instances healthy` (+ `, 1 pending`, `, 1 unhealthy`)."""
    healthy = group.healthy_in_service_count
    parts = [f"{healthy}/{group.desired_capacity} instances healthy"]
    pending = pending_count(group)
    if pending:
        parts.append(f"{pending} pending")
    unhealthy = in_service_count(group) - healthy
    if unhealthy:
        parts.append(f"{unhealthy} unhealthy")
    return ", ".join(parts)


def _counts(group: ScalingGroup) -> dict[str, Any]:
    return {
        "desired": group.desired_capacity,
        "healthy": group.healthy_in_service_count,
        "pending": pending_count(group),
        "inService": in_service_count(group),
    }


def _describe(ctx: JobContext, group_name: str) -> ScalingGroup:
    group = ctx.aws.autoscaling.describe_one(group_name)
    if group is None:
        raise InvalidInput(
            [Problem("autoScalingGroup", f"Auto Scaling group {group_name} does not exist")],
            f"capacity of Auto Scaling group {group_name}",
        )
    return group


def uncancellable(ctx: JobContext) -> JobContext:
    """The same job without its cancel switch: a rollback runs to its end (or its deadline) even when the
    cancellation is what started it."""
    return dataclasses.replace(ctx, cancelled=threading.Event())


def wait_for_capacity(ctx: JobContext, group_name: str, *, step: str = "capacity") -> ScalingGroup:
    """Poll the group until `capacity_reached` (within `settings.capacity_deadline_s`), reporting
    "1/2 instances healthy" each time the counts change; the backoff restarts whenever they do.
    Raises CapacityNotHealthy on the deadline, JobCancelled on cancel."""
    deadline_s = ctx.settings.capacity_deadline_s
    last: dict[str, Any] = {"group": None, "counts": None, "moved": False}
    # Activities from a little before the wait count too: the resize that started it launched instances already.
    since = datetime.now(UTC) - timedelta(seconds=ACTIVITY_LOOKBACK_S)

    def check() -> ScalingGroup | None:
        group = _describe(ctx, group_name)
        counts = _counts(group)
        last["group"] = group
        if counts != last["counts"]:
            last["counts"] = counts
            last["moved"] = True
            ctx.report(step, StepState.PROGRESS, progress_message(group), group=group_name, **counts)
        return group if capacity_reached(group) else None

    def progressed() -> bool:
        moved = bool(last["moved"])
        last["moved"] = False
        return moved

    try:
        return poll_until(
            ctx,
            check,
            deadline_s=deadline_s,
            what=f"healthy capacity in Auto Scaling group {group_name}",
            progressed=progressed,
        )
    except StepTimeout:
        group = last["group"]
        healthy = group.healthy_in_service_count if group is not None else 0
        wanted = group.desired_capacity if group is not None else 0
        pending = pending_count(group) if group is not None else 0
        cause = root_cause.capacity_cause(ctx, group_name, group, since=since)
        root_cause.report(ctx, step, cause)
        error = CapacityNotHealthy(group_name, healthy, wanted, deadline_s, pending=pending, root_cause=cause)
        ctx.report(
            step,
            StepState.FAILED,
            str(error),
            group=group_name,
            healthy=healthy,
            wanted=wanted,
            rootCause=cause.to_data(),
        )
        raise error from None


def _apply(
    ctx: JobContext,
    group_name: str,
    *,
    min_size: int | None,
    max_size: int | None,
    desired: int | None,
    cooldown: int | None,
    warmup: int | None,
    wait: bool,
    step: str,
    started: StepState,
    done: StepState,
) -> ScalingGroup:
    before = _describe(ctx, group_name)
    wanted = {
        "minSize": min_size,
        "maxSize": max_size,
        "desiredCapacity": desired,
        "defaultCooldown": cooldown,
        "defaultInstanceWarmup": warmup,
    }
    given: dict[str, Any] = {key: value for key, value in wanted.items() if value is not None}
    target = "/".join(
        "auto" if value is None else str(value)
        for value in (
            min_size if min_size is not None else before.min_size,
            max_size if max_size is not None else before.max_size,
            desired,
        )
    )
    ctx.report(
        step,
        started,
        f"Auto Scaling group {group_name}: min/max/desired {sizes(before)} → {target}",
        group=group_name,
        before=sizes(before),
        **given,
    )
    point = "rollback.capacity" if started is StepState.ROLLING_BACK else "capacity.resize"
    ctx.intent(
        point,
        group=group_name,
        before=journaled_sizes(before),
        **given,
    )
    ctx.aws.autoscaling.update(
        group_name,
        min_size=min_size,
        max_size=max_size,
        desired=desired,
        cooldown=cooldown,
        warmup=warmup,
        current=before,
    )
    ctx.done(point, group=group_name)
    if started is StepState.ROLLING_BACK:
        ctx.note_change(f"Auto Scaling group {group_name} back to {target} (min/max/desired)", undo=True)
    else:
        ctx.note_change(f"Auto Scaling group {group_name} {sizes(before)} → {target} (min/max/desired)")
    group = _describe(ctx, group_name)  # Auto Scaling may have moved desired into the new min..max
    if wait:
        group = wait_for_capacity(ctx, group_name, step=step)
        message = f"Auto Scaling group {group_name} is {sizes(group)}: {progress_message(group)}"
    else:
        message = f"Auto Scaling group {group_name} set to {sizes(group)} (not waiting for instances)"
    ctx.report(step, done, message, group=group_name, after=sizes(group), **_counts(group))
    return group


def resize(
    ctx: JobContext,
    group_name: str,
    *,
    min_size: int | None = None,
    max_size: int | None = None,
    desired: int | None = None,
    cooldown: int | None = None,
    warmup: int | None = None,
    wait: bool = True,
    step: str = "capacity",
) -> ScalingGroup:
    """UpdateAutoScalingGroup with the given values (the gateway refuses desired outside min..max with
    InvalidInput, before AWS is called); without `desired`, Auto Scaling moves the desired capacity into the new
    range itself. With `wait`, poll until healthy in-service instances == the group's desired capacity and none
    is pending (`wait_for_capacity`); CapacityNotHealthy on the deadline leaves the group as it was set.
    Returns the group as it is afterwards."""
    if wait:
        ctx.check_cancelled()
    return _apply(
        ctx,
        group_name,
        min_size=min_size,
        max_size=max_size,
        desired=desired,
        cooldown=cooldown,
        warmup=warmup,
        wait=wait,
        step=step,
        started=StepState.STARTED,
        done=StepState.SUCCEEDED,
    )


def scale_to_zero_group(ctx: JobContext, group_name: str, *, step: str = "capacity") -> ScalingGroup:
    """`scale_to_zero`, returning the group afterwards. Not cancellable: it is what a cancel cleans up with."""
    return _apply(
        ctx,
        group_name,
        min_size=0,
        max_size=0,
        desired=0,
        cooldown=None,
        warmup=None,
        wait=False,
        step=step,
        started=StepState.STARTED,
        done=StepState.SUCCEEDED,
    )


def scale_to_zero(ctx: JobContext, group_name: str, *, step: str = "capacity") -> None:
    """0/0/0 without waiting for the instances to terminate (as LISA's stop and its failed start do)."""
    scale_to_zero_group(ctx, group_name, step=step)


def snapshot(ctx: JobContext, group_name: str) -> ScalingGroup:
    """The group as it is now: what `restore` puts back."""
    return _describe(ctx, group_name)


def restore(ctx: JobContext, snapshot: ScalingGroup, *, wait: bool, step: str = "rollback") -> None:
    """Put the group back to the snapshot's min/max/desired (and cooldown/warmup where recorded), reported as
    rolling-back → rolled-back. The wait ignores cancellation (a rollback is what a cancel asks for) but keeps
    the capacity deadline: CapacityNotHealthy if the old capacity does not come back healthy.

    When the group has grown since the snapshot, its instances that are not healthy and in service go first, each
    terminated with the desired capacity lowered by one: lowering the desired capacity alone lets Auto Scaling's
    termination policy choose, and it may keep a new instance that never became healthy over the old healthy one
    (then LISA's status monitor stops the model). Read from the group as it is, so a rollback run again after a kill
    terminates only what is still surplus."""
    _terminate_unhealthy_surplus(uncancellable(ctx), snapshot, step=step)
    _apply(
        uncancellable(ctx),
        snapshot.name,
        min_size=snapshot.min_size,
        max_size=snapshot.max_size,
        desired=snapshot.desired_capacity,
        cooldown=snapshot.default_cooldown,
        warmup=snapshot.default_instance_warmup,
        wait=wait,
        step=step,
        started=StepState.ROLLING_BACK,
        done=StepState.ROLLED_BACK,
    )


def _terminate_unhealthy_surplus(ctx: JobContext, snapshot: ScalingGroup, *, step: str) -> None:
    group = _describe(ctx, snapshot.name)
    surplus = min(group.desired_capacity - snapshot.desired_capacity, group.desired_capacity - group.min_size)
    unhealthy = [
        instance
        for instance in group.instances
        if not instance.is_healthy_in_service and instance.lifecycle_state not in _LEAVING
    ]
    for instance in unhealthy[: max(surplus, 0)]:
        if ctx.aws.autoscaling.terminate_and_decrement(instance.instance_id):
            ctx.report(
                step, StepState.ROLLING_BACK, f"terminated instance {instance.instance_id}: it never became healthy"
            )
        else:  # Auto Scaling replaced it meanwhile: the sizes put back next settle what is left
            ctx.report(step, StepState.ROLLING_BACK, f"instance {instance.instance_id} had already left the group")


_LEAVING = frozenset({"Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated", "Detaching", "Detached"})


def journaled_sizes(group: ScalingGroup) -> dict[str, int | None]:
    """A group's sizes as a resize's journal point keeps them (`group_from_journal` reads them back)."""
    return {
        "min": group.min_size,
        "max": group.max_size,
        "desired": group.desired_capacity,
        "cooldown": group.default_cooldown,
        "warmup": group.default_instance_warmup,
    }


def group_from_journal(name: str, sizes: Mapping[str, Any]) -> ScalingGroup:
    """The group `name` with the sizes a journal point kept (`journaled_sizes`)."""

    def optional(key: str) -> int | None:
        value = sizes.get(key)
        return int(value) if value is not None else None

    return ScalingGroup(
        name=name,
        min_size=int(sizes.get("min", 0)),
        max_size=int(sizes.get("max", 0)),
        desired_capacity=int(sizes.get("desired", 0)),
        default_cooldown=optional("cooldown"),
        default_instance_warmup=optional("warmup"),
    )
