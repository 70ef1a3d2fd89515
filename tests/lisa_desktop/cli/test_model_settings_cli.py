"""`models set-default` and `models context-window` against the sandbox, as a user runs them: what they write
(LISA's configuration table, the record's `context_window`), what `models list` then shows, and the refusals that
write nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from engine.aws.models_table import from_dynamodb, to_dynamodb
from engine.sandbox.catalog import DEFAULT_MODEL_ID
from engine.sandbox.configuration import initial_configuration
from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run
from lisa_desktop.exit_codes import ExitCode


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False) as running:
        yield running


@pytest.fixture
def sandbox(running_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", running_sandbox.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running_sandbox.secret_key)
    return running_sandbox


def cli(sandbox: Sandbox, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(["--endpoint-url", sandbox.endpoint_url, *argv], out=out)
    return code, out.getvalue()


def configuration_versions(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every item of LISA's configuration table, oldest version first."""
    dynamodb = sandbox.client("dynamodb")
    items = dynamodb.scan(TableName=sandbox.deployment.configuration.table_name)["Items"]
    return sorted((from_dynamodb(item) for item in items), key=lambda item: item["versionId"])


def record(sandbox: Sandbox, model_id: str) -> dict[str, Any] | None:
    item = sandbox.client("dynamodb").get_item(TableName=sandbox.table_name, Key={"model_id": {"S": model_id}})
    return from_dynamodb(item["Item"]) if "Item" in item else None


def listed(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    code, out = cli(sandbox, "models", "list", "--json")
    assert code == ExitCode.OK, out
    return {entry["model"]["modelId"]: entry for entry in json.loads(out) if "model" in entry}


def default_of(sandbox: Sandbox) -> str:
    return str(configuration_versions(sandbox)[-1]["configuration"]["global"]["defaultModel"])


def ensure_default(sandbox: Sandbox, model_id: str) -> None:
    if default_of(sandbox) != model_id:
        assert cli(sandbox, "models", "set-default", model_id)[0] == ExitCode.OK


def before_backend_call(
    monkeypatch: pytest.MonkeyPatch, name: str, meanwhile: Callable[[DynamoDBBackend], None]
) -> None:
    """moto's DynamoDB runs `meanwhile` once, right before it executes the next `name` request (another writer
    acting between the command's read and its write)."""
    original = getattr(DynamoDBBackend, name)
    pending = [meanwhile]

    def patched(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        if pending:
            pending.pop()(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, name, patched)


def set_status(sandbox: Sandbox, model_id: str, status: str) -> Callable[[DynamoDBBackend], None]:
    def write(backend: DynamoDBBackend) -> None:
        backend.update_item(
            sandbox.table_name,
            {"model_id": {"S": model_id}},
            "SET model_status = :s",
            {},
            {":s": {"S": status}},
        )

    return write


# -- the default model -----------------------------------------------------------------------------------------


def test_the_seeded_configuration_is_lisas_and_the_listing_marks_its_default(sandbox: Sandbox) -> None:
    ensure_default(sandbox, DEFAULT_MODEL_ID)
    versions = configuration_versions(sandbox)
    assert versions[0] == initial_configuration(deploy_rag=True)
    assert DEFAULT_MODEL_ID == "mistral-7b-instruct"

    models = listed(sandbox)
    assert [model_id for model_id, entry in models.items() if entry["isDefault"]] == [DEFAULT_MODEL_ID]

    code, out = cli(sandbox, "models", "list")
    assert code == ExitCode.OK
    header, *lines = out.splitlines()
    assert header.split()[-2:] == ["CONTEXT", "DEFAULT"]
    marked = [line.split()[0] for line in lines if line.endswith("  default")]
    assert marked == [DEFAULT_MODEL_ID]


def test_set_default_writes_a_configuration_version_as_lisas_ui_does(sandbox: Sandbox) -> None:
    ensure_default(sandbox, DEFAULT_MODEL_ID)
    before = configuration_versions(sandbox)
    caller = sandbox.client("sts").get_caller_identity()["Arn"]

    code, out = cli(sandbox, "models", "set-default", "claude-3-5-sonnet")
    assert code == ExitCode.OK, out
    assert out == f"claude-3-5-sonnet is now the default model (was {DEFAULT_MODEL_ID})\n"

    after = configuration_versions(sandbox)
    assert after[:-1] == before
    written = after[-1]
    created_at = written.pop("created_at")
    assert Decimal(created_at) > 0 and isinstance(created_at, str)
    assert written == {
        "configScope": "global",
        "versionId": before[-1]["versionId"] + 1,
        "configuration": {**before[-1]["configuration"], "global": {"defaultModel": "claude-3-5-sonnet"}},
        "changedBy": caller,
        "changeReason": "Set default model to: claude-3-5-sonnet",
    }
    models = listed(sandbox)
    assert [model_id for model_id, entry in models.items() if entry["isDefault"]] == ["claude-3-5-sonnet"]

    code, out = cli(sandbox, "models", "set-default", "claude-3-5-sonnet", "--json")
    assert code == ExitCode.OK
    assert json.loads(out) == {
        "defaultModel": "claude-3-5-sonnet",
        "previous": "claude-3-5-sonnet",
        "written": False,
        "versionId": None,
    }
    assert configuration_versions(sandbox) == [*before, {**written, "created_at": created_at}]


@pytest.mark.parametrize(
    ("model_id", "code", "message"),
    [
        (
            "llama3-8b-tgi",
            ExitCode.STATUS_NOT_ALLOWED,
            "model 'llama3-8b-tgi' is Stopped: only an InService model can be the default",
        ),
        (
            "bge-large-en",
            ExitCode.INVALID,
            "modelType: model 'bge-large-en' is of type embedding: only a textgen model can be the default",
        ),
        ("no-such-model", ExitCode.NOT_FOUND, "model 'no-such-model' was not found"),
    ],
)
def test_set_default_refuses_a_stopped_an_embedding_and_an_unknown_model(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], model_id: str, code: int, message: str
) -> None:
    before = configuration_versions(sandbox)
    assert cli(sandbox, "models", "set-default", model_id)[0] == code
    assert message in capsys.readouterr().err
    assert configuration_versions(sandbox) == before


def test_set_default_of_a_model_stopped_meanwhile_writes_nothing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_default(sandbox, DEFAULT_MODEL_ID)
    before = configuration_versions(sandbox)
    try:
        with monkeypatch.context() as patch:
            before_backend_call(patch, "transact_write_items", set_status(sandbox, "nova-pro", "Stopped"))
            assert cli(sandbox, "models", "set-default", "nova-pro")[0] == ExitCode.STATUS_NOT_ALLOWED
        assert "model 'nova-pro' is now Stopped" in capsys.readouterr().err
        assert configuration_versions(sandbox) == before
    finally:
        set_status(sandbox, "nova-pro", "InService")(_backend(sandbox))


def _backend(sandbox: Sandbox) -> DynamoDBBackend:
    backend: DynamoDBBackend = dynamodb_backends[sandbox.deployment.account_id][sandbox.region]
    return backend


# -- the context window ----------------------------------------------------------------------------------------


def test_context_window_sets_the_records_context_window_and_the_listing_shows_it(sandbox: Sandbox) -> None:
    old = record(sandbox, "nova-pro")
    assert old is not None
    code, out = cli(sandbox, "models", "context-window", "nova-pro", "131072")
    assert code == ExitCode.OK, out
    assert out == "nova-pro: contextWindow set to 131072\n"

    new = record(sandbox, "nova-pro")
    assert new is not None
    assert new["context_window"] == 131072
    assert new["last_modified_date"] >= old["last_modified_date"]
    assert {k: v for k, v in new.items() if k not in ("context_window", "last_modified_date")} == {
        k: v for k, v in old.items() if k not in ("context_window", "last_modified_date")
    }
    assert listed(sandbox)["nova-pro"]["model"]["contextWindow"] == 131072
    line = next(line for line in cli(sandbox, "models", "list")[1].splitlines() if line.startswith("nova-pro "))
    assert "131072" in line.split()


def test_context_window_is_set_in_any_status_as_lisas_handler_allows(sandbox: Sandbox) -> None:
    """LISA's handler checks neither status nor hosting type: a Stopped hosted model and a Failed one."""
    for model_id in ("llama3-8b-tgi", "broken-model"):
        code, out = cli(sandbox, "models", "context-window", model_id, "4096", "--json")
        assert code == ExitCode.OK, out
        assert json.loads(out)["model"]["contextWindow"] == 4096
        stored = record(sandbox, model_id)
        assert stored is not None and stored["context_window"] == 4096


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("0", "Input should be greater than 0"),
        ("-1", "Input should be greater than 0"),
        ("abc", "Input should be a valid integer"),
        ("1.5", "Input should be a valid integer"),
    ],
)
def test_context_window_refuses_what_is_not_a_positive_integer_naming_the_field(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], value: str, rule: str
) -> None:
    before = record(sandbox, "mistral-7b-instruct")
    assert cli(sandbox, "models", "context-window", "mistral-7b-instruct", value)[0] == ExitCode.INVALID
    assert f"contextWindow: {rule}" in capsys.readouterr().err
    assert record(sandbox, "mistral-7b-instruct") == before


