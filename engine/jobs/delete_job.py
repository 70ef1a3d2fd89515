"""The delete job: LISA's DeleteModel state machine (reference §4.3), run by the console.

Gate: InService, Stopped or Failed (as LISA's web UI; its server deletes in any status), and, as LISA's delete
handler, no active RAG repository, collection or pipeline may use the model (ModelInUse, naming them). Then a
conditional write moves the model to `Deleting` (the job is recorded as its holder) → LiteLLM `POST /model/delete`
(skipped without a `litellm_id`; an entry already gone is fine) → the model's guardrails (LISA's DeleteGuardrails):
each row of the guardrails table found through `ModelIdIndex` loses its LiteLLM guardrail, then the row; as in
LISA, a guardrail that cannot be removed is left and the delete goes on (logged, and said in the job's events) →
if a stack is recorded: DeleteStack with a uuid4 ClientRequestToken, polled until DELETE_COMPLETE or gone, with a
deadline (LISA waits without one) → the record is deleted (conditional on `Deleting`). A third-party model has
only its LiteLLM entry, its guardrails and its record.

DELETE_FAILED, the deadline or any other error leave the model `Failed` with the reason and what is left (the
LiteLLM entry is gone by then, so `litellm_id` is cleared): running `models delete` again retries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from engine.aws.cloudformation import StackFailed, StackInfo, is_stack_in_progress
from engine.aws.guardrails import Guardrail, GuardrailsTable
from engine.aws.models_table import HEARTBEAT_ATTRIBUTE, HOLD_ATTRIBUTES, HOLDER_ATTRIBUTE, OPERATION_ATTRIBUTE
from engine.aws.rag_usage import rag_usages
from engine.errors import LisaDesktopError, ModelInUse, StatusNotAllowed
from engine.jobs.context import Gateways, JobCancelled, JobContext
from engine.jobs.create_job import cut_reason
from engine.jobs.events import StepState
from engine.jobs.lease import LeaseLost, hold_of
from engine.jobs.lifecycle import unregister
from engine.jobs.polling import poll_until
from engine.jobs.update_job import JobResult, Outcome, abandoned, after_the_end, holder_text
from engine.jobs.validation import held_text
from engine.rules.status import STATUS_RULES, Operation, refusal
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord

log = logging.getLogger(__name__)

GONE = "gone"


def validate_delete(aws: Gateways, model_id: str) -> ModelRecord:
    """The record, if its status allows a delete and nothing uses it (reads only): ModelNotFound, StatusNotAllowed
    (e.g. `Updating`), or ModelInUse naming the RAG repositories, collections and pipelines that use it."""
    record = aws.models.get(model_id)
    reason = refusal(Operation.DELETE, model_id, record.model_status)
    if reason is not None:
        raise StatusNotAllowed(reason + held_text(aws, record))
    hold = hold_of(record)
    if hold is not None:  # the intake's write would be refused: say so, and by whom, before any job starts
        raise StatusNotAllowed(
            f"cannot delete '{model_id}': it is {hold.describe(aws.models.now_ms())}; wait for that job to end"
        )
    users = rag_usages(aws.clients, aws.deployment, model_id)
    if users:
        raise ModelInUse(model_id, [str(user) for user in users])
    return record


def guardrails_table(aws: Gateways) -> GuardrailsTable:
    return GuardrailsTable(aws.clients, aws.deployment.guardrails_table_name)


def guardrails_of(aws: Gateways, model_id: str) -> list[Guardrail]:
    """The model's guardrails, to name them before a delete (none if they cannot be read: the delete says so)."""
    try:
        return guardrails_table(aws).of_model(model_id)
    except LisaDesktopError as error:
        log.warning("the guardrails of %s could not be read: %s", model_id, error)
        return []


