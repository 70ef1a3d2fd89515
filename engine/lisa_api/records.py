"""LISA's API model object (LISAModel) as the engine's ModelRecord, so the console's validation and plan run on
what the API answers before anything is sent.

LISAModel is `to_lisa_model` of the stored item: `model_config` plus `status` (from `model_status`), `modelUrl`
(`model_url`) and `contextWindow` (`context_window`), with `guardrailsConfig` attached from the guardrails table.
What it leaves out (`litellm_id`, `auto_scaling_group`, the stack, `failure_reason`, `last_modified_date`) is not
known here and stays unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import ValidationError

from engine.aws.errors import DeploymentUnreachable
from engine.aws.guardrails import CONFIG_KEY_PREFIX, Guardrail
from engine.schema.config import GuardrailConfig
from engine.schema.record import ModelRecord

API_ONLY_FIELDS: Final = ("status", "modelUrl", "contextWindow", "guardrailsConfig")
"""LISAModel keys that are not part of the stored `model_config`."""


def record_from_api(model: Mapping[str, Any]) -> ModelRecord:
    """The ModelRecord a LISAModel stands for (the attributes the API does not carry left unset)."""
    config = {key: value for key, value in model.items() if key not in API_ONLY_FIELDS}
    item: dict[str, Any] = {
        "model_id": str(model.get("modelId") or ""),
        "model_status": model.get("status"),
        "model_config": config,
    }
    if "modelDescription" in model:
        item["model_description"] = model.get("modelDescription")
    if "modelUrl" in model:
        item["model_url"] = model.get("modelUrl")
    if model.get("contextWindow") is not None:
        item["context_window"] = model.get("contextWindow")
    try:
        return ModelRecord.from_item(item)
    except ValidationError as error:
        raise DeploymentUnreachable(
            "LisaApiError", f"LISA's API answered a model this version cannot read: {error.errors()[0]['msg']}"
        ) from None


def guardrails_from_api(model: Mapping[str, Any]) -> list[Guardrail]:
    """The model's guardrails as GET /models attaches them (`guardrail-<name>` → GuardrailConfig), what an
    update's `guardrailsConfig` is compared with. The API does not give LiteLLM's guardrail ids: the id here is
    the configuration key."""
    attached = model.get("guardrailsConfig")
    model_id = str(model.get("modelId") or "")
    guardrails = []
    for key, value in (attached or {}).items() if isinstance(attached, Mapping) else ():
        if not isinstance(value, Mapping):
            continue
        config = GuardrailConfig.model_validate(dict(value))
        guardrails.append(Guardrail.of(str(key).removeprefix(CONFIG_KEY_PREFIX), model_id, config))
    return guardrails
