"""LISA's models table (DynamoDB, partition key `model_id`): read, and conditional writes only.

Items are converted with boto3's TypeSerializer/TypeDeserializer. DynamoDB numbers come back as `Decimal`;
they are turned into `int` when integral, else `float`, and back into `Decimal` on write, so that
`ModelRecord.from_item(item).to_item()` writes back what was read.

Every write is conditional: a status transition only happens if the model is still in the status the change
was planned from (`StatusChanged` says what it is now, and which desktop job holds it).
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import ValidationError

from engine.aws.clients import AwsClients
from engine.aws.errors import (
    DeploymentUnreachable,
    ModelAlreadyExists,
    StatusChanged,
    error_code,
    from_client_error,
    response_item,
)
from engine.errors import LisaDesktopError, ModelNotFound
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesTypeDef,
        PaginatorConfigTypeDef,
    )

HOLDER_ATTRIBUTE: Final = "lisa_desktop_job"
"""Item attribute naming the desktop job that holds the model in a transitional status (set it on intake)."""

HEARTBEAT_ATTRIBUTE: Final = "lisa_desktop_heartbeat"
"""Epoch milliseconds of the holding job's last heartbeat (its lease: engine.jobs.lease)."""

OPERATION_ATTRIBUTE: Final = "lisa_desktop_operation"
"""The holding job's kind (create, update, start, stop, delete): LISA's status monitor may overwrite the status
that told it, and a takeover must still know what to settle."""

HOLD_ATTRIBUTES: Final = (HOLDER_ATTRIBUTE, HEARTBEAT_ATTRIBUTE, OPERATION_ATTRIBUTE)
"""What a job's last record write removes."""

STATUS_ATTRIBUTE: Final = "model_status"
KEY_ATTRIBUTE: Final = "model_id"
MODIFIED_ATTRIBUTE: Final = "last_modified_date"
CONDITION_FAILED: Final = "ConditionalCheckFailedException"
BATCH_GET_MAX: Final = 100
"""BatchGetItem takes up to 100 keys per call."""
BATCH_GET_ATTEMPTS: Final = 5
"""BatchGetItem answers throttled keys as UnprocessedKeys, which botocore does not retry: we do, with backoff."""
WRITE_PROBE_KEY: Final = "__lisa_desktop_write_probe__"
"""A model id no model has: the write probe's UpdateItem is conditional on it existing, so it never writes."""

_DESERIALIZER: Final = TypeDeserializer()
_SERIALIZER: Final = TypeSerializer()


class InvalidRecord(LisaDesktopError):
    """An item of the models table cannot be read as a LISA model record."""

    def __init__(self, model_id: str, detail: str) -> None:
        self.model_id = model_id
        self.detail = detail
        super().__init__(f"the stored record of model '{model_id}' cannot be read: {detail}")


@dataclass(frozen=True)
class UnreadableRecord:
    """An item of the models table that this version cannot read as a model record (a status a newer LISA added,
    a missing or mistyped attribute): listed as it is, with why, instead of failing the listing."""

    model_id: str
    reason: str
    item: dict[str, Any]
    """The item as stored, in plain values."""

    @property
    def status_text(self) -> str:
        status = self.item.get(STATUS_ATTRIBUTE)
        return status if isinstance(status, str) and status else "?"


AttributePath = tuple[str, ...]
"""An attribute, or a path into a map attribute: ("model_config", "containerConfig", "environment")."""


Attributes = Mapping[str, Any] | Mapping[AttributePath, Any] | Mapping[str | AttributePath, Any]
"""What a write sets: attribute names or paths, with their values."""


def _path(name: str | AttributePath) -> AttributePath:
    return (name,) if isinstance(name, str) else tuple(name)


def _overlapping(paths: list[AttributePath]) -> list[str]:
    """Paths that equal or contain another (DynamoDB refuses such an update expression)."""
    ordered = sorted(paths)
    return [".".join(longer) for shorter, longer in itertools.pairwise(ordered) if longer[: len(shorter)] == shorter]


