"""Start and stop of a LISA-hosted model, as LISA's UpdateModel does them (reference §4.2), minus the record
writes, which the update job makes from what these functions return.

Start (`enabled: true`): the Auto Scaling group goes back to the min/max stored in the model's
`autoScalingConfig` → wait until its instances are healthy → wait the model's warm-up
(`metricConfig.estimatedInstanceWarmup`) → register with LiteLLM (`POST /model/new`). If the capacity never
becomes healthy, the group goes back to 0/0/0 (as LISA's HandleFinishUpdate does on `polling_error`), so no
instance is left billing.

Stop (`enabled: false`): unregister from LiteLLM first, so no request is routed to a stopping model, then
0/0/0 without waiting for the instances to terminate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.aws.autoscaling import ScalingGroup
from engine.errors import InvalidInput, Problem
from engine.jobs.capacity_step import CapacityNotHealthy, resize, scale_to_zero, scale_to_zero_group, seconds_text
from engine.jobs.context import JobContext
from engine.jobs.events import StepState
from engine.jobs.lease import LeaseLost
from engine.litellm_params import litellm_params_for
from engine.schema.record import ModelRecord

log = logging.getLogger(__name__)

WARMUP_REPORT_EVERY_S: Final = 30.0
"""How often the warm-up wait says how long is left."""


@dataclass(frozen=True)
class StartOutcome:
    litellm_id: str | None
    """The LiteLLM id of the new registration (None when the start failed)."""
    group: ScalingGroup | None
    """The group after the start (after the scale-down when it failed)."""
    failure: str | None
    """Why the start failed: the capacity never became healthy. The group is already 0/0/0 and the model is
    not registered; the model goes back to `Stopped`."""

    @property
    def succeeded(self) -> bool:
        return self.failure is None


def group_of(record: ModelRecord) -> str:
    """The model's Auto Scaling group; InvalidInput when it has none (not LISA-hosted)."""
    if not record.auto_scaling_group:
        raise InvalidInput(
            [Problem("auto_scaling_group", f"model {record.model_id} has no Auto Scaling group (not LISA-hosted)")],
            f"start/stop of {record.model_id}",
        )
    return record.auto_scaling_group


def stored_capacity(record: ModelRecord) -> tuple[int, int, int]:
    """min, max and desired to start with, from the stored `autoScalingConfig`: desired is the stored
    `desiredCapacity` moved into min..max, or min when none is stored."""
    scaling = record.config.get("autoScalingConfig")
    config: Mapping[str, Any] = scaling if isinstance(scaling, Mapping) else {}
    problems: list[Problem] = []
    values: dict[str, int] = {}
    for name in ("minCapacity", "maxCapacity"):
        raw: Any = config.get(name)
        try:
            values[name] = int(raw)
        except (TypeError, ValueError):
            problems.append(Problem(f"autoScalingConfig.{name}", f"a whole number is needed to start (got {raw!r})"))
    if problems:
        raise InvalidInput(problems, f"start of {record.model_id}")
    low, high = values["minCapacity"], values["maxCapacity"]
    if not 0 <= low <= high:
        raise InvalidInput(
            [Problem("autoScalingConfig.minCapacity", f"minCapacity {low} must be 0..maxCapacity {high}")],
            f"start of {record.model_id}",
        )
    stored: Any = config.get("desiredCapacity")
    try:
        desired = int(stored) if stored is not None else low
    except (TypeError, ValueError):
        desired = low
    return low, high, min(max(desired, low), high)


def start_capacity(ctx: JobContext, record: ModelRecord) -> ScalingGroup:
    """The group back to its stored min/max (desired: the stored one within min..max, or min), waiting until
    the instances are healthy. CapacityNotHealthy on the deadline (the group is left as set)."""
    low, high, desired = stored_capacity(record)
    return resize(ctx, group_of(record), min_size=low, max_size=high, desired=desired, wait=True, step="capacity")


def wait_model_warmup(ctx: JobContext, seconds: float) -> None:
    """LISA's WaitBeforeModelAvailable: once capacity is healthy, wait the model's warm-up before LiteLLM routes
    to it. Says how long is left every 30 s; JobCancelled at once on cancel."""
    if seconds <= 0:
        ctx.report("capacity", StepState.SKIPPED, "no model warm-up to wait for", seconds=0)
        return
    ctx.report(
        "capacity",
        StepState.STARTED,
        f"waiting {seconds_text(seconds)} s for the model to warm up",
        seconds=float(seconds),
    )
    until = ctx.monotonic() + seconds
    while True:
        left = until - ctx.monotonic()
        if left <= 0:
            break
        ctx.sleep(min(left, WARMUP_REPORT_EVERY_S))
        left = until - ctx.monotonic()
        if left > 0:
            ctx.report("capacity", StepState.PROGRESS, f"model warm-up: {left:.0f} s left", left=left)
    ctx.report("capacity", StepState.SUCCEEDED, f"model warmed up ({seconds_text(seconds)} s)", seconds=float(seconds))


def register(ctx: JobContext, record: ModelRecord) -> str:
    """LiteLLM `POST /model/new` with model_name = the model id and LISA's litellm_params (from the deployment's
    litellm_settings; api_base = the record's model_url); returns the new LiteLLM id."""
    settings, unread = ctx.aws.litellm_settings()
    params = litellm_params_for(record.config, record.model_url, settings)
    ctx.report("litellm", StepState.STARTED, f"adding {record.model_id} to LiteLLM", model=params.get("model"))
    if unread is not None:
        ctx.report("litellm", StepState.PROGRESS, f"registering without the deployment's litellm_settings: {unread}")
    ctx.intent("litellm.register", modelName=record.model_id)
    litellm_id = ctx.aws.litellm.register(record.model_id, params)
    ctx.done("litellm.register", modelName=record.model_id, litellmId=litellm_id)
    ctx.note_change(f"registered with LiteLLM as {litellm_id}")
    ctx.report("litellm", StepState.SUCCEEDED, f"added to LiteLLM as {litellm_id}", litellmId=litellm_id)
    return litellm_id


