"""LISA's REST API authorizer (`lambda/authorizer/lambda_functions.py`) on the sandbox's deployment.

The `Authorization` header, a `Bearer ` prefix stripped, is tried in LISA's order: the management key (the secret's
AWSCURRENT and AWSPREVIOUS values; user `lisa-management-token` in the admin group), then an API token (looked up by
its SHA-256 in the token table; it needs a `tokenUUID` and an unexpired `tokenExpiration`). OIDC JWTs are not
played: anything else is denied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from engine.sandbox.lisa_api.store import from_item
from engine.sandbox.lisa_api.tokens import ADMIN_GROUP, hash_token

MANAGEMENT_USER: Final = "lisa-management-token"


@dataclass(frozen=True)
class Identity:
    username: str
    groups: tuple[str, ...]
    auth_type: str

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def bearer_token(header: str) -> str:
    """LISA's `get_id_token`: the header's value with a `Bearer ` prefix removed."""
    text = header.strip()
    return text[len("bearer ") :].strip() if text.lower().startswith("bearer ") else text


@dataclass
class Authorizer:
    dynamodb: Any
    secretsmanager: Any
    secret_name: str
    token_table: str

    def identify(self, token: str) -> Identity | None:
        """Who the token is (None: LISA's authorizer answers Deny)."""
        if not token:
            return None
        if token in self._management_keys():
            return Identity(MANAGEMENT_USER, (ADMIN_GROUP,), "management")
        info = self._token_info(token)
        if info is None:
            return None
        groups = info.get("groups") or []
        return Identity(str(info.get("username", "api-token")), tuple(str(g) for g in groups), "api_token")

    def _management_keys(self) -> list[str]:
        keys: list[str] = []
        for stage in ("AWSCURRENT", "AWSPREVIOUS"):
            try:
                value = self.secretsmanager.get_secret_value(SecretId=self.secret_name, VersionStage=stage)
            except ClientError:
                continue
            keys.append(str(value.get("SecretString", "")))
        return [key for key in keys if key]

    def _token_info(self, token: str) -> dict[str, Any] | None:
        raw = self.dynamodb.get_item(TableName=self.token_table, Key={"token": {"S": hash_token(token)}}).get("Item")
        if not raw:
            return None
        info = from_item(raw)
        expiration = info.get("tokenExpiration")
        if not info.get("tokenUUID") or not expiration:
            return None
        if time.time() >= int(expiration):
            return None
        return info
