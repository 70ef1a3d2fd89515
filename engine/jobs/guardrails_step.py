"""The guardrails step of the create and update jobs, and its undoing (in the job, and by recovery).

Each guardrail is written as LISA's state machines write it: LiteLLM first (`POST /guardrails`, `PUT` or `DELETE
/guardrails/{id}`), then its row of the guardrails table. Every guardrail's change is journaled (`guardrail.create`,
`guardrail.update`, `guardrail.remove`, with the guardrail as it was before), so that it can be undone by name
even when the process died between the two writes or before LiteLLM's answer came back: undoing makes a guardrail
the job added absent again (every LiteLLM guardrail of its name, every row of its name), and puts a guardrail it
changed or removed back as it was (the LiteLLM guardrail of its name updated, or created again; its row written).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from engine.aws.errors import LiteLLMError
from engine.aws.guardrails import Guardrail, GuardrailsTable, litellm_guardrail_name, litellm_payload
from engine.errors import InvalidInput, Problem
from engine.guardrail_changes import FIELD, GUARDRAILS_TABLE_MISSING, GuardrailAction, GuardrailChange
from engine.jobs.context import Gateways, JobContext
from engine.jobs.events import StepState
from engine.jobs.journal import JournalJob, Phase
from engine.schema.config import GuardrailConfig

log = logging.getLogger(__name__)

STEP: Final = "guardrail"
"""The step name of the job's events."""
POINTS: Final = {
    GuardrailAction.ADD: "guardrail.create",
    GuardrailAction.CHANGE: "guardrail.update",
    GuardrailAction.REMOVE: "guardrail.remove",
}
"""The journal point of each change (the delete job's own removals are `guardrail.delete`)."""
UNDO_POINT: Final = "rollback.guardrail"


def guardrails_table(ctx: JobContext) -> GuardrailsTable:
    return GuardrailsTable(ctx.aws.clients, ctx.aws.deployment.guardrails_table_name)


def model_guardrails(aws: Gateways, model_id: str) -> list[Guardrail]:
    """The model's guardrails, what an update's `guardrailsConfig` is compared with (InvalidInput naming
    `guardrailsConfig` on a deployment without a guardrails table)."""
    table = GuardrailsTable(aws.clients, aws.deployment.guardrails_table_name)
    if not table.table_name:
        raise InvalidInput([Problem(FIELD, GUARDRAILS_TABLE_MISSING)], f"update of '{model_id}'")
    return table.of_model(model_id)


@dataclass(frozen=True)
class Touched:
    """A guardrail the job set out to change, with what undoing it needs."""

    action: GuardrailAction
    name: str
    before: GuardrailConfig | None
    """The guardrail before the job (change, remove); None for one it adds."""


class GuardrailsStep:
    """Applies a model's guardrail changes one by one, remembering each before it is made (for `undo`)."""

    def __init__(self, ctx: JobContext, model_id: str) -> None:
        self.ctx = ctx
        self.model_id = model_id
        self.table = guardrails_table(ctx)
        self.touched: list[Touched] = []
        self.made: list[Guardrail] = []
        """The guardrails as they are now, for those the job added or changed."""

    def apply(self, changes: Sequence[GuardrailChange], *, resume: bool = False) -> list[str]:
        """Make every change; returns what was done, in words. `resume`: a guardrail to add may exist already (a
        create resumed by recovery): it is adopted by its LiteLLM name instead of being made twice."""
        ctx = self.ctx
        if not changes:
            return []
        ctx.report(STEP, StepState.STARTED, "; ".join(change.describe() for change in changes))
        done: list[str] = []
        for change in changes:
            ctx.check_cancelled()
            if change.action is GuardrailAction.ADD:
                assert change.new is not None
                self.touched.append(Touched(change.action, change.name, None))
                guardrail = (
                    ensure_present(ctx, self.table, self.model_id, change.new, POINTS[change.action])
                    if resume
                    else self._add(change.new)
                )
                self.made.append(guardrail)
                done.append(f"{guardrail} added")
            elif change.action is GuardrailAction.CHANGE:
                assert change.new is not None
                assert change.old is not None
                self.touched.append(Touched(change.action, change.name, change.old.config()))
                self.made.append(self._change(change.old, change.new))
                done.append(f"{change.old} changed")
            else:
                assert change.old is not None
                self.touched.append(Touched(change.action, change.name, change.old.config()))
                self._remove(change.old)
                done.append(f"{change.old} removed")
            ctx.note_change(done[-1])
        ctx.report(STEP, StepState.SUCCEEDED, "; ".join(done))
        return done

    def _add(self, config: GuardrailConfig) -> Guardrail:
        ctx, point = self.ctx, POINTS[GuardrailAction.ADD]
        name = litellm_guardrail_name(config.guardrailName, self.model_id)
        ctx.intent(point, name=config.guardrailName, litellmName=name)
        try:
            guardrail_id = ctx.aws.litellm.create_guardrail(litellm_payload(config, self.model_id))
        except LiteLLMError:
            # LiteLLM answered with an error: nothing was made (a guardrail of that name may be another's).
            self.touched.pop()
            raise
        guardrail = Guardrail.of(guardrail_id, self.model_id, config)
        self.table.put(guardrail, ctx.aws.models.now_ms())
        ctx.done(point, name=config.guardrailName, guardrailId=guardrail_id)
        return guardrail

    def _change(self, old: Guardrail, config: GuardrailConfig) -> Guardrail:
        ctx, point = self.ctx, POINTS[GuardrailAction.CHANGE]
        ctx.intent(point, name=old.name, guardrailId=old.guardrail_id, before=_plain(old.config()))
        ctx.aws.litellm.update_guardrail(old.guardrail_id, litellm_payload(config, self.model_id))
        guardrail = dataclasses.replace(
            Guardrail.of(old.guardrail_id, self.model_id, config), created_ms=old.created_ms
        )
        self.table.update(guardrail, ctx.aws.models.now_ms())
        ctx.done(point, name=old.name, guardrailId=old.guardrail_id)
        return guardrail

    def _remove(self, old: Guardrail) -> None:
        ctx, point = self.ctx, POINTS[GuardrailAction.REMOVE]
        ctx.intent(point, name=old.name, guardrailId=old.guardrail_id, before=_plain(old.config()))
        ctx.aws.litellm.delete_guardrail(old.guardrail_id, missing_ok=True)
        self.table.delete(old)
        ctx.done(point, name=old.name, guardrailId=old.guardrail_id)

    def undo(self) -> list[str]:
        """Put back what the job touched, newest first: added guardrails gone, changed and removed ones as they
        were. Returns what was undone, in words."""
        undone = undo_touched(self.ctx, self.table, self.model_id, reversed(self.touched))
        self.touched.clear()
        self.made.clear()
        return undone


