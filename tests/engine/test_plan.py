"""plan(): the diff, the steps, the outage flag and every violation, without touching anything."""

from __future__ import annotations

import copy

import pytest

from engine.plan import Step, plan
from engine.rules.status import Operation
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_update
from tests.engine.factories import hosted_config, record, third_party_config


def test_container_and_capacity_change_on_a_running_model() -> None:
    model = record(hosted_config())
    before = copy.deepcopy(model.to_item())
    update = parse_update(
        {
            "containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192", "OLD_FLAG": "LISA_MARKED_FOR_DELETION"}},
            "autoScalingInstanceConfig": {"minCapacity": 2},
        }
    )
    result = plan(model, update)
    assert result.ok
    assert [c.describe() for c in result.changes] == [
        "autoScalingInstanceConfig.minCapacity: 1 → 2",
        "autoScalingInstanceConfig.desiredCapacity: 1 → 2",
        "containerConfig.environment.MAX_TOTAL_TOKENS: '4096' → '8192'",
        "containerConfig.environment.OLD_FLAG: '1' → (removed)",
    ]
    assert result.changes[1].derived
    assert result.steps == (Step.INTAKE, Step.ECS, Step.CAPACITY, Step.FINALIZE)
    assert result.requires_ack
    assert result.restarts_containers
    assert [str(c) for c in result.categories] == ["Auto-scaling", "Container"]
    assert result.new_config["containerConfig"]["environment"] == {"MAX_TOTAL_TOKENS": "8192"}
    assert result.new_config["autoScalingConfig"]["minCapacity"] == 2
    assert result.transitional_status is ModelStatus.UPDATING
    assert model.to_item() == before, "plan must not modify the record"


def test_health_check_change_lands_in_the_nested_stored_shape() -> None:
    update = parse_update({"containerConfig": {"healthCheckCommand": ["CMD", "true"], "healthCheckRetries": 9}})
    new = plan(record(hosted_config()), update).new_config["containerConfig"]["healthCheckConfig"]
    assert new["command"] == ["CMD", "true"]
    assert new["retries"] == 9
    assert new["interval"] == 10


@pytest.mark.parametrize("status", ["Creating", "Failed", "Updating", "Deleting", "Starting", "Stopping"])
def test_update_outside_in_service_or_stopped_is_a_violation(status: str) -> None:
    result = plan(record(hosted_config(), status), parse_update({"modelDescription": "x"}))
    assert [p.field for p in result.violations] == ["status"]
    assert f"while it is {status}" in result.violations[0].rule


def test_desired_above_stored_max_is_a_violation() -> None:
    result = plan(record(hosted_config()), parse_update({"autoScalingInstanceConfig": {"desiredCapacity": 5}}))
    assert [(p.field, p.rule) for p in result.violations] == [
        ("autoScalingInstanceConfig.desiredCapacity", "must not exceed maxCapacity after the update (5 > 3)")
    ]


def test_min_above_stored_max_is_a_violation_naming_the_given_field() -> None:
    result = plan(record(hosted_config()), parse_update({"autoScalingInstanceConfig": {"minCapacity": 4}}))
    assert [p.field for p in result.violations] == ["autoScalingInstanceConfig.minCapacity"]
    result = plan(
        record(hosted_config()), parse_update({"autoScalingInstanceConfig": {"maxCapacity": 1, "desiredCapacity": 1}})
    )
    assert result.ok
    result = plan(record(hosted_config(), "InService"), parse_update({"autoScalingInstanceConfig": {"cooldown": 1}}))
    assert result.ok


def test_third_party_autoscaling_is_a_violation_naming_the_rule() -> None:
    result = plan(record(third_party_config()), parse_update({"autoScalingInstanceConfig": {"minCapacity": 1}}))
    assert [p.field for p in result.violations] == ["autoScalingInstanceConfig.minCapacity"]
    assert "Min capacity cannot be changed on a third_party model" in result.violations[0].rule


def test_container_change_on_a_stopped_model_is_kept_for_the_next_start() -> None:
    model = record(hosted_config(), "Stopped")
    result = plan(model, parse_update({"containerConfig": {"sharedMemorySize": 4096}}))
    assert result.ok
    assert result.steps == (Step.METADATA,)
    assert not result.restarts_containers
    assert result.deferred == ("containerConfig: saved now, applied to the ECS service at the next start",)
    assert result.new_config["containerConfig"]["sharedMemorySize"] == 4096


def test_capacity_change_on_a_stopped_model_is_stored_for_the_next_start() -> None:
    result = plan(record(hosted_config(), "Stopped"), parse_update({"autoScalingInstanceConfig": {"maxCapacity": 5}}))
    assert result.ok
    assert result.steps == (Step.METADATA,)
    assert "next start" in result.deferred[0]


def test_start_and_stop() -> None:
    start = plan(record(hosted_config(), "Stopped"), parse_update({"enabled": True}))
    assert start.operation is Operation.START
    assert start.ok
    assert start.steps == (Step.INTAKE, Step.CAPACITY, Step.LITELLM_REGISTER, Step.FINALIZE)
    assert start.transitional_status is ModelStatus.STARTING
    stop = plan(record(hosted_config()), parse_update({"enabled": False}))
    assert stop.operation is Operation.STOP
    assert stop.interrupts_service
    assert not stop.requires_ack
    assert stop.transitional_status is ModelStatus.STOPPING
    again = plan(record(hosted_config()), parse_update({"enabled": True}))
    assert [p.field for p in again.violations] == ["status"]
    assert not again.changes


def test_update_that_changes_nothing_is_a_noop() -> None:
    result = plan(record(hosted_config()), parse_update({"modelDescription": "old description", "streaming": True}))
    assert result.ok
    assert result.is_noop
    assert result.steps == ()


def test_model_type_is_not_an_update_capability_and_an_empty_guardrails_map_changes_nothing() -> None:
    result = plan(
        record(third_party_config()),
        parse_update({"modelType": "imagegen", "guardrailsConfig": {}}),
    )
    assert [p.field for p in result.violations] == ["modelType"]
    assert result.guardrails == ()


def test_streaming_on_a_stored_embedding_model_is_a_violation() -> None:
    model = record(third_party_config(modelType="embedding", streaming=False, features=[]))
    result = plan(model, parse_update({"streaming": True}))
    assert [p.field for p in result.violations] == ["streaming"]


def test_plan_as_json_carries_everything_the_cli_prints() -> None:
    data = plan(record(hosted_config()), parse_update({"containerConfig": {"sharedMemorySize": 1}})).to_dict()
    assert data["requiresAcknowledgement"] is True
    assert data["steps"] == ["intake", "ecs", "finalize"]
    assert data["changes"][0]["impact"] == "ECS restart required"