def registrations_of(ctx: JobContext, model_id: str) -> list[str]:
    """The LiteLLM ids of every entry registered under the model's name (GET /model/info)."""
    ids: list[str] = []
    for entry in ctx.aws.litellm.list_models():
        info = entry.get("model_info")
        if entry.get("model_name") == model_id and isinstance(info, Mapping) and info.get("id"):
            ids.append(str(info["id"]))
    return ids


def adopt_registration(ctx: JobContext, model_id: str) -> str | None:
    """A resumed job's registration: an entry a dead process may have made (its id never journaled) is kept
    instead of registering a second one; any further entries of the model's name are removed."""
    ids = registrations_of(ctx, model_id)
    if not ids:
        return None
    keep, extras = ids[0], ids[1:]
    for extra in extras:
        _unregister_id(ctx, extra)
    ctx.report("litellm", StepState.SUCCEEDED, f"{model_id} is already in LiteLLM as {keep}", litellmId=keep)
    return keep


def _unregister_id(ctx: JobContext, litellm_id: str, *, step: str = "litellm") -> None:
    ctx.report(step, StepState.STARTED, f"removing LiteLLM entry {litellm_id}", litellmId=litellm_id)
    ctx.intent("litellm.unregister", litellmId=litellm_id)
    ctx.aws.litellm.unregister(litellm_id, missing_ok=True)
    ctx.done("litellm.unregister", litellmId=litellm_id)
    ctx.note_change(f"LiteLLM entry {litellm_id} removed", undo=step == "rollback")
    ctx.report(step, StepState.SUCCEEDED, f"removed LiteLLM entry {litellm_id}", litellmId=litellm_id)


def drop_other_registrations(ctx: JobContext, model_id: str, *, keep: str) -> None:
    """Remove every entry of the model's name but `keep`. LISA's LiteLLM sync registers a model that its status
    monitor marked InService during the start (no `litellm_id` yet): a second entry would share the model's
    traffic and outlive the next stop."""
    for other in registrations_of(ctx, model_id):
        if other != keep:
            _unregister_id(ctx, other)


def unregister(ctx: JobContext, record: ModelRecord) -> None:
    """LiteLLM `POST /model/delete` of the record's `litellm_id` (already gone is fine); skipped without one."""
    if record.litellm_id is None:
        ctx.report("litellm", StepState.SKIPPED, f"{record.model_id} is not registered with LiteLLM")
        return
    _unregister_id(ctx, record.litellm_id)


def undo_start(ctx: JobContext, record: ModelRecord, registered: str | None, reason: str) -> ScalingGroup:
    """Unregister what the start (or a stale record) registered, then 0/0/0: nothing left routed or billing."""
    group_name = group_of(record)
    ctx.report(
        "rollback",
        StepState.ROLLING_BACK,
        f"start of {record.model_id} did not finish ({reason}): scaling {group_name} to 0/0/0",
        reason=reason,
    )
    # Every entry of the model's name: one registered by a call whose answer never came back is among them.
    named = registrations_of(ctx, record.model_id)
    for litellm_id in dict.fromkeys(i for i in (registered, record.litellm_id, *named) if i is not None):
        _unregister_id(ctx, litellm_id, step="rollback")
    group = scale_to_zero_group(ctx, group_name, step="rollback")
    ctx.report("rollback", StepState.ROLLED_BACK, f"{group_name} is 0/0/0; {record.model_id} stays stopped")
    return group


def start_model(ctx: JobContext, record: ModelRecord, *, warmup_s: float) -> StartOutcome:
    """start_capacity → wait_model_warmup → register.

    Capacity not healthy by the deadline: 0/0/0, unregistered, `StartOutcome(failure=...)`. Cancelled (or any
    other error) on the way: the same clean-up, then the error is raised again (a clean-up failure is added to
    it as a note)."""
    group_of(record)
    stored_capacity(record)  # refuse a record that cannot start before anything changes
    registered: str | None = None
    try:
        group = start_capacity(ctx, record)
        wait_model_warmup(ctx, warmup_s)
        registered = register(ctx, record)
        drop_other_registrations(ctx, record.model_id, keep=registered)
    except CapacityNotHealthy as error:
        reason = str(error)
        return StartOutcome(litellm_id=None, group=undo_start(ctx, record, registered, reason), failure=reason)
    except LeaseLost:
        raise  # another job holds the model now: nothing more is changed here
    except Exception as error:
        try:
            undo_start(ctx, record, registered, str(error) or type(error).__name__)
        except Exception as cleanup:
            log.warning("clean-up after the failed start of %s failed", record.model_id, exc_info=True)
            error.add_note(f"clean-up failed too, instances may still be running: {cleanup}")
            ctx.report("rollback", StepState.FAILED, f"clean-up failed: {cleanup}")
        raise
    return StartOutcome(litellm_id=registered, group=group, failure=None)


def stop_model(ctx: JobContext, record: ModelRecord) -> None:
    """Unregister from LiteLLM first (no request goes to a stopping model), then 0/0/0 without waiting.
    If the unregistration fails the group is left running and the error is raised."""
    ctx.check_cancelled()
    group_name = group_of(record)
    unregister(ctx, record)
    scale_to_zero(ctx, group_name)
