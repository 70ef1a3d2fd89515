"""A LISA deploy runs two writers of its own: the LiteLLM sync (`litellm_id` of InService models that have none)
and the context-window backfill (`context_window`). Both write unconditionally, also while a console job holds the
model. What they write must outlive the job, the job's own change must land, and the sync must never register a
model the console stopped nor a second entry of a model the console started."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.aws.models_table import HOLDER_ATTRIBUTE
from engine.jobs.events import JobEvent, StepState
from engine.jobs.runner import JobRunner
from engine.sandbox.lisa_actors import LisaActors
from engine.sandbox.seed import MODELS_BUCKET
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_update
from tests.engine.jobs.consistency import check_model, pool
from tests.engine.jobs.sandbox_world import FAST, world_on

MODEL = "m-00"
MAX_POSITION_EMBEDDINGS = 32768
"""In the model's config.json in the models bucket: what the backfill writes (its environment says 4096)."""


def _sandbox(status: ModelStatus) -> Sandbox:
    return Sandbox(
        ambient=False, rollout_seconds=0.3, warmup_seconds=0.2, monitor_delay_s=0.1, models=pool("m", 1, status)
    )


@pytest.fixture
def in_service() -> Iterator[Sandbox]:
    with _sandbox(ModelStatus.IN_SERVICE) as sandbox:
        yield sandbox


@pytest.fixture
def stopped() -> Iterator[Sandbox]:
    with _sandbox(ModelStatus.STOPPED) as sandbox:
        yield sandbox


class AtEvent:
    """Runs `act` once, on the job's thread, at the first event of `step` in `state`: what LISA writes then lands
    between the job's reads and its final write."""

    def __init__(self, step: str, state: StepState, act: Callable[[], None]) -> None:
        self.step, self.state, self.act = step, state, act
        self.fired = False

    def __call__(self, event: JobEvent) -> None:
        if not self.fired and event.step == self.step and event.state is self.state:
            self.fired = True
            self.act()


@pytest.fixture
def models_bucket(in_service: Sandbox) -> Iterator[Callable[[str, int], None]]:
    """Puts a model's config.json in LISA's models bucket; the bucket goes with the test (moto remembers a bucket
    name's account across sandboxes, and a later sandbox in that account would loop looking for it)."""
    s3 = in_service.client("s3")
    s3.create_bucket(Bucket=MODELS_BUCKET)

    def says(model_name: str, window: int) -> None:
        body = json.dumps({"max_position_embeddings": window}).encode()
        s3.put_object(Bucket=MODELS_BUCKET, Key=f"{model_name}/config.json", Body=body)

    yield says
    for found in s3.list_objects_v2(Bucket=MODELS_BUCKET).get("Contents", ()):
        s3.delete_object(Bucket=MODELS_BUCKET, Key=found["Key"])
    s3.delete_bucket(Bucket=MODELS_BUCKET)


def _lisa_writes(sandbox: Sandbox, actors: LisaActors) -> Callable[[], None]:
    """A LISA deploy (the sync and the backfill) and a status-monitor write, all at once."""
    monitor = actors.monitor
    assert monitor is not None
    group = sandbox.resources(MODEL).auto_scaling_group

    def write() -> None:
        actors.redeploy(backfill=True)
        monitor.observe(group)

    return write


def _update(sandbox: Sandbox, change: dict[str, Any], *listeners: AtEvent) -> None:
    runner = JobRunner(1)
    try:
        result = runner.submit_update(
            world_on(sandbox).aws,
            MODEL,
            parse_update(change),
            settings=FAST,
            listeners=tuple(listeners),
            model_warmup_cap_s=0.2,
        ).result(timeout=120)
    finally:
        runner.shutdown()
    assert all(listener.fired for listener in listeners)
    assert result.ok, result.message


def _item(sandbox: Sandbox) -> dict[str, Any]:
    return world_on(sandbox).aws.models.get(MODEL).to_item()


def _entries(sandbox: Sandbox) -> list[str]:
    return sandbox.litellm.ids_for(MODEL)


# -- (a) what LISA writes during a job survives it ---------------------------------------------------------------


def test_context_window_and_status_update_written_during_a_held_update_survive_it(
    in_service: Sandbox, models_bucket: Callable[[str, int], None]
) -> None:
    sandbox = in_service
    models_bucket(world_on(sandbox).aws.models.get(MODEL).config["modelName"], MAX_POSITION_EMBEDDINGS)
    actors = LisaActors.of(sandbox)
    lisa = AtEvent("intake", StepState.SUCCEEDED, _lisa_writes(sandbox, actors))
    change = {"modelDescription": "described during a LISA deploy", "autoScalingInstanceConfig": {"desiredCapacity": 2}}
    _update(sandbox, change, lisa)
    assert actors.deploys[0].backfill is not None
    assert actors.deploys[0].backfill.enriched == {MODEL: MAX_POSITION_EMBEDDINGS}
    item = _item(sandbox)
    assert item["context_window"] == MAX_POSITION_EMBEDDINGS
    assert "lastStatusUpdate" in item and item["statusReason"].startswith("Auto Scaling completed")
    assert item["model_description"] == "described during a LISA deploy"
    assert item["model_config"]["autoScalingConfig"]["desiredCapacity"] == 2
    assert item["model_status"] == ModelStatus.IN_SERVICE
    assert HOLDER_ATTRIBUTE not in item
    assert check_model(sandbox, MODEL).problems == []