def epoch_ms() -> int:
    return int(time.time() * 1000)


def _plain(value: Any) -> Any:
    """A deserialized DynamoDB value with Decimals turned into int/float (recursively)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    if isinstance(value, set | frozenset):
        return {_plain(inner) for inner in value}
    if isinstance(value, Binary):
        return bytes(cast("Any", value).value)
    return value


def _dynamo(value: Any) -> Any:
    """A plain value made acceptable to TypeSerializer (floats as Decimal, str subclasses as str)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"DynamoDB cannot store the number {value}")
        return Decimal(repr(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _dynamo(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_dynamo(inner) for inner in value]
    if isinstance(value, set | frozenset):
        return {_dynamo(inner) for inner in value}
    return value


def from_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item ({"attr": {"S": ...}}) as plain Python values."""
    return {key: _plain(_DESERIALIZER.deserialize(value)) for key, value in item.items()}


def to_dynamodb(item: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """Plain Python values as a low-level item."""
    return {key: _SERIALIZER.serialize(_dynamo(value)) for key, value in item.items()}


def to_attribute(value: Any) -> AttributeValueTypeDef:
    return _SERIALIZER.serialize(_dynamo(value))


def _conditions(
    expected_status: ModelStatus, holder: str | None
) -> tuple[str, dict[str, str], dict[str, AttributeValueTypeDef]]:
    """A write's condition: that the model is held by `holder` when one is given, else that it is in the status."""
    if holder is not None:
        return "#holder = :holder", {"#holder": HOLDER_ATTRIBUTE}, {":holder": {"S": holder}}
    names = {"#status": STATUS_ATTRIBUTE}
    values: dict[str, AttributeValueTypeDef] = {":expected": {"S": expected_status.value}}
    return "#status = :expected", names, values


def _record(item: Mapping[str, Any]) -> ModelRecord:
    try:
        return ModelRecord.from_item(item)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
        raise InvalidRecord(str(item.get(KEY_ATTRIBUTE, "?")), problems) from exc


_KNOWN_STATUSES: Final = frozenset(status.value for status in ModelStatus)
_UNREADABLE_LOGGED: set[tuple[str, str]] = set()
"""(model id, reason) already logged: a listing repeats every few seconds, the log says it once per process."""


def read_item(item: Mapping[str, Any]) -> ModelRecord | UnreadableRecord:
    """The item as a record, or as an unreadable one saying why."""
    model_id = str(item.get(KEY_ATTRIBUTE, "?"))
    status = item.get(STATUS_ATTRIBUTE)
    if isinstance(status, str) and status not in _KNOWN_STATUSES:
        return UnreadableRecord(model_id, f"status '{status}' is not one this version knows", dict(item))
    try:
        return _record(item)
    except InvalidRecord as exc:
        return UnreadableRecord(exc.model_id, exc.detail, dict(item))


def _collect(item: Mapping[str, Any], records: list[ModelRecord], unreadable: list[UnreadableRecord] | None) -> None:
    """Add the item to `records`, or to `unreadable` when it cannot be read and the caller takes those (else
    InvalidRecord)."""
    if unreadable is None:
        records.append(_record(item))
        return
    read = read_item(item)
    if isinstance(read, UnreadableRecord):
        if (read.model_id, read.reason) not in _UNREADABLE_LOGGED:
            _UNREADABLE_LOGGED.add((read.model_id, read.reason))
            log.warning("models table: %s", InvalidRecord(read.model_id, read.reason))
        unreadable.append(read)
    else:
        records.append(read)


class ModelsTable:
    """The models table of one deployment (its name is published at SSM `<prefix>/modelTableName`)."""

    def __init__(self, clients: AwsClients, table_name: str, *, clock_ms: Callable[[], int] = epoch_ms) -> None:
        self._clients = clients
        self.table_name = table_name
        self._clock_ms = clock_ms

    def _errors(self, operation: str) -> AbstractContextManager[None]:
        return self._clients.errors(f"dynamodb:{operation}", f"table {self.table_name}")

    def scan(
        self,
        *,
        page_size: int | None = None,
        consistent: bool = True,
        unreadable: list[UnreadableRecord] | None = None,
    ) -> list[ModelRecord]:
        """Every model record (all pages of a Scan; LISA's table has no index to query instead).

        Pages are DynamoDB's (up to 1 MB) unless `page_size` items. Items that cannot be read go to `unreadable`
        when it is given; without it they raise InvalidRecord."""
        client = self._clients.dynamodb()
        records: list[ModelRecord] = []
        pagination: PaginatorConfigTypeDef = {} if page_size is None else {"PageSize": page_size}
        with self._errors("Scan"):
            pages = client.get_paginator("scan").paginate(
                TableName=self.table_name, ConsistentRead=consistent, PaginationConfig=pagination
            )
            for page in pages:
                for item in page.get("Items", []):
                    _collect(from_dynamodb(item), records, unreadable)
        return records

    def get(self, model_id: str) -> ModelRecord:
        """The record as it is now (consistent read); `ModelNotFound` if there is none, InvalidRecord if it cannot
        be read."""
        return _record(self.get_item(model_id))

    def get_readable(self, model_id: str) -> ModelRecord | UnreadableRecord:
        """The record as it is now, or the item and why it cannot be read; `ModelNotFound` if there is none."""
        return read_item(self.get_item(model_id))

    def get_item(self, model_id: str) -> dict[str, Any]:
        """The item as stored, in plain values (consistent read); `ModelNotFound` if there is none."""
        with self._errors("GetItem"):
            response = self._clients.dynamodb().get_item(
                TableName=self.table_name, Key={KEY_ATTRIBUTE: {"S": model_id}}, ConsistentRead=True
            )
        item = response.get("Item")
        if not item:
            raise ModelNotFound(model_id)
        return from_dynamodb(item)

    def get_many(
        self, model_ids: Iterable[str], *, unreadable: list[UnreadableRecord] | None = None
    ) -> list[ModelRecord]:
        """The records of those models that exist (consistent reads, BatchGetItem: 100 keys a call); unreadable
        items as in `scan`."""
        wanted = list(dict.fromkeys(model_ids))
        records: list[ModelRecord] = []
        client = self._clients.dynamodb()
        with self._errors("BatchGetItem"):
            for start in range(0, len(wanted), BATCH_GET_MAX):
                keys = [{KEY_ATTRIBUTE: {"S": model_id}} for model_id in wanted[start : start + BATCH_GET_MAX]]
                request: dict[str, KeysAndAttributesTypeDef] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
                for attempt in range(BATCH_GET_ATTEMPTS):
                    if attempt:
                        time.sleep(min(1.0, 0.05 * 2**attempt))
                    response = client.batch_get_item(RequestItems=request)
                    items = response.get("Responses", {}).get(self.table_name, [])
                    for item in items:
                        _collect(from_dynamodb(item), records, unreadable)
                    request = cast("dict[str, KeysAndAttributesTypeDef]", response.get("UnprocessedKeys") or {})
                    if not request:
                        break
                else:
                    raise LisaDesktopError(f"DynamoDB left keys of table {self.table_name} unprocessed")
        return records

    def write_refusal(self) -> str | None:
        """None when this identity may write the table; else why not (the action it lacks), read-only access.

        Side-effect free: an UpdateItem of a key that does not exist, conditional on it existing. IAM is
        checked before the condition, so AccessDenied says read-only and a failed condition says allowed.
        Other failures (unreachable, expired credentials, no such table) raise as any call does.
        """
        with self._errors("UpdateItem"):
            try:
                self._clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key={KEY_ATTRIBUTE: {"S": WRITE_PROBE_KEY}},
                    ConditionExpression="attribute_exists(#key)",
                    ExpressionAttributeNames={"#key": KEY_ATTRIBUTE},
                )
            except ClientError as exc:
                if error_code(exc) == CONDITION_FAILED:
                    return None
                translated = from_client_error(exc, "dynamodb:UpdateItem", f"table {self.table_name}")
                if isinstance(translated, DeploymentUnreachable) and translated.code == "AccessDenied":
                    return f"read-only: {translated.message}"
                raise
        return None

    def transition_status(
        self,
        model_id: str,
        expected_status: ModelStatus,
        new_status: ModelStatus,
        set_attributes: Attributes | None = None,
        remove_attributes: Iterable[str | AttributePath] = (),
        *,
        touch: bool = True,
        holder: str | None = None,
        unheld: bool = False,
        also_from: Iterable[ModelStatus] = (),
    ) -> ModelRecord:
        """Move the model from `expected_status` (or any of `also_from`) to `new_status` in one conditional UpdateItem
        that sets and removes only the attributes named (what LISA's own writers put on the item meanwhile stays).

        The condition: with `holder`, only that the model is still held by it — the status may have been written
        by LISA's status monitor meanwhile, the hold proves the job still owns the model, and a job that lost its
        hold writes nothing. Without it, the status is `expected_status`, and with `unheld` no job holds the
        model (an intake, or a change that takes no hold).

        `set_attributes` are set (None stores NULL, as LISA does for `litellm_id`), `remove_attributes` removed;
        either may name a nested path as a tuple (`("model_config", "streaming")`), whose parent must exist.
        `last_modified_date` is set to now unless `touch` is False or it is in `set_attributes`.
        Returns the record as written. Raises `StatusChanged` if the model is no longer in `expected_status`,
        `ModelNotFound` if it is gone.
        """
        to_set = {_path(name): value for name, value in (set_attributes or {}).items()}
        to_remove = list(dict.fromkeys(_path(name) for name in remove_attributes))
        for reserved in (KEY_ATTRIBUTE, STATUS_ATTRIBUTE):
            if any(path[0] == reserved for path in (*to_set, *to_remove)):
                raise ValueError(f"transition_status sets '{reserved}' itself")
        if overlap := _overlapping([*to_set, *to_remove]):
            raise ValueError(f"attribute paths overlap: {overlap}")
        if touch and not any(path[0] == MODIFIED_ATTRIBUTE for path in (*to_set, *to_remove)):
            to_set[(MODIFIED_ATTRIBUTE,)] = self._clock_ms()

        names: dict[str, str] = {"#status": STATUS_ATTRIBUTE}
        values: dict[str, AttributeValueTypeDef] = {
            ":expected": {"S": expected_status.value},
            ":new": {"S": new_status.value},
        }
        placeholders: dict[str, str] = {}

        def placeholder(path: AttributePath) -> str:
            parts = []
            for name in path:
                if name not in placeholders:
                    placeholders[name] = f"#n{len(placeholders)}"
                    names[placeholders[name]] = name
                parts.append(placeholders[name])
            return ".".join(parts)

        assignments = ["#status = :new"]
        for index, (path, value) in enumerate(to_set.items()):
            values[f":s{index}"] = to_attribute(value)
            assignments.append(f"{placeholder(path)} = :s{index}")
        expression = "SET " + ", ".join(assignments)
        if to_remove:
            expression += " REMOVE " + ", ".join(placeholder(path) for path in to_remove)

        condition = "#status = :expected"
        others = [status for status in dict.fromkeys(also_from) if status is not expected_status]
        if others:
            for index, status in enumerate(others):
                values[f":also{index}"] = {"S": status.value}
            condition = f"#status IN (:expected, {', '.join(f':also{index}' for index in range(len(others)))})"
        if holder is not None:
            names["#holder"] = HOLDER_ATTRIBUTE
            values[":holder"] = {"S": holder}
            condition = "#holder = :holder"
            del values[":expected"]
        elif unheld:
            names["#holder"] = HOLDER_ATTRIBUTE
            condition += " AND attribute_not_exists(#holder)"
        with self._errors("UpdateItem"), self._status_condition(model_id, expected_status):
            response = self._clients.dynamodb().update_item(
                TableName=self.table_name,
                Key={KEY_ATTRIBUTE: {"S": model_id}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        return _record(from_dynamodb(response.get("Attributes", {})))

    def renew_hold(self, model_id: str, holder: str, *, new_holder: str | None = None) -> bool:
        """Set the heartbeat to now if the model is still held by `holder` (and hand the hold to `new_holder`, when
        given: a takeover). False when someone else holds it now, or nobody; one conditional UpdateItem."""
        names = {"#holder": HOLDER_ATTRIBUTE, "#beat": HEARTBEAT_ATTRIBUTE}
        values: dict[str, AttributeValueTypeDef] = {":holder": {"S": holder}, ":now": to_attribute(self._clock_ms())}
        expression = "SET #beat = :now"
        if new_holder is not None:
            values[":new"] = {"S": new_holder}
            expression += ", #holder = :new"
        with self._errors("UpdateItem"):
            try:
                self._clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key={KEY_ATTRIBUTE: {"S": model_id}},
                    UpdateExpression=expression,
                    ConditionExpression="#holder = :holder",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if error_code(exc) == CONDITION_FAILED:
                    return False
                raise
        return True

    def now_ms(self) -> int:
        return self._clock_ms()

    def put_new(self, record: ModelRecord, *, touch: bool = True) -> ModelRecord:
        """Write a new model; `ModelAlreadyExists` if its id is taken. Returns the record as written."""
        item = self._item_to_write(record, touch)
        with self._errors("PutItem"):
            try:
                self._clients.dynamodb().put_item(
                    TableName=self.table_name,
                    Item=to_dynamodb(item),
                    ConditionExpression="attribute_not_exists(#key)",
                    ExpressionAttributeNames={"#key": KEY_ATTRIBUTE},
                )
            except ClientError as exc:
                if error_code(exc) == CONDITION_FAILED:
                    raise ModelAlreadyExists(record.model_id) from exc
                raise
        return _record(item)

    def delete(self, model_id: str, expected_status: ModelStatus, *, holder: str | None = None) -> ModelRecord:
        """Delete the record if it is still in `expected_status` (and held by `holder`, when given); returns what
        was deleted."""
        condition, names, values = _conditions(expected_status, holder)
        with self._errors("DeleteItem"), self._status_condition(model_id, expected_status):
            response = self._clients.dynamodb().delete_item(
                TableName=self.table_name,
                Key={KEY_ATTRIBUTE: {"S": model_id}},
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        return _record(from_dynamodb(response.get("Attributes", {})))

    @contextmanager
    def _status_condition(self, model_id: str, expected_status: ModelStatus) -> Iterator[None]:
        """A write conditional on the stored status: a failed condition becomes StatusChanged/ModelNotFound."""
        try:
            yield
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise self._condition_failure(exc, model_id, expected_status) from exc
            raise

    def _item_to_write(self, record: ModelRecord, touch: bool) -> dict[str, Any]:
        item = record.to_item()
        item[STATUS_ATTRIBUTE] = record.model_status.value
        if touch:
            item[MODIFIED_ATTRIBUTE] = self._clock_ms()
        return item

    @staticmethod
    def _condition_failure(exc: ClientError, model_id: str, expected: ModelStatus) -> LisaDesktopError:
        old = response_item(exc)
        if not old:
            return ModelNotFound(model_id)
        current = from_dynamodb(old)
        holder = current.get(HOLDER_ATTRIBUTE)
        return StatusChanged(
            model_id,
            expected.value,
            str(current.get(STATUS_ATTRIBUTE)),
            str(holder) if holder is not None else None,
        )