def deletion_summary(record: ModelRecord, guardrails: Sequence[Guardrail] = ()) -> list[str]:
    """What a delete removes, in words (for the confirmation prompt and the job's first event)."""
    parts = []
    if record.litellm_id:
        parts.append(f"LiteLLM entry {record.litellm_id}")
    parts += [
        f"guardrail {g.name} (LiteLLM guardrail {g.guardrail_id} and its guardrails-table row)" for g in guardrails
    ]
    if record.cloudformation_stack_name or record.cloudformation_stack_arn:
        stack = record.cloudformation_stack_name or record.cloudformation_stack_arn
        group = f" (with Auto Scaling group {record.auto_scaling_group})" if record.auto_scaling_group else ""
        parts.append(f"CloudFormation stack {stack}{group}")
    parts.append(f"the record {record.model_id}")
    return parts


class DeleteJob:
    """One validated delete. `run()` executes every step on the calling (worker) thread."""

    def __init__(self, ctx: JobContext, record: ModelRecord) -> None:
        self.ctx = ctx
        self.record = record
        self.done: list[str] = []
        self.guardrails: list[Guardrail] = []
        """The guardrails the job still has to remove (named in what a failure leaves)."""
        self.left: list[str] = []
        """What a best-effort step could not remove, in words (the delete goes on without it)."""
        self._unregistered = False
        self._finished: JobResult | None = None
        """The result once the record is deleted."""

    @property
    def model_id(self) -> str:
        return self.record.model_id

    @property
    def _stack(self) -> str | None:
        """The stack to delete: its id (a deleted stack stays describable by id) or else its name."""
        return self.record.cloudformation_stack_arn or self.record.cloudformation_stack_name

    @property
    def _stack_label(self) -> str:
        return self.record.cloudformation_stack_name or self.record.cloudformation_stack_arn or "?"

    def run(self) -> JobResult:
        ctx, record = self.ctx, self.record
        self.guardrails = guardrails_of(ctx.aws, record.model_id)
        removes = ", ".join(deletion_summary(record, self.guardrails))
        ctx.report(
            "validate", StepState.SUCCEEDED, f"delete of {record.model_id} ({record.model_status}): removes {removes}"
        )
        self._intake()
        return self._carry_on()

    def resume(self) -> JobResult:
        """Finish a delete whose process died after its intake: every step again (an entry or a stack already
        gone is fine). The record must be Deleting and held by this job (`recovery` checks it)."""
        self.ctx.report("recover", StepState.STARTED, f"resuming the delete of {self.model_id}")
        return self._carry_on()

    def _carry_on(self) -> JobResult:
        ctx = self.ctx
        try:
            unregister(ctx, self.record)
            self._unregistered = True
            if self.record.litellm_id:
                self.done.append(f"LiteLLM entry {self.record.litellm_id} removed")
            ctx.check_cancelled()
            self._delete_guardrails()
            if self._stack:
                self._delete_stack()
            else:
                group = self.record.auto_scaling_group
                kept = f"; Auto Scaling group {group} is not in a recorded stack and is left as it is" if group else ""
                ctx.report("stack", StepState.SKIPPED, f"no CloudFormation stack recorded{kept}")
            ctx.check_cancelled()
            ctx.report("finalize", StepState.STARTED, f"deleting the record {self.model_id}")
            ctx.intent("record.delete")
            ctx.aws.models.delete(self.model_id, ModelStatus.DELETING, holder=ctx.holder)
            self.done.append("record deleted")
            left = f"; left: {'; '.join(self.left)}" if self.left else ""
            finished = self._result(Outcome.SUCCEEDED, f"deleted {self.model_id}: {'; '.join(self.done)}{left}", None)
            self._finished = finished
            ctx.done("record.delete")
            ctx.report("finalize", StepState.SUCCEEDED, f"{self.model_id} is deleted ({'; '.join(self.done)}){left}")
            return finished
        except Exception as error:
            if self._finished is not None:
                return after_the_end(self._finished, error)
            if isinstance(error, LeaseLost):
                return abandoned(self.ctx, Operation.DELETE, self.model_id, error)
            if isinstance(error, JobCancelled):
                return self._fail("cancelled by the operator", Outcome.CANCELLED)
            if isinstance(error, LisaDesktopError):
                return self._fail(str(error))
            log.error("delete of %s failed", self.model_id, exc_info=error)  # the model must not stay Deleting
            return self._fail(f"{type(error).__name__}: {error}")

    def _intake(self) -> None:
        """SetModelToDeleting, conditional on a status a delete is allowed in (StatusChanged if not): LISA's status
        monitor may have turned the Stopped model validated here InService since (a failed create's group replacing
        its instances), which changes nothing of what the delete removes."""
        before = self.record.model_status
        self.ctx.report("intake", StepState.STARTED, f"{before} → {ModelStatus.DELETING}")
        holder = holder_text(self.ctx)
        self.ctx.intent("intake", fromStatus=str(before), toStatus=str(ModelStatus.DELETING), holder=holder)
        self.record = self.ctx.aws.models.transition_status(
            self.model_id,
            before,
            ModelStatus.DELETING,
            set_attributes={
                HOLDER_ATTRIBUTE: holder,
                HEARTBEAT_ATTRIBUTE: self.ctx.aws.models.now_ms(),
                OPERATION_ATTRIBUTE: "delete",
            },
            unheld=True,
            also_from=STATUS_RULES[Operation.DELETE].allowed,
        )
        self.ctx.took_hold(holder)
        self.ctx.done("intake", fromStatus=str(before), toStatus=str(ModelStatus.DELETING))
        self.ctx.report(
            "intake", StepState.SUCCEEDED, f"model is {ModelStatus.DELETING}, held by job {self.ctx.job_id}"
        )

    def _delete_guardrails(self) -> None:
        """LISA's DeleteGuardrails: each guardrail's LiteLLM guardrail (already gone is fine), then its row. Best
        effort, as LISA's: what cannot be removed is logged, reported and left; the delete goes on."""
        ctx, table = self.ctx, guardrails_table(self.ctx.aws)
        if not table.table_name:
            ctx.report("guardrail", StepState.SKIPPED, "the deployment publishes no guardrails table")
            return
        try:
            self.guardrails = table.of_model(self.model_id)
        except LisaDesktopError as error:
            log.warning("the guardrails of %s could not be read; the delete goes on: %s", self.model_id, error)
            self.left.append(f"any guardrails of {self.model_id} (they could not be read: {error})")
            ctx.report("guardrail", StepState.FAILED, f"the guardrails could not be read, none removed: {error}")
            return
        if not self.guardrails:
            ctx.report("guardrail", StepState.SKIPPED, f"{self.model_id} has no guardrails")
            return
        ctx.report("guardrail", StepState.STARTED, f"removing {', '.join(map(str, self.guardrails))}")
        removed: list[str] = []
        for guardrail in list(self.guardrails):
            ctx.intent("guardrail.delete", guardrailId=guardrail.guardrail_id)
            try:
                ctx.aws.litellm.delete_guardrail(guardrail.guardrail_id, missing_ok=True)
                table.delete(guardrail)
            except LisaDesktopError as error:
                log.warning("%s of %s could not be removed; the delete goes on: %s", guardrail, self.model_id, error)
                self.left.append(f"{guardrail} (could not be removed: {error})")
                ctx.report("guardrail", StepState.FAILED, f"{guardrail} could not be removed and is left: {error}")
                continue
            ctx.done("guardrail.delete", guardrailId=guardrail.guardrail_id)
            self.guardrails.remove(guardrail)
            removed.append(str(guardrail))
        if removed:
            self.done.append(f"{', '.join(removed)} removed")
        state = StepState.SUCCEEDED if not self.guardrails else StepState.FAILED
        ctx.report("guardrail", state, f"removed {len(removed)} of {len(removed) + len(self.guardrails)} guardrails")
        self.guardrails = []  # what is left is named in `left`, not retried by this job

    def _delete_stack(self) -> None:
        ctx = self.ctx
        stack, label = self._stack, self._stack_label
        assert stack is not None
        stacks = ctx.aws.stacks
        info = stacks.describe_or_none(stack)
        if info is None or info.status == "DELETE_COMPLETE":
            ctx.report("stack", StepState.SKIPPED, f"stack {label} is already gone", stack=label)
            return
        if is_stack_in_progress(info.status) and info.status != "DELETE_IN_PROGRESS":
            ctx.report(
                "stack", StepState.PROGRESS, f"stack {label} is {info.status}: waiting for it to settle", stack=label
            )
            poll_until(
                ctx,
                lambda: _settled(stacks.describe_or_none(stack)),
                deadline_s=ctx.settings.ecs_deadline_s,
                what=f"stack {label} to finish {info.status}",
            )
        ctx.intent("stack.delete", stack=label)
        token = stacks.delete_stack(stack)
        ctx.done("stack.delete", stack=label, clientRequestToken=token)
        ctx.report(
            "stack",
            StepState.STARTED,
            f"deleting CloudFormation stack {label}",
            stack=label,
            stackId=self.record.cloudformation_stack_arn,
            clientRequestToken=token,
        )
        seen: dict[str, Any] = {"status": info.status, "moved": False}

        def check() -> str | None:
            now = stacks.describe_or_none(stack)
            status = now.status if now is not None else GONE
            if status != seen["status"]:
                seen["status"] = status
                seen["moved"] = True
                ctx.report("stack", StepState.PROGRESS, f"stack {label}: {status}", stack=label, status=status)
            if now is None or status == "DELETE_COMPLETE":
                return status
            if status == "DELETE_FAILED":
                raise StackFailed(label, status, now.status_reason, stacks.failure_reasons(stack))
            return None

        def progressed() -> bool:
            moved = bool(seen["moved"])
            seen["moved"] = False
            return moved

        poll_until(
            ctx, check, deadline_s=ctx.settings.ecs_deadline_s, what=f"deletion of stack {label}", progressed=progressed
        )
        stacks.forget(self.record.cloudformation_stack_name or stack)
        asg = self.record.auto_scaling_group
        group = f" and its Auto Scaling group {asg}" if asg else ""
        self.done.append(f"stack {label}{group} deleted")
        ctx.report("stack", StepState.SUCCEEDED, f"stack {label}{group} deleted", stack=label)

    def _fail(self, reason: str, outcome: Outcome = Outcome.FAILED) -> JobResult:
        """The model is Failed with the reason; what was done and what is left are named. Delete again to retry."""
        done = f"; done: {'; '.join(self.done)}" if self.done else ""
        left = [
            part
            for part in deletion_summary(self.record, self.guardrails)
            if not (self._unregistered and part.startswith("LiteLLM"))
        ] + self.left
        message = (
            f"delete of {self.model_id} failed: {reason}{done}; left: {', '.join(left)} "
            f"(retry with: lisa-desktop models delete {self.model_id})"
        )
        attributes: dict[str, Any] = {"failure_reason": cut_reason(message)}
        if self._unregistered:
            attributes["litellm_id"] = None
        try:
            self.ctx.intent("fail.record", status=str(ModelStatus.FAILED))
            self.ctx.aws.models.transition_status(
                self.model_id,
                ModelStatus.DELETING,
                ModelStatus.FAILED,
                attributes,
                remove_attributes=HOLD_ATTRIBUTES,
                holder=self.ctx.holder,
            )
            self.ctx.done("fail.record", status=str(ModelStatus.FAILED))
        except LisaDesktopError as error:
            message = f"{message}; and the record could not be marked Failed: {error}"
        self.ctx.report("job", StepState.FAILED, message)
        return self._result(outcome, message, ModelStatus.FAILED)

    def _result(self, outcome: Outcome, message: str, status: ModelStatus | None) -> JobResult:
        return JobResult(self.ctx.job_id, self.model_id, Operation.DELETE, outcome, message, status)


def _settled(info: StackInfo | None) -> bool | None:
    return True if info is None or not is_stack_in_progress(info.status) else None
