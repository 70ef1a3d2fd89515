"""Delete as LISA's DeleteModel does it, on the sandbox: the model's guardrails go with it (rows and LiteLLM
guardrails, best effort), and a model an active RAG repository, collection or pipeline uses is refused before
anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.aws.guardrails import Guardrail, GuardrailsTable
from engine.errors import ModelInUse
from engine.jobs.delete_job import validate_delete
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.sandbox.catalog import catalog_by_id
from engine.sandbox.rag_and_guardrails import (
    GUARDRAILS,
    RAG_COLLECTION,
    RAG_EMBEDDING_MODEL,
    RAG_REPOSITORY,
    GuardrailsAndRag,
    SeededGuardrail,
)
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from tests.engine.jobs.sandbox_world import FAST, World, sandbox_on_skipping_clock, world_on


def delete(world: World, runner: JobRunner, model_id: str) -> JobResult:
    return runner.submit_delete(world.aws, model_id, settings=FAST, listeners=(world.listen,)).result(timeout=60)


def extras(sandbox: Sandbox) -> GuardrailsAndRag:
    return GuardrailsAndRag(sandbox.client("dynamodb"), sandbox.client("ssm"), sandbox.prefix, sandbox.deployment_name)


def rows_of(world: World, model_id: str) -> list[Guardrail]:
    """What the table holds for the model, read by a Scan (not the index the job queries)."""
    table = world.aws.deployment.guardrails_table_name
    assert table
    items = world.aws.clients.dynamodb().scan(TableName=table)["Items"]
    return [
        Guardrail(item["guardrailId"]["S"], model_id, item["guardrailName"]["S"])
        for item in items
        if item["modelId"]["S"] == model_id
    ]


def litellm_guardrails_of(sandbox: Sandbox, model_id: str) -> list[str]:
    return sorted(g.guardrail_name for g in sandbox.litellm.guardrails() if g.guardrail_name.endswith(f"-{model_id}"))


def test_the_deployment_publishes_its_guardrails_and_rag_tables(world: World) -> None:
    deployment = world.aws.deployment
    assert deployment.guardrails_table_name and deployment.rag_repositories_table_name
    assert deployment.rag_collections_table_name
    seeded = sorted(g.name for g in GUARDRAILS if g.model_id == "nova-pro")
    assert (
        sorted(
            g.name for g in GuardrailsTable(world.aws.clients, deployment.guardrails_table_name).of_model("nova-pro")
        )
        == seeded
    )


def test_a_delete_removes_the_models_guardrails_rows_and_litellm_guardrails(world: World, runner: JobRunner) -> None:
    other = extras(world.sandbox).add_guardrail(
        SeededGuardrail("sdxl-image", "nsfw-filter", "gr-0a1b2c3d4e5f", "1", "pre_call", "not this model's"),
        world.sandbox.litellm,
    )
    rows = rows_of(world, "nova-pro")
    assert len(rows) == 2
    assert litellm_guardrails_of(world.sandbox, "nova-pro") == ["harmful-content-nova-pro", "pii-filter-nova-pro"]

    result = delete(world, runner, "nova-pro")

    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert rows_of(world, "nova-pro") == []
    assert litellm_guardrails_of(world.sandbox, "nova-pro") == []
    assert all(world.sandbox.litellm.get_guardrail(row.guardrail_id) is None for row in rows)
    assert [row.guardrail_id for row in rows_of(world, "sdxl-image")] == [other], "another model's guardrail stays"
    assert world.sandbox.litellm.get_guardrail(other) is not None
    first = world.events[0]
    assert all(f"guardrail {row.name} (LiteLLM guardrail {row.guardrail_id}" in first.message for row in rows)
    steps = [(event.step, str(event.state)) for event in world.events]
    assert (
        steps.index(("litellm", "succeeded"))
        < steps.index(("guardrail", "succeeded"))
        < steps.index(("finalize", "succeeded"))
    )
    assert "removed 2 of 2 guardrails" in [e.message for e in world.events if e.step == "guardrail"][-1]


def test_guardrails_that_cannot_be_removed_are_left_and_said_and_the_delete_goes_on(
    world: World, runner: JobRunner, caplog: pytest.LogCaptureFixture
) -> None:
    seed, litellm = extras(world.sandbox), world.sandbox.litellm
    gone = seed.add_guardrail(SeededGuardrail("sdxl-image", "gone", "gr-1", "1", "pre_call", ""), litellm)
    stuck = seed.add_guardrail(SeededGuardrail("sdxl-image", "stuck", "gr-2", "1", "pre_call", ""), litellm)
    litellm.remove_guardrail(gone)  # already gone from LiteLLM: its row still goes
    litellm.fail("DELETE", f"/guardrails/{stuck}")
    try:
        result = delete(world, runner, "sdxl-image")
    finally:
        litellm.heal()

    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert [row.guardrail_id for row in rows_of(world, "sdxl-image")] == [stuck]
    assert litellm.get_guardrail(stuck) is not None
    assert f"left: guardrail stuck ({stuck}) (could not be removed: LiteLLM guardrail delete failed with HTTP 500" in (
        result.message
    )
    failed = [e.message for e in world.events if e.step == "guardrail" and str(e.state) == "failed"]
    assert any(f"guardrail stuck ({stuck}) could not be removed and is left" in message for message in failed)
    assert any("could not be removed" in record.getMessage() for record in caplog.records)
    with pytest.raises(Exception, match="was not found"):
        world.aws.models.get("sdxl-image")


def test_a_model_a_rag_repository_uses_is_refused_and_nothing_changes(world: World, runner: JobRunner) -> None:
    before = world.aws.models.get(RAG_EMBEDDING_MODEL)
    assert before.model_status is ModelStatus.IN_SERVICE and before.litellm_id
    world.calls.clear()

    with pytest.raises(ModelInUse) as refused:
        delete(world, runner, RAG_EMBEDDING_MODEL)

    message = str(refused.value)
    assert f"RAG repository '{RAG_REPOSITORY}'" in message
    assert f"collection '{RAG_COLLECTION}' of RAG repository '{RAG_REPOSITORY}'" in message
    assert "remove it in LISA's RAG administration" in message and "nothing was changed" in message
    assert refused.value.users == (
        f"RAG repository '{RAG_REPOSITORY}'",
        f"collection '{RAG_COLLECTION}' of RAG repository '{RAG_REPOSITORY}'",
    )
    assert world.aws.models.get(RAG_EMBEDDING_MODEL).to_item() == before.to_item()
    assert world.sandbox.litellm.get(before.litellm_id) is not None
    writes = [call for call in world.calls if call.split(":")[1] in ("UpdateItem", "PutItem", "DeleteItem")]
    assert writes == []
    assert not world.events, "refused at validation: no job event"


def test_inactive_rag_resources_do_not_hold_their_models(world: World) -> None:
    """A failed repository uses bge-large-en and an archived collection titan-embed-v2: LISA counts neither."""
    assert validate_delete(world.aws, "bge-large-en").model_id == "bge-large-en"
    assert validate_delete(world.aws, "titan-embed-v2").model_id == "titan-embed-v2"


@pytest.fixture
def extra_repository(world: World) -> Iterator[dict[str, Any]]:
    """An updating repository whose default model is another one but one of whose pipelines names llama3-8b-tgi."""
    table = world.aws.deployment.rag_repositories_table_name
    assert table
    pipeline = {
        "M": {"s3Bucket": {"S": "team-docs"}, "s3Prefix": {"S": "inbox/"}, "embeddingModel": {"S": "llama3-8b-tgi"}}
    }
    item = {
        "repositoryId": {"S": "team-docs"},
        "status": {"S": "UPDATE_IN_PROGRESS"},
        "config": {
            "M": {
                "repositoryId": {"S": "team-docs"},
                "embeddingModelId": {"S": "bge-large-en"},
                "pipelines": {"L": [pipeline]},
            }
        },
    }
    world.aws.clients.dynamodb().put_item(TableName=table, Item=item)
    yield item
    world.aws.clients.dynamodb().delete_item(TableName=table, Key={"repositoryId": {"S": "team-docs"}})


def test_a_pipeline_that_embeds_with_the_model_holds_it(world: World, extra_repository: dict[str, Any]) -> None:
    with pytest.raises(
        ModelInUse, match=r"in use by the pipeline s3://team-docs/inbox/ of RAG repository 'team-docs'\."
    ):
        validate_delete(world.aws, "llama3-8b-tgi")
    with pytest.raises(ModelInUse, match=r"in use by RAG repository 'team-docs'\."):
        validate_delete(world.aws, "bge-large-en")


@pytest.mark.parametrize("published", ["nothing", "tables that do not exist"])
def test_a_deployment_without_guardrails_or_rag_deletes_as_before(published: str, runner: JobRunner) -> None:
    catalog = catalog_by_id()
    models = [catalog["nova-pro"], catalog[RAG_EMBEDDING_MODEL]]
    with sandbox_on_skipping_clock(ambient=False, models=models, lisa_actors=False) as sandbox:
        ssm = sandbox.client("ssm")
        for name in ("guardrailsTableName", "ragVectorStoreTableName", "ragCollectionsTableName"):
            if published == "nothing":
                ssm.delete_parameter(Name=f"{sandbox.prefix}/{name}")
            else:
                ssm.put_parameter(Name=f"{sandbox.prefix}/{name}", Value=f"no-such-{name}", Overwrite=True)
        world = world_on(sandbox)
        if published == "nothing":
            deployment = world.aws.deployment
            assert (deployment.guardrails_table_name, deployment.rag_repositories_table_name) == (None, None)
            assert deployment.rag_collections_table_name is None

        for model_id in (RAG_EMBEDDING_MODEL, "nova-pro"):
            record = world.aws.models.get(model_id)
            result = delete(world, runner, model_id)
            assert result.outcome is Outcome.SUCCEEDED, result.message
            assert "left:" not in result.message
            assert record.litellm_id and sandbox.litellm.get(record.litellm_id) is None
        guardrail_events = [(str(e.state), e.message) for e in world.events if e.step == "guardrail"]
        expected = "the deployment publishes no guardrails table" if published == "nothing" else "has no guardrails"
        assert all(state == "skipped" and expected in message for state, message in guardrail_events)
        assert len(guardrail_events) == 2
        assert len(litellm_guardrails_of(sandbox, "nova-pro")) == 2, "a guardrail nothing records stays untouched"
