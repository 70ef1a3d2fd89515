"""LISA's configuration table: where its web UI keeps the global configuration, the default model included.

LISA's chat stack (`lib/chat/api/configuration.ts`, stack `<deploymentName>-<appName>-chat-<stage>`) creates the
table (partition key `configScope` S, sort key `versionId` N) without a name of its own and publishes none in
SSM, so CloudFormation names it `<stack>-ConfigurationApiConfigurationTable<hash>-<suffix>`: the table is found by
that name (ListTables, once per gateway). Each change is a new item, one version up (`lambda/configuration/
lambda_functions.py`: PutItem of the body plus `created_at`); readers take the highest `versionId` of the scope.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.discovery import normalize_prefix
from engine.aws.models_table import from_dynamodb, to_dynamodb
from engine.errors import LisaDesktopError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

log = logging.getLogger(__name__)

SCOPE_ATTRIBUTE: Final = "configScope"
VERSION_ATTRIBUTE: Final = "versionId"
GLOBAL_SCOPE: Final = "global"
TABLE_MARKER: Final = "-ConfigurationApiConfigurationTable"
"""What CloudFormation puts between the chat stack's name and the hash in the table's name."""
CHAT_STACK_PART: Final = "chat"
DEFAULT_APP_NAME: Final = "lisa"
"""LISA's `appName` default (`lib/schema/configSchema.ts`)."""


class ConfigurationTableNotFound(LisaDesktopError):
    """The deployment has no configuration table this identity can see (LISA without its chat stack)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(
            f"LISA's configuration table of {prefix} was not found (a table named "
            f"'<deploymentName>-<appName>-chat-<stage>{TABLE_MARKER}…', made by LISA's chat stack)"
        )


class ConfigurationChanged(LisaDesktopError):
    """Another writer added the configuration version this write would have added."""


@dataclass(frozen=True)
class GlobalConfiguration:
    """The newest item of the `global` scope, in plain values."""

    item: Mapping[str, Any]

    @property
    def version(self) -> int:
        value = self.item.get(VERSION_ATTRIBUTE)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    @property
    def configuration(self) -> Mapping[str, Any]:
        value = self.item.get("configuration")
        return value if isinstance(value, Mapping) else {}

    @property
    def default_model(self) -> str | None:
        """`configuration.global.defaultModel`, as LISA's UI reads it."""
        section = self.configuration.get("global")
        value = section.get("defaultModel") if isinstance(section, Mapping) else None
        return value if isinstance(value, str) and value else None


def chat_stack_of(table_name: str) -> str | None:
    """The stack a configuration table's name says it belongs to; None for any other table."""
    stack, marker, _ = table_name.partition(TABLE_MARKER)
    return stack if marker and stack else None


def belongs_to(stack: str, prefix: str) -> bool:
    """Whether the chat stack `stack` is the deployment's at `prefix`: LISA's prefix is `/<stage>/<deploymentName>`
    followed by `/<appName>` (its default), the stack `<deploymentName>-<appName>-chat-<stage>`."""
    segments = normalize_prefix(prefix).strip("/").split("/")
    if len(segments) >= 3:
        stage, name, app = segments[0], segments[1], segments[2]
        return stack == f"{name}-{app}-{CHAT_STACK_PART}-{stage}"
    if len(segments) == 2:
        stage, name = segments
        return stack.startswith(f"{name}-") and stack.endswith(f"-{CHAT_STACK_PART}-{stage}")
    return False


def sandbox_table_name(deployment_name: str, stage: str) -> str:
    """The name CloudFormation would give the table of a deployment with LISA's default `appName`."""
    return f"{deployment_name}-{DEFAULT_APP_NAME}-{CHAT_STACK_PART}-{stage}{TABLE_MARKER}5B8F2C1D-1Q2W3E4R5T6Y"


