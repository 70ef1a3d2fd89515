"""A model's guardrails as LISA keeps them (reference §1.4, §9; `lib/models/guardrails-table.ts`).

Each guardrail is a row of LISA's guardrails table (PK `guardrailId`, SK `modelId`; GSI `ModelIdIndex` on
`modelId`), whose name LISA publishes at SSM `<deploymentPrefix>/guardrailsTableName`, and a LiteLLM guardrail:
the row's `guardrailId` is the id LiteLLM gave it, its LiteLLM name `<guardrailName>-<modelId>`. A deployment
that publishes no table (or whose table is gone) has no guardrails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.errors import error_code

log = logging.getLogger(__name__)

MODEL_ID_INDEX: Final = "ModelIdIndex"
TABLE_MISSING: Final = "ResourceNotFoundException"


@dataclass(frozen=True)
class Guardrail:
    guardrail_id: str
    """The row's partition key: the id LiteLLM gave the guardrail."""
    model_id: str
    name: str
    """`guardrailName`, as the model's configuration names it."""

    @property
    def litellm_name(self) -> str:
        return f"{self.name}-{self.model_id}"

    def __str__(self) -> str:
        return f"guardrail {self.name} ({self.guardrail_id})"


class GuardrailsTable:
    def __init__(self, clients: AwsClients, table_name: str | None) -> None:
        self._clients = clients
        self.table_name = table_name
        """None: the deployment publishes no guardrails table."""

    def of_model(self, model_id: str) -> list[Guardrail]:
        """The model's guardrails (all pages of a ModelIdIndex query); none without a table."""
        if not self.table_name:
            return []
        found: list[Guardrail] = []
        with self._clients.errors("dynamodb:Query", f"table {self.table_name}"):
            pages = (
                self._clients.dynamodb()
                .get_paginator("query")
                .paginate(
                    TableName=self.table_name,
                    IndexName=MODEL_ID_INDEX,
                    KeyConditionExpression="modelId = :model",
                    ExpressionAttributeValues={":model": {"S": model_id}},
                )
            )
            try:
                for page in pages:
                    for item in page.get("Items", []):
                        guardrail_id = item.get("guardrailId", {}).get("S", "")
                        if guardrail_id:
                            name = item.get("guardrailName", {}).get("S") or guardrail_id
                            found.append(Guardrail(guardrail_id, model_id, name))
            except ClientError as exc:
                if error_code(exc) != TABLE_MISSING:
                    raise
                log.info("guardrails table %s does not exist: no guardrails", self.table_name)
                return []
        return found

    def delete(self, guardrail: Guardrail) -> None:
        """Remove the guardrail's row (a row already gone is fine, as DeleteItem is)."""
        if not self.table_name:
            return
        with self._clients.errors("dynamodb:DeleteItem", f"table {self.table_name}"):
            self._clients.dynamodb().delete_item(
                TableName=self.table_name,
                Key={"guardrailId": {"S": guardrail.guardrail_id}, "modelId": {"S": guardrail.model_id}},
            )
