from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.aws.errors import DeploymentUnreachable, LiteLLMError
from engine.aws.litellm import LiteLLMClient, litellm_id_of
from engine.sandbox.litellm_registry import LiteLLMRegistry
from tests.engine.aws.conftest import MANAGEMENT_KEY, LiteLLMServer, closed_loopback_port


@pytest.fixture
def registry() -> Iterator[LiteLLMRegistry]:
    with LiteLLMRegistry(MANAGEMENT_KEY) as running:
        yield running


def test_register_list_and_unregister_against_the_sandbox_registry(registry: LiteLLMRegistry) -> None:
    client = LiteLLMClient(registry.admin_url, MANAGEMENT_KEY)
    params = {"model": "hosted_vllm/mistral", "api_base": "http://alb/v1", "drop_params": True}
    litellm_id = client.register("mistral-7b", params)
    entry = registry.get(litellm_id)
    assert entry is not None
    assert (entry.model_name, entry.litellm_params) == ("mistral-7b", params)
    assert client.is_registered(litellm_id)
    assert [m["model_name"] for m in client.list_models()] == ["mistral-7b"]
    client.unregister(litellm_id)
    assert not client.is_registered(litellm_id)
    assert registry.registered() == []


def test_a_wrong_key_is_an_http_error(registry: LiteLLMRegistry) -> None:
    with pytest.raises(LiteLLMError) as caught:
        LiteLLMClient(registry.admin_url, "wrong").list_models()
    assert caught.value.status == 401


def test_unregistering_twice(registry: LiteLLMRegistry) -> None:
    client = LiteLLMClient(registry.admin_url, MANAGEMENT_KEY)
    litellm_id = client.register("m", {"model": "bedrock/x"})
    client.unregister(litellm_id)
    with pytest.raises(LiteLLMError) as caught:
        client.unregister(litellm_id)
    assert caught.value.status == 404
    client.unregister(litellm_id, missing_ok=True)


def test_the_request_shapes_and_the_bare_authorization_header(litellm_server: LiteLLMServer) -> None:
    client = LiteLLMClient(litellm_server.url, MANAGEMENT_KEY)
    new_id = client.register("claude", {"model": "bedrock/anthropic.claude"})
    client.list_models()
    client.unregister(new_id)
    new, info, delete = litellm_server.requests
    assert (new.method, new.path, new.body) == (
        "POST",
        "/model/new",
        {"model_name": "claude", "litellm_params": {"model": "bedrock/anthropic.claude"}},
    )
    assert (info.method, info.path, info.body) == ("GET", "/model/info", None)
    assert (delete.method, delete.path, delete.body) == ("POST", "/model/delete", {"id": new_id})
    for request in litellm_server.requests:
        assert request.headers["Authorization"] == MANAGEMENT_KEY
    assert new.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"model_info": {"id": "from-info"}, "id": "x", "model_id": "y"}, "from-info"),
        ({"id": "from-id", "model_id": "y"}, "from-id"),
        ({"model_id": "from-model-id"}, "from-model-id"),
        ({"model_info": {}, "model_id": "fallback"}, "fallback"),
    ],
)
def test_the_new_id_is_read_as_lisa_reads_it(
    litellm_server: LiteLLMServer, response: dict[str, object], expected: str
) -> None:
    litellm_server.new_model_response = lambda _: response
    assert LiteLLMClient(litellm_server.url, MANAGEMENT_KEY).register("m", {"model": "x"}) == expected
    assert litellm_id_of(response) == expected


def test_a_response_without_an_id(litellm_server: LiteLLMServer) -> None:
    litellm_server.new_model_response = lambda _: {"model_name": "m"}
    with pytest.raises(LiteLLMError, match="no model id"):
        LiteLLMClient(litellm_server.url, MANAGEMENT_KEY).register("m", {"model": "x"})


@pytest.mark.parametrize("status", [400, 403, 500, 503])
def test_http_errors_carry_status_and_an_excerpt(litellm_server: LiteLLMServer, status: int) -> None:
    litellm_server.overrides["/model/new"] = (status, b'{"error": {"message": "' + b"x" * 1000 + b'"}}')
    with pytest.raises(LiteLLMError) as caught:
        LiteLLMClient(litellm_server.url, MANAGEMENT_KEY).register("m", {"model": "x"})
    assert caught.value.status == status
    assert caught.value.body_excerpt.startswith('{"error"')
    assert len(caught.value.body_excerpt) <= 300
    assert caught.value.action == "register"


def test_a_body_that_is_not_json(litellm_server: LiteLLMServer) -> None:
    litellm_server.overrides["/model/info"] = (200, b"<html>proxy login</html>")
    with pytest.raises(LiteLLMError, match="not JSON") as caught:
        LiteLLMClient(litellm_server.url, MANAGEMENT_KEY).list_models()
    assert caught.value.status == 200


def test_unregister_missing_ok_accepts_litellms_400_not_found(litellm_server: LiteLLMServer) -> None:
    client = LiteLLMClient(litellm_server.url, MANAGEMENT_KEY)
    with pytest.raises(LiteLLMError) as caught:
        client.unregister("never-registered")
    assert caught.value.status == 400
    client.unregister("never-registered", missing_ok=True)


def test_a_closed_port_is_unreachable() -> None:
    client = LiteLLMClient(f"http://127.0.0.1:{closed_loopback_port()}/v2/serve", MANAGEMENT_KEY)
    with pytest.raises(DeploymentUnreachable) as caught:
        client.list_models()
    assert caught.value.code == "LiteLLMUnreachable"


def test_a_slow_server_times_out(litellm_server: LiteLLMServer) -> None:
    """The server holds the request until the test lets it go: the call can only end, with DeploymentUnreachable,
    through the client's own timeout, after one request (no retry)."""
    litellm_server.hold = threading.Event()
    client = LiteLLMClient(litellm_server.url, MANAGEMENT_KEY, timeout=0.3)
    try:
        with pytest.raises(DeploymentUnreachable):
            client.list_models()
        assert litellm_server.count("GET", "/model/info") == 1
    finally:
        litellm_server.hold.set()


def test_repr_hides_the_key() -> None:
    client = LiteLLMClient("https://serve/v2/serve/", MANAGEMENT_KEY)
    assert MANAGEMENT_KEY not in repr(client)
    assert client.base_url == "https://serve/v2/serve"
    assert client.timeout == 30


def test_only_an_https_url_loads_the_trusted_certificates(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(FileNotFoundError):
        LiteLLMClient("https://lisa-serve.example.com/v2/serve", MANAGEMENT_KEY, ca_bundle=missing)
    plain = LiteLLMClient("http://127.0.0.1:9/v2/serve", MANAGEMENT_KEY, ca_bundle=missing)
    assert plain.base_url == "http://127.0.0.1:9/v2/serve"
