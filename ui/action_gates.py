"""Whether an action is offered for the selected models, and the reason in words when it is not.

The status rules table (engine.rules.status) decides; the window adds what only it knows: nothing selected,
several models for a one-model action, no deployment open, read-only credentials.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.model_row import ModelRow
from engine.rules.status import Operation, action_refusal
from engine.schema.enums import ModelStatus

BULK_OPERATIONS = frozenset({Operation.START, Operation.STOP, Operation.DELETE})
MAX_REASONS_SHOWN = 3


def row_refusal(operation: Operation, row: ModelRow) -> str | None:
    if row.unreadable is not None:
        return unreadable_text(row)
    return action_refusal(operation, row.model_id, ModelStatus(row.status), row.lisa_hosted)


def unreadable_text(row: ModelRow) -> str:
    return (
        f"this version cannot read the stored record of {row.model_id} ({row.unreadable}); "
        "copy it as JSON, or manage it with a newer LISA Desktop or LISA's own UI"
    )


def default_model_refusal(rows: Sequence[ModelRow]) -> str | None:
    """None when the one selected model can be made LISA's default (`engine.model_settings.default_refusal`); else
    why not, as LISA's UI says it for the model that is the default already."""
    refusal = _one_readable(rows, "set the default model")
    if refusal is not None:
        return refusal
    row = rows[0]
    if row.is_default:
        return f"{row.model_id} is already the default model"
    # Imported here, not at start-up: pydantic (the record) is loaded by then, with the deployment.
    from engine.model_settings import default_refusal
    from engine.schema.record import ModelRecord

    record = ModelRecord(
        model_id=row.model_id, model_status=ModelStatus(row.status), model_config={"modelType": row.model_type}
    )
    return default_refusal(record)


def context_window_refusal(rows: Sequence[ModelRow]) -> str | None:
    """None when the one selected model's context window can be overridden: LISA's handler takes any status and
    hosting type."""
    return _one_readable(rows, "set the context window")


def _one_readable(rows: Sequence[ModelRow], what: str) -> str | None:
    if not rows:
        return f"select a model to {what}"
    if len(rows) > 1:
        return f"{what} works on one model at a time ({len(rows)} are selected)"
    return unreadable_text(rows[0]) if rows[0].unreadable is not None else None


def selection_refusal(operation: Operation, rows: Sequence[ModelRow]) -> str | None:
    """None when `operation` may run on every selected model (each gets its own job); else why not."""
    if not rows:
        return f"select a model to {operation}"
    if len(rows) > 1 and operation not in BULK_OPERATIONS:
        return f"{operation} works on one model at a time ({len(rows)} are selected)"
    reasons = [reason for row in rows if (reason := row_refusal(operation, row)) is not None]
    if not reasons:
        return None
    if len(rows) == 1:
        return reasons[0]
    shown = "\n".join(reasons[:MAX_REASONS_SHOWN])
    more = len(reasons) - MAX_REASONS_SHOWN
    tail = f"\n… and {more} more" if more > 0 else ""
    return f"{len(reasons)} of the {len(rows)} selected models cannot {operation}:\n{shown}{tail}"
