"""Every record the sandbox seeds as LISA writes them survives a console update: a description change leaves
every other attribute (LISA's own among them) exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.jobs.runner import JobRunner
from engine.rules.status import Operation, refusal
from engine.sandbox.catalog import CATALOG
from engine.sandbox.server import Sandbox
from engine.schema.validate import parse_update
from tests.engine.jobs.sandbox_world import FAST, sandbox_on_skipping_clock, world_on

UPDATABLE = [model.model_id for model in CATALOG if refusal(Operation.UPDATE, model.model_id, model.status) is None]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_on_skipping_clock(ambient=False) as running:
        yield running


def raw(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    return sandbox.client("dynamodb").get_item(TableName=sandbox.table_name, Key={"model_id": {"S": model_id}})["Item"]


def test_the_seeds_carry_what_lisa_writes() -> None:
    assert len(UPDATABLE) >= 8
    scheduled = next(model for model in CATALOG if model.model_id == "llama3-1-70b-instruct")
    assert scheduled.config["autoScalingConfig"]["scheduling"]["scheduleEnabled"] is True
    assert set(scheduled.lisa_attributes) == {"lastStatusUpdate", "statusReason"}


@pytest.mark.parametrize("model_id", UPDATABLE)
def test_a_description_update_leaves_every_other_attribute_as_it_was(sandbox: Sandbox, model_id: str) -> None:
    before = raw(sandbox, model_id)
    runner = JobRunner(1)
    try:
        change = parse_update({"modelDescription": f"{model_id}, described again"})
        result = runner.submit_update(world_on(sandbox).aws, model_id, change, settings=FAST).result(timeout=60)
    finally:
        runner.shutdown()
    assert result.ok, result.message
    after = raw(sandbox, model_id)
    assert after.pop("model_description") == {"S": f"{model_id}, described again"}
    before.pop("model_description")
    assert int(after.pop("last_modified_date")["N"]) >= int(before.pop("last_modified_date")["N"])
    config_after, config_before = after.pop("model_config")["M"], before.pop("model_config")["M"]
    assert config_after.pop("modelDescription") == {"S": f"{model_id}, described again"}
    config_before.pop("modelDescription", None)
    assert config_after == config_before
    assert after == before
