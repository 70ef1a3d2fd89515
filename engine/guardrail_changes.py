"""What a `guardrailsConfig` does to a model's guardrails, and the rules it must meet (reads nothing).

As LISA's update state machine (`lambda/models/state_machine/update_model.py`, handle_update_guardrails): the
model's guardrails are matched by `guardrailName`, not by the map's keys; one flagged `markedForDeletion` is
removed, one of a known name is updated, one of a new name is added, and a guardrail the map does not name at all
is removed. A create adds every guardrail (`create_model.py`, handle_add_guardrails_to_litellm).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.aws.guardrails import Guardrail, litellm_guardrail_name
from engine.errors import Problem
from engine.schema.config import GuardrailConfig

FIELD = "guardrailsConfig"
GUARDRAILS_TABLE_MISSING = (
    "this deployment publishes no guardrails table (SSM <deploymentPrefix>/guardrailsTableName): it has no "
    "guardrails to attach"
)


class GuardrailAction(StrEnum):
    ADD = "add"
    CHANGE = "change"
    REMOVE = "remove"


@dataclass(frozen=True)
class GuardrailChange:
    action: GuardrailAction
    name: str
    """`guardrailName`."""
    new: GuardrailConfig | None = None
    """What the guardrail becomes (add, change)."""
    old: Guardrail | None = None
    """The guardrail as the table holds it (change, remove)."""

    @property
    def field(self) -> str:
        return f"{FIELD}.{self.name}"

    def litellm_name(self, model_id: str) -> str:
        return litellm_guardrail_name(self.name, model_id)

    def old_config(self) -> dict[str, Any] | None:
        return _shown(self.old.config()) if self.old is not None else None

    def new_config(self) -> dict[str, Any] | None:
        return _shown(self.new) if self.new is not None else None

    def describe(self) -> str:
        if self.action is GuardrailAction.ADD:
            assert self.new is not None
            return f"add guardrail {self.name} (Bedrock {self.new.guardrailIdentifier} {self.new.guardrailVersion})"
        assert self.old is not None
        if self.action is GuardrailAction.REMOVE:
            return f"remove guardrail {self.name} (LiteLLM guardrail {self.old.guardrail_id} and its row)"
        before, after = self.old_config() or {}, self.new_config() or {}
        moved = ", ".join(
            f"{key} {before.get(key)!r} → {after.get(key)!r}" for key in after if before.get(key) != after[key]
        )
        return f"change guardrail {self.name} ({self.old.guardrail_id}): {moved}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "guardrailName": self.name,
            "guardrailId": self.old.guardrail_id if self.old is not None else None,
            "old": self.old_config(),
            "new": self.new_config(),
        }


def _shown(config: GuardrailConfig) -> dict[str, Any]:
    data = config.dump(defaults=True)
    data.pop("markedForDeletion", None)
    return data


def create_changes(desired: Mapping[str, GuardrailConfig] | None) -> list[GuardrailChange]:
    """Every guardrail of a create request, added in the map's order."""
    return [GuardrailChange(GuardrailAction.ADD, c.guardrailName, new=c) for c in (desired or {}).values()]


def update_changes(existing: Sequence[Guardrail], desired: Mapping[str, GuardrailConfig]) -> list[GuardrailChange]:
    """LISA's handle_update_guardrails as changes: an unchanged guardrail is no change (LISA rewrites it with the
    same values)."""
    known = {guardrail.name: guardrail for guardrail in existing}
    named: set[str] = set()
    changes: list[GuardrailChange] = []
    for config in desired.values():
        name = config.guardrailName
        named.add(name)
        old = known.get(name)
        if config.markedForDeletion:
            if old is not None:
                changes.append(GuardrailChange(GuardrailAction.REMOVE, name, old=old))
        elif old is None:
            changes.append(GuardrailChange(GuardrailAction.ADD, name, new=config))
        elif _shown(old.config()) != _shown(config):
            changes.append(GuardrailChange(GuardrailAction.CHANGE, name, new=config, old=old))
    for name, old in known.items():
        if name not in named:
            changes.append(GuardrailChange(GuardrailAction.REMOVE, name, old=old))
    return changes


def guardrail_problems(desired: Mapping[str, GuardrailConfig] | None, *, create: bool) -> Iterator[Problem]:
    """The rules beyond each guardrail's own (LISA's GuardrailConfig: guardrailName and guardrailIdentifier not
    empty, mode one of pre_call/during_call/post_call): LiteLLM keeps one guardrail per name
    (`<guardrailName>-<modelId>`), so a name may appear once; a create has nothing to mark for deletion."""
    seen: dict[str, str] = {}
    for key, config in (desired or {}).items():
        where = f"{FIELD}.{key}"
        if config.guardrailName.strip() != config.guardrailName:
            yield Problem(f"{where}.guardrailName", "must not start or end with spaces (LiteLLM names it as given)")
        if create and config.markedForDeletion:
            yield Problem(
                f"{where}.markedForDeletion", "a new model has no guardrail to remove: leave the guardrail out"
            )
        if config.guardrailName in seen:
            yield Problem(
                f"{where}.guardrailName",
                f"'{config.guardrailName}' is also the name of {FIELD}.{seen[config.guardrailName]}: each guardrail "
                "needs a name of its own (LiteLLM names it <guardrailName>-<modelId>, once)",
            )
        else:
            seen[config.guardrailName] = key
