from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.aws.autoscaling import ScalingGroup
from engine.aws.ecs import ClusterSummary, EcsService
from engine.aws.inventory import LiveState, ModelView
from engine.aws.rows import RECENT_EVENTS, row_of
from engine.jobs.lease import hold_of
from engine.model_row import ModelRow
from tests.engine.aws.test_ecs import T0, raw_deployment, raw_service
from tests.engine.factories import hosted_config, record, third_party_config

GROUP = ScalingGroup.from_response(
    {
        "AutoScalingGroupName": "m-asg",
        "MinSize": 2,
        "MaxSize": 5,
        "DesiredCapacity": 3,
        "Instances": [
            {"InstanceId": "i-1", "LifecycleState": "InService", "HealthStatus": "Healthy"},
            {"InstanceId": "i-2", "LifecycleState": "Pending", "HealthStatus": "Healthy"},
            {"InstanceId": "i-3", "LifecycleState": "InService", "HealthStatus": "Healthy"},
        ],
    }
)


def service_with_events(count: int) -> EcsService:
    raw = raw_service(
        deployments=[raw_deployment(3, rollout="IN_PROGRESS", running=1), raw_deployment(2, status="ACTIVE")],
        running=2,
    )
    raw["events"] = [
        {"id": f"e{i}", "createdAt": T0 + timedelta(minutes=count - i), "message": f"event {count - i}"}
        for i in range(count)
    ]
    return EcsService.from_response(raw)


def test_a_described_hosted_model() -> None:
    model = record(hosted_config(modelId="m"), "Updating", last_modified_date=1_700_000_000_123)
    live = LiveState.build(service_with_events(15), GROUP, True)
    row = row_of(ModelView(model, live, True))
    assert (row.model_id, row.model_name, row.hosting, row.model_type, row.status) == (
        "m",
        "mistralai/Mistral-7B-Instruct-v0.2",
        "lisa_hosted",
        "textgen",
        "Updating",
    )
    assert row.instance_type == "g5.xlarge"
    assert (row.min_capacity, row.desired_capacity, row.max_capacity) == (2, 3, 5)  # the group's, not the config's
    assert (row.running_tasks, row.healthy_instances) == (2, 2)
    assert row.streaming is True
    assert row.features == ("summarization", "toolCalls")
    assert row.allowed_groups == ("everyone",)
    assert row.last_modified == 1_700_000_000_123
    assert row.live_error is None
    assert row.litellm_registered is True
    assert row.config == model.to_api()
    assert row.live is not None
    assert row.live["taskDefinitionRevision"] == 2
    assert row.live["autoScalingGroup"]["healthyInstances"] == 2
    events = row.live["events"]
    assert len(events) == RECENT_EVENTS
    assert events[0] == {"time": (T0 + timedelta(minutes=15)).isoformat(), "message": "event 15"}
    assert [d["revision"] for d in row.live["deployments"]] == [3, 2]
    assert row.live["deployments"][0] | {"updatedAt": None} == {
        "status": "PRIMARY",
        "revision": 3,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment ecs-svc/3 in_progress.",
        "desiredCount": 1,
        "runningCount": 1,
        "pendingCount": 0,
        "failedTasks": 0,
        "updatedAt": None,
    }


def test_a_summarised_model_whose_group_is_missing_shows_the_configured_bounds() -> None:
    model = record(hosted_config(modelId="m"), "InService", failure_reason=None)
    cluster = ClusterSummary("arn:cluster/m", "m", "ACTIVE", running_tasks=1, pending_tasks=1, active_services=1)
    live = LiveState.build(None, None, None, ["Auto Scaling group m-asg was not found"], cluster=cluster)
    row = row_of(ModelView(model, live, None, "LiteLLM: down"))
    assert (row.min_capacity, row.desired_capacity, row.max_capacity) == (1, 1, 3)
    assert (row.running_tasks, row.healthy_instances) == (1, None)
    assert row.live_error == "Auto Scaling group m-asg was not found"
    assert row.live is not None
    assert row.live["pendingCount"] == 1
    assert "events" not in row.live
    assert "deployments" not in row.live
    assert row.litellm_registered is None


def test_a_third_party_model() -> None:
    model = record(third_party_config(modelId="t", allowedGroups=None, features=None, streaming=False), "InService")
    row = row_of(ModelView(model, None, None, "LiteLLM: HTTP 401"))
    assert row.hosting == "third_party"
    assert row.live is None
    assert (row.min_capacity, row.max_capacity, row.running_tasks, row.instance_type) == (None, None, None, None)
    assert row.features == ()
    assert row.allowed_groups == ()
    assert row.streaming is False
    assert row.live_error == "LiteLLM: HTTP 401"


def test_rows_survive_json() -> None:
    model = record(hosted_config(modelId="m"), "InService")
    row = row_of(ModelView(model, LiveState.build(service_with_events(3), GROUP, False), False))
    again = ModelRow.from_json(json.loads(json.dumps(row.to_json())))
    assert again == row


HOLDER = "job-0a1b2c3d (arn:aws:iam::123456789012:user/ana on ana-laptop, since 2026-12-06T15:00:00Z)"


@pytest.mark.parametrize(
    ("attributes", "held_by", "heartbeat"),
    [
        ({}, None, None),
        ({"lisa_desktop_job": HOLDER, "lisa_desktop_heartbeat": 1_790_000_060_000}, HOLDER, 1_790_000_060_000),
        ({"lisa_desktop_job": HOLDER}, HOLDER, 1_700_000_000_000),  # a job without leases: its last modification
        ({"lisa_desktop_job": ""}, None, None),
    ],
    ids=["not-held", "held", "held-without-heartbeat", "empty-holder"],
)
def test_the_row_carries_the_hold_as_the_lease_reads_it(
    attributes: dict[str, object], held_by: str | None, heartbeat: int | None
) -> None:
    model = record(hosted_config(modelId="m"), "Stopping", **attributes)
    row = row_of(ModelView(model, None, None))
    assert (row.held_by, row.heartbeat) == (held_by, heartbeat)
    hold = hold_of(model)  # what a takeover will read
    read = (hold.holder, hold.heartbeat_ms) if hold is not None else (None, None)
    assert read == (held_by, heartbeat)
    assert ModelRow.from_json(json.loads(json.dumps(row.to_json()))) == row
