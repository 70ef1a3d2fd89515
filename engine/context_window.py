"""A model's `context_window` as LISA derives it from the container environment (its EnrichContextWindow step on
create, its UpdateModel intake on a container update)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

CONTEXT_WINDOW_VARIABLES: Final = ("VLLM_MAX_MODEL_LEN", "MAX_TOTAL_TOKENS")
CONTEXT_WINDOW_ATTRIBUTE: Final = "context_window"


def environment_of(config: Mapping[str, Any]) -> Mapping[str, Any]:
    container = config.get("containerConfig")
    environment = container.get("environment") if isinstance(container, Mapping) else None
    return environment if isinstance(environment, Mapping) else {}


def context_window_of(config: Mapping[str, Any]) -> int | None:
    """From the environment: VLLM_MAX_MODEL_LEN, else MAX_TOTAL_TOKENS (the models bucket's config.json, LISA's
    next source, is not read)."""
    environment = environment_of(config)
    for name in CONTEXT_WINDOW_VARIABLES:
        value = str(environment.get(name, "")).strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def context_window_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, int], tuple[str, ...]]:
    """(attributes to set, attributes to remove) for an update from configuration `old` to `new`, as LISA's
    UpdateModel: when the environment changed, `context_window` follows VLLM_MAX_MODEL_LEN (else MAX_TOTAL_TOKENS),
    and is removed when those variables were removed; otherwise it is left as it is (an override set with LISA's
    context-window route, or its backfill, stays)."""
    before, after = environment_of(old), environment_of(new)
    if dict(before) == dict(after):
        return {}, ()
    value = context_window_of(new)
    if value is not None:
        return {CONTEXT_WINDOW_ATTRIBUTE: value}, ()
    if any(name in before for name in CONTEXT_WINDOW_VARIABLES) and not any(
        name in after for name in CONTEXT_WINDOW_VARIABLES
    ):
        return {}, (CONTEXT_WINDOW_ATTRIBUTE,)
    return {}, ()
