"""The deployment's LiteLLM `litellm_settings`, which LISA's AddModelToLitellm starts every registration from.

LISA passes its configuration's `litellmConfig` to its model-management Lambdas as the environment variable
`LITELLM_CONFIG_OBJ` (JSON), next to `MODEL_TABLE_NAME`; it is published nowhere else. The functions of this
deployment are the ones whose `MODEL_TABLE_NAME` is its models table. Only `litellm_settings` is kept: the same
object holds LiteLLM's `db_key`, which the console has no use for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from engine.aws.clients import AwsClients
from engine.errors import LisaDesktopError

log = logging.getLogger(__name__)

CONFIG_VARIABLE: Final = "LITELLM_CONFIG_OBJ"
TABLE_VARIABLE: Final = "MODEL_TABLE_NAME"


def read_litellm_settings(clients: AwsClients, models_table_name: str) -> tuple[dict[str, Any], str | None]:
    """(settings, None) from the first of the deployment's functions that carries the configuration; ({}, why)
    when none does, it is not JSON, or the functions cannot be listed (AccessDenied above all)."""
    try:
        with clients.errors("lambda:ListFunctions", "the deployment's model-management functions"):
            for page in clients.lambda_functions().get_paginator("list_functions").paginate():
                for function in page.get("Functions", []):
                    variables = (function.get("Environment") or {}).get("Variables") or {}
                    if variables.get(TABLE_VARIABLE) == models_table_name and CONFIG_VARIABLE in variables:
                        return _settings(str(variables[CONFIG_VARIABLE]), str(function.get("FunctionName")))
    except LisaDesktopError as error:
        log.warning("LiteLLM settings of the deployment not read: %s", error)
        return {}, f"the deployment's litellm_settings could not be read ({error})"
    return {}, f"no function of the deployment carries {CONFIG_VARIABLE}"


def _settings(text: str, function: str) -> tuple[dict[str, Any], str | None]:
    try:
        config = json.loads(text)
    except json.JSONDecodeError:
        return {}, f"{CONFIG_VARIABLE} of {function} is not JSON"
    settings = config.get("litellm_settings") if isinstance(config, Mapping) else None
    return (dict(settings), None) if isinstance(settings, Mapping) else ({}, None)
