"""The update job (start and stop included): validate → intake → ECS → capacity → finalize, with rollback.

LISA's UpdateModel state machine, run by the console: the same steps and record writes, polled within
seconds instead of every 60 s, every wait bounded, and a failed step undone so the model goes back to the
status and stored configuration it had, with the reason recorded.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from engine.aws.autoscaling import ScalingGroup
from engine.aws.discovery import caller_identity
from engine.aws.ecs import ServiceRef
from engine.aws.models_table import (
    HEARTBEAT_ATTRIBUTE,
    HOLD_ATTRIBUTES,
    HOLDER_ATTRIBUTE,
    OPERATION_ATTRIBUTE,
    AttributePath,
    Attributes,
)
from engine.config_writes import changed_paths
from engine.context_window import CONTEXT_WINDOW_ATTRIBUTE, context_window_change
from engine.errors import LisaDesktopError
from engine.jobs.capacity_step import (
    resize,
    restore,
    scale_to_zero,
    snapshot,
    uncancellable,
)
from engine.jobs.context import JobCancelled, JobContext
from engine.jobs.ecs_step import (
    RollbackFailed,
    Rollout,
    RolloutFailed,
    apply_container_change,
    merge_container_changes,
    retire,
    roll_back,
)
from engine.jobs.events import StepState
from engine.jobs.guardrails_step import GuardrailsStep
from engine.jobs.lease import LeaseLost
from engine.jobs.lifecycle import (
    adopt_registration,
    group_of,
    register,
    registrations_of,
    start_model,
    undo_start,
    unregister,
)
from engine.jobs.validation import ValidatedUpdate
from engine.plan import Plan, Step
from engine.rules.status import Operation
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from engine.schema.requests import UpdateContainerConfig, UpdateModelRequest

log = logging.getLogger(__name__)

PENDING_CONTAINER_ATTRIBUTE = "lisa_desktop_pending_container"
"""A container change saved while the model was Stopped (flattened, as an update sends it), applied at start."""
FAILURE_REASON_LIMIT = 1000


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled-back"
    """The job failed and everything it did was undone; the model is back where it was."""
    FAILED = "failed"
    """The job failed and so did the undoing: the model is Failed, with both reasons."""
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobResult:
    job_id: str
    model_id: str
    operation: str
    """update, start, stop (an Operation), or create."""
    outcome: Outcome
    message: str
    final_status: ModelStatus | None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED


def holder_text(ctx: JobContext) -> str:
    try:
        who = caller_identity(ctx.aws.clients).arn
    except LisaDesktopError:
        who = "unknown caller"
    return f"{ctx.job_id} ({who} on {socket.gethostname()}, since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ})"


class UpdateJob:
    """One validated update of one model. `run()` executes every step on the calling (worker) thread."""

    def __init__(
        self,
        ctx: JobContext,
        validated: ValidatedUpdate,
        change: UpdateModelRequest,
        *,
        model_warmup_cap_s: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.record = validated.record
        self.plan: Plan = validated.plan
        self.change = change
        self.model_warmup_cap_s = model_warmup_cap_s
        self._intake_done = False
        self._rollout: Rollout | None = None
        self._capacity_before: ScalingGroup | None = None
        self._unregistered = False
        self._guardrails = GuardrailsStep(ctx, validated.record.model_id)
        self._finalized: JobResult | None = None
        """The result once the final record write landed: nothing after it is undone."""

    # -- the job ----------------------------------------------------------------------------------------------

    def run(self) -> JobResult:
        ctx, plan = self.ctx, self.plan
        container_change = self.change.containerConfig
        ctx.report("validate", StepState.SUCCEEDED, self._summary())
        if plan.is_noop:
            if not self._context_window_moves():
                return self._result(Outcome.SUCCEEDED, "nothing to change", self.record.model_status)
            return self._metadata_only(None)  # an environment as it was: LISA still writes its context_window
        try:
            if plan.steps == (Step.METADATA,):
                return self._metadata_only(container_change)
            self._intake()
            if plan.operation is Operation.START:
                return self._start()
            if plan.operation is Operation.STOP:
                return self._stop()
            if Step.ECS in plan.steps and container_change is not None:
                self._rollout = apply_container_change(ctx, self._service_ref(), container_change)
            if Step.GUARDRAILS in plan.steps:
                self._guardrails.apply(plan.guardrails)
            if Step.CAPACITY in plan.steps and self.change.autoScalingInstanceConfig is not None:
                self._resize(self.change.autoScalingInstanceConfig.dump())
            result = self._finalize(self.plan.from_status, {}, "updated", new_config=True)
            if self._rollout is not None:
                retire(ctx, self._rollout)
            return result
        except Exception as error:
            if self._finalized is not None:  # the change stands: only the tidy-up after it failed
                return self._tidy_up_failed(self._finalized, error)
            return self._handle(error)

    def _handle(self, error: Exception) -> JobResult:
        """Undo what was done and settle the model, whatever went wrong; errors before the intake (nothing held,
        nothing changed) go on to the caller."""
        if isinstance(error, LeaseLost):
            return abandoned(self.ctx, self.plan.operation, self.record.model_id, error)
        if isinstance(error, JobCancelled):
            return self._undo("cancelled by the operator", Outcome.CANCELLED)
        if isinstance(error, RollbackFailed):
            return self._fail(str(error))
        if isinstance(error, RolloutFailed):
            return self._undo(error.reason, Outcome.ROLLED_BACK)
        if not self._intake_done:
            raise error
        if isinstance(error, LisaDesktopError):
            return self._undo(str(error), Outcome.ROLLED_BACK)
        log.error("%s of %s failed", self.plan.operation, self.record.model_id, exc_info=error)
        return self._undo(f"unexpected error: {type(error).__name__}: {error}", Outcome.ROLLED_BACK)

    def _tidy_up_failed(self, result: JobResult, error: Exception) -> JobResult:
        """The change stands; what follows the final write (retiring the previous revision) is tried once more."""
        log.warning("tidying up after %s of %s failed", self.plan.operation, self.record.model_id, exc_info=error)
        if self._rollout is not None:
            try:
                retire(self.ctx, self._rollout)
            except Exception:
                log.warning("retiring revision %s failed again", self._rollout.previous_revision, exc_info=True)
        ended = after_the_end(result, error)
        self.ctx.report("finalize", StepState.PROGRESS, ended.message)
        return ended

    def _summary(self) -> str:
        changes = ", ".join(change.field for change in self.plan.changes) or "nothing"
        steps = " → ".join(str(step) for step in self.plan.steps) or "none"
        return f"{self.plan.operation} of {self.record.model_id}: {changes}; steps {steps}"

    def _service_ref(self) -> ServiceRef:
        stack = self.record.cloudformation_stack_name
        if not stack:
            raise LisaDesktopError(f"'{self.record.model_id}' has no CloudFormation stack recorded")
        ref = self.ctx.aws.stacks.model_resources(stack, self.record.cloudformation_stack_arn).service_ref
        if ref is None:
            raise LisaDesktopError(f"stack {stack} has no ECS service")
        return ref

    # -- steps ------------------------------------------------------------------------------------------------

    def _metadata_only(self, container_change: UpdateContainerConfig | None) -> JobResult:
        """No infrastructure: one conditional write of the configuration (a Stopped model's container or capacity
        change is stored for its next start), if no job holds the model."""
        extra: dict[str, Any] = {}
        if container_change is not None and self.record.is_lisa_hosted:
            pending = _pending(self.record)
            extra[PENDING_CONTAINER_ATTRIBUTE] = merge_container_changes(pending, container_change).dump()
        self.ctx.intent("finalize", status=str(self.plan.from_status), newConfig=True)
        self.ctx.aws.models.transition_status(
            self.record.model_id,
            self.plan.from_status,
            self.plan.from_status,
            self._config_attributes() | extra,
            remove_attributes=self._config_removals(),
            unheld=True,
        )
        message = "updated" + (f"; {'; '.join(self.plan.deferred)}" if self.plan.deferred else "")
        self._finalized = self._result(Outcome.SUCCEEDED, message, self.plan.from_status)
        self.ctx.done("finalize", status=str(self.plan.from_status))
        self.ctx.report("finalize", StepState.SUCCEEDED, "record updated (one conditional write)")
        return self._finalized

    def _intake(self) -> None:
        target = self.plan.transitional_status
        self.ctx.report("intake", StepState.STARTED, f"{self.plan.from_status} → {target}")
        holder = holder_text(self.ctx)
        self.ctx.intent("intake", fromStatus=str(self.plan.from_status), toStatus=str(target), holder=holder)
        self.record = self.ctx.aws.models.transition_status(
            self.record.model_id,
            self.plan.from_status,
            target,
            set_attributes={
                HOLDER_ATTRIBUTE: holder,
                HEARTBEAT_ATTRIBUTE: self.ctx.aws.models.now_ms(),
                OPERATION_ATTRIBUTE: str(self.plan.operation),
            },
            unheld=True,
        )
        self._intake_done = True
        self.ctx.took_hold(holder)
        self.ctx.done("intake", fromStatus=str(self.plan.from_status), toStatus=str(target))
        self.ctx.report("intake", StepState.SUCCEEDED, f"model is {target}, held by job {self.ctx.job_id}")

    def _resize(self, scaling: dict[str, Any]) -> None:
        group = self.record.auto_scaling_group
        assert group is not None
        self._capacity_before = snapshot(self.ctx, group)
        resize(
            self.ctx,
            group,
            min_size=scaling.get("minCapacity"),
            max_size=scaling.get("maxCapacity"),
            desired=scaling.get("desiredCapacity"),
            cooldown=scaling.get("cooldown"),
            warmup=scaling.get("defaultInstanceWarmup"),
            wait=True,
        )

    def _start(self) -> JobResult:
        pending = _pending(self.record)
        if pending is not None:
            self._rollout = apply_container_change(self.ctx, self._service_ref(), pending)
        warmup = float(
            (self.record.config.get("autoScalingConfig") or {})
            .get("metricConfig", {})
            .get("estimatedInstanceWarmup", 0)
            or 0
        )
        if self.model_warmup_cap_s is not None:
            warmup = min(warmup, self.model_warmup_cap_s)
        outcome = start_model(self.ctx, self.record, warmup_s=warmup)
        if outcome.failure is not None:
            if self._rollout is not None:
                roll_back(self.ctx, self._rollout, outcome.failure)
                self._rollout = None
            reason = f"start failed, scaled back to 0 instances: {outcome.failure}"
            self._finalize(ModelStatus.STOPPED, {"litellm_id": None}, reason)  # LISA: failure_reason only with Failed
            return self._result(Outcome.ROLLED_BACK, reason, ModelStatus.STOPPED)
        result = self._finalize(
            ModelStatus.IN_SERVICE, {"litellm_id": outcome.litellm_id}, "started", drop=(PENDING_CONTAINER_ATTRIBUTE,)
        )
        if self._rollout is not None:
            retire(self.ctx, self._rollout)
        return result

    def _stop(self) -> JobResult:
        """Unregister, then 0/0/0. If the scale-down fails after the unregistration, the undo registers the model
        again, so a model left InService is one LiteLLM routes to."""
        ctx = self.ctx
        ctx.check_cancelled()
        group = group_of(self.record)
        self._unregistered = self.record.litellm_id is not None
        unregister(ctx, self.record)
        self._capacity_before = snapshot(ctx, group)
        scale_to_zero(ctx, group)
        return self._finalize(ModelStatus.STOPPED, {"litellm_id": None}, "stopped")

    def _finalize(
        self,
        status: ModelStatus,
        attributes: dict[str, Any],
        message: str,
        *,
        new_config: bool = False,
        drop: tuple[str | AttributePath, ...] = (),
    ) -> JobResult:
        """One conditional write: the new configuration (if any), the final status, the holder cleared."""
        self.ctx.report("finalize", StepState.STARTED, f"writing the record, status {status}")
        fields: dict[str | AttributePath, Any] = {}
        fields.update(attributes)
        if new_config:
            fields = {**self._config_attributes(), **fields}  # the step's own attributes win
            drop = (*drop, *self._config_removals())
        self.ctx.intent("finalize", status=str(status), newConfig=new_config, **_journal_safe(fields))
        self._write(status, fields, (*HOLD_ATTRIBUTES, *drop))
        self._finalized = self._result(Outcome.SUCCEEDED, message, status)
        self.ctx.done("finalize", status=str(status))
        self.ctx.report("finalize", StepState.SUCCEEDED, f"{self.record.model_id} is {status}")
        return self._finalized

    # -- failure paths ----------------------------------------------------------------------------------------

    def _undo(self, reason: str, outcome: Outcome, already: str | None = None) -> JobResult:
        """Undo what was done (ECS already rolled itself back on a failed rollout), then put the model back in
        its original status with its stored configuration unchanged and the reason recorded."""
        ctx = self.ctx
        try:
            if self.plan.operation is Operation.START:
                undo_start(uncancellable(ctx), self.record, None, reason)  # nothing left registered or billing
            if self._capacity_before is not None:
                restore(ctx, self._capacity_before, wait=False)
            if self._guardrails.touched:
                self._guardrails.undo()
            if self._rollout is not None:
                roll_back(ctx, self._rollout, reason)
        except Exception as error:
            if isinstance(error, LeaseLost):
                return abandoned(ctx, self.plan.operation, self.record.model_id, error)
            return self._fail(f"{reason}; undoing it failed too: {error}")
        restored_attributes: dict[str, Any] = {}
        if self.plan.operation is Operation.STOP and self._unregistered:
            try:
                steady = uncancellable(ctx)
                kept = self.record.litellm_id in registrations_of(steady, self.record.model_id)
                if not kept:
                    restored_attributes["litellm_id"] = adopt_registration(steady, self.record.model_id) or register(
                        steady, self.record
                    )
            except Exception as error:
                return self._fail(f"{reason}; registering it with LiteLLM again failed: {error}", stopped_serving=True)
        original = self.plan.from_status
        ending = "was cancelled and rolled back" if outcome is Outcome.CANCELLED else "failed and was rolled back"
        message = f"{self.plan.operation} of {self.record.model_id} {ending}: {reason} ({changes_text(ctx, already)})"
        try:
            ctx.intent("rollback.record", status=str(original), **restored_attributes)
            self._write(original, restored_attributes, HOLD_ATTRIBUTES)  # failure_reason only with Failed, as LISA
            ctx.done("rollback.record", status=str(original))
        except LisaDesktopError as error:
            return self._fail(f"{message}; restoring the record failed: {error}")
        ctx.report("rollback", StepState.ROLLED_BACK, message)
        return self._result(outcome, message, original)

    def _fail(self, reason: str, *, stopped_serving: bool = False) -> JobResult:
        """Undoing failed: the model is Failed with every reason, so an operator looks at it."""
        message = _cut(f"{self.plan.operation} of {self.record.model_id} failed: {reason} ({changes_text(self.ctx)})")
        extra: dict[str, Any] = {"litellm_id": None} if stopped_serving else {}
        try:
            self.ctx.intent("fail.record", status=str(ModelStatus.FAILED))
            self._write(ModelStatus.FAILED, {"failure_reason": message, **extra}, HOLD_ATTRIBUTES)
            self.ctx.done("fail.record", status=str(ModelStatus.FAILED))
        except LisaDesktopError as error:
            message = f"{message}; and the record could not be written: {error}"
        self.ctx.report("job", StepState.FAILED, message)
        return self._result(Outcome.FAILED, message, ModelStatus.FAILED)

    # -- helpers ----------------------------------------------------------------------------------------------

    def _config_attributes(self) -> dict[str | AttributePath, Any]:
        """The new configuration as the record stores it: only the keys of `model_config` the update changed
        (what LISA wrote elsewhere in it meanwhile stays), and `context_window` as LISA keeps it in step."""
        attributes: dict[str | AttributePath, Any] = {}
        for path, value in self._config_paths()[0].items():
            attributes[path] = value
        description = self.plan.new_config.get("modelDescription")
        if description is not None:
            attributes["model_description"] = description
        attributes.update(self._context_window()[0])
        return attributes

    def _config_removals(self) -> tuple[str | AttributePath, ...]:
        return (*self._config_paths()[1], *self._context_window()[1])

    def _context_window_moves(self) -> bool:
        """Whether LISA's UpdateModel would change the record's `context_window` for this request."""
        to_set, to_remove = self._context_window()
        current = self.record.context_window
        return (bool(to_set) and to_set[CONTEXT_WINDOW_ATTRIBUTE] != current) or (
            bool(to_remove) and current is not None
        )

    def _context_window(self) -> tuple[dict[str, int], tuple[str, ...]]:
        container = self.change.containerConfig
        return context_window_change(container.environment if container else None, self.plan.new_config)

    def _config_paths(self) -> tuple[dict[AttributePath, Any], list[AttributePath]]:
        if "config" not in self.record.model_fields_set:  # no map to write into
            return {("model_config",): self.plan.new_config}, []
        return changed_paths(self.record.config, self.plan.new_config, ("model_config",))

    def _write(
        self,
        status: ModelStatus,
        attributes: Attributes,
        remove: tuple[str | AttributePath, ...],
    ) -> None:
        """One UpdateItem of the attributes this job owns, conditional on the job still holding the model (a
        status LISA's monitor wrote meanwhile is overwritten; anything else it wrote stays)."""
        self.ctx.aws.models.transition_status(
            self.record.model_id,
            self.plan.transitional_status,
            status,
            attributes,
            remove_attributes=tuple(name for name in dict.fromkeys(remove) if name not in attributes),
            holder=self.ctx.holder,
        )

    def _result(self, outcome: Outcome, message: str, status: ModelStatus | None) -> JobResult:
        return JobResult(self.ctx.job_id, self.record.model_id, self.plan.operation, outcome, message, status)


def abandoned(ctx: JobContext, operation: str, model_id: str, error: LeaseLost) -> JobResult:
    """The job lost its lease: it stops where it is and writes nothing (the model's new holder settles it)."""
    message = (
        f"{operation} of {model_id} stopped: {error} ({changes_text(ctx)}); whoever holds the model now settles it"
    )
    ctx.report("job", StepState.FAILED, message)
    return JobResult(ctx.job_id, model_id, operation, Outcome.FAILED, message, None)


def after_the_end(result: JobResult, error: BaseException) -> JobResult:
    """A job's result once its final record write had landed and something after it raised: the change stands, and
    the error is said."""
    return dataclasses.replace(
        result, message=f"{result.message} (then, once it was done: {type(error).__name__}: {error})"
    )


def changes_text(ctx: JobContext, already: str | None = None) -> str:
    """`changed: registered revision 3 of f, ...; undone: service back on revision 2, ...` (or that nothing had
    changed): what a failed or cancelled job did and what its rollback put back, step by step."""
    undone = [*([already] if already else []), *ctx.undone]
    if not ctx.changed and not undone:
        return "nothing had changed yet"
    parts = []
    if ctx.changed:
        parts.append("changed: " + ", ".join(ctx.changed))
    if undone:
        parts.append("undone: " + ", ".join(undone))
    return "; ".join(parts)


def _journal_safe(fields: Attributes) -> dict[str, Any]:
    """Record attributes worth journaling (ids and statuses, never a configuration)."""
    return {key: value for key, value in fields.items() if isinstance(key, str) and key in ("litellm_id",)}


def _pending(record: ModelRecord) -> UpdateContainerConfig | None:
    raw = record.to_item().get(PENDING_CONTAINER_ATTRIBUTE)
    return UpdateContainerConfig.model_validate(raw) if isinstance(raw, dict) else None


def _cut(text: str) -> str:
    return text if len(text) <= FAILURE_REASON_LIMIT else text[: FAILURE_REASON_LIMIT - 1] + "…"
