"""Guardrails on the Review page: one row per guardrail added, changed or removed (from the engine's plan, or
the create request), and what their step does."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from engine.guardrail_changes import GuardrailAction
from engine.plan import Plan, Step
from engine.rules.capabilities import Impact

FIELD: Final = "guardrailsConfig"
IMPACT: Final = f"{Impact.NONE.value} (containers do not restart)"
CREATE_STEP: Final = "guardrail"
"""The create job's step that makes the guardrails (after LiteLLM, before the model goes InService)."""
STEP_TEXT: Final = {
    CREATE_STEP: "guardrails — each guardrail is added to LiteLLM and to LISA's guardrails table",
    str(Step.GUARDRAILS): (
        "guardrails — LiteLLM's guardrails and LISA's guardrails table follow the change; containers do not restart"
    ),
}
ACTION_WORDS: Final = {
    GuardrailAction.ADD: "added",
    GuardrailAction.CHANGE: "changed",
    GuardrailAction.REMOVE: "removed",
}


def summary(guardrail: Mapping[str, Any] | None) -> str:
    """`Bedrock gr-123:DRAFT, pre_call, for everyone`."""
    if not guardrail:
        return "(none)"
    groups = guardrail.get("allowedGroups") or []
    who = ", ".join(str(group) for group in groups) if isinstance(groups, list) and groups else "everyone"
    text = (
        f"Bedrock {guardrail.get('guardrailIdentifier') or '?'}:{guardrail.get('guardrailVersion') or 'DRAFT'}, "
        f"{guardrail.get('mode') or 'pre_call'}, for {who}"
    )
    description = guardrail.get("description")
    return f"{text} — {description}" if description else text


def update_rows(plan: Plan) -> Iterator[tuple[str, str, str, str, str]]:
    """(path, now, new, impact, label note) per guardrail the update adds, changes or removes."""
    for change in plan.guardrails:
        new = "(removed)" if change.action is GuardrailAction.REMOVE else summary(change.new_config())
        yield FIELD, summary(change.old_config()), new, IMPACT, f": {change.name} — {ACTION_WORDS[change.action]}"


def create_rows(request: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    """(path, now, new, impact, label note) per guardrail a create request adds."""
    guardrails = request.get(FIELD)
    if not isinstance(guardrails, Mapping):
        return
    for guardrail in guardrails.values():
        if isinstance(guardrail, Mapping):
            yield FIELD, "—", summary(guardrail), "", f": {guardrail.get('guardrailName') or '(no name yet)'}"


def is_guardrail_field(path: str) -> bool:
    return path == FIELD or path.startswith(FIELD + ".")


def create_steps_with_guardrails(steps: tuple[str, ...], request: Mapping[str, Any]) -> tuple[str, ...]:
    """The create job's steps: with guardrails, their step comes before the last (as the create job orders it)."""
    if request.get(FIELD) and steps:
        return (*steps[:-1], CREATE_STEP, steps[-1])
    return steps
