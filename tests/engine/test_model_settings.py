"""The rules of the two single-write settings: LISA's contextWindow (an integer > 0) and who can be the default."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.model_settings import default_item, default_refusal, parse_context_window
from engine.schema.record import ModelRecord


@pytest.mark.parametrize(("value", "expected"), [("42", 42), (" 8192 ", 8192), (131072, 131072), ("1", 1)])
def test_a_positive_integer_is_a_context_window(value: object, expected: int) -> None:
    assert parse_context_window(value) == expected


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("0", "Input should be greater than 0"),
        (-1, "Input should be greater than 0"),
        ("abc", "Input should be a valid integer, unable to parse string as an integer"),
        ("2.5", "Input should be a valid integer"),
        (None, "Input should be a valid integer"),
    ],
)
def test_anything_else_is_refused_naming_the_field(value: object, rule: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_context_window(value)
    (problem,) = refused.value.problems
    assert problem.field == "contextWindow"
    assert problem.rule.startswith(rule)


def test_the_default_item_is_the_configuration_with_global_replaced() -> None:
    configuration = {"systemBanner": {"isEnabled": False}, "global": {"defaultModel": "old", "other": 1}}
    assert default_item(configuration, 4, "new") == {
        "configuration": {"systemBanner": {"isEnabled": False}, "global": {"defaultModel": "new"}},
        "configScope": "global",
        "versionId": 4,
        "changeReason": "Set default model to: new",
    }


def model(status: str, model_type: str) -> ModelRecord:
    return ModelRecord.from_item(
        {"model_id": "m", "model_status": status, "model_config": {"modelId": "m", "modelType": model_type}}
    )


def test_only_an_in_service_textgen_model_can_be_the_default() -> None:
    assert default_refusal(model("InService", "textgen")) is None
    assert default_refusal(model("Stopped", "textgen")) == (
        "model 'm' is Stopped: only an InService model can be the default "
        "(LISA's chat selects the default only among InService models)"
    )
    assert default_refusal(model("InService", "embedding")) == (
        "model 'm' is of type embedding: only a textgen model can be the default"
    )
