"""`context_window` as LISA's create (EnrichContextWindow) and UpdateModel derive it from the container
environment, the models bucket's config.json and LiteLLM's model info."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.context_window import (
    config_json_keys,
    context_window_change,
    context_window_of,
    context_window_told,
    max_input_tokens,
    max_position_embeddings,
)

DELETE = "LISA_MARKED_FOR_DELETION"


def config(**environment: str) -> dict[str, Any]:
    return {"containerConfig": {"environment": environment}}


def test_vllm_max_model_len_comes_before_max_total_tokens() -> None:
    assert context_window_of(config(VLLM_MAX_MODEL_LEN="32768", MAX_TOTAL_TOKENS="8192")) == 32768
    assert context_window_of(config(MAX_TOTAL_TOKENS="8192")) == 8192
    assert context_window_of(config(VLLM_MAX_MODEL_LEN="", MAX_TOTAL_TOKENS="8192")) == 8192  # LISA's `or`
    assert context_window_of(config(VLLM_MAX_MODEL_LEN="lots")) is None
    assert context_window_of({"containerConfig": None}) is None


def test_on_create_any_integer_is_told_and_a_non_integer_is_told_without_a_value() -> None:
    """As LISA's EnrichContextWindow: "0" is stored; "lots" is logged and nothing is stored (the bucket is not read:
    `told` is True); only an absent or empty value sends LISA to the models bucket."""
    assert context_window_told(config(VLLM_MAX_MODEL_LEN="0")) == (True, 0)
    assert context_window_told(config(VLLM_MAX_MODEL_LEN=" 2048 ")) == (True, 2048)
    assert context_window_told(config(VLLM_MAX_MODEL_LEN="lots")) == (True, None)
    assert context_window_told(config(VLLM_MAX_MODEL_LEN="")) == (False, None)
    assert context_window_told(config(A="1")) == (False, None)


def test_the_models_bucket_and_litellm_sources_read_as_lisa() -> None:
    assert config_json_keys("m/x", "textgen") == ("m/x/config.json",)
    assert config_json_keys("sd", "imagegen") == ("sd/config.json", "sd/text_encoder/config.json")
    assert max_position_embeddings(json.dumps({"max_position_embeddings": "4096"}).encode()) == 4096
    assert max_position_embeddings(b"{}") is None
    with pytest.raises(json.JSONDecodeError):
        max_position_embeddings(b"not json")
    entries = [
        {"model_name": "a", "model_info": {"id": "id-a", "max_input_tokens": 200000}},
        {"model_name": "b", "model_info": {"id": "id-b"}},
    ]
    assert max_input_tokens(entries, "id-a") == 200000
    assert max_input_tokens(entries, "id-b") is None
    assert max_input_tokens(entries, "id-c") is None


def test_an_update_carrying_an_environment_sets_or_removes_it() -> None:
    change = context_window_change
    assert change({"VLLM_MAX_MODEL_LEN": "4096"}, config(VLLM_MAX_MODEL_LEN="4096")) == ({"context_window": 4096}, ())
    assert change({"VLLM_MAX_MODEL_LEN": "0"}, config(VLLM_MAX_MODEL_LEN="0")) == ({"context_window": 0}, ())
    # the environment as stored after the update decides, whatever part of it the request carries
    assert change({"A": "2"}, config(A="2", MAX_TOTAL_TOKENS="8192")) == ({"context_window": 8192}, ())
    assert change({"VLLM_MAX_MODEL_LEN": DELETE}, config(MAX_TOTAL_TOKENS="1")) == ({"context_window": 1}, ())
    assert change({"VLLM_MAX_MODEL_LEN": DELETE}, config(A="b")) == ({}, ("context_window",))
    assert change({"MAX_TOTAL_TOKENS": DELETE}, config()) == ({}, ("context_window",))
    # not an integer, or neither variable and none deleted: left as it is
    assert change({"VLLM_MAX_MODEL_LEN": "lots"}, config(VLLM_MAX_MODEL_LEN="lots")) == ({}, ())
    assert change({"A": "2"}, config(A="2")) == ({}, ())


def test_an_update_without_an_environment_leaves_it_alone() -> None:
    assert context_window_change(None, config(VLLM_MAX_MODEL_LEN="4096")) == ({}, ())
    assert context_window_change(None, {"modelDescription": "b"}) == ({}, ())
