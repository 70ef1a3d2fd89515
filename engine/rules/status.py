"""Which operation each model status allows, and the reason shown when it does not.

Gates as LISA's web UI applies them (its server is laxer: it deletes in any status).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.schema.enums import ModelStatus


class Operation(StrEnum):
    UPDATE = "update"
    START = "start"
    STOP = "stop"
    DELETE = "delete"


@dataclass(frozen=True)
class StatusRule:
    operation: Operation
    allowed: frozenset[ModelStatus]
    needs: str
    """Completes "<operation> needs the model to be ..."."""

    def allows(self, status: ModelStatus) -> bool:
        return status in self.allowed

    def refusal(self, model_id: str, status: ModelStatus) -> str | None:
        """None when allowed, else the reason in words (for a tooltip, a CLI error or a plan)."""
        if self.allows(status):
            return None
        return f"cannot {self.operation} '{model_id}' while it is {status}: {self.operation} needs {self.needs}"


_S = ModelStatus
STATUS_RULES: dict[Operation, StatusRule] = {
    rule.operation: rule
    for rule in (
        StatusRule(Operation.UPDATE, frozenset({_S.IN_SERVICE, _S.STOPPED}), "InService or Stopped"),
        StatusRule(Operation.START, frozenset({_S.STOPPED}), "Stopped"),
        StatusRule(Operation.STOP, frozenset({_S.IN_SERVICE}), "InService"),
        StatusRule(
            Operation.DELETE,
            frozenset({_S.IN_SERVICE, _S.STOPPED, _S.FAILED}),
            "InService, Stopped or Failed (not while a change is in progress)",
        ),
    )
}


def refusal(operation: Operation, model_id: str, status: ModelStatus) -> str | None:
    return STATUS_RULES[operation].refusal(model_id, status)


def action_refusal(operation: Operation, model_id: str, status: ModelStatus, lisa_hosted: bool) -> str | None:
    """Why `operation` is not offered for this model now (status first, then hosting type), or None."""
    reason = refusal(operation, model_id, status)
    if reason is None and operation in (Operation.START, Operation.STOP) and not lisa_hosted:
        reason = f"cannot {operation} '{model_id}': only LISA-hosted models have containers to {operation}"
    return reason
