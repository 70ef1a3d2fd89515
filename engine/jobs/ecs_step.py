"""The ECS step of an update job: a new task-definition revision for a container change, rolled out and watched.

What LISA's UpdateModel does in HandleEcsUpdate (DescribeServices → DescribeTaskDefinition → RegisterTaskDefinition
of the same family and roles, merged environment minus deletions, new shared memory and health check →
UpdateService) and HandlePollEcsDeployment, with three differences:

* the rollout is watched with a deadline (`JobSettings.ecs_deadline_s`) instead of 30 polls of 60 s, polling from
  `poll_initial_s` while the rollout is moving, so its end is seen within about that delay;
* a FAILED rollout, a missed deadline or a cancel puts the previous revision back and waits until the service is
  stable on it (LISA only records the error and leaves ECS's circuit breaker to do whatever it is configured to);
* the previous revision is not deregistered when the new one is stable: the update job may still have to roll
  back after a later step fails, so it calls `retire()` once the whole job has succeeded.

Idempotency: `apply_container_change` always registers a new revision, even when the service already runs one
equal to what it would register (after a job that died between UpdateService and its journal entry, say).
Registering and rolling out an identical revision is harmless (ECS restarts the tasks on a configuration that is
the same), and comparing definitions field by field against what ECS normalises (defaults it fills in, key order)
would be a fragile shortcut for a rare case.

Every ECS service event written since the step began is reported once (`Source.ECS`), oldest first; events are
told apart by their id, not by timestamps, so clock skew between this machine and AWS cannot hide or repeat one.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.aws.ecs import Deployment, EcsService, ServiceEvent, ServiceRef, TaskDefinition, revision_of
from engine.errors import InvalidInput, LisaDesktopError, Problem
from engine.jobs import root_cause
from engine.jobs.cause import RootCause
from engine.jobs.context import JobCancelled, JobContext, StepTimeout
from engine.jobs.events import Source, StepState
from engine.jobs.lease import LeaseLost
from engine.jobs.polling import poll_until
from engine.schema.requests import MARKED_FOR_DELETION, UpdateContainerConfig

HEALTH_CHECK_FIELDS: Final = {
    "healthCheckCommand": "command",
    "healthCheckInterval": "interval",
    "healthCheckTimeout": "timeout",
    "healthCheckStartPeriod": "startPeriod",
    "healthCheckRetries": "retries",
}
"""UpdateContainerConfig's flattened health-check fields → the keys of a container's `healthCheck`."""

_FAILURE_WORDS: Final = ("fail", "rolling back", "rolled back", "circuit breaker", "unable to", "unhealthy")


# -- results and errors ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollout:
    """A rollout that reached a stable service: what runs now and what ran before (still registered)."""

    ref: ServiceRef
    previous_task_definition: str
    new_task_definition: str

    @property
    def previous_revision(self) -> int | None:
        return revision_of(self.previous_task_definition)

    @property
    def new_revision(self) -> int | None:
        return revision_of(self.new_task_definition)


class RolloutFailed(LisaDesktopError):
    """The new revision did not become stable (FAILED rollout, deadline, AWS error while watching); the previous
    revision was put back, is stable, and the failed revision is deregistered. `reason` ends with the root cause's
    summary when one was gathered."""

    def __init__(
        self,
        reason: str,
        restored_task_definition: str,
        *,
        failed_task_definition: str | None = None,
        root_cause: RootCause | None = None,
    ) -> None:
        self.root_cause = root_cause
        self.headline = reason
        if root_cause is not None:
            reason = f"{reason}; root cause: {root_cause.summary()}"
        self.reason = reason
        self.restored_task_definition = restored_task_definition
        self.failed_task_definition = failed_task_definition
        failed = f"revision {_rev(failed_task_definition)}" if failed_task_definition else "the new revision"
        super().__init__(
            f"the rollout of {failed} failed: {reason}; rolled back to revision {_rev(restored_task_definition)}"
        )


class RollbackFailed(LisaDesktopError):
    """Putting the previous revision back failed too: the service may be left on the failed revision."""

    def __init__(self, rollout_reason: str, rollback_reason: str, rollout: Rollout) -> None:
        self.rollout_reason = rollout_reason
        self.rollback_reason = rollback_reason
        self.rollout = rollout
        super().__init__(
            f"{rollout_reason}; rolling back to revision {rollout.previous_revision} failed too: {rollback_reason} "
            f"(service {_name(rollout.ref)} may still be on revision {rollout.new_revision})"
        )


class _RolloutFailure(Exception):
    """Leaves poll_until when ECS says the rollout failed (internal)."""

    def __init__(self, reason: str, service: EcsService) -> None:
        self.reason = reason
        self.service = service
        super().__init__(reason)


# -- the pure parts --------------------------------------------------------------------------------------------


def merge_environment(current: Mapping[str, str], change: Mapping[str, str]) -> dict[str, str]:
    """`current` with `change` applied: changed keys set, keys whose value is LISA_MARKED_FOR_DELETION removed,
    everything the change does not mention (LISA's injected variables among them) kept, in its order."""
    merged = dict(current)
    for key, value in change.items():
        if value == MARKED_FOR_DELETION:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def health_check_command(command: str | list[str]) -> list[str]:
    """ECS's form of a health-check command: a string is run by the shell (`["CMD-SHELL", command]`)."""
    return list(command) if isinstance(command, list) else ["CMD-SHELL", command]


def build_revision_input(current: TaskDefinition, change: UpdateContainerConfig) -> dict[str, Any]:
    """RegisterTaskDefinition's input for a new revision of `current`'s family with `change` applied to the model's
    container (the first container definition; LISA's task has only that one). Family, roles, network mode,
    volumes, tags and every other container setting are kept. `InvalidInput` if the change cannot apply."""
    kwargs = copy.deepcopy(current.registration_input())
    containers: list[dict[str, Any]] = list(kwargs.get("containerDefinitions") or [])
    if not containers:
        raise InvalidInput(
            [Problem("containerConfig", f"task definition {current.arn} has no container definition to change")]
        )
    container = containers[0]
    if change.environment is not None:
        existing = {str(e.get("name")): str(e.get("value", "")) for e in container.get("environment") or ()}
        merged = merge_environment(existing, change.environment)
        container["environment"] = [{"name": name, "value": value} for name, value in merged.items()]
    if change.sharedMemorySize is not None:
        linux = dict(container.get("linuxParameters") or {})
        linux["sharedMemorySize"] = change.sharedMemorySize
        container["linuxParameters"] = linux
    given = {
        key: getattr(change, name) for name, key in HEALTH_CHECK_FIELDS.items() if getattr(change, name) is not None
    }
    if given:
        check = dict(container.get("healthCheck") or {})
        if "command" in given:
            given["command"] = health_check_command(given["command"])
        check.update(given)
        if not check.get("command"):
            raise InvalidInput(
                [
                    Problem(
                        "containerConfig.healthCheckCommand",
                        f"is required: the container of {current.family}:{current.revision} has no health check yet",
                    )
                ]
            )
        container["healthCheck"] = check
    containers[0] = container
    kwargs["containerDefinitions"] = containers
    return kwargs


def merge_container_changes(
    earlier: UpdateContainerConfig | None, later: UpdateContainerConfig
) -> UpdateContainerConfig:
    """Two container changes as one (saved while a model is Stopped, applied at its next start): the later value of
    each field wins; environments merge key by key, and a later deletion marker wins over an earlier value as a
    later value wins over an earlier marker. Markers are kept: they still have to delete from the revision."""
    if earlier is None:
        return later
    merged = earlier.model_dump(exclude_none=True)
    newer = later.model_dump(exclude_none=True)
    environment: dict[str, str] | None = None
    if earlier.environment is not None or later.environment is not None:
        environment = {**(earlier.environment or {}), **(later.environment or {})}
    merged.update(newer)
    if environment is not None:
        merged["environment"] = environment
    return UpdateContainerConfig.model_validate(merged)


def describe_change(change: UpdateContainerConfig) -> str:
    """`environment: set A, B; remove C; sharedMemorySize 4096; healthCheck interval, retries`."""
    parts: list[str] = []
    if change.environment:
        removed = [k for k, v in change.environment.items() if v == MARKED_FOR_DELETION]
        changed = [k for k, v in change.environment.items() if v != MARKED_FOR_DELETION]
        words = [f"set {', '.join(changed)}"] if changed else []
        words += [f"remove {', '.join(removed)}"] if removed else []
        parts.append("environment: " + "; ".join(words))
    if change.sharedMemorySize is not None:
        parts.append(f"sharedMemorySize {change.sharedMemorySize}")
    checks = [key for name, key in HEALTH_CHECK_FIELDS.items() if getattr(change, name) is not None]
    if checks:
        parts.append(f"healthCheck {', '.join(checks)}")
    return "; ".join(parts) or "no container setting"


def same_task_definition(a: str | None, b: str | None) -> bool:
    """Whether two references name the same revision (full ARN or `family:revision`)."""
    return bool(a) and bool(b) and str(a).rsplit("/", 1)[-1] == str(b).rsplit("/", 1)[-1]


def deployment_of(service: EcsService, task_definition: str) -> Deployment | None:
    """The newest deployment running `task_definition`, if any is left."""
    return next((d for d in service.deployments if same_task_definition(d.task_definition_arn, task_definition)), None)


def stable_on(service: EcsService, task_definition: str) -> bool:
    """The rollout to `task_definition` is over: `EcsService.is_stable` (the primary deployment runs the service's
    task definition, its rolloutState is COMPLETED, running == desired, nothing pending, no other deployment left)
    and the service's task definition is `task_definition`. A deployment for which ECS reports no rolloutState at
    all (ECS only reports it for rolling updates not behind a Classic Load Balancer) counts as COMPLETED once the
    rest holds."""
    if not same_task_definition(service.task_definition_arn, task_definition):
        return False
    if service.is_stable:
        return True
    primary = service.primary_deployment
    return (
        primary is not None
        and primary.rollout_state is None
        and same_task_definition(primary.task_definition_arn, task_definition)
        and service.running_count == service.desired_count
        and service.pending_count == 0
        and len(service.deployments) == 1
    )


def progress_message(service: EcsService, task_definition: str) -> str:
    """`revision 8: 1/2 tasks running, 1 pending; revision 7: 1 task still running`."""
    revision = revision_of(task_definition)
    deployment = deployment_of(service, task_definition)
    if deployment is None:
        return f"revision {revision}: no deployment yet (service on revision {service.revision})"
    parts = [f"revision {revision}: {deployment.running_count}/{deployment.desired_count} tasks running"]
    if deployment.pending_count:
        parts.append(f"{deployment.pending_count} pending")
    if deployment.failed_tasks:
        parts.append(f"{deployment.failed_tasks} failed")
    if deployment.rollout_state and deployment.rollout_state != "IN_PROGRESS":
        parts.append(deployment.rollout_state)
    text = ", ".join(parts)
    others = [d for d in service.deployments if d is not deployment and d.running_count]
    for other in others:
        tasks = "task" if other.running_count == 1 else "tasks"
        text += f"; revision {other.revision}: {other.running_count} {tasks} still running"
    return text


def _name(ref: ServiceRef) -> str:
    """The service's name (CloudFormation reports its ARN)."""
    return ref.service.rsplit("/", 1)[-1]


def _rev(task_definition: str | None) -> str:
    revision = revision_of(task_definition)
    return str(revision) if revision is not None else str(task_definition or "?")


def _seconds(value: float) -> str:
    return f"{value:g} s"


# -- following a service ---------------------------------------------------------------------------------------


class _Watch:
    """Follows one service through a rollout: reports each new service event once and each change of progress,
    and says whether the rollout is moving (for poll_until's `progressed`)."""

    def __init__(self, ctx: JobContext, step: str, baseline: EcsService) -> None:
        self.ctx = ctx
        self.step = step
        self._seen: set[str] = {event.id for event in baseline.events}
        self.reported: list[ServiceEvent] = []
        self._last: tuple[Any, ...] | None = None
        self._last_message: str | None = None
        self._changed = False
        self._in_flight = False
        self.last_service: EcsService = baseline

    def observe(self, service: EcsService, target: str) -> None:
        for event in reversed(service.events):  # ECS lists them newest first
            if event.id in self._seen:
                continue
            self._seen.add(event.id)
            self.reported.append(event)
            stamp = event.created_at.isoformat() if event.created_at is not None else None
            self.ctx.report(
                self.step, StepState.PROGRESS, event.message, source=Source.ECS, eventId=event.id, createdAt=stamp
            )
            self._changed = True
        deployment = deployment_of(service, target)
        snapshot = (
            service.task_definition_arn,
            service.running_count,
            service.pending_count,
            service.desired_count,
            tuple(
                (d.id, d.status, d.rollout_state, d.running_count, d.pending_count, d.desired_count, d.failed_tasks)
                for d in service.deployments
            ),
        )
        message = progress_message(service, target)
        if snapshot != self._last:
            self._last = snapshot
            self._changed = True
        if message != self._last_message:
            self._last_message = message
            self.ctx.report(
                self.step,
                StepState.PROGRESS,
                message,
                revision=revision_of(target),
                running=deployment.running_count if deployment else 0,
                desired=deployment.desired_count if deployment else service.desired_count,
                pending=deployment.pending_count if deployment else 0,
                rolloutState=deployment.rollout_state if deployment else None,
            )
        # ECS is starting or draining tasks (or about to mark the rollout COMPLETED): the end can come at any poll.
        # Only a rollout that waits for somewhere to place its tasks (nothing pending, fewer running than desired)
        # lets the polling back off.
        stuck = (
            deployment is not None
            and deployment.pending_count == 0
            and deployment.running_count < deployment.desired_count
        )
        self._in_flight = deployment is not None and deployment.rollout_state == "IN_PROGRESS" and not stuck

    def moving(self) -> bool:
        """Something changed since the last poll, or tasks are in flight: poll again after the initial delay."""
        changed, self._changed = self._changed, False
        return changed or self._in_flight

    def last_failure_event(self) -> str | None:
        for event in reversed(self.reported):
            if any(word in event.message.lower() for word in _FAILURE_WORDS):
                return event.message
        return None


def _failure(service: EcsService, target: str, watch: _Watch) -> str | None:
    """Why the rollout to `target` has failed, or None while it may still succeed."""
    deployment = deployment_of(service, target)
    if deployment is not None and deployment.failed:
        return deployment.rollout_state_reason or watch.last_failure_event() or "the ECS rollout FAILED"
    if deployment is None and not same_task_definition(service.task_definition_arn, target):
        event = watch.last_failure_event()
        switched = f"the service went to revision {service.revision} instead of revision {revision_of(target)}"
        return f"{switched} ({event})" if event else switched
    return None


def _watch_until_stable(
    ctx: JobContext, ref: ServiceRef, target: str, watch: _Watch, *, what: str, deadline_s: float
) -> EcsService:
    """Poll until the service is stable on `target`; `_RolloutFailure` if ECS says it failed, StepTimeout after
    `deadline_s`, JobCancelled if `ctx` is cancelled."""

    def check() -> EcsService | None:
        service = ctx.aws.ecs.describe_service(ref)
        watch.observe(service, target)
        if stable_on(service, target):
            return service
        reason = _failure(service, target, watch)
        if reason is not None:
            raise _RolloutFailure(reason, service)
        watch.last_service = service
        return None

    return poll_until(ctx, check, deadline_s=deadline_s, what=what, progressed=watch.moving)


# -- the step ----------------------------------------------------------------------------------------------------


def apply_container_change(
    ctx: JobContext, ref: ServiceRef, change: UpdateContainerConfig, *, step: str = "ecs"
) -> Rollout:
    """Register a new revision of the service's task definition with `change` applied, roll it out, and wait until
    the service is stable on it. Returns the Rollout (the previous revision stays registered: `retire()` it once
    the job has succeeded, or `roll_back()` it if a later step fails).

    On a FAILED rollout, the deadline, or an AWS error while watching: rolls back, then raises RolloutFailed.
    On cancel while watching: rolls back, then raises JobCancelled. If the rollback fails: RollbackFailed.
    Errors before UpdateService (reading the service, registering) leave the service as it was and propagate.
    """
    ctx.check_cancelled()
    ecs = ctx.aws.ecs
    service = ecs.describe_service(ref)
    watch = _Watch(ctx, step, service)
    current = ecs.describe_task_definition(service.task_definition_arn)
    ctx.report(
        step,
        StepState.STARTED,
        f"new revision of {current.family} (now revision {current.revision}): {describe_change(change)}",
        previousTaskDefinition=current.arn,
    )
    if not service.is_stable:
        ctx.report(step, StepState.PROGRESS, f"the service is not stable yet: {progress_message(service, current.arn)}")
    ctx.intent(
        "ecs.register",
        previousTaskDefinition=current.arn,
        family=current.family,
        cluster=ref.cluster,
        service=ref.service,
    )
    registered = ecs.register_task_definition(build_revision_input(current, change))
    rollout = Rollout(ref, previous_task_definition=current.arn, new_task_definition=registered.arn)
    deployed = False
    try:
        ctx.done("ecs.register", taskDefinition=registered.arn, previousTaskDefinition=current.arn)
        ctx.note_change(f"registered revision {registered.revision} of {current.family}")
        ctx.report(
            step,
            StepState.PROGRESS,
            f"registered revision {registered.revision}; updating service {_name(rollout.ref)}",
            revision=registered.revision,
            taskDefinition=registered.arn,
        )
        ctx.check_cancelled()
        ctx.intent("ecs.deploy", taskDefinition=registered.arn, previousTaskDefinition=current.arn)
        ecs.update_service(ref, registered.arn)
        deployed = True
        ctx.done("ecs.deploy", taskDefinition=registered.arn)
        ctx.note_change(f"service {_name(ref)} moved from revision {current.revision} to {registered.revision}")
    except BaseException as exc:
        if isinstance(exc, LeaseLost):
            raise  # another job holds the model now: nothing more is changed here
        if not deployed:
            _deregister_quietly(ctx, step, registered.arn, "it was never rolled out")
            raise
        # The service is already moving to the new revision: put it back before the error goes on.
        _roll_back(ctx, rollout, f"interrupted once the service was updated: {exc!r}", step="rollback", watch=None)
        raise

    deadline = ctx.settings.ecs_deadline_s
    cancelled: JobCancelled | None = None
    unexpected: Exception | None = None
    cause: RootCause | None = None
    try:
        stable = _watch_until_stable(
            ctx, ref, registered.arn, watch, what=f"revision {registered.revision} to roll out", deadline_s=deadline
        )
    except LeaseLost:
        raise
    except _RolloutFailure as failure:
        reason = failure.reason
        message = f"the rollout of revision {registered.revision} failed: {reason}"
        cause = _root_cause(ctx, step, ref, registered.arn, failure.service)
    except StepTimeout:
        reason = message = f"revision {registered.revision} did not become stable within {_seconds(deadline)}"
        cause = _root_cause(ctx, step, ref, registered.arn, watch.last_service)
    except JobCancelled as exc:
        reason = message = f"cancelled while revision {registered.revision} was rolling out"
        cancelled = exc
    except LisaDesktopError as exc:
        reason = message = f"following the rollout of revision {registered.revision} failed: {exc}"
    except Exception as exc:  # a defect: still put the service back before it propagates
        reason = message = f"following the rollout of revision {registered.revision} failed: {exc!r}"
        unexpected = exc
    else:
        ctx.report(
            step,
            StepState.SUCCEEDED,
            f"revision {registered.revision} is running: {stable.running_count}/{stable.desired_count} tasks "
            f"(was revision {current.revision}, still registered until the job succeeds)",
            revision=registered.revision,
            previousRevision=current.revision,
            taskDefinition=registered.arn,
        )
        return rollout

    found: dict[str, Any] = {}
    if cause is not None:
        message = f"{message}; root cause: {cause.summary()}"
        found["rootCause"] = cause.to_data()
    ctx.report(step, StepState.FAILED, message, revision=registered.revision, reason=reason, **found)
    _roll_back(ctx, rollout, reason, step="rollback", watch=watch)
    if cancelled is not None:
        raise cancelled
    if unexpected is not None:
        raise unexpected
    raise RolloutFailed(reason, current.arn, failed_task_definition=registered.arn, root_cause=cause)


def _root_cause(ctx: JobContext, step: str, ref: ServiceRef, target: str, service: EcsService) -> RootCause:
    """Gather and report why the rollout to `target` failed (best effort: never raises)."""
    deployment = deployment_of(service, target)
    cause = root_cause.rollout_cause(
        ctx,
        ref,
        task_definition=target,
        deployment_id=deployment.id if deployment is not None else None,
        target_group_arns=service.target_group_arns,
    )
    root_cause.report(ctx, step, cause)
    return cause


def roll_back(ctx: JobContext, rollout: Rollout, reason: str, *, step: str = "rollback") -> None:
    """Put the previous revision back (UpdateService), wait until the service is stable on it, and deregister the
    rolled-back revision. Runs to the end even if the job is cancelled (a rollback is the undoing a cancel asks
    for), bounded by its own deadline `rollback_deadline_s`, counted from now. RollbackFailed (with `reason`) if it
    does not succeed."""
    _roll_back(ctx, rollout, reason, step=step, watch=None)


def _roll_back(ctx: JobContext, rollout: Rollout, reason: str, *, step: str, watch: _Watch | None) -> None:
    previous, failed = rollout.previous_task_definition, rollout.new_task_definition
    # A context nobody cancels: the wait below must not end at once because the job was cancelled.
    steady = dataclasses.replace(ctx, cancelled=threading.Event())
    ctx.report(
        step,
        StepState.ROLLING_BACK,
        f"rolling back service {_name(rollout.ref)} from revision {rollout.new_revision} to revision "
        f"{rollout.previous_revision}",
        reason=reason,
        revision=rollout.previous_revision,
    )
    deadline = ctx.settings.rollback_deadline_s
    try:
        if watch is None:
            watch = _Watch(steady, step, steady.aws.ecs.describe_service(rollout.ref))
        else:
            watch.ctx, watch.step = steady, step
        service = steady.aws.ecs.describe_service(rollout.ref)
        if not same_task_definition(service.task_definition_arn, previous):
            ctx.intent("rollback.ecs", taskDefinition=previous, replacing=service.task_definition_arn)
            steady.aws.ecs.update_service(rollout.ref, previous)
            ctx.done("rollback.ecs", taskDefinition=previous)
        _watch_until_stable(
            steady,
            rollout.ref,
            previous,
            watch,
            what=f"revision {rollout.previous_revision} back",
            deadline_s=deadline,
        )
    except LeaseLost:
        raise
    except _RolloutFailure as failure:
        problem = failure.reason
    except StepTimeout:
        problem = f"revision {rollout.previous_revision} did not become stable again within {_seconds(deadline)}"
    except LisaDesktopError as exc:
        problem = str(exc)
    else:
        ctx.note_change(f"service {_name(rollout.ref)} back on revision {rollout.previous_revision}", undo=True)
        if not same_task_definition(previous, failed):
            _deregister_quietly(ctx, step, failed, "it was rolled back")
        ctx.report(
            step,
            StepState.ROLLED_BACK,
            f"rolled back to revision {rollout.previous_revision}",
            revision=rollout.previous_revision,
            taskDefinition=previous,
        )
        return
    ctx.report(step, StepState.FAILED, f"rollback to revision {rollout.previous_revision} failed: {problem}")
    raise RollbackFailed(reason, problem, rollout)


def retire(ctx: JobContext, rollout: Rollout, *, step: str = "finalize") -> None:
    """The job succeeded: deregister the previous revision, as LISA does once the new one is stable. A failure here
    is reported, not raised (the job's changes stand; an ACTIVE old revision only clutters the family)."""
    if same_task_definition(rollout.previous_task_definition, rollout.new_task_definition):
        return
    _deregister_quietly(ctx, step, rollout.previous_task_definition, f"revision {rollout.new_revision} replaced it")


def _deregister_quietly(ctx: JobContext, step: str, task_definition: str, why: str) -> bool:
    """Deregister one revision and report it; a failure is reported and swallowed. True if it was deregistered."""
    revision = _rev(task_definition)
    try:
        ctx.intent("ecs.deregister", taskDefinition=task_definition, why=why)
        ctx.aws.ecs.deregister_task_definition(task_definition)
        ctx.done("ecs.deregister", taskDefinition=task_definition)
        if step == "rollback" or "never rolled out" in why:
            ctx.note_change(f"revision {revision} deregistered", undo=True)
    except LisaDesktopError as exc:
        ctx.report(step, StepState.PROGRESS, f"could not deregister revision {revision} ({why}): {exc}")
        return False
    ctx.report(step, StepState.PROGRESS, f"deregistered revision {revision} ({why})", taskDefinition=task_definition)
    return True
