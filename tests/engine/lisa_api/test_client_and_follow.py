"""LisaApi against the sandbox's LISA REST API, and following a change LISA runs on a clock that skips the waits
between polls (the sandbox runs on the same clock)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.aws.errors import DeploymentUnreachable
from engine.clock import SkippingClock
from engine.errors import ModelNotFound, StatusNotAllowed
from engine.jobs.events import JobEvent, StepState
from engine.lisa_api.client import LisaApi
from engine.lisa_api.errors import LisaApiRefused
from engine.lisa_api.follow import Follower, start_expected, stop_expected, update_expected
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus

CLOCK = SkippingClock()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5, clock=CLOCK) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> LisaApi:
    return LisaApi(sandbox.lisa_api_url, sandbox.lisa_api_admin_token)


def follower(api: LisaApi, events: list[JobEvent], deadline_s: float = 600.0) -> Follower:
    return Follower(api, clock=CLOCK, interval_s=5.0, deadline_s=deadline_s, listeners=(events.append,))


def test_reads_send_the_bearer_token(sandbox: Sandbox, api: LisaApi) -> None:
    ids = {model["modelId"] for model in api.list_models()}
    assert {"mistral-7b-instruct", "claude-3-5-sonnet"} <= ids
    assert api.get_model("claude-3-5-sonnet")["status"] == "InService"
    assert sandbox.lisa_api_requests[-1].username is not None
    with pytest.raises(ModelNotFound, match=r"Model 'nope' was not found\."):
        api.get_model("nope")


def test_the_management_key_is_accepted_and_a_bad_token_refused(sandbox: Sandbox) -> None:
    assert LisaApi(sandbox.lisa_api_url, sandbox.management_key).list_models()
    with pytest.raises(LisaApiRefused, match="explicit deny"):
        LisaApi(sandbox.lisa_api_url, "f" * 128).list_models()


def test_user_token_is_not_an_administrator(sandbox: Sandbox) -> None:
    user = LisaApi(sandbox.lisa_api_url, sandbox.lisa_api_user_token)
    with pytest.raises(DeploymentUnreachable, match="User does not have permission to update models") as raised:
        user.update_model("claude-3-5-sonnet", {"modelDescription": "x"})
    assert raised.value.code == "NotAdministrator"


def test_lisas_state_refusal_is_status_not_allowed(api: LisaApi) -> None:
    with pytest.raises(StatusNotAllowed, match="'Stopped' state"):
        api.update_model("mistral-7b-instruct", {"enabled": True})


def test_follow_a_stop_and_a_start(api: LisaApi) -> None:
    events: list[JobEvent] = []
    api.update_model("bge-large-en", {"enabled": False})
    stopped = follower(api, events).follow("bge-large-en", stop_expected())
    assert stopped.ok and stopped.final_status is ModelStatus.STOPPED
    assert all(event.data["runBy"] == "LISA" for event in events)
    assert events[-1].state is StepState.SUCCEEDED
    api.update_model("bge-large-en", {"enabled": True})
    started = follower(api, events).follow("bge-large-en", start_expected())
    assert started.ok and started.final_status is ModelStatus.IN_SERVICE
    assert "run by LISA: Starting" in [event.message for event in events]


def test_follow_a_change_that_never_comes_stops_watching_at_the_deadline(api: LisaApi) -> None:
    events: list[JobEvent] = []
    skipped = CLOCK.skipped
    result = follower(api, events, deadline_s=60.0).follow("llama3-8b-tgi", start_expected())
    assert not result.ok and result.timed_out
    assert "LISA's execution goes on" in result.message
    assert CLOCK.skipped - skipped >= 60.0


def test_follow_a_quick_metadata_update(api: LisaApi) -> None:
    events: list[JobEvent] = []
    api.update_model("titan-embed-v2", {"modelDescription": "followed"})
    result = follower(api, events).follow(
        "titan-embed-v2",
        update_expected(ModelStatus.IN_SERVICE, lambda model: model.get("modelDescription") == "followed"),
    )
    assert result.ok and result.model is not None and result.model["modelDescription"] == "followed"


def test_a_stopped_written_meanwhile_by_lisas_status_monitor_is_not_a_failed_start(
    sandbox: Sandbox, api: LisaApi
) -> None:
    """LISA's status monitor writes a late Stopped for the instance a stop terminated, unconditionally: a start sent
    right after the stop reads it for a moment, then LISA's execution writes InService."""
    model_id = "mistral-7b-instruct"
    api.update_model(model_id, {"enabled": False})
    assert follower(api, []).follow(model_id, stop_expected()).ok

    def monitor_writes_stopped(event: JobEvent) -> None:
        if event.message == "run by LISA: Starting":
            sandbox.client("dynamodb").update_item(
                TableName=sandbox.table_name,
                Key={"model_id": {"S": model_id}},
                UpdateExpression="SET model_status = :stopped",
                ExpressionAttributeValues={":stopped": {"S": "Stopped"}},
            )

    events: list[JobEvent] = []
    follow = Follower(
        api, clock=CLOCK, interval_s=0.25, deadline_s=600.0, listeners=(events.append, monitor_writes_stopped)
    )
    api.update_model(model_id, {"enabled": True})
    result = follow.follow(model_id, start_expected())
    assert result.ok, result.message
    shown = [event.message for event in events if event.message.startswith("run by LISA: ")]
    assert shown == ["run by LISA: Starting", "run by LISA: Stopped", "run by LISA: InService"]
