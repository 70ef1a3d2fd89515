"""A model's configuration as LISA's API returns it, turned back into the shape it was stored (created) with."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine.config_edit import config_of
from engine.schema.enums import ModelHostingType
from engine.schema.record import hosting_type_of


def stored_config(api_shape: Mapping[str, Any]) -> dict[str, Any]:
    """Without the keys the API adds, and without a LISA-hosted model's URL (its load balancer's, given by the
    deployment)."""
    config = copy.deepcopy(config_of(api_shape))
    if hosting_type_of(config) is ModelHostingType.LISA_HOSTED:
        config.pop("modelUrl", None)
    return config
