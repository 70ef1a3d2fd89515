"""The secret fields of a model: found, masked, revealed; never inside a container's environment."""

from __future__ import annotations

from engine.secrets import MASK, masked, masked_fields, redacted, revealed, secrets_of

CONFIG = {
    "modelId": "gpt",
    "apiKey": "sk-1",
    "containerConfig": {"environment": {"apiKey": "user-variable", "HF_TOKEN": "hf-1"}},
    "features": [{"name": "x"}],
}


def test_masked_hides_set_secret_fields_at_any_depth_but_not_environment_variables() -> None:
    item = {"model_id": "gpt", "model_config": CONFIG, "litellm_params": {"api_key": "sk-1", "drop_params": True}}
    hidden = masked(item)
    assert hidden["model_config"]["apiKey"] == MASK and hidden["litellm_params"]["api_key"] == MASK
    assert hidden["model_config"]["containerConfig"]["environment"] == CONFIG["containerConfig"]["environment"]
    assert item["model_config"]["apiKey"] == "sk-1"  # a copy
    assert masked({"apiKey": None, "other": ""}) == {"apiKey": None, "other": ""}
    assert masked([{"apiKey": "k"}]) == [{"apiKey": MASK}]


def test_secrets_of_and_revealed_put_the_values_back() -> None:
    item = {"model_config": CONFIG}
    secrets = secrets_of(item)
    assert secrets == (("model_config.apiKey", "sk-1"),)
    assert revealed(masked(item), secrets) == item
    assert secrets_of(masked(item)) == ()
    assert revealed({"other": 1}, secrets) == {"other": 1}  # no place for it: left out


def test_masked_fields_name_the_hidden_values_a_request_must_not_carry() -> None:
    assert masked_fields(masked(CONFIG)) == ["apiKey"]
    assert masked_fields(CONFIG) == []


def test_the_journals_redaction_is_wider_environment_variables_included() -> None:
    hidden = redacted({"config": CONFIG, "change": {"field": "apiKey", "old": "a", "new": "b"}})
    assert hidden["config"]["apiKey"] == MASK
    assert hidden["config"]["containerConfig"]["environment"]["HF_TOKEN"] == MASK
    assert hidden["change"] == {"field": "apiKey", "old": MASK, "new": MASK}
