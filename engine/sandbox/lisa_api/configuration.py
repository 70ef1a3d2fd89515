"""LISA's configuration routes (`lambda/configuration/lambda_functions.py`, registered by `lib/chat/api/
configuration.ts` on the same REST API as the models routes): `GET /configuration?configScope=S` and
`PUT /configuration/{configScope}`, over the sandbox's configuration table.

These Lambdas are not FastAPI: LISA's `api_wrapper` answers a result as JSON (numbers read from DynamoDB as floats,
its `DecimalEncoder`) and an error as a JSON string, with the status `generate_exception_response` gives it. Any
authenticated user may read; only an administrator may write the `global` scope (the body's `configScope` decides,
not the path's). A write is an unconditional PutItem of the body as sent plus `created_at`: a version already there
is replaced. LISA's handler also adds or removes the MCP Workbench server when `enabledComponents.showMcpWorkbench`
changes; the sandbox's LISA deploys no MCP, so there (as in LISA without MCP, where the MCP servers table's name is
not in the Lambda's environment) such a write fails with LISA's generic 500 before anything is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from engine.sandbox.lisa_api.authorizer import Identity
from engine.sandbox.lisa_api.handlers import Answer, HttpError

SCOPE: Final = "configScope"
GLOBAL: Final = "global"
ADMIN_ONLY: Final = "Only admins can update global configuration"
BODY_REQUIRED: Final = "Request body is required."
INVALID_JSON: Final = "Invalid JSON in request body."
UNEXPECTED: Final = "An unexpected error occurred while processing your request"
MCP_WORKBENCH: Final = ("configuration", "enabledComponents", "showMcpWorkbench")

_DESERIALIZER: Final = TypeDeserializer()
_SERIALIZER: Final = TypeSerializer()


def refused(status: int, message: str) -> HttpError:
    """An error answer of LISA's `api_wrapper`: the message as a JSON string."""
    return HttpError(status, message)


@dataclass
class ConfigurationRoutes:
    dynamodb: Any
    table: str

    def get_configuration(self, identity: Identity, query: Mapping[str, str] | None) -> Answer:
        """`get_configuration`: every version of the scope, newest first. No query string is API Gateway's
        `queryStringParameters: null` (LISA's TypeError on it answers 400); a query without `configScope` is
        LISA's KeyError, a 500."""
        if query is None:
            raise refused(400, BODY_REQUIRED)
        if SCOPE not in query:
            raise refused(500, UNEXPECTED)
        return 200, [_as_json(item) for item in self._versions(query[SCOPE])]

    def update_configuration(self, identity: Identity, raw: bytes) -> Answer:
        """`update_configuration`."""
        if not raw:
            raise refused(400, BODY_REQUIRED)
        try:
            body = json.loads(raw, parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise refused(400, INVALID_JSON) from None
        if not isinstance(body, dict):
            raise refused(500, UNEXPECTED)
        scope = body.get(SCOPE, "")
        if scope == GLOBAL and not identity.is_admin:
            raise refused(403, ADMIN_ONLY)
        body["created_at"] = str(Decimal(time.time()))
        versions = self._versions(scope) if isinstance(scope, str) else []
        if _path(versions[0] if versions else {}, MCP_WORKBENCH) != _path(body, MCP_WORKBENCH):
            raise refused(500, UNEXPECTED)
        try:
            item = {key: _SERIALIZER.serialize(value) for key, value in body.items()}
            self.dynamodb.put_item(TableName=self.table, Item=item)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            raise refused(int(status), str(error)) from None
        except TypeError:  # a value boto3 cannot store (a float from `Infinity`): LISA's generic 500
            raise refused(500, UNEXPECTED) from None
        return 200, {"status": "ok"}

    def _versions(self, scope: str) -> list[dict[str, Any]]:
        """`_get_configurations`: one Query, newest version first; a refused query (an empty scope) is no items."""
        try:
            answer = self.dynamodb.query(
                TableName=self.table,
                KeyConditionExpression="#s = :configScope",
                ExpressionAttributeNames={"#s": SCOPE},
                ExpressionAttributeValues={":configScope": {"S": scope}},
                ScanIndexForward=False,
            )
        except ClientError:
            return []
        return [{key: _DESERIALIZER.deserialize(value) for key, value in raw.items()} for raw in answer["Items"]]


def _as_json(value: Any) -> Any:
    """LISA's DecimalEncoder: every DynamoDB number becomes a float."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [_as_json(item) for item in value]
    return value


def _path(item: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """LISA's `get_property_path`: the value under the dotted path, None where a step is missing."""
    value: Any = item
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
