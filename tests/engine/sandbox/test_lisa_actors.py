"""The custom resources a LISA deploy runs, as the sandbox plays them: the LiteLLM sync and the context-window
backfill (LISA's `litellm_model_sync.py` and `model_context_window_backfill.py`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from engine.sandbox.catalog import CatalogModel, third_party
from engine.sandbox.lisa_actors import LisaActors
from engine.sandbox.seed import MODELS_BUCKET
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from tests.engine.jobs.consistency import pool
from tests.waiting import wait_for

THIRD_PARTY = "tp-00"
HOSTED = "m-00"
STOPPED = "s-00"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    models = [
        *pool("m", 2, ModelStatus.IN_SERVICE),
        *pool("s", 1, ModelStatus.STOPPED),
        CatalogModel(
            config=third_party(THIRD_PARTY, "bedrock/amazon.nova-pro-v1:0", description="third party"),
            status=ModelStatus.IN_SERVICE,
            stack="none",
        ),
    ]
    with Sandbox(ambient=False, tick_seconds=0.05, models=models) as running:
        yield running


def _item(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    raw = sandbox.client("dynamodb").get_item(
        TableName=sandbox.table_name, Key={"model_id": {"S": model_id}}, ConsistentRead=True
    )["Item"]
    return {key: TypeDeserializer().deserialize(value) for key, value in raw.items()}


def _forget_registration(sandbox: Sandbox, model_id: str) -> None:
    """The record loses its `litellm_id` and LiteLLM its entry (a model registered before LISA stored ids)."""
    sandbox.litellm.remove(_item(sandbox, model_id)["litellm_id"])
    sandbox.client("dynamodb").update_item(
        TableName=sandbox.table_name, Key={"model_id": {"S": model_id}}, UpdateExpression="REMOVE litellm_id"
    )


def test_the_sync_registers_in_service_models_without_litellm_id_as_lisa_does(sandbox: Sandbox) -> None:
    for model_id in (HOSTED, THIRD_PARTY):
        _forget_registration(sandbox, model_id)
    before = _item(sandbox, HOSTED)["last_modified_date"]
    report = LisaActors.of(sandbox).redeploy().sync
    assert sorted(report.synced) == [HOSTED, THIRD_PARTY]
    assert report.already_synced == ["m-01"] and report.skipped == [] and report.failed == {}
    hosted = _item(sandbox, HOSTED)
    assert hosted["last_modified_date"] > before
    entry = sandbox.litellm.get(hosted["litellm_id"])
    assert entry is not None and entry.model_name == HOSTED
    name = hosted["model_config"]["modelName"]
    assert entry.litellm_params == {
        "drop_params": True,
        "model": f"hosted_vllm/{name}",
        "api_base": hosted["model_url"],
    }
    third = sandbox.litellm.get(_item(sandbox, THIRD_PARTY)["litellm_id"])
    assert third is not None
    assert third.litellm_params == {"drop_params": True, "model": "bedrock/amazon.nova-pro-v1:0"}
    assert sandbox.litellm.ids_for(STOPPED) == []
    assert _item(sandbox, STOPPED).get("litellm_id") is None


def test_the_sync_skips_a_model_litellm_already_lists_by_name(sandbox: Sandbox) -> None:
    """LISA checks LiteLLM's names, not its ids: the record keeps no `litellm_id`, and nothing is registered."""
    sandbox.client("dynamodb").update_item(
        TableName=sandbox.table_name, Key={"model_id": {"S": HOSTED}}, UpdateExpression="REMOVE litellm_id"
    )
    report = LisaActors.of(sandbox).redeploy().sync
    assert report.skipped == [HOSTED] and report.synced == {}
    assert len(sandbox.litellm.ids_for(HOSTED)) == 1
    assert "litellm_id" not in _item(sandbox, HOSTED)


def test_a_forced_sync_after_litellm_lost_its_models_registers_every_in_service_model_again(
    sandbox: Sandbox,
) -> None:
    sandbox.litellm.clear()  # LiteLLM's database was created anew; the records still name the old ids
    actors = LisaActors.of(sandbox)
    assert actors.redeploy().sync.synced == {}  # every InService record has a litellm_id: nothing to do
    report = actors.redeploy(force=True).sync
    assert sorted(report.synced) == [HOSTED, "m-01", THIRD_PARTY]
    for model_id, litellm_id in report.synced.items():
        assert sandbox.litellm.ids_for(model_id) == [litellm_id] == [_item(sandbox, model_id)["litellm_id"]]
    assert sandbox.litellm.ids_for(STOPPED) == []


def test_the_backfill_writes_a_context_window_to_every_record_without_one(sandbox: Sandbox) -> None:
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=MODELS_BUCKET)
    name = _item(sandbox, HOSTED)["model_config"]["modelName"]
    s3.put_object(Bucket=MODELS_BUCKET, Key=f"{name}/config.json", Body=json.dumps({"max_position_embeddings": 7}))
    sandbox.client("dynamodb").update_item(
        TableName=sandbox.table_name,
        Key={"model_id": {"S": "m-01"}},
        UpdateExpression="SET context_window = :c",
        ExpressionAttributeValues={":c": {"N": "123"}},
    )
    try:
        report = LisaActors.of(sandbox).redeploy(backfill=True).backfill
    finally:
        for found in s3.list_objects_v2(Bucket=MODELS_BUCKET).get("Contents", ()):
            s3.delete_object(Bucket=MODELS_BUCKET, Key=found["Key"])
        s3.delete_bucket(Bucket=MODELS_BUCKET)
    assert report is not None
    # All three pool models share one modelName; the third-party one: LiteLLM tells no max_input_tokens.
    assert report.enriched == {HOSTED: 7, STOPPED: 7, THIRD_PARTY: 0}
    assert report.skipped == ["m-01"] and report.failed == {}
    assert _item(sandbox, HOSTED)["context_window"] == 7
    assert _item(sandbox, "m-01")["context_window"] == 123


def test_a_deploy_without_the_backfill_leaves_context_window_alone(sandbox: Sandbox) -> None:
    deploy = LisaActors.of(sandbox).redeploy()
    assert deploy.backfill is None
    assert "context_window" not in _item(sandbox, HOSTED)


def test_deploys_every_few_seconds_on_the_simulator_run_the_backfill_once(sandbox: Sandbox) -> None:
    actors = LisaActors.of(sandbox)
    actors.redeploy_every(0.1)
    assert "lisa deploy" in sandbox.simulator.pending_actions()
    wait_for(lambda: len(actors.deploys) >= 3, what="three LISA deploys")
    assert actors.deploys[0].backfill is not None
    assert [deploy.backfill for deploy in actors.deploys[1:]] == [None] * (len(actors.deploys) - 1)
    assert _item(sandbox, HOSTED)["context_window"] == 0  # no models bucket in the sandbox
