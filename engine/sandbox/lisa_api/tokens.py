"""LISA's API-token table (`<deploymentName>-LISAApiBaseTokenTable`) and the two tokens the sandbox seeds in it.

As LISA's API-token feature stores a token (`lambda/api_tokens/handler.py`): the item's key `token` is the SHA-256
hex of the 128-hex-character token; `tokenUUID`, `tokenExpiration` (epoch seconds), `createdDate`, `username`,
`createdBy`, `name`, `groups` and `isSystemToken` beside it; a GSI `username-index`. The admin token's groups
include the deployment's admin group, the user token's do not.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from engine.sandbox.lisa_api.store import to_item

ADMIN_GROUP: Final = "lisa-admins"
"""The sandbox deployment's admin group (LISA's `authConfig.adminGroup`)."""
ADMIN_USERNAME: Final = "sandbox-admin"
USER_USERNAME: Final = "sandbox-user"
USER_GROUPS: Final = ("engineering",)
TOKEN_LIFETIME_S: Final = 90 * 24 * 3600
"""LISA's default token lifetime (90 days)."""


def token_table_name(deployment_name: str) -> str:
    return f"{deployment_name}-LISAApiBaseTokenTable"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SeededTokens:
    admin: str
    user: str


def create_token_table(dynamodb: Any, deployment_name: str) -> SeededTokens:
    """The table, with one admin token and one user token in it; returns the two tokens."""
    table = token_table_name(deployment_name)
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "token", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "token", "AttributeType": "S"},
            {"AttributeName": "username", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "username-index",
                "KeySchema": [{"AttributeName": "username", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    tokens = SeededTokens(admin=secrets.token_hex(64), user=secrets.token_hex(64))
    put_token(dynamodb, table, tokens.admin, ADMIN_USERNAME, [ADMIN_GROUP], name="sandbox admin", system=True)
    put_token(dynamodb, table, tokens.user, USER_USERNAME, list(USER_GROUPS), name="sandbox user")
    return tokens


def put_token(
    dynamodb: Any,
    table: str,
    token: str,
    username: str,
    groups: list[str],
    *,
    name: str,
    system: bool = False,
    expiration: int | None = None,
) -> None:
    created = int(time.time())
    item = {
        "token": hash_token(token),
        "tokenUUID": str(uuid.uuid4()),
        "tokenExpiration": expiration if expiration is not None else created + TOKEN_LIFETIME_S,
        "createdDate": created,
        "username": username,
        "createdBy": ADMIN_USERNAME,
        "name": name,
        "groups": groups,
        "isSystemToken": system,
    }
    dynamodb.put_item(TableName=table, Item=to_item(item))
