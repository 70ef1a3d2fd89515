"""The status rules table: which operation each status allows, with the reason when it does not."""

from __future__ import annotations

import pytest

from engine.rules.status import STATUS_RULES, Operation, action_refusal, refusal
from engine.schema.enums import ModelStatus

S = ModelStatus
EXPECTED: dict[Operation, set[ModelStatus]] = {
    Operation.UPDATE: {S.IN_SERVICE, S.STOPPED},
    Operation.START: {S.STOPPED},
    Operation.STOP: {S.IN_SERVICE},
    Operation.DELETE: {S.IN_SERVICE, S.STOPPED, S.FAILED},
}


def test_table_covers_every_operation() -> None:
    assert set(STATUS_RULES) == set(Operation)


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("status", list(ModelStatus))
def test_each_operation_in_each_status(operation: Operation, status: ModelStatus) -> None:
    reason = refusal(operation, "m1", status)
    if status in EXPECTED[operation]:
        assert reason is None
    else:
        assert reason is not None
        assert f"while it is {status}" in reason
        assert "'m1'" in reason
        assert str(operation) in reason


@pytest.mark.parametrize("operation", [Operation.START, Operation.STOP])
def test_start_and_stop_need_a_lisa_hosted_model(operation: Operation) -> None:
    status = S.STOPPED if operation is Operation.START else S.IN_SERVICE
    assert action_refusal(operation, "m1", status, lisa_hosted=True) is None
    reason = action_refusal(operation, "m1", status, lisa_hosted=False)
    assert reason is not None
    assert "only LISA-hosted" in reason


def test_update_and_delete_do_not_depend_on_hosting() -> None:
    assert action_refusal(Operation.UPDATE, "m1", S.IN_SERVICE, lisa_hosted=False) is None
    assert action_refusal(Operation.DELETE, "m1", S.FAILED, lisa_hosted=False) is None
