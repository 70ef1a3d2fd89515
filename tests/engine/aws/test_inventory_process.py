"""The inventory read in its helper process, against a sandbox served on loopback."""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.aws.errors import DeploymentNotFound
from engine.aws.inventory import Inventory
from engine.aws.inventory_process import InventoryReader, ReaderConfig, ReaderFailed
from engine.aws.rows import row_of, unreadable_row
from engine.errors import LisaDesktopError, ModelNotFound
from engine.model_row import ModelRow
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


@pytest.fixture(scope="module")
def clients(sandbox: Sandbox) -> AwsClients:
    return AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)


@pytest.fixture(scope="module")
def config(sandbox: Sandbox, clients: AwsClients) -> ReaderConfig:
    return ReaderConfig.of(clients, discover_deployment(clients, sandbox.prefix))


@pytest.fixture
def reader() -> Iterator[InventoryReader]:
    opened = InventoryReader()
    try:
        yield opened
    finally:
        opened.close()


def describe_model(sandbox: Sandbox, config: ReaderConfig, model_id: str, text: str) -> None:
    sandbox.session().client("dynamodb", endpoint_url=sandbox.endpoint_url).update_item(
        TableName=config.deployment.models_table_name,
        Key={"model_id": {"S": model_id}},
        UpdateExpression="SET model_config.modelDescription = :d",
        ExpressionAttributeValues={":d": {"S": text}},
    )


def settled(row: ModelRow) -> ModelRow:
    """The row without the live facts that the sandbox moves on while a model is in a transitional status."""
    if not ModelStatus(row.status).is_transitional:
        return row
    return dataclasses.replace(row, running_tasks=None, healthy_instances=None, live_json=None)


def test_the_helper_reads_the_rows_the_inventory_reads_in_process(
    reader: InventoryReader, config: ReaderConfig, clients: AwsClients
) -> None:
    rows = reader.listing(config)
    listing = Inventory(clients, config.deployment).listing(detail=False)
    read = [*(row_of(view, listing.default_model) for view in listing.views), *map(unreadable_row, listing.unreadable)]
    here = sorted(read, key=lambda r: r.model_id)
    assert [row.model_id for row in rows] == [row.model_id for row in here]
    assert len(rows) >= 14
    assert [row.model_id for row in rows if row.is_default] == ["mistral-7b-instruct"]
    assert list(map(settled, rows)) == list(map(settled, here))
    assert reader.pid is not None and reader.pid != os.getpid()
    stats = reader.last_stats
    assert stats is not None
    assert stats.rows_sent == len(rows)
    assert stats.calls["Scan"] >= 1


def test_an_unchanged_model_comes_back_as_the_row_already_held_and_only_changes_cross(
    reader: InventoryReader, config: ReaderConfig, sandbox: Sandbox
) -> None:
    first = {row.model_id: row for row in reader.listing(config)}
    describe_model(sandbox, config, "mistral-7b-instruct", "changed by a test")
    second = {row.model_id: row for row in reader.listing(config)}
    assert second.keys() == first.keys()
    assert second["mistral-7b-instruct"] is not first["mistral-7b-instruct"]
    assert second["mistral-7b-instruct"].config["modelDescription"] == "changed by a test"
    kept = [model_id for model_id in first if model_id != "mistral-7b-instruct" and second[model_id] is first[model_id]]
    stats = reader.last_stats
    assert stats is not None
    assert stats.rows_sent == len(first) - len(kept)
    assert stats.rows_sent < len(first) / 2  # the others were unchanged (some rows' live facts may move)
    again = reader.some(config, ["mistral-7b-instruct", "no-such-model"])
    assert again == [second["mistral-7b-instruct"]]
    assert again[0] is second["mistral-7b-instruct"]


