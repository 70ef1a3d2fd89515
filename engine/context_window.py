"""A model's `context_window` as LISA derives it: its EnrichContextWindow step on create
(`lambda/models/state_machine/create_model.py`, `handle_enrich_context_window`) and its UpdateModel
(`lambda/models/state_machine/update_model.py`, `_update_container_config` and the record write)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from engine.schema.requests import MARKED_FOR_DELETION

CONTEXT_WINDOW_VARIABLES: Final = ("VLLM_MAX_MODEL_LEN", "MAX_TOTAL_TOKENS")
CONTEXT_WINDOW_ATTRIBUTE: Final = "context_window"


def environment_of(config: Mapping[str, Any]) -> Mapping[str, Any]:
    container = config.get("containerConfig")
    environment = container.get("environment") if isinstance(container, Mapping) else None
    return environment if isinstance(environment, Mapping) else {}


def _told(environment: Mapping[str, Any]) -> Any:
    """LISA's `env.get("VLLM_MAX_MODEL_LEN") or env.get("MAX_TOTAL_TOKENS")`."""
    return environment.get(CONTEXT_WINDOW_VARIABLES[0]) or environment.get(CONTEXT_WINDOW_VARIABLES[1])


def _as_lisa_int(value: Any) -> int | None:
    """Python's `int(value)`, as LISA parses it (" 42 " and "0" included); None where LISA logs a parse error."""
    try:
        return int(value)
    except (ValueError, TypeError):
        return None


def context_window_told(config: Mapping[str, Any]) -> tuple[bool, int | None]:
    """On create, from the container environment: (whether it names a context window, the value).

    As LISA's EnrichContextWindow: VLLM_MAX_MODEL_LEN, else MAX_TOTAL_TOKENS; a value that is not an integer is
    logged there and leaves the record without `context_window` (and the models bucket is not read either).
    Not told: LISA reads `max_position_embeddings` from the models bucket (`models_bucket_window`)."""
    told = _told(environment_of(config))
    if not told:
        return False, None
    return True, _as_lisa_int(told)


def context_window_of(config: Mapping[str, Any]) -> int | None:
    """The context window the environment names (None: none, or not an integer)."""
    return context_window_told(config)[1]


def config_json_keys(model_name: str, model_type: str) -> tuple[str, ...]:
    """Where LISA's EnrichContextWindow looks in the models bucket: `<modelName>/config.json`, and for an imagegen
    model `<modelName>/text_encoder/config.json` next."""
    keys = [f"{model_name}/config.json"]
    if model_type.upper() == "IMAGEGEN":
        keys.append(f"{model_name}/text_encoder/config.json")
    return tuple(keys)


def max_position_embeddings(body: bytes) -> int | None:
    """`max_position_embeddings` of a config.json (None when absent; raises when unreadable, as LISA's read)."""
    value = json.loads(body).get("max_position_embeddings")
    return None if value is None else int(value)


def max_input_tokens(entries: list[dict[str, Any]], litellm_id: str) -> int | None:
    """LISA's `_fetch_context_window_from_litellm`: the entry of that LiteLLM id in `GET /model/info`,
    `int(model_info.max_input_tokens)`; None where LISA's call raises (no such entry, no or no integer value)."""
    for entry in entries:
        info = entry.get("model_info")
        if isinstance(info, Mapping) and info.get("id") == litellm_id:
            return _as_lisa_int(info.get("max_input_tokens"))
    return None


def context_window_change(
    requested_environment: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> tuple[dict[str, int], tuple[str, ...]]:
    """(attributes to set, attributes to remove) for an update, as LISA's UpdateModel: whenever the request carries
    a container environment (`requested_environment`, the deletion markers included), `context_window` is set to
    the integer value of VLLM_MAX_MODEL_LEN (else MAX_TOTAL_TOKENS) of the environment stored after the update
    (`new`), any integer ("0" too); a value that is not an integer leaves it as it is; neither variable, and one of
    them marked for deletion by the request: removed. No environment in the request: left as it is (an override
    set with LISA's context-window route, or its backfill, stays)."""
    if requested_environment is None:
        return {}, ()
    told = _told(environment_of(new))
    if told is not None:
        value = _as_lisa_int(told)
        return ({CONTEXT_WINDOW_ATTRIBUTE: value}, ()) if value is not None else ({}, ())
    deleted = {key for key, value in requested_environment.items() if value == MARKED_FOR_DELETION}
    if deleted & set(CONTEXT_WINDOW_VARIABLES):
        return {}, (CONTEXT_WINDOW_ATTRIBUTE,)
    return {}, ()
