"""LISA's configuration table: found by the name CloudFormation gives it, read once per listing for the default
model, and the rows carrying the default and the context window."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from engine.aws.clients import AwsClients
from engine.aws.configuration_table import ConfigurationTable, belongs_to, chat_stack_of
from engine.aws.discovery import discover_deployment
from engine.aws.inventory import Inventory
from engine.aws.rows import row_of
from engine.sandbox.catalog import DEFAULT_MODEL_ID
from engine.sandbox.server import Sandbox

DEV = "LISA-lisa-chat-dev-ConfigurationApiConfigurationTable8A1B2C3D-1AB2CD3EF4GH"
PROD = "LISA-lisa-chat-prod-ConfigurationApiConfigurationTable9F8E7D6C-9ZY8XW7VU6TS"


def test_a_table_name_names_its_chat_stack() -> None:
    assert chat_stack_of(DEV) == "LISA-lisa-chat-dev"
    assert chat_stack_of("LISA-lisa-chat-dev-ProjectsTable12345678-ABC") is None


@pytest.mark.parametrize(
    ("stack", "prefix", "expected"),
    [
        ("LISA-lisa-chat-dev", "/dev/LISA/lisa", True),  # LISA's default prefix /<stage>/<deploymentName>/<appName>
        ("LISA-lisa-chat-prod", "/dev/LISA/lisa", False),
        ("LISA-other-chat-dev", "/dev/LISA/lisa", False),
        ("lisa-lisa-chat-sandbox", "/sandbox/lisa", True),  # /<stage>/<deploymentName>
        ("lisa-lisa-chat-dev", "/sandbox/lisa", False),
        ("LISA-lisa-chat-dev", "/custom", False),
    ],
)
def test_the_chat_stack_of_a_deployment(stack: str, prefix: str, expected: bool) -> None:
    assert belongs_to(stack, prefix) is expected


def test_the_deployments_table_is_found_among_the_accounts(clients: AwsClients) -> None:
    dynamodb = clients.dynamodb()
    for name in (DEV, PROD, "LisaModels"):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "configScope", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "configScope", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert ConfigurationTable(clients, "/dev/LISA/lisa").table_name == DEV
    assert ConfigurationTable(clients, "/prod/LISA/lisa").table_name == PROD
    assert ConfigurationTable(clients, "/custom/prefix").table_name is None  # two candidates: neither is guessed
    assert ConfigurationTable(clients, "/dev/LISA/lisa").latest() is None  # no version yet


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False) as running:
        yield running


def test_a_listing_reads_the_default_with_one_query_and_its_rows_carry_it(sandbox: Sandbox) -> None:
    calls: Counter[str] = Counter()
    clients = AwsClients(
        sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url, on_call=lambda name: calls.update([name])
    )
    inventory = Inventory(clients, discover_deployment(clients, sandbox.prefix))

    calls.clear()
    listing = inventory.listing(detail=False)
    assert listing.default_model == DEFAULT_MODEL_ID
    assert (calls["ListTables"], calls["Query"]) == (1, 1)

    calls.clear()
    listing = inventory.listing(detail=False)
    assert (calls["ListTables"], calls["Query"]) == (0, 1)
    rows = {view.model_id: row_of(view, listing.default_model) for view in listing.views}
    assert [model_id for model_id, row in rows.items() if row.is_default] == [DEFAULT_MODEL_ID]
    assert rows["mistral-7b-instruct"].context_window == 16384
    assert rows["sdxl-image"].context_window is None

    calls.clear()
    some = inventory.some_listing(["bge-large-en", DEFAULT_MODEL_ID])
    assert some.default_model == DEFAULT_MODEL_ID
    assert (calls["ListTables"], calls["Query"]) == (0, 1)