def test_context_window_written_between_the_read_and_the_write_of_a_description_update_survives_it(
    in_service: Sandbox,
) -> None:
    """A description change takes no hold: one conditional write of what the job read at validation."""
    sandbox = in_service
    actors = LisaActors.of(sandbox)
    lisa = AtEvent("validate", StepState.SUCCEEDED, _lisa_writes(sandbox, actors))
    _update(sandbox, {"modelDescription": "described anew"}, lisa)
    item = _item(sandbox)
    assert item["context_window"] == 0  # no config.json in the bucket, and LiteLLM knows no max_input_tokens
    assert "lastStatusUpdate" in item
    assert item["model_description"] == "described anew"
    assert check_model(sandbox, MODEL).problems == []


def test_a_litellm_id_the_sync_writes_during_a_start_is_the_only_entry_left(stopped: Sandbox) -> None:
    """The monitor marks the starting model InService once an instance runs; a deploy then registers it (no
    `litellm_id` yet). The console's start goes on to register it too: one entry must be left, the record's."""
    sandbox = stopped
    actors = LisaActors.of(sandbox)
    monitor = actors.monitor
    assert monitor is not None
    group = sandbox.resources(MODEL).auto_scaling_group
    seen: list[str] = []

    def monitor_then_deploy() -> None:
        # In this order, as in the scenario: the sync registers only a model the monitor already marked InService.
        monitor.observe(group)
        seen.append(world_on(sandbox).aws.models.get(MODEL).to_item()["model_status"])
        actors.redeploy()

    _update(sandbox, {"enabled": True}, AtEvent("litellm", StepState.STARTED, monitor_then_deploy))
    assert seen == [ModelStatus.IN_SERVICE]
    assert list(actors.deploys[0].sync.synced) == [MODEL]
    item = _item(sandbox)
    assert item["model_status"] == ModelStatus.IN_SERVICE
    assert _entries(sandbox) == [item["litellm_id"]]
    assert check_model(sandbox, MODEL).problems == []


# -- (b) the sync after a console stop or start ---------------------------------------------------------------------


def test_the_sync_does_not_register_a_model_the_console_stopped(in_service: Sandbox) -> None:
    sandbox = in_service
    _update(sandbox, {"enabled": False})
    item = _item(sandbox)
    assert item["model_status"] == ModelStatus.STOPPED and item.get("litellm_id") is None
    actors = LisaActors.of(sandbox)
    for force in (False, True):
        deploy = actors.redeploy(force=force)
        assert MODEL not in deploy.sync.synced and MODEL not in deploy.sync.skipped
    assert _entries(sandbox) == []
    assert _item(sandbox).get("litellm_id") is None
    assert check_model(sandbox, MODEL).problems == []


def test_the_sync_during_a_stop_leaves_nothing_registered(in_service: Sandbox) -> None:
    """LISA's monitor may still say InService (an instance runs) after the console unregistered the model."""
    sandbox = in_service
    actors = LisaActors.of(sandbox)
    lisa = AtEvent("capacity", StepState.STARTED, _lisa_writes(sandbox, actors))
    _update(sandbox, {"enabled": False}, lisa)
    assert actors.deploys[0].sync.synced == {}
    assert _item(sandbox)["model_status"] == ModelStatus.STOPPED
    assert _entries(sandbox) == []
    assert check_model(sandbox, MODEL).problems == []


def test_the_sync_does_not_register_a_second_entry_of_a_model_the_console_started(stopped: Sandbox) -> None:
    sandbox = stopped
    _update(sandbox, {"enabled": True})
    registered = _item(sandbox)["litellm_id"]
    assert _entries(sandbox) == [registered]
    actors = LisaActors.of(sandbox)
    assert MODEL in actors.redeploy().sync.already_synced
    assert MODEL in actors.redeploy(force=True).sync.skipped  # LiteLLM already has the name
    assert _entries(sandbox) == [registered]
    assert _item(sandbox)["litellm_id"] == registered
    assert check_model(sandbox, MODEL).problems == []


def test_schedule_metadata_lisa_writes_inside_model_config_during_an_update_survives_it(in_service: Sandbox) -> None:
    """LISA's schedule management writes `model_config.autoScalingConfig.scheduling.*` with its own UpdateItem: the
    job writes only the keys of `model_config` it changed, so what LISA put there meanwhile stays."""
    sandbox = in_service
    dynamodb = sandbox.client("dynamodb")

    def lisa_schedules() -> None:
        dynamodb.update_item(
            TableName=sandbox.table_name,
            Key={"model_id": {"S": MODEL}},
            UpdateExpression="SET model_config.autoScalingConfig.scheduling = :s",
            ExpressionAttributeValues={
                ":s": {
                    "M": {
                        "scheduleType": {"S": "RECURRING"},
                        "timezone": {"S": "UTC"},
                        "recurringSchedule": {"M": {"startTime": {"S": "08:00"}, "stopTime": {"S": "18:00"}}},
                        "scheduleEnabled": {"BOOL": True},
                    }
                }
            },
        )

    change = {"modelDescription": "kept apart", "streaming": False, "autoScalingInstanceConfig": {"maxCapacity": 3}}
    _update(sandbox, change, AtEvent("intake", StepState.SUCCEEDED, lisa_schedules))
    config = _item(sandbox)["model_config"]
    assert config["autoScalingConfig"]["scheduling"]["scheduleEnabled"] is True
    assert config["autoScalingConfig"]["maxCapacity"] == 3
    assert (config["modelDescription"], config["streaming"]) == ("kept apart", False)
    assert check_model(sandbox, MODEL).problems == []
