"""Jobs write only the attributes they own: what LISA (or anyone) put on a model's item stays."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import LisaDesktopError
from engine.jobs.runner import JobRunner
from engine.sandbox.catalog import CATALOG
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_update
from tests.engine.jobs.sandbox_world import FAST, sandbox_on_skipping_clock, world_on

UPDATABLE = [m.model_id for m in CATALOG if m.status in (ModelStatus.IN_SERVICE, ModelStatus.STOPPED)]
OWN = {"model_config", "model_description", "last_modified_date"}


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=0.3, warmup_seconds=0.2) as running:
        yield running


@pytest.mark.parametrize("model_id", UPDATABLE)
def test_a_description_update_leaves_every_other_attribute_as_it_was(sandbox: Sandbox, model_id: str) -> None:
    aws = world_on(sandbox).aws
    table = sandbox.client("dynamodb")
    name = aws.models.table_name
    # What LISA's own writers add to an item (its status monitor, the context-window backfill):
    table.update_item(
        TableName=name,
        Key={"model_id": {"S": model_id}},
        UpdateExpression="SET lastStatusUpdate = :t, statusReason = :r, context_window = :c",
        ExpressionAttributeValues={
            ":t": {"S": "2026-12-06T10:00:00+00:00"},
            ":r": {"S": "by LISA"},
            ":c": {"N": "8192"},
        },
    )
    before = table.get_item(TableName=name, Key={"model_id": {"S": model_id}}, ConsistentRead=True)["Item"]
    result = (
        JobRunner(1)
        .submit_update(aws, model_id, parse_update({"modelDescription": f"{model_id}, described anew"}), settings=FAST)
        .result(timeout=60)
    )
    assert result.ok, result.message
    after = table.get_item(TableName=name, Key={"model_id": {"S": model_id}}, ConsistentRead=True)["Item"]
    assert {k: v for k, v in after.items() if k not in OWN} == {k: v for k, v in before.items() if k not in OWN}
    assert after["model_description"] == {"S": f"{model_id}, described anew"}
    config_before = before["model_config"]["M"]
    config_after = after["model_config"]["M"]
    assert {k: v for k, v in config_after.items() if k != "modelDescription"} == {
        k: v for k, v in config_before.items() if k != "modelDescription"
    }


def test_a_change_that_takes_no_hold_is_refused_while_a_job_holds_the_model(sandbox: Sandbox) -> None:
    """LISA's monitor can flip a held model back to InService; a second change must still wait for the first."""
    aws = world_on(sandbox).aws
    model_id = UPDATABLE[0]
    aws.models.transition_status(
        model_id, aws.models.get(model_id).model_status, ModelStatus.IN_SERVICE, {"lisa_desktop_job": "job-x (…)"}
    )
    try:
        with pytest.raises(LisaDesktopError, match="InService but held by job job-x"):
            JobRunner(1).submit_update(
                aws, model_id, parse_update({"modelDescription": "second writer"}), settings=FAST
            ).result(timeout=60)
    finally:
        aws.models.transition_status(
            model_id, ModelStatus.IN_SERVICE, ModelStatus.IN_SERVICE, remove_attributes=("lisa_desktop_job",)
        )
