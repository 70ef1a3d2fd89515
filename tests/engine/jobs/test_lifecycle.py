"""Start and stop of a LISA-hosted model against the sandbox: capacity, warm-up, LiteLLM, and the clean-ups."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from engine.aws.autoscaling import AutoScalingGateway, ScalingGroup
from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.aws.errors import LiteLLMError
from engine.aws.litellm import LiteLLMClient
from engine.errors import InvalidInput
from engine.jobs.context import Gateways, JobCancelled, JobContext, JobSettings
from engine.jobs.events import JobEvent, StepState
from engine.jobs.lifecycle import (
    start_model,
    stop_model,
    stored_capacity,
    unregister,
    wait_model_warmup,
)
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord

LLAMA = "llama3-8b-tgi"
BGE = "bge-large-en"


# -- helpers -----------------------------------------------------------------------------------------------------


def new_sandbox(**options: Any) -> Sandbox:
    return Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=1.0, tick_seconds=0.05, **options)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with new_sandbox() as running:
        yield running


def gateways_for(sandbox: Sandbox) -> Gateways:
    clients = AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)
    return Gateways.for_deployment(clients, discover_deployment(clients, sandbox.prefix))


def context(
    gateways: Gateways,
    model_id: str,
    *,
    emit: Callable[[JobEvent], None] | None = None,
    **settings: Any,
) -> tuple[JobContext, list[JobEvent]]:
    events: list[JobEvent] = []

    def record(event: JobEvent) -> None:
        events.append(event)
        if emit is not None:
            emit(event)

    options: dict[str, Any] = {"poll_initial_s": 0.2, "poll_max_s": 1.0, **settings}
    return JobContext("job-1", model_id, gateways, JobSettings(**options), emit=record), events


def sizes(found: ScalingGroup | None) -> tuple[int, int, int]:
    assert found is not None
    return found.min_size, found.max_size, found.desired_capacity


def group_now(gateways: Gateways, record: ModelRecord) -> ScalingGroup:
    assert record.auto_scaling_group
    found = gateways.autoscaling.describe_one(record.auto_scaling_group)
    assert found is not None
    return found


def record_with(config: Mapping[str, Any], **fields: Any) -> ModelRecord:
    return ModelRecord(model_id="m", model_status=ModelStatus.STOPPED, config=dict(config), **fields)


def steps(events: list[JobEvent]) -> list[tuple[str, StepState]]:
    return [(e.step, e.state) for e in events]


# -- offline -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scaling", "expected"),
    [
        ({"minCapacity": 1, "maxCapacity": 2}, (1, 2, 1)),
        ({"minCapacity": 1, "maxCapacity": 3, "desiredCapacity": 2}, (1, 3, 2)),
        ({"minCapacity": 1, "maxCapacity": 2, "desiredCapacity": 5}, (1, 2, 2)),
        ({"minCapacity": 2, "maxCapacity": 4, "desiredCapacity": 0}, (2, 4, 2)),
        ({"minCapacity": 0, "maxCapacity": 1}, (0, 1, 0)),
    ],
)
def test_start_capacity_comes_from_the_stored_autoscaling_config(
    scaling: dict[str, int], expected: tuple[int, int, int]
) -> None:
    assert stored_capacity(record_with({"autoScalingConfig": scaling})) == expected


def test_a_record_without_stored_min_max_cannot_start() -> None:
    with pytest.raises(InvalidInput) as raised:
        stored_capacity(record_with({"autoScalingConfig": {"maxCapacity": 2}}))
    assert [p.field for p in raised.value.problems] == ["autoScalingConfig.minCapacity"]


def test_a_model_without_a_group_cannot_start() -> None:
    record = record_with({"autoScalingConfig": {"minCapacity": 1, "maxCapacity": 1}})
    events: list[JobEvent] = []
    aws: Any = None  # nothing may be called
    ctx = JobContext("job-1", "m", aws, JobSettings(), emit=events.append)
    with pytest.raises(InvalidInput) as raised:
        start_model(ctx, record, warmup_s=0)
    assert [p.field for p in raised.value.problems] == ["auto_scaling_group"]
    assert events == []


def test_warmup_wait_reports_and_can_be_cancelled() -> None:
    events: list[JobEvent] = []
    aws: Any = None
    ctx = JobContext("job-1", "m", aws, JobSettings(), emit=events.append)
    wait_model_warmup(ctx, 0.05)
    assert steps(events) == [("capacity", StepState.STARTED), ("capacity", StepState.SUCCEEDED)]
    assert events[0].data == {"seconds": 0.05}

    events.clear()
    wait_model_warmup(ctx, 0)
    assert steps(events) == [("capacity", StepState.SKIPPED)]

    timer = threading.Timer(0.1, ctx.cancelled.set)
    timer.start()
    with pytest.raises(JobCancelled):
        wait_model_warmup(ctx, 30)
    timer.join()


# -- start -------------------------------------------------------------------------------------------------------


def test_start_model_brings_capacity_back_then_registers(sandbox: Sandbox) -> None:
    gateways = gateways_for(sandbox)
    record = gateways.models.get(LLAMA)
    assert record.litellm_id is None
    assert sandbox.litellm.ids_for(LLAMA) == []
    ctx, events = context(gateways, LLAMA)

    outcome = start_model(ctx, record, warmup_s=0.2)

    assert outcome.failure is None
    assert outcome.succeeded
    assert outcome.litellm_id is not None
    assert outcome.group is not None
    assert sizes(outcome.group) == (1, 2, 1)  # the stored min/max; desired = min (none stored)
    assert outcome.group.healthy_in_service_count == 1
    assert group_now(gateways, record).healthy_in_service_count == 1
    entry = sandbox.litellm.get(outcome.litellm_id)
    assert entry is not None
    assert entry.model_name == LLAMA
    assert entry.litellm_params == {
        "drop_params": True,
        "model": "openai/meta-llama/Meta-Llama-3-8B-Instruct",
        "api_base": record.model_url,
    }
    assert record.model_url == "http://lisa-llama3-8b-tgi-1.us-east-1.elb.amazonaws.com/v1"
    # capacity healthy → warm-up → LiteLLM, in that order
    assert [s for s in steps(events) if s[1] is not StepState.PROGRESS] == [
        ("capacity", StepState.STARTED),
        ("capacity", StepState.SUCCEEDED),
        ("capacity", StepState.STARTED),
        ("capacity", StepState.SUCCEEDED),
        ("litellm", StepState.STARTED),
        ("litellm", StepState.SUCCEEDED),
    ]
    assert "warm up" in events[[e.state for e in events].index(StepState.SUCCEEDED) + 1].message
    assert gateways.models.get(LLAMA).litellm_id is None  # the record is the orchestrator's to write


def test_start_whose_capacity_never_turns_healthy_scales_back_to_zero() -> None:
    with new_sandbox() as sandbox:
        sandbox.faults.fail_capacity.add(LLAMA)
        gateways = gateways_for(sandbox)
        record = gateways.models.get(LLAMA)
        ctx, events = context(gateways, LLAMA, capacity_deadline_s=1.5)

        outcome = start_model(ctx, record, warmup_s=0.2)

        assert outcome.failure is not None
        assert outcome.failure.startswith("0 of 1 instances healthy after 1.5 s")
        assert outcome.litellm_id is None
        assert sizes(outcome.group) == (0, 0, 0)
        assert sizes(group_now(gateways, record)) == (0, 0, 0)
        assert sandbox.litellm.ids_for(LLAMA) == []
        states = [e.state for e in events]
        assert StepState.FAILED in states
        assert states[-1] is StepState.ROLLED_BACK
        assert not [e for e in events if e.step == "litellm"]  # never registered


def test_cancel_while_capacity_comes_up_scales_back_to_zero(sandbox: Sandbox) -> None:
    gateways = gateways_for(sandbox)
    record = gateways.models.get(LLAMA)
    ctx, events = context(gateways, LLAMA)
    timer = threading.Timer(0.4, ctx.cancelled.set)  # the instance is Pending for 1 s
    timer.start()

    with pytest.raises(JobCancelled):
        start_model(ctx, record, warmup_s=0.2)
    timer.join()

    assert sizes(group_now(gateways, record)) == (0, 0, 0)
    assert sandbox.litellm.ids_for(LLAMA) == []
    assert events[-1].state is StepState.ROLLED_BACK
    assert not [e for e in events if e.step == "litellm"]


def test_cancel_during_the_model_warmup_scales_back_to_zero(sandbox: Sandbox) -> None:
    gateways = gateways_for(sandbox)
    record = gateways.models.get(LLAMA)
    cancel = threading.Event()

    def cancel_on_warmup(event: JobEvent) -> None:
        if event.state is StepState.STARTED and "warm up" in event.message:
            cancel.set()

    ctx, events = context(gateways, LLAMA, emit=cancel_on_warmup)
    ctx.cancelled = cancel

    with pytest.raises(JobCancelled):
        start_model(ctx, record, warmup_s=60)

    assert sizes(group_now(gateways, record)) == (0, 0, 0)
    assert sandbox.litellm.ids_for(LLAMA) == []
    assert [e.state for e in events if e.step == "rollback"] == [
        StepState.ROLLING_BACK,
        StepState.STARTED,
        StepState.SUCCEEDED,
        StepState.ROLLED_BACK,
    ]


class FailingRegistration(LiteLLMClient):
    def register(self, model_name: str, litellm_params: Mapping[str, Any]) -> str:
        raise LiteLLMError(500, "internal error", "register")


def test_a_failed_registration_leaves_no_instance_running(sandbox: Sandbox) -> None:
    real = gateways_for(sandbox)
    failing = FailingRegistration(real.deployment.litellm_base_url, real.deployment.management_key)
    gateways = dataclasses.replace(real, litellm=failing)
    record = gateways.models.get(LLAMA)
    ctx, _ = context(gateways, LLAMA)

    with pytest.raises(LiteLLMError):
        start_model(ctx, record, warmup_s=0)

    assert sizes(group_now(gateways, record)) == (0, 0, 0)


# -- stop --------------------------------------------------------------------------------------------------------


class WatchedAutoScaling(AutoScalingGateway):
    """Notes what the LiteLLM registry holds at the moment the group is updated."""

    def __init__(self, clients: AwsClients, look: Callable[[], Any]) -> None:
        super().__init__(clients)
        self.look = look
        self.seen_at_update: list[Any] = []

    def update(self, name: str, **kwargs: Any) -> None:
        self.seen_at_update.append(self.look())
        super().update(name, **kwargs)


def test_stop_unregisters_before_scaling_to_zero(sandbox: Sandbox) -> None:
    real = gateways_for(sandbox)
    record = real.models.get(BGE)
    litellm_id = record.litellm_id
    assert litellm_id is not None
    assert sandbox.litellm.get(litellm_id) is not None
    watched = WatchedAutoScaling(real.clients, lambda: sandbox.litellm.get(litellm_id))
    gateways = dataclasses.replace(real, autoscaling=watched)
    ctx, events = context(gateways, BGE)

    stop_model(ctx, record)

    assert watched.seen_at_update == [None]  # already unregistered when the group was changed
    assert sandbox.litellm.get(litellm_id) is None
    assert sizes(group_now(gateways, record)) == (0, 0, 0)
    assert steps(events) == [
        ("litellm", StepState.STARTED),
        ("litellm", StepState.SUCCEEDED),
        ("capacity", StepState.STARTED),
        ("capacity", StepState.SUCCEEDED),
    ]

    events.clear()
    unregister(ctx, record)  # already gone: fine
    unregister(ctx, record.model_copy(update={"litellm_id": None}))
    assert steps(events) == [
        ("litellm", StepState.STARTED),
        ("litellm", StepState.SUCCEEDED),
        ("litellm", StepState.SKIPPED),
    ]
