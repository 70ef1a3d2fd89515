"""PUT /models/{id}: LISA's 422s (request shape), 403 (not an administrator) and 400s (its update handler's checks,
the live Auto Scaling group's among them). A refused update changes nothing and starts no execution."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.sandbox.lisa_api.conftest import Api


def _unchanged(api: Api, model_id: str, call: Any) -> tuple[int, Any]:
    before, executions = api.record(model_id), len(api.executions(model_id))
    answer = call()
    assert api.record(model_id) == before
    assert len(api.executions(model_id)) == executions
    return answer


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {},
            "Value error, At least one field out of autoScalingInstanceConfig, containerConfig, enabled, modelType, "
            "modelDescription, streaming, allowedGroups, features, or guardrailsConfig must be defined in request "
            "payload.",
        ),
        (
            {"autoScalingInstanceConfig": None},
            "Value error, The autoScalingInstanceConfig must not be null if defined in request payload.",
        ),
        (
            {"modelType": "embedding", "streaming": True},
            "Value error, Embedding model cannot be set with streaming enabled.",
        ),
        (
            {"autoScalingInstanceConfig": {}},
            "Value error, At least one option of autoScalingInstanceConfig must be defined.",
        ),
        (
            {"autoScalingInstanceConfig": {"minCapacity": 2, "desiredCapacity": 1}},
            "Value error, Desired capacity must be greater than or equal to minimum capacity.",
        ),
    ],
)
def test_request_shape_failures_are_422_with_lisas_messages(api: Api, body: dict[str, Any], message: str) -> None:
    status, answer = _unchanged(
        api, "mistral-7b-instruct", lambda: api.call("PUT", "/models/mistral-7b-instruct", body)
    )
    assert status == 422
    assert answer["type"] == "RequestValidationError"
    assert message in [error["msg"] for error in answer["detail"]]


def test_a_field_error_names_the_field_under_body(api: Api) -> None:
    status, answer = api.call("PUT", "/models/mistral-7b-instruct", {"containerConfig": {"sharedMemorySize": 0}})
    assert status == 422
    assert answer["detail"][0]["loc"] == ["body", "containerConfig", "sharedMemorySize"]
    assert answer["detail"][0]["type"] == "greater_than"


def test_a_missing_or_malformed_body_is_422(api: Api) -> None:
    status, answer = api.call("PUT", "/models/mistral-7b-instruct")
    assert (status, answer["detail"][0]["type"], answer["detail"][0]["loc"]) == (422, "missing", ["body"])
    status, answer = api.call("PUT", "/models/mistral-7b-instruct", b"{not json")
    assert (status, answer["detail"][0]["type"]) == (422, "json_invalid")


def test_a_user_is_refused_with_lisas_403_after_the_body_is_checked(api: Api) -> None:
    answer = _unchanged(
        api, "nova-pro", lambda: api.call("PUT", "/models/nova-pro", {"modelDescription": "x"}, token="user")
    )
    assert answer == (403, {"detail": "User does not have permission to update models"})
    assert api.call("PUT", "/models/nova-pro", {}, token="user")[0] == 422  # FastAPI parses the body first


def test_an_unknown_model_is_404(api: Api) -> None:
    assert api.call("PUT", "/models/ghost", {"modelDescription": "x"}) == (
        404,
        {"detail": "Model 'ghost' was not found."},
    )


@pytest.mark.parametrize(
    ("model_id", "body", "message"),
    [
        (
            "broken-model",
            {"modelDescription": "x"},
            "Model cannot be updated when it is not in the 'InService' or 'Stopped' states",
        ),
        (
            "mistral-7b-instruct",
            {"enabled": False, "autoScalingInstanceConfig": {"maxCapacity": 2}},
            "Start or Stop operations and AutoScaling changes must happen in separate requests.",
        ),
        ("mistral-7b-instruct", {"enabled": True}, "Model cannot be enabled when it is not in the 'Stopped' state."),
        ("llama3-8b-tgi", {"enabled": False}, "Model cannot be stopped when it is not in the 'InService' state."),
        (
            "claude-3-5-sonnet",
            {"autoScalingInstanceConfig": {"maxCapacity": 2}},
            "Cannot update AutoScaling Config for model not hosted in LISA infrastructure.",
        ),
        (
            "claude-3-5-sonnet",
            {"containerConfig": {"sharedMemorySize": 4096}},
            "Cannot update Container Config for model not hosted in LISA infrastructure.",
        ),
        (
            "mistral-7b-instruct",
            {"autoScalingInstanceConfig": {"desiredCapacity": 9}},
            "Desired capacity cannot exceed ASG max of 3.",
        ),
        (
            "mistral-7b-instruct",
            {"autoScalingInstanceConfig": {"minCapacity": 5}},
            "Min capacity cannot exceed ASG max of 3.",
        ),
        (
            "llama3-1-70b-instruct",
            {"autoScalingInstanceConfig": {"desiredCapacity": 1}},
            "Desired capacity cannot be less than ASG min of 2.",
        ),
        (
            "llama3-1-70b-instruct",
            {"autoScalingInstanceConfig": {"maxCapacity": 1}},
            "Max capacity cannot be less than ASG min of 2.",
        ),
    ],
)
def test_lisas_update_handler_refusals_are_400(api: Api, model_id: str, body: dict[str, Any], message: str) -> None:
    answer = _unchanged(api, model_id, lambda: api.call("PUT", f"/models/{model_id}", body))
    assert answer == (400, {"detail": message})
