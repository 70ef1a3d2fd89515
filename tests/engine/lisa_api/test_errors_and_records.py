"""LISA's API answers as domain errors (LISA's text kept), and LISAModel as the engine's record."""

from __future__ import annotations

import pytest

from engine.aws.errors import DeploymentUnreachable
from engine.errors import InvalidInput, ModelNotFound, StatusNotAllowed
from engine.lisa_api.client import LisaApi
from engine.lisa_api.errors import LisaApiRefused, error_for
from engine.lisa_api.records import guardrails_from_api, record_from_api
from engine.schema.enums import ModelHostingType, ModelStatus
from tests.engine.factories import HOSTED_CONFIG

WHAT = "PUT /models/m"


def test_authorizer_refusals_name_the_authorizer() -> None:
    missing = error_for(401, {"message": "Unauthorized"}, what=WHAT, model_id="m")
    denied = error_for(
        403,
        {"Message": "User is not authorized to access this resource with an explicit deny"},
        what=WHAT,
        model_id="m",
    )
    assert isinstance(missing, LisaApiRefused) and isinstance(denied, LisaApiRefused)
    assert "authorizer refused the token (401 Unauthorized)" in str(missing)
    assert "explicit deny" in str(denied) and denied.code == "LisaApiForbidden"


def test_not_an_administrator_keeps_lisas_text() -> None:
    error = error_for(403, {"detail": "User does not have permission to update models"}, what=WHAT, model_id="m")
    assert isinstance(error, DeploymentUnreachable) and error.code == "NotAdministrator"
    assert "User does not have permission to update models" in str(error)


def test_not_found_conflict_and_bad_requests() -> None:
    missing = error_for(404, {"detail": "Model 'm' was not found."}, what=WHAT, model_id="m")
    assert isinstance(missing, ModelNotFound) and "Model 'm' was not found." in str(missing)
    in_use = error_for(409, {"detail": "Model 'm' is currently in use by: repo x."}, what=WHAT, model_id="m")
    assert isinstance(in_use, StatusNotAllowed) and "currently in use by: repo x." in str(in_use)
    state = error_for(
        400, {"detail": "Model cannot be enabled when it is not in the 'Stopped' state."}, what=WHAT, model_id="m"
    )
    assert isinstance(state, StatusNotAllowed)
    rule = error_for(400, {"detail": "Desired capacity cannot exceed ASG max of 3."}, what=WHAT, model_id="m")
    assert isinstance(rule, InvalidInput) and "Desired capacity cannot exceed ASG max of 3." in str(rule)


def test_422_names_each_field() -> None:
    body = {
        "detail": [
            {"loc": ["body", "modelType"], "msg": "Input should be 'textgen'", "type": "enum"},
            {"loc": ["body", "autoScalingConfig", "minCapacity"], "msg": "must be > 0", "type": "x"},
        ],
        "type": "RequestValidationError",
    }
    error = error_for(422, body, what="POST /models", model_id="m")
    assert isinstance(error, InvalidInput)
    assert [p.field for p in error.problems] == ["modelType", "autoScalingConfig.minCapacity"]


def test_a_url_and_a_token_are_required() -> None:
    with pytest.raises(InvalidInput, match="http"):
        LisaApi("ftp://x", "t")
    with pytest.raises(InvalidInput, match="LISA_API_TOKEN"):
        LisaApi("http://127.0.0.1:1/s", "")


def test_unreachable_api_is_named() -> None:
    api = LisaApi("http://127.0.0.1:9/sandbox", "t", timeout=2)
    with pytest.raises(DeploymentUnreachable, match="cannot be reached") as raised:
        api.list_models()
    assert raised.value.code == "LisaApiUnreachable"


def test_record_from_api_model() -> None:
    guardrail = {"guardrailName": "g1", "guardrailIdentifier": "abc", "guardrailVersion": "1", "mode": "pre_call"}
    model = {
        **HOSTED_CONFIG,
        "status": "InService",
        "modelUrl": "http://alb/v1",
        "contextWindow": 4096,
        "guardrailsConfig": {"guardrail-g1": guardrail},
    }
    record = record_from_api(model)
    assert record.model_status is ModelStatus.IN_SERVICE
    assert record.hosting_type is ModelHostingType.LISA_HOSTED
    assert record.config == HOSTED_CONFIG
    assert (record.model_url, record.context_window) == ("http://alb/v1", 4096)
    assert record.to_api() == {k: v for k, v in model.items() if k != "guardrailsConfig"}
    [read] = guardrails_from_api(model)
    assert (read.name, read.identifier, read.version) == ("g1", "abc", "1")
