"""Between a model's stored configuration and an edited one: the UpdateModelRequest that carries the edit, the
edits no update can carry, and the way back (the configuration a request produces).

Every function here takes what a draft may hold: anything the user typed (None, wrong types, missing keys).
Nothing is validated; the request built is checked afterwards by `parse_update` and `plan`, which name the field
and the rule.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

from engine.schema.requests import MARKED_FOR_DELETION

API_ONLY_KEYS: Final = frozenset({"status", "contextWindow", "lastModifiedDate"})
"""Keys LISA's API adds to a model's configuration (or a newer LISA might); never part of an edit."""
API_DECORATIONS: Final = frozenset({"modelUrl"})
"""Config keys the API fills in for every model (the LiteLLM api_base): an edited config without one keeps it."""

METADATA_FIELDS: Final = ("modelType", "modelDescription", "streaming", "allowedGroups")
SCALING_FIELDS: Final = ("minCapacity", "maxCapacity", "desiredCapacity", "cooldown", "defaultInstanceWarmup")
HEALTH_CHECK_FIELDS: Final = {
    "command": "healthCheckCommand",
    "interval": "healthCheckInterval",
    "startPeriod": "healthCheckStartPeriod",
    "timeout": "healthCheckTimeout",
    "retries": "healthCheckRetries",
}
Path = tuple[str, ...]
_WHOLE_FIELDS: Final = frozenset({*METADATA_FIELDS, "features", "guardrailsConfig"})


# -- plain data helpers ----------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-safe deep copy: mappings with string keys, lists, enums as their values, other objects as text."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {key if isinstance(key, str) else str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return str(value)


def canonical(value: Any) -> str:
    """A text that is equal exactly when two values are (type-strict: 1, 1.0 and true differ; key order does not)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def same(left: Any, right: Any) -> bool:
    return left is right or canonical(left) == canonical(right)


