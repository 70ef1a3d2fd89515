"""`models delete` as LISA deletes: refused (exit 3) for a model a RAG repository uses, naming what uses it and
changing nothing; a model with guardrails loses them with it."""

from __future__ import annotations

import json

import pytest

from engine.sandbox.rag_and_guardrails import RAG_COLLECTION, RAG_EMBEDDING_MODEL, RAG_REPOSITORY
from engine.sandbox.server import Sandbox
from lisa_desktop.exit_codes import ExitCode
from tests.lisa_desktop.cli.endpoint_cli import cli


def stored(sandbox: Sandbox, model_id: str) -> dict[str, object]:
    table = sandbox.client("ssm").get_parameter(Name=f"{sandbox.prefix}/modelTableName")["Parameter"]["Value"]
    item = sandbox.client("dynamodb").get_item(TableName=table, Key={"model_id": {"S": model_id}}, ConsistentRead=True)
    return dict(item["Item"])


def test_deleting_a_model_a_rag_repository_uses_exits_3_naming_them(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored(sandbox, RAG_EMBEDDING_MODEL)
    capsys.readouterr()

    code, _ = cli(sandbox, "models", "delete", RAG_EMBEDDING_MODEL, "--yes", "--wait")

    assert code == ExitCode.STATUS_NOT_ALLOWED == 3
    err = capsys.readouterr().err
    assert f"cannot delete '{RAG_EMBEDDING_MODEL}': it is in use by RAG repository '{RAG_REPOSITORY}'" in err
    assert f"collection '{RAG_COLLECTION}' of RAG repository '{RAG_REPOSITORY}'" in err
    assert "another embedding model" in err and "nothing was changed" in err
    code, out = cli(sandbox, "models", "delete", RAG_EMBEDDING_MODEL, "--yes", "--wait", "--json")
    assert (code, json.loads(out)["exitCode"]) == (3, 3)
    assert RAG_REPOSITORY in json.loads(out)["error"]
    assert stored(sandbox, RAG_EMBEDDING_MODEL) == before
    assert [m.model_name for m in sandbox.litellm.registered()].count(RAG_EMBEDDING_MODEL) == 1


def test_deleting_a_model_with_guardrails_removes_them(sandbox: Sandbox) -> None:
    table = sandbox.client("ssm").get_parameter(Name=f"{sandbox.prefix}/guardrailsTableName")["Parameter"]["Value"]

    def rows() -> list[str]:
        items = sandbox.client("dynamodb").scan(TableName=table)["Items"]
        return sorted(item["guardrailName"]["S"] for item in items if item["modelId"]["S"] == "nova-pro")

    assert rows() == ["harmful-content", "pii-filter"]
    code, out = cli(sandbox, "models", "delete", "nova-pro", "--yes", "--wait")
    assert code == 0, out
    assert "removed 2 of 2 guardrails" in out
    assert rows() == []
    assert not [g for g in sandbox.litellm.guardrails() if g.guardrail_name.endswith("-nova-pro")]
    assert cli(sandbox, "models", "show", "nova-pro")[0] == 4
