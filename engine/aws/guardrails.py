"""A model's guardrails as LISA keeps them (reference §1.4, §5, §9; `lib/models/guardrails-table.ts`,
`lambda/models/domain_objects.py` GuardrailsTableEntry, `lambda/models/handler/utils.py`).

Each guardrail is a row of LISA's guardrails table (PK `guardrailId`, SK `modelId`; GSI `ModelIdIndex` on
`modelId`), whose name LISA publishes at SSM `<deploymentPrefix>/guardrailsTableName`, and a LiteLLM guardrail:
the row's `guardrailId` is the id LiteLLM gave it, its LiteLLM name `<guardrailName>-<modelId>`. A deployment
that publishes no table (or whose table is gone) has no guardrails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.errors import error_code
from engine.errors import LisaDesktopError
from engine.schema.config import GuardrailConfig
from engine.schema.enums import GuardrailMode

log = logging.getLogger(__name__)

MODEL_ID_INDEX: Final = "ModelIdIndex"
TABLE_MISSING: Final = "ResourceNotFoundException"
CONFIG_KEY_PREFIX: Final = "guardrail-"
"""LISA's GET /models keys each guardrail of `guardrailsConfig` `guardrail-<guardrailName>`."""
_DESERIALIZER: Final = TypeDeserializer()
_SERIALIZER: Final = TypeSerializer()


def litellm_guardrail_name(name: str, model_id: str) -> str:
    return f"{name}-{model_id}"


def litellm_payload(config: GuardrailConfig, model_id: str) -> dict[str, Any]:
    """The body of LISA's `POST /guardrails` and `PUT /guardrails/{id}` (create and update state machines)."""
    return {
        "guardrail": {
            "guardrail_name": litellm_guardrail_name(config.guardrailName, model_id),
            "litellm_params": {
                "guardrail": "bedrock",
                "mode": str(config.mode),
                "guardrailIdentifier": config.guardrailIdentifier,
                "guardrailVersion": config.guardrailVersion,
                "default_on": False,
            },
            "guardrail_info": {"description": config.description or ""},
        }
    }


