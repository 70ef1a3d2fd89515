"""The sandbox serves LISA's read routes behind LISA's authorizer, as API Gateway answers."""

from __future__ import annotations

import hashlib
import time

from engine.sandbox.lisa_api.server import ApiRequest
from engine.sandbox.lisa_api.tokens import ADMIN_GROUP, put_token, token_table_name
from tests.engine.sandbox.lisa_api.conftest import Api

DENY = {"Message": "User is not authorized to access this resource with an explicit deny"}


def test_the_url_is_published_where_lisa_publishes_it(api: Api) -> None:
    sandbox = api.sandbox
    parameter = sandbox.client("ssm").get_parameter(Name=f"{sandbox.prefix}/LisaApiUrl")["Parameter"]["Value"]
    assert parameter == sandbox.lisa_api_url
    assert sandbox.lisa_api_url.startswith("http://127.0.0.1:") and sandbox.lisa_api_url.endswith("/sandbox")


def test_tokens_are_stored_hashed_as_lisa_stores_them(api: Api) -> None:
    sandbox = api.sandbox
    table = token_table_name(sandbox.deployment_name)
    assert table == "lisa-LISAApiBaseTokenTable"
    for token, admin in ((sandbox.lisa_api_admin_token, True), (sandbox.lisa_api_user_token, False)):
        assert len(token) == 128 and int(token, 16) >= 0
        digest = hashlib.sha256(token.encode()).hexdigest()
        item = sandbox.client("dynamodb").get_item(TableName=table, Key={"token": {"S": digest}})["Item"]
        assert item["tokenUUID"]["S"]
        assert int(item["tokenExpiration"]["N"]) > time.time()
        assert (ADMIN_GROUP in [g["S"] for g in item["groups"]["L"]]) is admin
        assert item["username"]["S"]
        raw = sandbox.client("dynamodb").get_item(TableName=table, Key={"token": {"S": token}})
        assert "Item" not in raw  # never stored in the clear


def test_list_for_an_administrator_has_every_model_in_lisas_shape(api: Api) -> None:
    status, body = api.call("GET", "/models")
    assert status == 200
    models = {model["modelId"]: model for model in body["models"]}
    assert len(models) == 15
    mistral = models["mistral-7b-instruct"]
    assert mistral["status"] == "InService"
    assert mistral["modelUrl"].endswith("/v1")
    assert mistral["containerConfig"]["environment"] is not None
    assert set(mistral) == {
        "autoScalingConfig",
        "containerConfig",
        "inferenceContainer",
        "instanceType",
        "loadBalancerConfig",
        "modelId",
        "modelName",
        "modelDescription",
        "modelType",
        "modelUrl",
        "status",
        "streaming",
        "features",
        "allowedGroups",
        "guardrailsConfig",
        "contextWindow",
        "hostingType",
    }
    assert "apiKey" not in models["claude-3-5-sonnet"]
    guardrails = models["nova-pro"]["guardrailsConfig"]
    assert set(guardrails) == {"guardrail-pii-filter", "guardrail-harmful-content"}
    assert guardrails["guardrail-pii-filter"]["guardrailIdentifier"] == "gr-7k2m9x4p1q8z"


def test_a_user_sees_public_models_and_those_of_their_groups(api: Api) -> None:
    status, body = api.call("GET", "/models", token="user")
    assert status == 200
    for model in body["models"]:
        assert not model["allowedGroups"] or "engineering" in model["allowedGroups"]
    seen = {model["modelId"] for model in body["models"]}
    assert "claude-3-5-sonnet" in seen and "mistral-7b-instruct" in seen
    assert "llama3-8b-tgi" not in seen
    assert api.call("GET", "/models/llama3-8b-tgi", token="user") == (
        404,
        {"detail": "Model 'llama3-8b-tgi' was not found."},
    )


def test_get_answers_the_model_and_404_as_lisa(api: Api) -> None:
    status, body = api.call("GET", "/models/nova-pro")
    assert status == 200
    assert body["model"]["modelId"] == "nova-pro"
    assert body["model"]["guardrailsConfig"]["guardrail-harmful-content"]["guardrailName"] == "harmful-content"
    assert api.call("GET", "/models/no-such-model") == (404, {"detail": "Model 'no-such-model' was not found."})


def test_the_authorizer_refuses_as_api_gateway_answers(api: Api) -> None:
    assert api.call("GET", "/models", token=None) == (401, {"message": "Unauthorized"})
    assert api.call("GET", "/models", token="f" * 128) == (403, DENY)
    assert api.call("GET", "/models", token="") == (403, DENY)


def test_the_management_key_is_an_administrator(api: Api) -> None:
    status, body = api.call("GET", "/models", token=api.sandbox.management_key)
    assert status == 200 and len(body["models"]) == 15
    assert api.sandbox.lisa_api_requests[-1].username == "lisa-management-token"


def test_an_expired_or_legacy_token_is_denied(api: Api) -> None:
    sandbox = api.sandbox
    table = token_table_name(sandbox.deployment_name)
    dynamodb = sandbox.client("dynamodb")
    expired = "a" * 128
    put_token(dynamodb, table, expired, "old", [ADMIN_GROUP], name="old", expiration=int(time.time()) - 1)
    assert api.call("GET", "/models", token=expired) == (403, DENY)
    legacy = "b" * 128
    dynamodb.put_item(
        TableName=table,
        Item={
            "token": {"S": hashlib.sha256(legacy.encode()).hexdigest()},
            "tokenExpiration": {"N": str(int(time.time()) + 3600)},
            "username": {"S": "legacy"},
        },
    )
    assert api.call("GET", "/models", token=legacy) == (403, DENY)


def test_unknown_paths_and_methods(api: Api) -> None:
    assert api.call("GET", "/nothing") == (403, {"message": "Missing Authentication Token"})
    assert api.call("DELETE", "/models") == (403, {"message": "Missing Authentication Token"})
    assert api.call("GET", "/models/a/b/c") == (404, {"detail": "Not Found"})
    assert api.call("POST", "/models/nova-pro", {}) == (405, {"detail": "Method Not Allowed"})
    status, types = api.call("GET", "/models/metadata/instances")
    assert status == 200 and "g5.xlarge" in types


def test_every_request_is_logged_in_order(api: Api) -> None:
    before = len(api.sandbox.lisa_api_requests)
    api.call("GET", "/models/nova-pro", token="user")
    api.call("PUT", "/models/nova-pro", {"modelDescription": "x"}, token="user")
    logged = api.sandbox.lisa_api_requests[before:]
    assert logged == [
        ApiRequest("GET", "/models/nova-pro", 200, "sandbox-user", None),
        ApiRequest("PUT", "/models/nova-pro", 403, "sandbox-user", {"modelDescription": "x"}),
    ]
