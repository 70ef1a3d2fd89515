"""The deployment's tables as LISA's Lambdas read and write them, in plain Python values (numbers as int or float)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_DESERIALIZER: Final = TypeDeserializer()
_SERIALIZER: Final = TypeSerializer()


def now_ms() -> int:
    """LISA's `utilities.time.now()`: epoch milliseconds."""
    return int(time.time() * 1000)


def plain(value: Any) -> Any:
    """A DynamoDB value with its Decimals made int (or float when fractional)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [plain(item) for item in value]
    return value


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _SERIALIZER.serialize(_dynamo(value)) for key, value in values.items()}


def from_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: plain(_DESERIALIZER.deserialize(value)) for key, value in raw.items()}


def _dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _dynamo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_dynamo(item) for item in value]
    return value


@dataclass
class Tables:
    dynamodb: Any
    models: str
    guardrails: str | None

    # -- models -------------------------------------------------------------------------------------------------

    def get(self, model_id: str, *, consistent: bool = False) -> dict[str, Any] | None:
        found = self.dynamodb.get_item(
            TableName=self.models, Key={"model_id": {"S": model_id}}, ConsistentRead=consistent
        ).get("Item")
        return from_item(found) if found else None

    def scan(self, table: str | None = None) -> list[dict[str, Any]]:
        return list(self._scan(table or self.models))

    def _scan(self, table: str) -> Iterator[dict[str, Any]]:
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table):
            yield from (from_item(raw) for raw in page.get("Items", ()))

    def put(self, item: Mapping[str, Any]) -> None:
        self.dynamodb.put_item(TableName=self.models, Item=to_item(item))

    def update(self, model_id: str, values: Mapping[str, Any], remove: Sequence[str] = ()) -> None:
        """SET `values` (and REMOVE `remove`) on the model's record, as LISA's UpdateItem calls do."""
        names = {f"#s{i}": key for i, key in enumerate(values)}
        names.update({f"#r{i}": key for i, key in enumerate(remove)})
        expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(values)))
        if remove:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        self.dynamodb.update_item(
            TableName=self.models,
            Key={"model_id": {"S": model_id}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                f":s{i}": _SERIALIZER.serialize(_dynamo(value)) for i, value in enumerate(values.values())
            },
        )

    def delete(self, model_id: str) -> None:
        self.dynamodb.delete_item(TableName=self.models, Key={"model_id": {"S": model_id}})

    # -- guardrails ---------------------------------------------------------------------------------------------

    def guardrails_of(self, model_id: str) -> list[dict[str, Any]]:
        if not self.guardrails:
            return []
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=self.guardrails,
            IndexName="ModelIdIndex",
            KeyConditionExpression="modelId = :modelId",
            ExpressionAttributeValues={":modelId": {"S": model_id}},
        )
        return [from_item(raw) for page in pages for raw in page.get("Items", ())]

    def all_guardrails(self) -> list[dict[str, Any]]:
        return self.scan(self.guardrails) if self.guardrails else []

    def put_guardrail(self, row: Mapping[str, Any]) -> None:
        assert self.guardrails is not None
        self.dynamodb.put_item(TableName=self.guardrails, Item=to_item(row))

    def delete_guardrail(self, guardrail_id: str, model_id: str) -> None:
        assert self.guardrails is not None
        self.dynamodb.delete_item(
            TableName=self.guardrails, Key={"guardrailId": {"S": guardrail_id}, "modelId": {"S": model_id}}
        )
