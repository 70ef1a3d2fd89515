"""Drafts to and from files in LISA's API shapes (YAML or JSON): what `models validate` and `models create |
update` read, so a draft can be checked, shared and submitted by a script."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from engine.config_edit import HEALTH_CHECK_FIELDS, SCALING_FIELDS, apply_update_request, config_of
from engine.drafts.store import Draft, DraftKind, DraftStore, create_request
from engine.errors import InvalidInput, Problem
from engine.files import dump_document, load_document
from engine.schema.requests import UPDATE_FIELDS
from engine.schema.validate import RequestKind, detect_kind
from engine.secrets import masked

SUFFIXES: Final = (".yaml", ".yml", ".json")
_FLAT_CONTAINER_FIELDS: Final = frozenset({"environment", "sharedMemorySize", *HEALTH_CHECK_FIELDS.values()})


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput([Problem("file", f"'{path.name}' must end in .yaml, .yml or .json")], "export")


def export_draft(draft: Draft, path: str | Path, *, include_secrets: bool = False) -> Path:
    """Write the request the draft would submit (CreateModelRequest or UpdateModelRequest) as YAML or JSON,
    by the file's suffix, its API key masked unless `include_secrets`. Returns the path written."""
    target = Path(path)
    _check_suffix(target)
    request = draft.request()
    dump_document(request if include_secrets else masked(request), target)
    return target


def export_config(config: Mapping[str, Any], path: str | Path, *, include_secrets: bool = False) -> Path:
    """Write a model's configuration (as the API returns it) as a create file: a new model like this one. Its API
    key is masked unless `include_secrets` (a masked key is refused when the file is submitted)."""
    target = Path(path)
    _check_suffix(target)
    request = create_request(config)
    dump_document(request if include_secrets else masked(request), target)
    return target


def import_draft(
    path: str | Path,
    store: DraftStore,
    base: Mapping[str, Any] | None = None,
    deployment: str | None = None,
    warnings: list[Problem] | None = None,
) -> Draft:
    """A new draft from a request file. A create file (it names modelId) becomes a CREATE draft as written,
    valid or not. An update file becomes an UPDATE draft of the model `base` (its current configuration as the
    API returns it): the draft's configuration is `base` with the update applied; keys that are not part of
    LISA's UpdateModelRequest are left out, as LISA's API ignores them, and named in `warnings`."""
    data = load_document(path)
    name = Path(path).name
    if not isinstance(data, dict):
        raise InvalidInput([Problem(name, "must be a mapping of fields (a CreateModelRequest or UpdateModelRequest)")])
    if detect_kind(data) is RequestKind.CREATE:
        return store.create(DraftKind.CREATE, data, deployment=deployment)
    if base is None:
        raise InvalidInput(
            [
                Problem(
                    name,
                    "an update file needs the model's current configuration: connect to the deployment to import it",
                )
            ],
            "import",
        )
    known, unknown = _check_update_structure(data, name)
    if warnings is not None:
        warnings.extend(unknown)
    config = apply_update_request(config_of(base), known)
    return store.create(DraftKind.UPDATE, config, base=base, deployment=deployment)


def _check_update_structure(data: Mapping[str, Any], name: str) -> tuple[dict[str, Any], list[Problem]]:
    """What must hold for an update to be applied to a configuration at all (values are checked later): the update
    without the keys LISA's UpdateModelRequest does not have, and a warning naming each of those."""
    problems = []
    unknown: list[Problem] = []
    known: dict[str, Any] = {}
    for key, value in data.items():
        if key == "enabled":
            problems.append(Problem("enabled", "start/stop is not a configuration change: use models start | stop"))
        elif key not in UPDATE_FIELDS:
            unknown.append(Problem(str(key), "unknown field (not part of LISA's UpdateModelRequest): ignored"))
        else:
            known[key] = value
    nested = {"autoScalingInstanceConfig": frozenset(SCALING_FIELDS), "containerConfig": _FLAT_CONTAINER_FIELDS}
    for field, fields in nested.items():
        value = known.get(field)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            problems.append(Problem(field, "must be a mapping"))
            continue
        unknown.extend(
            Problem(f"{field}.{key}", f"unknown field (not part of LISA's UpdateModelRequest {field}): ignored")
            for key in value
            if key not in fields
        )
        known[field] = {key: inner for key, inner in value.items() if key in fields}
    container = data.get("containerConfig")
    environment = container.get("environment") if isinstance(container, Mapping) else None
    if environment is not None and not isinstance(environment, Mapping):
        problems.append(Problem("containerConfig.environment", "must be a mapping of variable names to values"))
    if problems:
        raise InvalidInput(problems, name)
    return known, unknown
