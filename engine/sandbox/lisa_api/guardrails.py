"""A model's guardrails as LISA's state machines keep them: one LiteLLM guardrail `<guardrailName>-<modelId>` and
one row of the guardrails table (keyed by LiteLLM's id) each (`update_model.handle_update_guardrails`,
`create_model.handle_add_guardrails_to_litellm`, `delete_model.handle_delete_guardrails`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.sandbox.lisa_api.litellm import guardrail_request
from engine.sandbox.lisa_api.store import now_ms

if TYPE_CHECKING:
    from engine.sandbox.lisa_api.executions import World

log = logging.getLogger(__name__)


def _row(model_id: str, guardrail_id: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """LISA's `GuardrailsTableEntry`."""
    stamp = now_ms()
    return {
        "guardrailId": guardrail_id,
        "modelId": model_id,
        "guardrailName": config["guardrailName"],
        "guardrailIdentifier": config["guardrailIdentifier"],
        "guardrailVersion": config.get("guardrailVersion", "DRAFT"),
        "mode": str(config.get("mode", "pre_call")),
        "description": config.get("description"),
        "allowedGroups": config.get("allowedGroups", []),
        "createdDate": stamp,
        "lastModifiedDate": stamp,
    }


def create_guardrail(world: World, model_id: str, config: Mapping[str, Any]) -> str:
    created = world.litellm.create_guardrail(guardrail_request(model_id, config))
    if "guardrail_id" not in created:
        raise KeyError(f"Could not find guardrail ID in LiteLLM response: {created}")
    guardrail_id = str(created["guardrail_id"])
    world.tables.put_guardrail(_row(model_id, guardrail_id, config))
    return guardrail_id


def delete_guardrail(world: World, model_id: str, guardrail_id: str) -> None:
    world.litellm.delete_guardrail(guardrail_id)
    world.tables.delete_guardrail(guardrail_id, model_id)


def add_guardrails(world: World, model_id: str, configs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """CreateModel's AddGuardrailsToLitellm: each one created; on an error, the ones made are removed again."""
    made: list[str] = []
    try:
        for config in configs.values():
            made.append(create_guardrail(world, model_id, config))
    except Exception:
        for guardrail_id in made:
            _quietly(delete_guardrail, world, model_id, guardrail_id)
        raise
    return made


def update_guardrails(
    world: World, model_id: str, desired: Mapping[str, Mapping[str, Any]], event: dict[str, Any]
) -> None:
    """UpdateModel's HandleUpdateGuardrails: `desired` is the full map; existing ones (by name) are replaced,
    new ones created, the rest and those marked for deletion deleted."""
    existing = {row["guardrailName"]: row for row in world.tables.guardrails_of(model_id)}
    processed: set[str] = set()
    created: list[str] = []
    counts = {"updated": 0, "created": 0, "deleted": 0}
    try:
        for config in desired.values():
            name = config["guardrailName"]
            processed.add(name)
            found = existing.get(name)
            if config.get("markedForDeletion", False):
                if found is not None and _quietly(delete_guardrail, world, model_id, found["guardrailId"]):
                    counts["deleted"] += 1
                continue
            if found is None:
                created.append(create_guardrail(world, model_id, config))
                counts["created"] += 1
                continue
            world.litellm.update_guardrail(found["guardrailId"], guardrail_request(model_id, config))
            world.tables.put_guardrail(
                {**found, **_row(model_id, found["guardrailId"], config), "createdDate": found.get("createdDate")}
            )
            counts["updated"] += 1
        for name, row in existing.items():
            if name not in processed and _quietly(delete_guardrail, world, model_id, row["guardrailId"]):
                counts["deleted"] += 1
    except Exception:
        for guardrail_id in created:
            _quietly(delete_guardrail, world, model_id, guardrail_id)
        raise
    event["guardrail_update_summary"] = counts


def delete_all(world: World, model_id: str) -> list[str]:
    """DeleteModel's DeleteGuardrails: every guardrail of the model, errors ignored."""
    try:
        rows = world.tables.guardrails_of(model_id)
    except Exception:
        log.warning("sandbox LISA: could not list the guardrails of %s", model_id, exc_info=True)
        return []
    return [row["guardrailId"] for row in rows if _quietly(delete_guardrail, world, model_id, row["guardrailId"])]


def _quietly(action: Any, *arguments: Any) -> bool:
    try:
        action(*arguments)
    except Exception:
        log.warning("sandbox LISA: guardrail cleanup failed", exc_info=True)
        return False
    return True