class ConfigurationTable:
    """The configuration table of one deployment. The table is looked for on first use and remembered."""

    def __init__(self, clients: AwsClients, prefix: str, *, table_name: str | None = None) -> None:
        self._clients = clients
        self.prefix = normalize_prefix(prefix)
        self._lock = threading.Lock()
        self._name: str | None = table_name
        self._located = table_name is not None

    @property
    def table_name(self) -> str | None:
        """The table's name; None when the deployment has none (ListTables on the first call only)."""
        with self._lock:
            if not self._located:
                self._name = self._locate()
                self._located = True
            return self._name

    def remember(self, other: ConfigurationTable) -> None:
        """Take what `other` found (same deployment, new clients), so that it is not looked for again."""
        if other.prefix == self.prefix and other._located:
            with self._lock:
                self._name, self._located = other._name, True

    def _locate(self) -> str | None:
        with self._clients.errors("dynamodb:ListTables"):
            pages = self._clients.dynamodb().get_paginator("list_tables").paginate()
            names = [name for page in pages for name in page.get("TableNames", ())]
        tables = [name for name in names if chat_stack_of(name) is not None]
        ours = [name for name in tables if belongs_to(chat_stack_of(name) or "", self.prefix)]
        if len(ours) == 1:
            return ours[0]
        if not ours and len(tables) == 1:
            return tables[0]  # a prefix not in LISA's form: the account's only configuration table
        if tables:
            log.warning("no single configuration table of %s among %s", self.prefix, tables)
        return None

    def required_name(self) -> str:
        name = self.table_name
        if name is None:
            raise ConfigurationTableNotFound(self.prefix)
        return name

    def latest(self) -> GlobalConfiguration | None:
        """The newest `global` configuration (one Query, newest version first, one item), None when there is
        none or no table."""
        name = self.table_name
        if name is None:
            return None
        with self._clients.errors("dynamodb:Query", f"table {name}"):
            response = self._clients.dynamodb().query(
                TableName=name,
                KeyConditionExpression="#scope = :scope",
                ExpressionAttributeNames={"#scope": SCOPE_ATTRIBUTE},
                ExpressionAttributeValues={":scope": {"S": GLOBAL_SCOPE}},
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        items = response.get("Items", [])
        return GlobalConfiguration(from_dynamodb(items[0])) if items else None

    def default_model(self) -> str | None:
        latest = self.latest()
        return latest.default_model if latest is not None else None

    def add_version(
        self,
        item: Mapping[str, Any],
        *,
        condition_check: Mapping[str, Any] | None = None,
        on_check_failed: Callable[[Mapping[str, Any] | None], LisaDesktopError] | None = None,
    ) -> None:
        """Put `item` as a new version: one TransactWriteItems whose Put requires the version to be new, with
        `condition_check` (a ConditionCheck on another table) when given. Nothing is written when either fails:
        `on_check_failed(item the check found, or None)` for the check, ConfigurationChanged for the version."""
        name = self.required_name()
        put: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": name,
                "Item": to_dynamodb(item),
                "ConditionExpression": "attribute_not_exists(#version)",
                "ExpressionAttributeNames": {"#version": VERSION_ATTRIBUTE},
            }
        }
        items: list[TransactWriteItemTypeDef] = [put]
        if condition_check is not None:
            items.insert(0, {"ConditionCheck": {**condition_check, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}})  # type: ignore[typeddict-item]
        with self._clients.errors("dynamodb:TransactWriteItems", f"table {name}"):
            try:
                self._clients.dynamodb().transact_write_items(TransactItems=items)
            except ClientError as exc:
                reasons = exc.response.get("CancellationReasons") or []
                failed = [i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]
                if condition_check is not None and 0 in failed and on_check_failed is not None:
                    found = reasons[0].get("Item")
                    raise on_check_failed(from_dynamodb(found) if found else None) from exc
                if failed:
                    raise ConfigurationChanged(
                        f"LISA's configuration version {item.get(VERSION_ATTRIBUTE)} was written by someone else "
                        "meanwhile; nothing was written"
                    ) from exc
                raise


def epoch_seconds_text(seconds: float) -> str:
    """`created_at` as LISA's configuration handler writes it: `str(Decimal(time.time()))`."""
    return str(Decimal(seconds))