def test_context_window_of_an_unknown_model_is_not_found(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(sandbox, "models", "context-window", "no-such-model", "4096")[0] == ExitCode.NOT_FOUND
    assert "model 'no-such-model' was not found" in capsys.readouterr().err
    assert record(sandbox, "no-such-model") is None


def test_context_window_of_a_model_deleted_meanwhile_writes_nothing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """LISA's own UpdateItem would create a stub item for the deleted model; ours is conditional."""
    kept = record(sandbox, "sdxl-image")
    assert kept is not None

    def delete(backend: DynamoDBBackend) -> None:
        backend.delete_item(sandbox.table_name, {"model_id": {"S": "sdxl-image"}})

    try:
        with monkeypatch.context() as patch:
            before_backend_call(patch, "update_item", delete)
            assert cli(sandbox, "models", "context-window", "sdxl-image", "77")[0] == ExitCode.NOT_FOUND
        assert "model 'sdxl-image' was not found" in capsys.readouterr().err
        assert record(sandbox, "sdxl-image") is None
    finally:
        _put_back(sandbox, kept)


def _put_back(sandbox: Sandbox, item: dict[str, Any]) -> None:
    sandbox.client("dynamodb").put_item(TableName=sandbox.table_name, Item=to_dynamodb(item))


def test_context_window_of_a_model_whose_status_changed_meanwhile_writes_nothing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = record(sandbox, "titan-embed-v2")
    assert before is not None
    try:
        with monkeypatch.context() as patch:
            before_backend_call(patch, "update_item", set_status(sandbox, "titan-embed-v2", "Deleting"))
            code = cli(sandbox, "models", "context-window", "titan-embed-v2", "1024")[0]
        assert code == ExitCode.STATUS_NOT_ALLOWED
        assert "model 'titan-embed-v2' is now Deleting" in capsys.readouterr().err
        assert record(sandbox, "titan-embed-v2") == {**before, "model_status": "Deleting"}
    finally:
        _put_back(sandbox, before)