def undo_touched(ctx: JobContext, table: GuardrailsTable, model_id: str, touched: Iterable[Touched]) -> list[str]:
    undone: list[str] = []
    for item in touched:
        if item.before is None:
            ensure_absent(ctx, table, model_id, item.name)
            undone.append(f"guardrail {item.name} removed")
        else:
            restored = ensure_present(ctx, table, model_id, item.before, UNDO_POINT)
            undone.append(f"{restored} put back")
        ctx.note_change(undone[-1], undo=True)
    return undone


def touched_in(job: JournalJob) -> list[Touched]:
    """What the job set out to change (its forward guardrail points), newest first, each guardrail once (its
    first point holds it as it was before the job)."""
    first: dict[str, Touched] = {}
    actions = {point: action for action, point in POINTS.items()}
    for point in job.points:
        if point.phase is not Phase.INTENT or point.step not in actions:
            continue
        name = str(point.data.get("name") or "")
        if not name or name in first:
            continue
        before = point.data.get("before")
        config = GuardrailConfig.model_validate(before) if isinstance(before, dict) else None
        first[name] = Touched(actions[point.step], name, config)
    return list(reversed(first.values()))


def undo_from_journal(ctx: JobContext, job: JournalJob) -> list[str]:
    """Recovery's undoing of a dead update's guardrail changes (idempotent: run again, it does the same)."""
    touched = touched_in(job)
    if not touched:
        return []
    return undo_touched(ctx, guardrails_table(ctx), job.model_id, touched)


def ensure_present(
    ctx: JobContext, table: GuardrailsTable, model_id: str, config: GuardrailConfig, point: str
) -> Guardrail:
    """The guardrail exists as `config` says, once: the LiteLLM guardrail of its name updated (or created), and
    one row of its name, keyed by that guardrail's id (a row of another id, left by an interrupted write, goes)."""
    name = litellm_guardrail_name(config.guardrailName, model_id)
    payload = litellm_payload(config, model_id)
    ctx.intent(point, name=config.guardrailName, litellmName=name, adopt=True)
    found = [str(g["guardrail_id"]) for g in ctx.aws.litellm.list_guardrails() if g.get("guardrail_name") == name]
    if found:
        guardrail_id = found[0]
        ctx.aws.litellm.update_guardrail(guardrail_id, payload)
    else:
        guardrail_id = ctx.aws.litellm.create_guardrail(payload)
    rows = [row for row in table.of_model(model_id) if row.name == config.guardrailName]
    created = next((row.created_ms for row in rows if row.guardrail_id == guardrail_id), None)
    guardrail = dataclasses.replace(Guardrail.of(guardrail_id, model_id, config), created_ms=created)
    table.put(guardrail, ctx.aws.models.now_ms())
    for row in rows:
        if row.guardrail_id != guardrail_id:
            table.delete(row)
    ctx.done(point, name=config.guardrailName, guardrailId=guardrail_id)
    return guardrail


def ensure_absent(ctx: JobContext, table: GuardrailsTable, model_id: str, name: str) -> None:
    """No LiteLLM guardrail `<name>-<modelId>` and no row of that name for the model."""
    litellm_name = litellm_guardrail_name(name, model_id)
    ctx.intent(UNDO_POINT, name=name, litellmName=litellm_name, absent=True)
    for entry in ctx.aws.litellm.list_guardrails():
        if entry.get("guardrail_name") == litellm_name:
            ctx.aws.litellm.delete_guardrail(str(entry["guardrail_id"]), missing_ok=True)
    for row in table.of_model(model_id):
        if row.name == name:
            table.delete(row)
    ctx.done(UNDO_POINT, name=name, absent=True)


def _plain(config: GuardrailConfig) -> dict[str, Any]:
    return config.dump(defaults=True)
