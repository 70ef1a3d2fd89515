"""Guardrails as LISA's state machines make them, on the sandbox: created with the model (a LiteLLM guardrail
`<guardrailName>-<modelId>` and a row of the guardrails table each), updated, added and removed by an update,
removed with the model; after every step the table and LiteLLM agree, and a failure leaves both as they were."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from engine.aws.guardrails import GuardrailsTable, guardrails_config
from engine.errors import InvalidInput
from engine.jobs.context import Gateways
from engine.jobs.create_job import plan_create, validate_create
from engine.jobs.journal import Journal
from engine.jobs.recovery import validated_from_record
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.jobs.validation import validate_update
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_create, parse_update
from tests.engine.jobs.sandbox_world import FAST, World, run_update
from tests.engine.lisa_get_models import lisa_model

SONNET = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"
PII = {
    "guardrailName": "pii",
    "guardrailIdentifier": "gr-pii123",
    "guardrailVersion": "2",
    "mode": "pre_call",
    "description": "Masks personal data",
    "allowedGroups": ["support"],
}
TOXIC = {
    "guardrailName": "toxic",
    "guardrailIdentifier": "arn:aws:bedrock:us-east-1:123456789012:guardrail/tox9",
    "mode": "post_call",
}


def request(model_id: str, **guardrails: dict[str, Any]) -> dict[str, Any]:
    return {"modelId": model_id, "modelName": SONNET, "modelType": "textgen", "guardrailsConfig": guardrails}


def create(world: World, runner: JobRunner, data: dict[str, Any]) -> JobResult:
    handle = runner.submit_create(world.aws, parse_create(data), settings=FAST, listeners=(world.listen,))
    return handle.result(timeout=120)


def rows(world: World, model_id: str) -> list[dict[str, Any]]:
    """The model's rows as stored, read by a Scan (not the index the jobs query)."""
    table = world.aws.deployment.guardrails_table_name
    assert table
    deserialize = TypeDeserializer().deserialize
    items = world.aws.clients.dynamodb().scan(TableName=table)["Items"]
    found = [{key: deserialize(value) for key, value in item.items()} for item in items]
    return sorted((row for row in found if row["modelId"] == model_id), key=lambda row: str(row["guardrailName"]))


def agreed(world: World, model_id: str) -> dict[str, str]:
    """guardrailName → guardrailId, once the table and the sandbox's LiteLLM are seen to agree on it."""
    in_table = {str(row["guardrailName"]): str(row["guardrailId"]) for row in rows(world, model_id)}
    suffix = f"-{model_id}"
    in_litellm = {
        g.guardrail_name.removesuffix(suffix): g.id
        for g in world.sandbox.litellm.guardrails()
        if g.guardrail_name.endswith(suffix)
    }
    assert in_table == in_litellm
    return in_table


