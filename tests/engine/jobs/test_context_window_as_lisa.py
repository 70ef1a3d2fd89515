"""`context_window` as LISA writes it, on the sandbox: its EnrichContextWindow after a create (the environment,
else the models bucket's config.json for a hosted model, LiteLLM's `max_input_tokens` for any other) and its
UpdateModel whenever the request carries a container environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.jobs.runner import JobRunner
from engine.sandbox.catalog import hosted, third_party
from engine.sandbox.seed import MODELS_BUCKET
from engine.sandbox.server import Sandbox
from engine.schema.validate import parse_update
from tests.engine.jobs.sandbox_world import FAST, World
from tests.engine.jobs.test_create_job import create

QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _hosted(model_id: str, **environment: str) -> dict[str, Any]:
    return hosted(model_id, QWEN, container="vllm", instance_type="g5.xlarge", description="d", environment=environment)


@pytest.fixture
def models_bucket(sandbox: Sandbox) -> Iterator[Callable[[str, Any], None]]:
    """LISA's models bucket with config.json files in it; gone with the test (moto keeps bucket names)."""
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=MODELS_BUCKET)

    def holds(key: str, body: Any) -> None:
        s3.put_object(Bucket=MODELS_BUCKET, Key=key, Body=json.dumps(body).encode())

    yield holds
    for found in s3.list_objects_v2(Bucket=MODELS_BUCKET).get("Contents", ()):
        s3.delete_object(Bucket=MODELS_BUCKET, Key=found["Key"])
    s3.delete_bucket(Bucket=MODELS_BUCKET)


def _window(world: World, model_id: str) -> Any:
    return world.aws.models.get(model_id).to_item().get("context_window", "absent")


def _update(world: World, runner: JobRunner, model_id: str, change: dict[str, Any]) -> None:
    handle = runner.submit_update(
        world.aws, model_id, parse_update(change), ack_restart=True, settings=FAST, model_warmup_cap_s=0.5
    )
    result = handle.result(timeout=120)
    assert result.ok, result.message


# -- create -------------------------------------------------------------------------------------------------------


def test_a_hosted_create_without_the_variables_takes_max_position_embeddings_from_the_models_bucket(
    world: World, runner: JobRunner, models_bucket: Callable[[str, Any], None]
) -> None:
    models_bucket(f"{QWEN}/config.json", {"max_position_embeddings": 131072, "hidden_size": 3584})
    assert create(world, runner, _hosted("cw-bucket")).ok
    assert _window(world, "cw-bucket") == 131072


def test_a_hosted_create_with_no_config_json_in_the_bucket_records_no_context_window(
    world: World, runner: JobRunner
) -> None:
    """The sandbox's models bucket does not exist: LISA reads where it would be and, as for a missing key, goes on
    without a value (no `context_window`, not 0: 0 is what the deploy-time backfill writes)."""
    result = create(world, runner, _hosted("cw-no-bucket"))
    assert result.ok, result.message
    assert _window(world, "cw-no-bucket") == "absent"
    assert any("no context window recorded" in event.message for event in world.events)


def test_a_hosted_create_takes_the_environment_first_even_zero_and_a_non_integer_stops_there(
    world: World, runner: JobRunner, models_bucket: Callable[[str, Any], None]
) -> None:
    models_bucket(f"{QWEN}/config.json", {"max_position_embeddings": 131072})
    assert create(world, runner, _hosted("cw-zero", VLLM_MAX_MODEL_LEN="0", MAX_TOTAL_TOKENS="8192")).ok
    assert _window(world, "cw-zero") == 0  # "0" is a value LISA stores
    assert create(world, runner, _hosted("cw-total", MAX_TOTAL_TOKENS=" 8192 ")).ok
    assert _window(world, "cw-total") == 8192  # int(" 8192 "), as LISA parses it
    assert create(world, runner, _hosted("cw-lots", VLLM_MAX_MODEL_LEN="lots")).ok
    assert _window(world, "cw-lots") == "absent"  # LISA logs the parse error and does not read the bucket


def test_a_third_party_create_takes_max_input_tokens_from_litellm(
    world: World, runner: JobRunner, sandbox: Sandbox
) -> None:
    sandbox.litellm.knows_model("bedrock/amazon.nova-pro-v1:0", 300000)
    known = third_party("cw-nova", "bedrock/amazon.nova-pro-v1:0", description="Nova Pro")
    assert create(world, runner, known).ok
    assert _window(world, "cw-nova") == 300000
    unknown = third_party("cw-unknown", "bedrock/amazon.unknown-v1:0", description="LiteLLM has no map entry")
    assert create(world, runner, unknown).ok
    assert _window(world, "cw-unknown") == "absent"


# -- update -------------------------------------------------------------------------------------------------------


def test_an_update_carrying_an_environment_sets_or_removes_it_as_lisa(world: World, runner: JobRunner) -> None:
    assert create(world, runner, _hosted("cw-upd", VLLM_MAX_MODEL_LEN="4096", A="1")).ok
    assert _window(world, "cw-upd") == 4096
    _update(world, runner, "cw-upd", {"containerConfig": {"environment": {"VLLM_MAX_MODEL_LEN": "0"}}})
    assert _window(world, "cw-upd") == 0
    # LISA's context-window route (or its backfill) set an override; an update carrying the environment as it is
    # (nothing else changes) still writes what LISA's UpdateModel derives from it
    world.sandbox.client("dynamodb").update_item(
        TableName=world.sandbox.table_name,
        Key={"model_id": {"S": "cw-upd"}},
        UpdateExpression="SET context_window = :c",
        ExpressionAttributeValues={":c": {"N": "777"}},
    )
    _update(world, runner, "cw-upd", {"containerConfig": {"environment": {"VLLM_MAX_MODEL_LEN": "0"}}})
    assert _window(world, "cw-upd") == 0
    # an update without an environment leaves an override alone
    _update(world, runner, "cw-upd", {"modelDescription": "described"})
    assert _window(world, "cw-upd") == 0
    _update(world, runner, "cw-upd", {"containerConfig": {"environment": {"A": "2"}}})
    assert _window(world, "cw-upd") == 0  # the stored environment still says VLLM_MAX_MODEL_LEN=0
    removal = {"containerConfig": {"environment": {"VLLM_MAX_MODEL_LEN": "LISA_MARKED_FOR_DELETION"}}}
    _update(world, runner, "cw-upd", removal)
    assert _window(world, "cw-upd") == "absent"
