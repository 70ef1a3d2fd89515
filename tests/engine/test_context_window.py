"""`context_window` kept in step with the container environment, as LISA's create and UpdateModel keep it."""

from __future__ import annotations

from typing import Any

from engine.context_window import context_window_change, context_window_of


def config(**environment: str) -> dict[str, Any]:
    return {"containerConfig": {"environment": environment}}


def test_vllm_max_model_len_comes_before_max_total_tokens() -> None:
    assert context_window_of(config(VLLM_MAX_MODEL_LEN="32768", MAX_TOTAL_TOKENS="8192")) == 32768
    assert context_window_of(config(MAX_TOTAL_TOKENS="8192")) == 8192
    assert context_window_of(config(VLLM_MAX_MODEL_LEN="lots")) is None
    assert context_window_of({"containerConfig": None}) is None


def test_an_environment_change_sets_or_removes_it_and_anything_else_leaves_it_alone() -> None:
    assert context_window_change(config(), config(VLLM_MAX_MODEL_LEN="4096")) == ({"context_window": 4096}, ())
    assert context_window_change(config(VLLM_MAX_MODEL_LEN="4096"), config()) == ({}, ("context_window",))
    assert context_window_change(config(MAX_TOTAL_TOKENS="1", A="b"), config(A="b")) == ({}, ("context_window",))
    # unchanged environment, or a change that does not touch the two variables: an override stays
    assert context_window_change(config(VLLM_MAX_MODEL_LEN="4096"), config(VLLM_MAX_MODEL_LEN="4096")) == ({}, ())
    assert context_window_change(config(A="1"), config(A="2")) == ({}, ())
    assert context_window_change({"modelDescription": "a"}, {"modelDescription": "b"}) == ({}, ())