@dataclass(frozen=True)
class Guardrail:
    guardrail_id: str
    """The row's partition key: the id LiteLLM gave the guardrail."""
    model_id: str
    name: str
    """`guardrailName`, as the model's configuration names it."""
    identifier: str = ""
    version: str = "DRAFT"
    mode: str = str(GuardrailMode.PRE_CALL)
    description: str | None = None
    allowed_groups: tuple[str, ...] = ()
    created_ms: int | None = field(default=None, compare=False)
    modified_ms: int | None = field(default=None, compare=False)

    @property
    def litellm_name(self) -> str:
        return litellm_guardrail_name(self.name, self.model_id)

    def __str__(self) -> str:
        return f"guardrail {self.name} ({self.guardrail_id})"

    @classmethod
    def of(cls, guardrail_id: str, model_id: str, config: GuardrailConfig) -> Guardrail:
        return cls(
            guardrail_id,
            model_id,
            config.guardrailName,
            config.guardrailIdentifier,
            config.guardrailVersion,
            str(config.mode),
            config.description,
            tuple(config.allowedGroups),
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Guardrail:
        """A row as LISA's GuardrailsTableEntry writes it (plain values, already deserialized)."""
        groups = row.get("allowedGroups")
        created, modified = row.get("createdDate"), row.get("lastModifiedDate")
        return cls(
            str(row["guardrailId"]),
            str(row["modelId"]),
            str(row.get("guardrailName") or row["guardrailId"]),
            str(row.get("guardrailIdentifier") or ""),
            str(row.get("guardrailVersion") or "DRAFT"),
            str(row.get("mode") or GuardrailMode.PRE_CALL),
            str(row["description"]) if row.get("description") is not None else None,
            tuple(str(group) for group in groups) if isinstance(groups, list | tuple) else (),
            int(created) if created is not None else None,
            int(modified) if modified is not None else None,
        )

    def config(self) -> GuardrailConfig:
        """The guardrail as LISA's API answers it (GuardrailConfig built from the row)."""
        return GuardrailConfig.model_validate(
            {
                "guardrailName": self.name,
                "guardrailIdentifier": self.identifier or self.guardrail_id,
                "guardrailVersion": self.version,
                "mode": self.mode if self.mode in set(GuardrailMode) else GuardrailMode.PRE_CALL,
                "description": self.description,
                "allowedGroups": list(self.allowed_groups),
            }
        )

    def row(self, now_ms: int) -> dict[str, Any]:
        """LISA's GuardrailsTableEntry (`model_dump()`): every attribute, `description` None included."""
        return {
            "guardrailId": self.guardrail_id,
            "modelId": self.model_id,
            "guardrailName": self.name,
            "guardrailIdentifier": self.identifier,
            "guardrailVersion": self.version,
            "mode": self.mode,
            "description": self.description,
            "allowedGroups": list(self.allowed_groups),
            "createdDate": self.created_ms if self.created_ms is not None else now_ms,
            "lastModifiedDate": now_ms,
        }


def guardrails_config(guardrails: Iterable[Guardrail]) -> dict[str, Any]:
    """A model's `guardrailsConfig` in LISA's GET /models shape: `guardrail-<name>` → GuardrailConfig."""
    return {
        f"{CONFIG_KEY_PREFIX}{g.name}": g.config().dump(defaults=True) for g in sorted(guardrails, key=lambda g: g.name)
    }


def with_guardrails(api_model: Mapping[str, Any], guardrails: Iterable[Guardrail]) -> dict[str, Any]:
    """A model in LISA's GET /models shape with its guardrails attached (only when it has some, as LISA's
    attach_guardrails_to_model)."""
    shape = dict(api_model)
    listed = list(guardrails)
    if listed:
        shape["guardrailsConfig"] = guardrails_config(listed)
    return shape


class GuardrailsTable:
    def __init__(self, clients: AwsClients, table_name: str | None) -> None:
        self._clients = clients
        self.table_name = table_name
        """None: the deployment publishes no guardrails table."""

    def of_model(self, model_id: str) -> list[Guardrail]:
        """The model's guardrails (all pages of a ModelIdIndex query); none without a table."""
        return self._read(
            "query",
            "dynamodb:Query",
            IndexName=MODEL_ID_INDEX,
            KeyConditionExpression="modelId = :model",
            ExpressionAttributeValues={":model": {"S": model_id}},
        )

    def all(self) -> dict[str, list[Guardrail]]:
        """Every guardrail, grouped by model id (one paginated Scan, as LISA's list handler); none without a
        table."""
        grouped: dict[str, list[Guardrail]] = {}
        for guardrail in self._read("scan", "dynamodb:Scan"):
            grouped.setdefault(guardrail.model_id, []).append(guardrail)
        return grouped

    def _read(self, operation: str, action: str, **arguments: Any) -> list[Guardrail]:
        if not self.table_name:
            return []
        found: list[Guardrail] = []
        with self._clients.errors(action, f"table {self.table_name}"):
            pages = (
                self._clients.dynamodb().get_paginator(operation).paginate(TableName=self.table_name, **arguments)  # type: ignore[call-overload]
            )
            try:
                for page in pages:
                    for item in page.get("Items", []):
                        row = {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}
                        if row.get("guardrailId") and row.get("modelId"):
                            found.append(Guardrail.from_row(row))
            except ClientError as exc:
                if error_code(exc) != TABLE_MISSING:
                    raise
                log.info("guardrails table %s does not exist: no guardrails", self.table_name)
                return []
        return found

    def put(self, guardrail: Guardrail, now_ms: int) -> None:
        """LISA's `guardrails_table.put_item(GuardrailsTableEntry)`."""
        table = self._required()
        row = guardrail.row(now_ms)
        with self._clients.errors("dynamodb:PutItem", f"table {table}"):
            self._clients.dynamodb().put_item(
                TableName=table, Item={key: _SERIALIZER.serialize(value) for key, value in row.items()}
            )

    def update(self, guardrail: Guardrail, now_ms: int) -> None:
        """LISA's update of an existing row: identifier, version, mode, description, groups, lastModifiedDate."""
        table = self._required()
        values = {
            ":gi": guardrail.identifier,
            ":gv": guardrail.version,
            ":m": guardrail.mode,
            ":d": guardrail.description,
            ":ag": list(guardrail.allowed_groups),
            ":lm": now_ms,
        }
        with self._clients.errors("dynamodb:UpdateItem", f"table {table}"):
            self._clients.dynamodb().update_item(
                TableName=table,
                Key={"guardrailId": {"S": guardrail.guardrail_id}, "modelId": {"S": guardrail.model_id}},
                UpdateExpression=(
                    "SET guardrailIdentifier = :gi, guardrailVersion = :gv, #mode = :m, description = :d, "
                    "allowedGroups = :ag, lastModifiedDate = :lm"
                ),
                ExpressionAttributeNames={"#mode": "mode"},
                ExpressionAttributeValues={key: _SERIALIZER.serialize(value) for key, value in values.items()},
            )

    def delete(self, guardrail: Guardrail) -> None:
        """Remove the guardrail's row (a row already gone is fine, as DeleteItem is)."""
        if not self.table_name:
            return
        with self._clients.errors("dynamodb:DeleteItem", f"table {self.table_name}"):
            self._clients.dynamodb().delete_item(
                TableName=self.table_name,
                Key={"guardrailId": {"S": guardrail.guardrail_id}, "modelId": {"S": guardrail.model_id}},
            )

    def _required(self) -> str:
        if not self.table_name:
            raise GuardrailsUnavailable()
        return self.table_name


class GuardrailsUnavailable(LisaDesktopError):
    def __init__(self) -> None:
        super().__init__("the deployment publishes no guardrails table (SSM <deploymentPrefix>/guardrailsTableName)")
