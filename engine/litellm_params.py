"""The `litellm_params` LISA registers a model with (reference §5, `AddModelToLitellm`): one rule for the
engine's create and start jobs and for the sandbox's seeded registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.schema.enums import InferenceContainer, ModelHostingType, ModelType
from engine.schema.record import hosting_type_of


def litellm_params_for(
    config: Mapping[str, Any], model_url: str | None, settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """third party → `model` is the modelName unchanged, with `api_base` its modelUrl (no trailing slash) when it
    has one (an OpenAI-compatible server at its own address; LISA's own create leaves a third-party modelUrl out
    of the registration); hosted vLLM → `hosted_vllm/<modelName>` with
    `api_base` the model URL (`<ALB>/v1`); hosted TGI/TEI → `openai/<modelName without openai/>`; internal
    hosted → `openai/<name>` with `api_base` its modelUrl without a trailing slash. They start from the
    deployment's `settings` (its LiteLLM configuration's `litellm_settings`) with `drop_params` added, except for
    videogen, which starts empty; `api_key` when one was given."""
    model_name = str(config.get("modelName", ""))
    params: dict[str, Any] = (
        {} if config.get("modelType") == ModelType.VIDEOGEN else {**(settings or {}), "drop_params": True}
    )
    if config.get("apiKey"):
        params["api_key"] = config["apiKey"]
    hosting = hosting_type_of(config)
    if hosting is ModelHostingType.LISA_HOSTED:
        if config.get("inferenceContainer") == InferenceContainer.VLLM:
            params["model"] = f"hosted_vllm/{model_name}"
        else:
            params["model"] = f"openai/{model_name.removeprefix('openai/')}"
        params["api_base"] = model_url or ""
    elif hosting is ModelHostingType.INTERNAL_HOSTED:
        params["model"] = f"openai/{_without_provider_prefixes(model_name)}"
        params["api_base"] = str(config.get("modelUrl") or model_url or "").rstrip("/")
    else:
        params["model"] = model_name
        if config.get("modelUrl"):
            params["api_base"] = str(config["modelUrl"]).rstrip("/")
    return params


def _without_provider_prefixes(model_name: str) -> str:
    """LISA's AddModelToLitellm for an internal-hosted model: `openai/` and `hosted_vllm/` stripped for as long as
    the name starts with one (`hosted_vllm/openai/x` → `x`)."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in ("openai/", "hosted_vllm/"):
            if model_name.startswith(prefix):
                model_name = model_name[len(prefix) :]
                stripped = True
    return model_name