def test_create_with_two_update_removing_one_then_delete_keep_table_and_litellm_agreed(
    world: World, runner: JobRunner
) -> None:
    result = create(world, runner, request("guarded-a", pii=PII, toxic=TOXIC))

    assert result.outcome is Outcome.SUCCEEDED, result.message
    record = world.aws.models.get("guarded-a")
    assert record.model_status is ModelStatus.IN_SERVICE
    assert "guardrailsConfig" not in record.config
    ids = agreed(world, "guarded-a")
    assert sorted(ids) == ["pii", "toxic"]
    pii_row, toxic_row = rows(world, "guarded-a")
    assert {k: v for k, v in pii_row.items() if k not in ("createdDate", "lastModifiedDate")} == {
        "guardrailId": ids["pii"],
        "modelId": "guarded-a",
        "guardrailName": "pii",
        "guardrailIdentifier": "gr-pii123",
        "guardrailVersion": "2",
        "mode": "pre_call",
        "description": "Masks personal data",
        "allowedGroups": ["support"],
    }
    assert pii_row["createdDate"] == pii_row["lastModifiedDate"]
    assert (toxic_row["guardrailVersion"], toxic_row["description"], toxic_row["allowedGroups"]) == ("DRAFT", None, [])
    pii = world.sandbox.litellm.get_guardrail(ids["pii"])
    assert pii is not None
    assert (pii.guardrail_name, pii.guardrail_info) == ("pii-guarded-a", {"description": "Masks personal data"})
    assert pii.litellm_params == {
        "guardrail": "bedrock",
        "mode": "pre_call",
        "guardrailIdentifier": "gr-pii123",
        "guardrailVersion": "2",
        "default_on": False,
    }
    steps = [(event.step, str(event.state)) for event in world.events]
    assert steps.index(("litellm", "succeeded")) < steps.index(("guardrail", "succeeded"))
    assert steps.index(("guardrail", "succeeded")) < steps.index(("finalize", "succeeded"))

    change = {
        "guardrailsConfig": {"pii": {**PII, "markedForDeletion": True}, "toxic": {**TOXIC, "guardrailVersion": "3"}}
    }
    validated = validate_update(world.aws, "guarded-a", parse_update(change), ack_restart=False)
    shown = validated.plan.to_dict()
    assert [(g["action"], g["guardrailName"]) for g in shown["guardrails"]] == [("remove", "pii"), ("change", "toxic")]
    assert [c["field"] for c in shown["changes"]] == ["guardrailsConfig.pii", "guardrailsConfig.toxic.guardrailVersion"]
    assert shown["restartsContainers"] is False
    assert shown["steps"] == ["intake", "guardrails", "finalize"]

    updated = run_update(world, runner, "guarded-a", change)

    assert updated.outcome is Outcome.SUCCEEDED, updated.message
    assert agreed(world, "guarded-a") == {"toxic": ids["toxic"]}
    (toxic_row,) = rows(world, "guarded-a")
    assert toxic_row["guardrailVersion"] == "3"
    assert toxic_row["lastModifiedDate"] >= toxic_row["createdDate"]
    toxic = world.sandbox.litellm.get_guardrail(ids["toxic"])
    assert toxic is not None
    assert toxic.litellm_params["guardrailVersion"] == "3"
    assert world.aws.models.get("guarded-a").model_status is ModelStatus.IN_SERVICE

    deleted = runner.submit_delete(world.aws, "guarded-a", settings=FAST).result(timeout=60)

    assert deleted.outcome is Outcome.SUCCEEDED, deleted.message
    assert agreed(world, "guarded-a") == {}


def test_an_update_naming_no_guardrail_removes_it_and_a_new_name_is_added(world: World, runner: JobRunner) -> None:
    assert create(world, runner, request("guarded-b", pii=PII)).ok
    before = agreed(world, "guarded-b")

    result = run_update(world, runner, "guarded-b", {"guardrailsConfig": {"toxic": TOXIC}})

    assert result.outcome is Outcome.SUCCEEDED, result.message
    after = agreed(world, "guarded-b")
    assert sorted(after) == ["toxic"]
    assert before["pii"] not in after.values()


def test_unchanged_guardrails_are_no_change(world: World, runner: JobRunner) -> None:
    assert create(world, runner, request("guarded-c", pii=PII)).ok
    validated = validate_update(
        world.aws, "guarded-c", parse_update({"guardrailsConfig": {"whatever-key": PII}}), ack_restart=False
    )
    assert validated.plan.is_noop


def test_a_create_that_fails_at_its_second_guardrail_leaves_neither_rows_nor_litellm_guardrails(
    world: World, runner: JobRunner
) -> None:
    world.sandbox.litellm.fail("POST", "/guardrails", after=1, times=1)

    result = create(world, runner, request("guarded-d", pii=PII, toxic=TOXIC))

    assert result.outcome is Outcome.FAILED
    assert "guardrail create" in result.message
    assert world.aws.models.get("guarded-d").model_status is ModelStatus.FAILED
    assert agreed(world, "guarded-d") == {}
    assert ("guardrail", "rolled-back") in [(event.step, str(event.state)) for event in world.events]


def test_an_update_that_fails_puts_the_guardrails_back_as_they_were(world: World, runner: JobRunner) -> None:
    assert create(world, runner, request("guarded-e", pii=PII, toxic=TOXIC)).ok
    before = rows(world, "guarded-e")
    extra = {**TOXIC, "guardrailName": "extra"}
    late = {**TOXIC, "guardrailName": "late"}
    change = {
        "guardrailsConfig": {"pii": {**PII, "markedForDeletion": True}, "toxic": TOXIC, "extra": extra, "late": late}
    }
    world.sandbox.litellm.fail("POST", "/guardrails", after=1, times=1)  # `extra` is made, `late` fails

    result = run_update(world, runner, "guarded-e", change)

    assert result.outcome is Outcome.ROLLED_BACK, result.message
    assert world.aws.models.get("guarded-e").model_status is ModelStatus.IN_SERVICE
    after = agreed(world, "guarded-e")
    assert sorted(after) == ["pii", "toxic"]
    assert after["toxic"] == before[1]["guardrailId"]
    (pii_row,) = [row for row in rows(world, "guarded-e") if row["guardrailName"] == "pii"]
    assert {k: pii_row[k] for k in PII} == PII  # removed, then put back as it was (LiteLLM gave it a new id)


