"""The seeded models as data: valid LISA create requests covering every status and both hosting types."""

from __future__ import annotations

import pytest

from engine.sandbox.catalog import CATALOG, CatalogModel, synthetic_models
from engine.schema.enums import ModelHostingType, ModelStatus
from engine.schema.validate import parse_create


@pytest.mark.parametrize("model", CATALOG, ids=lambda m: m.model_id)
def test_every_seeded_config_is_a_valid_create_request(model: CatalogModel) -> None:
    request = parse_create(dict(model.config))
    assert request.modelId == model.model_id
    assert request.modelDescription
    hosting = request.effective_hosting_type
    assert hosting is (ModelHostingType.LISA_HOSTED if model.is_hosted else ModelHostingType.THIRD_PARTY)


def test_synthetic_configs_are_valid_create_requests() -> None:
    models = synthetic_models(50)
    for model in models:
        parse_create(dict(model.config))
    assert len({m.model_id for m in models}) == 50
    hosted = [m for m in models if m.is_hosted]
    assert 0.4 < len(hosted) / len(models) < 0.8
    assert all(m.status in (ModelStatus.IN_SERVICE, ModelStatus.STOPPED) for m in models)
    assert all(m.stack in ("direct", "none") for m in models)
    assert synthetic_models(50) == models  # deterministic


def test_the_catalog_covers_every_status_and_both_hosting_types() -> None:
    assert {m.status for m in CATALOG} == set(ModelStatus)
    assert any(m.is_hosted for m in CATALOG)
    assert any(not m.is_hosted for m in CATALOG)
    assert 10 <= len(CATALOG) <= 16
    assert len({m.model_id for m in CATALOG}) == len(CATALOG)


def test_the_models_the_brief_names() -> None:
    by_id = {m.model_id: m for m in CATALOG}
    mistral = by_id["mistral-7b-instruct"]
    assert (mistral.status, mistral.config["inferenceContainer"], mistral.config["instanceType"]) == (
        ModelStatus.IN_SERVICE,
        "vllm",
        "g5.xlarge",
    )
    assert mistral.capacity() == (mistral.capacity().__class__(1, 3, 1))
    llama = by_id["llama3-8b-tgi"]
    assert llama.status is ModelStatus.STOPPED
    assert (llama.capacity().min, llama.capacity().max, llama.capacity().desired) == (0, 0, 0)
    assert (llama.config["autoScalingConfig"]["minCapacity"], llama.config["autoScalingConfig"]["maxCapacity"]) == (
        1,
        2,
    )
    assert by_id["bge-large-en"].config["modelType"] == "embedding"
    assert by_id["claude-3-5-sonnet"].config["modelName"] == "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert by_id["titan-embed-v2"].config["modelName"] == "bedrock/amazon.titan-embed-text-v2:0"
    broken = by_id["broken-model"]
    assert broken.status is ModelStatus.FAILED
    assert broken.failure_reason
    assert "ROLLBACK_COMPLETE" in broken.failure_reason


def test_transitional_models_have_an_ambient_ending() -> None:
    for model in CATALOG:
        if model.status.is_transitional:
            assert model.ambient_seconds is not None
            assert 0 < model.ambient_seconds <= 60
