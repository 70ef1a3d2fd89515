"""LISA's default model through its configuration API, as LISA's UI reads and sets it (`configuration.reducer.ts`,
`ModelManagementActions.tsx` "Set Default"): `GET /configuration?configScope=global`, then `PUT
/configuration/global` with the newest version's configuration, `global` replaced by `{defaultModel}`, `versionId`
one up, `changedBy` and `changeReason` (the same item `engine.model_settings` writes to the table directly).

LISA's route writes unconditionally (a PutItem; no check that the version is new, nor of the model): the model's
status and type are checked on the model as `GET /models/{id}` answers it just before, and the version is read back
after the write, so that a write of the same version by someone else meanwhile is told, not passed over.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any, Final

from engine.aws.configuration_table import GLOBAL_SCOPE, VERSION_ATTRIBUTE, ConfigurationChanged, GlobalConfiguration
from engine.errors import InvalidInput, Problem, StatusNotAllowed
from engine.lisa_api.client import LisaApi
from engine.lisa_api.errors import NO_ROUTE_CODE, LisaApiRefused
from engine.lisa_api.records import record_from_api
from engine.model_settings import DEFAULT_TYPE, DefaultSet, default_item, default_refusal

APP_NAME: Final = "lisa-desktop"
NO_CONFIGURATION_API: Final = "NoConfigurationApi"


def latest_configuration(api: LisaApi) -> GlobalConfiguration | None:
    """The newest `global` configuration LISA's API answers (None when there is none). LisaApiRefused
    `NoConfigurationApi` when the API has no configuration routes."""
    try:
        answer = api.get_configuration(GLOBAL_SCOPE)
    except LisaApiRefused as error:
        if error.code != NO_ROUTE_CODE:
            raise
        raise LisaApiRefused(
            NO_CONFIGURATION_API,
            f"LISA's API at {api.base_url} serves no configuration routes (GET /configuration answered 403 "
            "Missing Authentication Token): LISA's default model is part of its configuration, whose API comes "
            "with LISA's chat stack",
            "set the default model in LISA's UI (Model Management, Set Default), or without --lisa-api with AWS "
            "access (then the configuration table is written directly)",
        ) from None
    versions = [GlobalConfiguration(_plain(item)) for item in answer]
    return max(versions, key=lambda version: version.version) if versions else None


def default_model(api: LisaApi) -> str | None:
    """`configuration.global.defaultModel` of the newest version, as LISA's UI reads it."""
    latest = latest_configuration(api)
    return latest.default_model if latest is not None else None


def console_user() -> str:
    """Who `changedBy` names. LISA's UI writes its user's name; LISA's API does not tell a token's user, so the
    workstation's login name is given, marked as written by this console."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        return APP_NAME
    return f"{user} ({APP_NAME})" if user else APP_NAME


def set_default_model(api: LisaApi, model_id: str, *, changed_by: str) -> DefaultSet:
    """Make `model_id` LISA's default model through LISA's configuration API. Only an InService textgen model, as
    in workstation mode: InvalidInput (another type), StatusNotAllowed, LisaModelNotFound, nothing written.
    ConfigurationChanged when the version written is found replaced by someone else's."""
    record = record_from_api(api.get_model(model_id))
    refusal = default_refusal(record)
    if refusal is not None:
        if record.config.get("modelType") != DEFAULT_TYPE.value:
            raise InvalidInput([Problem("modelType", refusal)], "default model")
        raise StatusNotAllowed(refusal)
    latest = latest_configuration(api)
    previous = latest.default_model if latest is not None else None
    if previous == model_id:
        return DefaultSet(model_id, {}, previous)
    version = latest.version + 1 if latest is not None else 0
    item = {**default_item(latest.configuration if latest else {}, version, model_id), "changedBy": changed_by}
    api.update_configuration(item)
    _check_written(api, item)
    return DefaultSet(model_id, item, previous)


def _check_written(api: LisaApi, item: Mapping[str, Any]) -> None:
    version = item[VERSION_ATTRIBUTE]
    found = [GlobalConfiguration(_plain(entry)) for entry in api.get_configuration(GLOBAL_SCOPE)]
    mine = [entry for entry in found if entry.version == version]
    if not mine or not _same(mine[0].item, item):
        raise ConfigurationChanged(
            f"LISA's configuration version {version} was written by someone else at the same time (LISA's route "
            "replaces a version without a check); read the default with `models list` and set it again if needed"
        )


def _same(stored: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether the stored version is the one sent (LISA adds `created_at`)."""
    return all(stored.get(key) == value for key, value in sent.items())


def _plain(value: Any) -> Any:
    """A configuration as LISA's UI holds it: LISA's API answers every number as a float (its DecimalEncoder);
    JavaScript sends a whole one back as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
