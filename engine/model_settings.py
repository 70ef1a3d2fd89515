"""Two settings of a model that are single writes, no job: its context window and whether it is the default.

Context window, as LISA's `PUT /models/{id}/context-window` (`lambda/models/handler/
update_context_window_handler.py`, `UpdateContextWindowRequest` in `lambda/models/domain_objects.py`): a positive
integer `contextWindow`, for a model of any status and hosting type, written as the record's top-level
`context_window` with `last_modified_date`. LISA's UpdateItem is unconditional (on a model deleted meanwhile it
would create a stub item); ours requires the model still in the status it was read in.

Default model, as LISA's UI "Set Default" (`ModelManagementActions.tsx`): a new `global` configuration version,
the newest configuration with `global` replaced by `{defaultModel: <modelId>}`, `changedBy`, `changeReason`
"Set default model to: <modelId>", plus the `created_at` LISA's configuration handler adds. LISA's UI offers it
for any model not already the default, but its chat applies the default only when the model is InService
(`Chat.tsx`), so the console allows it only for an InService textgen model, checked in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, Field, ValidationError

from engine.aws.configuration_table import (
    GLOBAL_SCOPE,
    ConfigurationChanged,
    ConfigurationTable,
    epoch_seconds_text,
)
from engine.aws.errors import StatusChanged
from engine.aws.models_table import KEY_ATTRIBUTE, STATUS_ATTRIBUTE, ModelsTable
from engine.context_window import CONTEXT_WINDOW_ATTRIBUTE
from engine.errors import InvalidInput, LisaDesktopError, ModelNotFound, Problem, StatusNotAllowed
from engine.schema.enums import ModelStatus, ModelType
from engine.schema.record import ModelRecord

CONTEXT_WINDOW_FIELD: Final = "contextWindow"
DEFAULT_STATUS: Final = ModelStatus.IN_SERVICE
DEFAULT_TYPE: Final = ModelType.TEXTGEN
VERSION_ATTEMPTS: Final = 3
"""How often a default is written again on a newer configuration version that appeared meanwhile."""


class _ContextWindowRequest(BaseModel):
    """LISA's UpdateContextWindowRequest."""

    contextWindow: int = Field(gt=0)


def parse_context_window(value: object) -> int:
    """The context window LISA's request would accept (an integer greater than 0, "42" included); InvalidInput
    naming `contextWindow` and LISA's rule otherwise."""
    try:
        return _ContextWindowRequest.model_validate({CONTEXT_WINDOW_FIELD: value}).contextWindow
    except ValidationError as exc:
        problems = [Problem(CONTEXT_WINDOW_FIELD, f"{e['msg']} (got {value!r})") for e in exc.errors()]
        raise InvalidInput(problems, "context window") from None


def set_context_window(models_table: ModelsTable, model_id: str, value: object) -> ModelRecord:
    """Validate, then write the record's `context_window` (and `last_modified_date`) in one UpdateItem conditional
    on the status the model was read in. Returns the record as written. InvalidInput, ModelNotFound (also when it
    is deleted meanwhile), StatusChanged: nothing written."""
    window = parse_context_window(value)
    record = models_table.get(model_id)
    return models_table.transition_status(
        model_id,
        record.model_status,
        record.model_status,
        {CONTEXT_WINDOW_ATTRIBUTE: window},
    )


def default_refusal(record: ModelRecord) -> str | None:
    """Why the model cannot be the default (None: it can): the UI's action gate."""
    model_type = record.config.get("modelType")
    if model_type != DEFAULT_TYPE.value:
        return f"model '{record.model_id}' is of type {model_type or 'none'}: only a textgen model can be the default"
    if record.model_status is not DEFAULT_STATUS:
        return (
            f"model '{record.model_id}' is {record.model_status.value}: only an InService model can be the default "
            "(LISA's chat selects the default only among InService models)"
        )
    return None


@dataclass(frozen=True)
class DefaultSet:
    model_id: str
    item: Mapping[str, Any]
    """The configuration version written; empty when the model was the default already (nothing written)."""
    previous: str | None

    @property
    def written(self) -> bool:
        return bool(self.item)


def set_default_model(
    config_table: ConfigurationTable,
    models_table: ModelsTable,
    model_id: str,
    *,
    changed_by: str,
    now_s: Callable[[], float] = time.time,
) -> DefaultSet:
    """Make `model_id` LISA's default model. One TransactWriteItems: the new configuration version, and a check
    that the model is still InService and textgen. ModelNotFound, StatusNotAllowed, InvalidInput (a model of
    another type), ConfigurationTableNotFound: nothing written."""
    record = models_table.get(model_id)
    _refuse_unless_eligible(record)
    config_table.required_name()
    for attempt in range(VERSION_ATTEMPTS):
        latest = config_table.latest()
        previous = latest.default_model if latest is not None else None
        if previous == model_id:
            return DefaultSet(model_id, {}, previous)
        item = default_item(latest.configuration if latest else {}, latest.version + 1 if latest else 0, model_id)
        item = {**item, "changedBy": changed_by, "created_at": epoch_seconds_text(now_s())}
        try:
            config_table.add_version(
                item,
                condition_check=_still_eligible(models_table.table_name, model_id),
                on_check_failed=lambda found: _check_failure(model_id, found),
            )
        except ConfigurationChanged:
            if attempt == VERSION_ATTEMPTS - 1:
                raise
            continue
        return DefaultSet(model_id, item, previous)
    raise AssertionError("unreachable")


def default_item(configuration: Mapping[str, Any], version: int, model_id: str) -> dict[str, Any]:
    """The item LISA's UI sends for "Set Default" (without `changedBy` and the handler's `created_at`)."""
    return {
        "configuration": {**configuration, "global": {"defaultModel": model_id}},
        "configScope": GLOBAL_SCOPE,
        "versionId": version,
        "changeReason": f"Set default model to: {model_id}",
    }


def _refuse_unless_eligible(record: ModelRecord) -> None:
    refusal = default_refusal(record)
    if refusal is None:
        return
    if record.config.get("modelType") != DEFAULT_TYPE.value:
        raise InvalidInput([Problem("modelType", refusal)], "default model")
    raise StatusNotAllowed(refusal)


def _still_eligible(models_table_name: str, model_id: str) -> dict[str, Any]:
    return {
        "TableName": models_table_name,
        "Key": {KEY_ATTRIBUTE: {"S": model_id}},
        "ConditionExpression": "#status = :status AND #config.#type = :type",
        "ExpressionAttributeNames": {"#status": STATUS_ATTRIBUTE, "#config": "model_config", "#type": "modelType"},
        "ExpressionAttributeValues": {":status": {"S": DEFAULT_STATUS.value}, ":type": {"S": DEFAULT_TYPE.value}},
    }


def _check_failure(model_id: str, found: Mapping[str, Any] | None) -> LisaDesktopError:
    if found is None:
        return ModelNotFound(model_id)
    config = found.get("model_config")
    model_type = config.get("modelType") if isinstance(config, Mapping) else None
    if model_type != DEFAULT_TYPE.value:
        return InvalidInput([Problem("modelType", f"model '{model_id}' is now a {model_type} model")], "default model")
    return StatusChanged(model_id, DEFAULT_STATUS.value, str(found.get(STATUS_ATTRIBUTE)))
