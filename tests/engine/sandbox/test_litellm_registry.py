"""The LiteLLM-compatible registry: LISA's three admin routes under /v2/serve, keyed by the management key."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from engine.litellm_params import litellm_params_for
from engine.sandbox.litellm_registry import LiteLLMRegistry
from tests.engine.factories import hosted_config, third_party_config

KEY = "sk-test-management-key"


@pytest.fixture
def registry() -> Iterator[LiteLLMRegistry]:
    with LiteLLMRegistry(KEY) as running:
        yield running


def call(
    registry: LiteLLMRegistry,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = KEY,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(registry.admin_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("Authorization", key)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serves_on_loopback_under_v2_serve(registry: LiteLLMRegistry) -> None:
    assert registry.url.startswith("http://127.0.0.1:")
    assert registry.admin_url == registry.url + "/v2/serve"


def test_register_list_delete(registry: LiteLLMRegistry) -> None:
    params = {"model": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "drop_params": True}
    status, created = call(registry, "POST", "/model/new", {"model_name": "claude", "litellm_params": params})
    assert status == 200
    model_id = created["model_id"]
    assert created["model_info"] == {"id": model_id}
    assert created["model_name"] == "claude"
    assert created["litellm_params"] == params

    status, listed = call(registry, "GET", "/model/info")
    assert status == 200
    assert listed == {"data": [{"model_name": "claude", "litellm_params": params, "model_info": {"id": model_id}}]}
    assert [entry.id for entry in registry.registered()] == [model_id]

    status, filtered = call(registry, "GET", f"/model/info?litellm_model_id={model_id}")
    assert [entry["model_info"]["id"] for entry in filtered["data"]] == [model_id]

    status, _ = call(registry, "POST", "/model/delete", {"id": model_id})
    assert status == 200
    assert registry.registered() == []


def test_unknown_id_is_404(registry: LiteLLMRegistry) -> None:
    status, body = call(registry, "POST", "/model/delete", {"id": "no-such-id"})
    assert status == 404
    assert "no-such-id" in body["detail"]


@pytest.mark.parametrize("key", [None, "", "wrong", f"Bearer {KEY}", KEY + " "])
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/model/info"), ("POST", "/model/new"), ("POST", "/model/delete")]
)
def test_every_route_wants_the_exact_key(registry: LiteLLMRegistry, key: str | None, method: str, path: str) -> None:
    body = {"model_name": "m", "litellm_params": {"model": "m"}} if path == "/model/new" else {"id": "x"}
    status, payload = call(registry, method, path, None if method == "GET" else body, key=key)
    assert status == 401
    assert "detail" in payload
    assert registry.registered() == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_json_is_400(registry: LiteLLMRegistry, raw: bytes) -> None:
    status, payload = call(registry, "POST", "/model/new", raw=raw)
    assert status == 400
    assert "detail" in payload


def test_missing_fields_are_rejected(registry: LiteLLMRegistry) -> None:
    status, _ = call(registry, "POST", "/model/new", {"model_name": "m"})
    assert status == 422
    status, _ = call(registry, "POST", "/model/delete", {})
    assert status == 422


def test_unknown_route_is_404(registry: LiteLLMRegistry) -> None:
    status, _ = call(registry, "GET", "/guardrails")
    assert status == 404


def test_concurrent_registrations_are_all_kept(registry: LiteLLMRegistry) -> None:
    def register(index: int) -> None:
        call(registry, "POST", "/model/new", {"model_name": f"m{index}", "litellm_params": {"model": f"m{index}"}})

    threads = [threading.Thread(target=register, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(entry.model_name for entry in registry.registered()) == sorted(f"m{i}" for i in range(24))
    assert len({entry.id for entry in registry.registered()}) == 24


def test_stop_frees_the_port_and_restart_works() -> None:
    registry = LiteLLMRegistry(KEY)
    registry.start()
    registry.stop()
    assert not registry.running
    with pytest.raises(RuntimeError):
        _ = registry.url
    registry.start()
    try:
        status, _ = call(registry, "GET", "/model/info")
        assert status == 200
    finally:
        registry.stop()


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="management key"):
        LiteLLMRegistry("")


def test_litellm_params_as_lisa_builds_them() -> None:
    url = "http://internal-lisa-x.us-east-1.elb.amazonaws.com/v1"
    assert litellm_params_for(third_party_config(), None) == {
        "model": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "drop_params": True,
    }
    assert litellm_params_for(hosted_config(), url) == {
        "model": "hosted_vllm/mistralai/Mistral-7B-Instruct-v0.2",
        "api_base": url,
        "drop_params": True,
    }
    tgi = hosted_config(inferenceContainer="tgi", modelName="openai/tiiuae/falcon-7b")
    assert litellm_params_for(tgi, url)["model"] == "openai/tiiuae/falcon-7b"
    tei = hosted_config(inferenceContainer="tei", modelName="BAAI/bge-large-en-v1.5")
    assert litellm_params_for(tei, url)["model"] == "openai/BAAI/bge-large-en-v1.5"
    video = third_party_config(modelType="videogen", apiKey="k")
    assert litellm_params_for(video, None) == {"model": video["modelName"], "api_key": "k"}
    internal = third_party_config(
        hostingType="internal_hosted", modelName="hosted_vllm/x", modelUrl="http://internal-a.elb.amazonaws.com/"
    )
    assert litellm_params_for(internal, None) == {
        "model": "openai/x",
        "api_base": "http://internal-a.elb.amazonaws.com",
        "drop_params": True,
    }


@pytest.mark.parametrize(
    ("model_name", "registered"),
    [
        ("hosted_vllm/openai/x", "openai/x"),
        ("openai/hosted_vllm/x", "openai/x"),
        ("openai/openai/x", "openai/x"),
        ("hosted_vllm/hosted_vllm/org/x", "openai/org/x"),
        ("org/openai/x", "openai/org/openai/x"),  # only leading prefixes
    ],
)
def test_an_internal_hosted_models_provider_prefixes_are_stripped_as_long_as_there_are_any(
    model_name: str, registered: str
) -> None:
    """As LISA's AddModelToLitellm: `openai/` and `hosted_vllm/` stripped in a loop, then `openai/` put in front."""
    config = third_party_config(hostingType="internal_hosted", modelName=model_name, modelUrl="http://a.example/v1")
    assert litellm_params_for(config, None)["model"] == registered