def config_of(shape: Mapping[str, Any] | None) -> dict[str, Any]:
    """The configuration part of a model as the API returns it (status and other API-only keys removed)."""
    if not isinstance(shape, Mapping):
        return {}
    return {key: value for key, value in shape.items() if key not in API_ONLY_KEYS}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def leaf_paths(config: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted path → value for every leaf of `config`. Mappings are walked (an environment variable is
    `containerConfig.environment.KEY`); lists and scalars are leaves; empty mappings have no leaves."""
    return {".".join(path): value for path, value in leaf_items(config).items()}


def leaf_items(config: Mapping[str, Any]) -> dict[Path, Any]:
    """As `leaf_paths`, keyed by the path's parts (a key may itself contain a dot)."""
    leaves: dict[Path, Any] = {}

    def walk(prefix: Path, node: Mapping[Any, Any]) -> None:
        for key, value in node.items():
            path = (*prefix, str(key))
            if isinstance(value, Mapping):
                walk(path, value)
            else:
                leaves[path] = value

    walk((), config)
    return leaves


# -- normal forms: two values the API treats alike compare equal ---------------------------------------------


def _sort_key(item: Any) -> str:
    return canonical(item)


def normal_features(value: Any) -> Any:
    """Features in a canonical order with `overview` defaulted, so order and an absent overview are no edit."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        return value
    items: list[Any] = []
    for entry in value:
        if isinstance(entry, Mapping):
            entry = dict(entry)
            if entry.get("overview") is None:
                entry["overview"] = ""
        items.append(entry)
    return sorted(items, key=lambda item: _sort_key(item.get("name") if isinstance(item, dict) else item))


def normal_value(field: str, value: Any) -> Any:
    """The value of top-level field `field` in the form used to decide whether it changed."""
    if field == "modelDescription":
        return "" if value is None else value
    if field == "streaming":
        return False if value is None else value
    if field == "allowedGroups":
        if value is None:
            return []
        return sorted(value, key=_sort_key) if isinstance(value, list | tuple) else value
    if field == "features":
        return normal_features(value)
    if field == "guardrailsConfig":
        return {} if value is None else value
    return value


# -- edit → request ------------------------------------------------------------------------------------------


def update_request_from(base: Mapping[str, Any], edited: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateModelRequest (LISA's API shape, only what changed, JSON-safe) that turns `base` into `edited`.

    Fields no update can carry are left out (see `unchangeable_edits`); `enabled` is never produced. An empty
    mapping means nothing updatable changed.
    """
    base = _mapping(base)
    edited = _mapping(edited)
    request: dict[str, Any] = {}
    for field in (*METADATA_FIELDS, "features", "guardrailsConfig"):
        old, new = normal_value(field, base.get(field)), normal_value(field, edited.get(field))
        if field == "modelType" and edited.get(field) is None:
            continue  # a model type cannot be cleared: unchangeable_edits names it
        if not same(old, new):
            request[field] = _sent(field, edited.get(field))
    scaling = _scaling_request(_mapping(base.get("autoScalingConfig")), edited.get("autoScalingConfig"))
    if scaling:
        request["autoScalingInstanceConfig"] = scaling
    container = _container_request(_mapping(base.get("containerConfig")), edited.get("containerConfig"))
    if container:
        request["containerConfig"] = container
    return plain(request)  # type: ignore[no-any-return]


def _sent(field: str, value: Any) -> Any:
    """What to send for a changed whole field; clearing is sent as the empty value LISA stores."""
    cleared: dict[str, Any] = {"modelDescription": "", "streaming": False, "allowedGroups": [], "features": []}
    if value is None:
        return cleared.get(field, {})
    return value


def _scaling_request(base: Mapping[str, Any], edited: Any) -> dict[str, Any]:
    if not isinstance(edited, Mapping):
        return {}
    return {
        name: edited[name]
        for name in SCALING_FIELDS
        if edited.get(name) is not None and not same(edited.get(name), base.get(name))
    }


def _container_request(base: Mapping[str, Any], edited: Any) -> dict[str, Any]:
    if not isinstance(edited, Mapping):
        return {}
    request: dict[str, Any] = {}
    environment = _environment_request(base.get("environment"), edited.get("environment"))
    if environment:
        request["environment"] = environment
    size = edited.get("sharedMemorySize")
    if size is not None and not same(size, base.get("sharedMemorySize")):
        request["sharedMemorySize"] = size
    old_check, new_check = _mapping(base.get("healthCheckConfig")), edited.get("healthCheckConfig")
    if isinstance(new_check, Mapping):
        for stored, flat in HEALTH_CHECK_FIELDS.items():
            value = new_check.get(stored)
            if value is not None and not same(value, old_check.get(stored)):
                request[flat] = value
    return request


def _environment_request(base: Any, edited: Any) -> Any:
    old = _mapping(base)
    if edited is None:
        edited = {}
    if not isinstance(edited, Mapping):
        return edited  # sent as typed: parse_update says "containerConfig.environment: must be a mapping"
    changes: dict[str, Any] = {key: value for key, value in edited.items() if not same(old.get(key), value)}
    changes.update({key: MARKED_FOR_DELETION for key in old if key not in edited})
    return changes


# -- what cannot be carried ----------------------------------------------------------------------------------


def unchangeable_edits(base: Mapping[str, Any], edited: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the fields that differ between `base` and `edited` but that no update can carry
    (modelId, instanceType, the image, the load balancer, metricConfig, ...; also an updatable value cleared to
    nothing, which an update cannot express). A subtree the edited side lacks altogether is named once."""
    edited = _mapping(edited)
    old, new = _edit_leaves(base, edited)
    found = {
        _lacking(path, edited)
        for path in old.keys() | new.keys()
        if (path not in old or path not in new or not same(old[path], new[path])) and not _carried(path, edited)
    }
    return sorted(".".join(path) for path in found)


def _edit_leaves(base: Mapping[str, Any], edited: Mapping[str, Any]) -> tuple[dict[Path, Any], dict[Path, Any]]:
    """Leaves of both sides without API-only keys; an API decoration the edited side lacks is not an edit."""
    base_config, edited_config = config_of(base), config_of(edited)
    for key in API_DECORATIONS:
        if key not in edited_config:
            base_config.pop(key, None)
    return leaf_items(base_config), leaf_items(edited_config)


def _lacking(path: Path, edited: Mapping[str, Any]) -> Path:
    """The shortest part of `path` the edited config does not hold as a mapping (the whole path if it does)."""
    node: Any = edited
    for index, part in enumerate(path[:-1]):
        node = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            return path[: index + 1]
    return path


def _carried(parts: Path, edited: Mapping[str, Any]) -> bool:
    top = parts[0]
    if top == "modelType":
        return edited.get(top) is not None
    if top in _WHOLE_FIELDS:
        return True
    if top == "autoScalingConfig" and len(parts) == 2 and parts[1] in SCALING_FIELDS:
        scaling = edited.get(top)
        return isinstance(scaling, Mapping) and scaling.get(parts[1]) is not None
    container = edited.get("containerConfig")
    if top != "containerConfig" or len(parts) < 2 or not isinstance(container, Mapping):
        return False
    if parts[1] == "environment":
        return True
    if parts[1] == "sharedMemorySize" and len(parts) == 2:
        return container.get("sharedMemorySize") is not None
    if parts[1] == "healthCheckConfig" and len(parts) == 3 and parts[2] in HEALTH_CHECK_FIELDS:
        check = container.get("healthCheckConfig")
        return isinstance(check, Mapping) and check.get(parts[2]) is not None
    return False


# -- request → config ----------------------------------------------------------------------------------------


def apply_update_request(base: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration `base` becomes after `request` (an UpdateModelRequest mapping), as LISA merges it:
    whole fields replaced, autoScalingInstanceConfig into autoScalingConfig, the flattened container fields into
    containerConfig, an environment variable sent as LISA_MARKED_FOR_DELETION removed. `enabled` and values
    that are null are ignored. Unlike `plan`, a stored desired capacity is not pulled into new bounds: this is
    the exact inverse of `update_request_from`."""
    config = copy.deepcopy(dict(_mapping(base)))
    request = _mapping(request)
    for field in (*METADATA_FIELDS, "features", "guardrailsConfig"):
        if request.get(field) is not None:
            config[field] = copy.deepcopy(request[field])
    scaling = request.get("autoScalingInstanceConfig")
    if isinstance(scaling, Mapping):
        target = _child(config, "autoScalingConfig")
        target.update({name: scaling[name] for name in SCALING_FIELDS if scaling.get(name) is not None})
    container = request.get("containerConfig")
    if isinstance(container, Mapping):
        _apply_container(_child(config, "containerConfig"), container)
    return config


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    node = parent.get(key)
    if not isinstance(node, dict):
        node = dict(node) if isinstance(node, Mapping) else {}
        parent[key] = node
    return node


def _apply_container(target: dict[str, Any], change: Mapping[str, Any]) -> None:
    environment = change.get("environment")
    if isinstance(environment, Mapping):
        variables = _child(target, "environment")
        for key, value in environment.items():
            if value == MARKED_FOR_DELETION:
                variables.pop(key, None)
            else:
                variables[key] = copy.deepcopy(value)
    if change.get("sharedMemorySize") is not None:
        target["sharedMemorySize"] = change["sharedMemorySize"]
    checks = {stored: change.get(flat) for stored, flat in HEALTH_CHECK_FIELDS.items()}
    if any(value is not None for value in checks.values()):
        check = _child(target, "healthCheckConfig")
        check.update({stored: copy.deepcopy(value) for stored, value in checks.items() if value is not None})


def updatable_view(config: Mapping[str, Any]) -> dict[str, Any]:
    """The updatable fields of `config` in normal form: two configs an update cannot tell apart have equal views."""
    config = _mapping(config)
    view: dict[str, Any] = {field: normal_value(field, config.get(field)) for field in _WHOLE_FIELDS}
    scaling = _mapping(config.get("autoScalingConfig"))
    view.update({f"autoScalingConfig.{name}": scaling.get(name) for name in SCALING_FIELDS})
    container = _mapping(config.get("containerConfig"))
    view["containerConfig.environment"] = container.get("environment") or {}
    view["containerConfig.sharedMemorySize"] = container.get("sharedMemorySize")
    check = _mapping(container.get("healthCheckConfig"))
    view.update({f"containerConfig.healthCheckConfig.{name}": check.get(name) for name in HEALTH_CHECK_FIELDS})
    return plain(view)  # type: ignore[no-any-return]


def set_leaf(node: dict[str, Any], parts: Path, value: Any) -> None:
    """Set the value at `parts`, creating the mappings on the way (replacing anything that is not one)."""
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def remove_leaf(node: Any, parts: Path) -> None:
    """Remove the value at `parts`, if it is there."""
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)
