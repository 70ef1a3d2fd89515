"""Registrations start from the deployment's `litellm_settings`, as LISA's AddModelToLitellm does: read from the
environment of the deployment's model-management functions (`LITELLM_CONFIG_OBJ`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from engine.aws.litellm_settings import read_litellm_settings
from engine.jobs.runner import JobRunner
from engine.sandbox.server import Sandbox
from engine.schema.validate import parse_create, parse_update
from tests.engine.jobs.sandbox_world import FAST, sandbox_on_skipping_clock, world_on

SETTINGS = {"callbacks": ["otel"], "turn_off_message_logging": False}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_on_skipping_clock(ambient=False, warmup_seconds=0.2, litellm_settings=SETTINGS) as running:
        yield running


def params_of(sandbox: Sandbox, model_id: str) -> dict[str, Any]:
    [entry] = [entry for entry in sandbox.litellm.registered() if entry.model_name == model_id]
    return dict(entry.litellm_params)


def test_the_settings_are_read_from_the_deployments_function_and_nothing_else(sandbox: Sandbox) -> None:
    clients = world_on(sandbox).aws.clients
    assert read_litellm_settings(clients, sandbox.table_name) == (SETTINGS, None)
    settings, why = read_litellm_settings(clients, "another-deployment-LISAModelTable")
    assert settings == {} and why is not None and "LITELLM_CONFIG_OBJ" in why


def test_creates_and_starts_register_with_them_and_a_video_model_without(sandbox: Sandbox) -> None:
    aws = world_on(sandbox).aws
    runner = JobRunner(2)
    try:
        for request in (
            {"modelId": "with-settings", "modelName": "bedrock/amazon.nova-lite-v1:0", "modelType": "textgen"},
            {"modelId": "a-video-model", "modelName": "bedrock/luma.ray-v2:0", "modelType": "videogen"},
        ):
            assert runner.submit_create(aws, parse_create(request), settings=FAST).result(timeout=60).ok
        started = runner.submit_update(
            aws, "llama3-8b-tgi", parse_update({"enabled": True}), settings=FAST, model_warmup_cap_s=0.2
        ).result(timeout=120)
        assert started.ok, started.message
    finally:
        runner.shutdown()
    assert params_of(sandbox, "with-settings") == {
        **SETTINGS,
        "drop_params": True,
        "model": "bedrock/amazon.nova-lite-v1:0",
    }
    assert params_of(sandbox, "a-video-model") == {"model": "bedrock/luma.ray-v2:0"}
    started_params = params_of(sandbox, "llama3-8b-tgi")
    assert {key: started_params[key] for key in SETTINGS} == SETTINGS
    assert started_params["model"] == "openai/meta-llama/Meta-Llama-3-8B-Instruct"


def test_an_identity_that_may_not_list_functions_gets_no_settings_and_why(sandbox: Sandbox) -> None:
    clients = world_on(sandbox).aws.clients
    with Stubber(clients.lambda_functions()) as stub:
        stub.add_client_error("list_functions", service_error_code="AccessDeniedException", http_status_code=403)
        settings, why = read_litellm_settings(clients, sandbox.table_name)
    assert settings == {}
    assert why is not None and "lambda:ListFunctions" in why
