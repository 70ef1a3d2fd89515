"""LISA's configuration routes on the sandbox's API, as LISA's configuration Lambdas answer them: any user reads
the versions newest first (numbers as floats), only an administrator writes the `global` scope, a write is the
body as sent plus `created_at`, and errors are JSON strings with the status LISA's `api_wrapper` gives."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from engine.aws.models_table import from_dynamodb
from engine.sandbox.configuration import initial_configuration
from engine.sandbox.lisa_api import ApiRequest
from tests.engine.sandbox.lisa_api.conftest import Api

NO_ROUTE = {"message": "Missing Authentication Token"}


def stored(api: Api) -> list[dict[str, Any]]:
    """Every item of the sandbox's configuration table, oldest version first."""
    dynamodb = api.sandbox.client("dynamodb")
    items = dynamodb.scan(TableName=api.sandbox.deployment.configuration.table_name)["Items"]
    return sorted((from_dynamodb(item) for item in items), key=lambda item: (item["configScope"], item["versionId"]))


def global_versions(api: Api) -> list[dict[str, Any]]:
    return [item for item in stored(api) if item["configScope"] == "global"]


def next_version(api: Api, **changes: Any) -> dict[str, Any]:
    newest = global_versions(api)[-1]
    item = {key: copy.deepcopy(value) for key, value in newest.items() if key not in ("created_at", "createdAt")}
    return {**item, "versionId": newest["versionId"] + 1, "changedBy": "tester", "changeReason": "test", **changes}


def test_any_user_reads_every_version_newest_first_with_numbers_as_floats(api: Api) -> None:
    status, body = api.call("GET", "/configuration?configScope=global", token="user")
    assert status == 200
    versions = global_versions(api)
    assert [item["versionId"] for item in body] == [float(item["versionId"]) for item in reversed(versions)]
    assert all(isinstance(item["versionId"], float) for item in body)
    oldest = body[-1]
    assert oldest["configuration"]["maxProjectsPerUser"] == 50.0
    assert (
        oldest["configuration"]["enabledComponents"]
        == initial_configuration(deploy_rag=True)["configuration"]["enabledComponents"]
    )
    assert api.call("GET", "/configuration?configScope=nothing-here") == (200, [])
    assert api.call("GET", "/configuration?configScope=") == (200, [])  # DynamoDB refuses an empty key: no items


def test_a_read_without_the_scope_is_lisas_400_or_500(api: Api) -> None:
    assert api.call("GET", "/configuration") == (400, "Request body is required.")
    assert api.call("GET", "/configuration?other=1") == (
        500,
        "An unexpected error occurred while processing your request",
    )


def test_an_administrator_writes_a_version_as_sent_plus_created_at(api: Api) -> None:
    item = next_version(
        api, configuration={**global_versions(api)[-1]["configuration"], "global": {"defaultModel": "x"}}
    )
    before = len(api.sandbox.lisa_api_requests)
    assert api.call("PUT", "/configuration/global", item) == (200, {"status": "ok"})
    written = global_versions(api)[-1]
    created_at = written.pop("created_at")
    assert isinstance(created_at, str) and Decimal(created_at) > 0
    assert written == item
    assert api.sandbox.lisa_api_requests[before:] == [
        ApiRequest("PUT", "/configuration/global", 200, "sandbox-admin", item)
    ]


def test_a_version_already_there_is_replaced_as_lisas_putitem_does(api: Api) -> None:
    first = next_version(api, changeReason="first")
    assert api.call("PUT", "/configuration/global", first)[0] == 200
    again = {**first, "changeReason": "second"}
    assert api.call("PUT", "/configuration/global", again)[0] == 200
    newest = global_versions(api)[-1]
    assert (newest["versionId"], newest["changeReason"]) == (first["versionId"], "second")


def test_only_an_administrator_writes_the_global_scope_and_the_bodys_scope_decides(api: Api) -> None:
    before = stored(api)
    item = next_version(api)
    assert api.call("PUT", "/configuration/global", item, token="user") == (
        403,
        "Only admins can update global configuration",
    )
    # the path's scope is not what LISA's handler reads
    assert api.call("PUT", "/configuration/mine", item, token="user")[0] == 403
    assert stored(api) == before
    mine = {"configScope": "user-scope", "versionId": 0, "configuration": {}}
    assert api.call("PUT", "/configuration/user-scope", mine, token="user") == (200, {"status": "ok"})
    assert next(item for item in stored(api) if item["configScope"] == "user-scope")["versionId"] == 0


def test_bad_bodies_are_refused_as_lisas_wrapper_answers_them(api: Api) -> None:
    before = stored(api)
    assert api.call("PUT", "/configuration/global", b"") == (400, "Request body is required.")
    assert api.call("PUT", "/configuration/global", b"{not json") == (400, "Invalid JSON in request body.")
    assert api.call("PUT", "/configuration/global", [1, 2]) == (
        500,
        "An unexpected error occurred while processing your request",
    )
    no_version = {key: value for key, value in next_version(api).items() if key != "versionId"}
    status, message = api.call("PUT", "/configuration/global", no_version)
    assert status == 400 and "ValidationException" in message  # DynamoDB's key check, its status kept
    # a body without the showMcpWorkbench the newest version has is a change of it, as LISA's check reads it
    assert api.call("PUT", "/configuration/global", {"configScope": "global", "versionId": 99}) == (
        500,
        "An unexpected error occurred while processing your request",
    )
    assert stored(api) == before


def test_turning_the_mcp_workbench_on_fails_as_in_lisa_without_mcp(api: Api) -> None:
    """LISA's handler then imports the MCP servers table, whose name a deployment without MCP does not set."""
    newest = global_versions(api)[-1]
    components = {**newest["configuration"]["enabledComponents"], "showMcpWorkbench": True}
    item = next_version(api, configuration={**newest["configuration"], "enabledComponents": components})
    before = stored(api)
    assert api.call("PUT", "/configuration/global", item) == (
        500,
        "An unexpected error occurred while processing your request",
    )
    assert stored(api) == before


def test_api_gateway_has_no_other_configuration_resources_or_methods(api: Api) -> None:
    assert api.call("GET", "/configuration/global") == (403, NO_ROUTE)
    assert api.call("PUT", "/configuration", {"configScope": "global"}) == (403, NO_ROUTE)
    assert api.call("DELETE", "/configuration/global") == (403, NO_ROUTE)
    assert api.call("GET", "/configuration/global/x") == (403, NO_ROUTE)
    assert api.call("GET", "/configuration?configScope=global", token=None) == (401, {"message": "Unauthorized"})