def test_a_reader_shared_by_deployments_forgets_one_when_it_reads_another(
    reader: InventoryReader, config: ReaderConfig
) -> None:
    first = reader.listing(config)
    other = dataclasses.replace(config, deployment=dataclasses.replace(config.deployment, prefix="/other/lisa"))
    rows = reader.listing(other)
    stats = reader.last_stats
    assert stats is not None
    assert stats.rows_sent == len(rows) == len(first)  # nothing counted as known from the first deployment
    assert all(new is not old for new, old in zip(rows, first, strict=True))


def test_one_models_row_and_the_write_probe_are_asked_of_the_helper(
    reader: InventoryReader, config: ReaderConfig, clients: AwsClients
) -> None:
    row = reader.row(config, "mistral-7b-instruct")
    assert row.model_id == "mistral-7b-instruct"
    assert row.live is not None and "events" in row.live  # described, for the details pane
    assert reader.write_refusal(config) is None  # the sandbox's identity may write
    with pytest.raises(ModelNotFound):
        reader.row(config, "no-such-model")
    assert reader.row(config, "bge-large-en").model_id == "bge-large-en"  # the helper goes on serving


def test_the_helper_discovers_the_deployment_and_says_why_when_it_cannot(
    reader: InventoryReader, config: ReaderConfig, clients: AwsClients, sandbox: Sandbox
) -> None:
    bare = dataclasses.replace(config, deployment=None)
    assert reader.discover(bare, sandbox.prefix, None) == config.deployment
    with pytest.raises(DeploymentNotFound) as in_process:
        discover_deployment(clients, "/no/such/prefix")
    with pytest.raises(DeploymentNotFound) as through_the_pipe:
        reader.discover(bare, "/no/such/prefix", None)
    assert str(through_the_pipe.value) == str(in_process.value)
    with pytest.raises(ReaderFailed, match="not known yet"):
        reader.listing(bare)


def test_a_failure_in_the_helper_arrives_as_the_error_the_engine_raises(
    reader: InventoryReader, config: ReaderConfig, clients: AwsClients
) -> None:
    broken = dataclasses.replace(
        config, deployment=dataclasses.replace(config.deployment, models_table_name="no-such-table")
    )
    with pytest.raises(LisaDesktopError) as in_process:
        Inventory(clients, broken.deployment).listing(detail=False)
    with pytest.raises(LisaDesktopError) as through_the_pipe:
        reader.listing(broken)
    assert type(through_the_pipe.value) is type(in_process.value)
    assert str(through_the_pipe.value) == str(in_process.value)
    assert vars(through_the_pipe.value) == vars(in_process.value)
    assert len(reader.listing(config)) >= 14  # the helper goes on serving


def test_a_helper_that_dies_is_started_again_for_the_next_read(reader: InventoryReader, config: ReaderConfig) -> None:
    reader.listing(config)
    first = reader.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: reader.pid is None, what="the helper to be gone")
    rows = reader.listing(config)
    assert len(rows) >= 14
    assert reader.pid not in (None, first)
    stats = reader.last_stats
    assert stats is not None
    assert stats.rows_sent == len(rows)  # a new helper remembers nothing: every row crosses again


def test_credentials_reach_the_helper_through_the_pipe_only(reader: InventoryReader, config: ReaderConfig) -> None:
    reader.listing(config)
    pid = reader.pid
    assert pid is not None
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    environment = Path(f"/proc/{pid}/environ").read_bytes()
    for secret in (config.secret_key, config.deployment.management_key):
        assert secret.encode() not in command
        assert secret.encode() not in environment


def test_a_closed_reader_stops_its_helper(config: ReaderConfig) -> None:
    reader = InventoryReader()
    reader.listing(config)
    pid = reader.pid
    assert pid is not None
    reader.close()
    assert reader.pid is None
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().casefold()


def test_an_error_that_cannot_cross_the_pipe_is_told_in_words() -> None:
    from engine.aws.inventory_process import _portable, _rebuilt

    class Local(Exception):  # not importable by the window: cannot be rebuilt there
        pass

    rebuilt = _rebuilt(_portable(Local("the detail")))
    assert isinstance(rebuilt, ReaderFailed)
    assert "Local: the detail" in str(rebuilt)