def test_create_rules_each_name_their_field(world: World) -> None:
    cases = {
        "guardrailsConfig.b.guardrailName": request("guarded-f", a=PII, b={**TOXIC, "guardrailName": "pii"}),
        "guardrailsConfig.a.markedForDeletion": request("guarded-f", a={**PII, "markedForDeletion": True}),
        "guardrailsConfig.a.guardrailName": request("guarded-f", a={**PII, "guardrailName": "pii "}),
    }
    for field, data in cases.items():
        with pytest.raises(InvalidInput) as refused:
            validate_create(world.aws, parse_create(data))
        assert [p.field for p in refused.value.problems] == [field]


def test_update_rules_each_name_their_field(world: World, runner: JobRunner) -> None:
    assert create(world, runner, request("guarded-g", pii=PII)).ok
    cases = {
        "guardrailsConfig.b.guardrailName": {"guardrailsConfig": {"a": PII, "b": PII}},
        "guardrailsConfig": {"guardrailsConfig": {"a": PII}, "enabled": False},
    }
    for field, data in cases.items():
        with pytest.raises(InvalidInput) as refused:
            validate_update(world.aws, "guarded-g", parse_update(data), ack_restart=False)
        assert field in [p.field for p in refused.value.problems]
    assert agreed(world, "guarded-g") == {"pii": agreed(world, "guarded-g")["pii"]}


def test_the_dry_run_names_the_guardrails_a_create_would_make(world: World) -> None:
    shown = plan_create(world.aws, validate_create(world.aws, parse_create(request("guarded-h", pii=PII)))).to_dict()
    assert shown["guardrails"] == [
        {
            "guardrail_name": "pii-guarded-h",
            "litellm_params": {
                "guardrail": "bedrock",
                "mode": "pre_call",
                "guardrailIdentifier": "gr-pii123",
                "guardrailVersion": "2",
                "default_on": False,
            },
            "guardrail_info": {"description": "Masks personal data"},
            "allowedGroups": ["support"],
        }
    ]


def test_every_guardrail_is_listed_by_model_in_lisas_get_models_shape(world: World, runner: JobRunner) -> None:
    assert create(world, runner, request("guarded-i", pii=PII, toxic=TOXIC)).ok
    table = GuardrailsTable(world.aws.clients, world.aws.deployment.guardrails_table_name)

    grouped = table.all()

    assert sorted(g.name for g in grouped["guarded-i"]) == ["pii", "toxic"]
    assert sorted(g.name for g in grouped["nova-pro"]) == ["harmful-content", "pii-filter"]
    assert {g.model_id for guardrails in grouped.values() for g in guardrails} == set(grouped)
    item = world.aws.models.get("guarded-i").to_item()
    assert guardrails_config(grouped["guarded-i"]) == lisa_model(item, rows(world, "guarded-i"))["guardrailsConfig"]


def test_a_resumed_create_reads_its_guardrails_from_the_intake_point(world: World, tmp_path: Path) -> None:
    """The record holds no guardrails (as LISA's): recovery finds them, as given, in the journal."""
    journal = Journal(tmp_path / "jobs.sqlite3")
    runner = JobRunner(journal=journal, deployment="sandbox")
    try:
        data = request("guarded-j", pii=PII, toxic=TOXIC)
        assert create(world, runner, data).ok
    finally:
        runner.shutdown()
    (job,) = journal.jobs(model_id="guarded-j")
    validated = validated_from_record(world.aws, world.aws.models.get("guarded-j"), job)
    assert validated.request.guardrailsConfig == parse_create(data).guardrailsConfig
    assert "guardrailsConfig" not in validated.model_config


def test_a_deployment_without_a_guardrails_table_refuses_guardrails_naming_the_field(
    world: World, runner: JobRunner
) -> None:
    bare = Gateways.for_deployment(
        world.aws.clients, dataclasses.replace(world.aws.deployment, guardrails_table_name=None)
    )
    with pytest.raises(InvalidInput) as refused:
        validate_create(bare, parse_create(request("guarded-k", pii=PII)))
    assert [p.field for p in refused.value.problems] == ["guardrailsConfig"]
    assert create(world, runner, request("guarded-k")).ok  # an empty map asks for nothing
    with pytest.raises(InvalidInput) as refused:
        validate_update(bare, "guarded-k", parse_update({"guardrailsConfig": {"pii": PII}}), ack_restart=False)
    assert [p.field for p in refused.value.problems] == ["guardrailsConfig"]
