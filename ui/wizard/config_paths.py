"""Read and write one field of a model configuration by its dotted path.

Paths are those of LISA's CreateModelRequest (`autoScalingConfig.minCapacity`), plus two forms for the
features list: `features[toolCalls]` (whether the feature is on) and `features[summarization].overview`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.config_edit import remove_leaf, set_leaf

_FEATURE = re.compile(r"^features\[(?P<name>[A-Za-z]+)\](?:\.(?P<attr>\w+))?$")


def get_path(config: Mapping[str, Any], path: str) -> Any:
    feature = _FEATURE.match(path)
    if feature:
        item = _feature(config, feature["name"])
        if feature["attr"] is None:
            return item is not None
        return None if item is None else item.get(feature["attr"])
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """Set the field, creating the mappings on the way; None removes it (an unset optional field)."""
    feature = _FEATURE.match(path)
    if feature:
        _set_feature(config, feature["name"], feature["attr"], value)
        return
    parts = tuple(path.split("."))
    if value is None:
        remove_leaf(config, parts)
    else:
        set_leaf(config, parts, value)


def _feature(config: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    for item in config.get("features") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    return None


def _set_feature(config: dict[str, Any], name: str, attr: str | None, value: Any) -> None:
    features = config.get("features")
    if not isinstance(features, list):
        features = []
        config["features"] = features
    item = _feature(config, name)
    if attr is None:
        if value and item is None:
            features.append({"name": name, "overview": ""})
        elif not value and item is not None:
            features.remove(item)
        return
    if item is not None:
        item[attr] = value if value is not None else ""
