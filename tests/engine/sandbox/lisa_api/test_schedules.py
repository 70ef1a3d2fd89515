"""LISA's schedule routes on the sandbox: the Auto Scaling scheduled actions, the record's scheduling map, the
immediate scaling outside the window, and LISA's refusals."""

from __future__ import annotations

import pytest

from engine.schedules.timing import NOW_ENV
from tests.engine.sandbox.lisa_api.conftest import Api

RECURRING = {
    "scheduleType": "RECURRING",
    "timezone": "UTC",
    "recurringSchedule": {"startTime": "08:00", "stopTime": "18:00"},
}


def _actions(api: Api, model_id: str) -> dict[str, dict[str, object]]:
    group = api.sandbox.resources(model_id).auto_scaling_group
    answer = api.sandbox.client("autoscaling").describe_scheduled_actions(AutoScalingGroupName=group)
    return {a["ScheduledActionName"]: a for a in answer["ScheduledUpdateGroupActions"]}


def test_set_read_and_delete_a_schedule(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, "2026-01-05T12:00:00+00:00")
    model_id = "mistral-7b-instruct"
    assert api.call("PUT", f"/models/{model_id}/schedule", RECURRING) == (
        200,
        {"message": "Schedule updated successfully", "modelId": model_id, "scheduleEnabled": True},
    )
    actions = _actions(api, model_id)
    start, stop = actions[f"{model_id}-daily-start"], actions[f"{model_id}-daily-stop"]
    assert (start["Recurrence"], stop["Recurrence"]) == ("0 8 * * *", "0 18 * * *")
    assert (stop["MinSize"], stop["MaxSize"], stop["DesiredCapacity"]) == (0, 0, 0)
    scheduling = api.record(model_id)["model_config"]["autoScalingConfig"]["scheduling"]  # type: ignore[index]
    assert scheduling["scheduleType"] == "RECURRING" and scheduling["scheduleEnabled"] is True
    assert len(scheduling["scheduledActionArns"]) == 2
    assert scheduling["nextScheduledAction"]["action"] == "STOP"
    status, body = api.call("GET", f"/models/{model_id}/schedule/status", token="user")
    assert status == 200 and body["scheduleStatus"] == "ACTIVE" and body["scheduleType"] == "RECURRING"
    status, body = api.call("GET", f"/models/{model_id}/schedule")
    assert status == 200 and body["scheduling"]["recurringSchedule"] == {"startTime": "08:00", "stopTime": "18:00"}
    group = api.group(model_id)
    assert group["DesiredCapacity"] > 0  # inside the window: left running

    assert api.call("DELETE", f"/models/{model_id}/schedule") == (
        200,
        {"message": "Schedule deleted successfully", "modelId": model_id, "scheduleEnabled": False},
    )
    assert not [name for name in _actions(api, model_id) if name.startswith(f"{model_id}-")]
    assert api.record(model_id)["model_config"]["autoScalingConfig"]["scheduling"] is None  # type: ignore[index]
    assert api.call("GET", f"/models/{model_id}/schedule/status")[1]["scheduleStatus"] == "DISABLED"


def test_a_schedule_set_outside_its_window_scales_to_zero_at_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, "2026-01-05T20:00:00+00:00")
    model_id = "bge-large-en"
    assert api.call("PUT", f"/models/{model_id}/schedule", RECURRING)[0] == 200
    group = api.group(model_id)
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 0, 0)


def test_schedule_refusals(api: Api) -> None:
    assert api.call("PUT", "/models/nova-pro/schedule", RECURRING, token="user") == (
        403,
        {"detail": "User does not have permission to update model schedules"},
    )
    assert api.call("DELETE", "/models/nova-pro/schedule", token="user") == (
        403,
        {"detail": "User does not have permission to delete model schedules"},
    )
    assert api.call("PUT", "/models/ghost/schedule", RECURRING) == (404, {"detail": "Model ghost not found"})
    assert api.call("PUT", "/models/broken-model/schedule", RECURRING) == (
        400,
        {
            "detail": "Cannot perform operation when model is in 'Failed' state, model must be in one of: "
            "'InService', 'Stopped'."
        },
    )
    assert api.call("PUT", "/models/nova-pro/schedule", RECURRING) == (
        400,
        {"detail": "Model does not have an Auto Scaling Group configured"},
    )
    short = {**RECURRING, "recurringSchedule": {"startTime": "08:00", "stopTime": "09:00"}}
    status, body = api.call("PUT", "/models/mistral-7b-instruct/schedule", short)
    assert status == 422
    assert body["detail"][0]["msg"] == "Value error, Stop time must be at least 2 hours after start time"
