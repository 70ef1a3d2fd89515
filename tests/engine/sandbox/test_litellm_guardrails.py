"""The sandbox LiteLLM's `/guardrails` routes, as LISA's LiteLLM client calls them, and the console's client on them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest

from engine.aws.errors import LiteLLMError
from engine.aws.litellm import LiteLLMClient
from engine.sandbox.litellm_registry import LiteLLMRegistry

KEY = "sk-guardrails-test"


@pytest.fixture
def registry() -> Iterator[LiteLLMRegistry]:
    with LiteLLMRegistry(KEY) as running:
        yield running


def call(registry: LiteLLMRegistry, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(registry.admin_url + path, data=data, method=method)
    request.add_header("Authorization", KEY)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_create_read_list_and_delete_as_lisa_does(registry: LiteLLMRegistry) -> None:
    spec = {
        "guardrail_name": "pii-filter-nova-pro",
        "litellm_params": {"guardrail": "bedrock", "mode": "pre_call", "guardrailIdentifier": "gr-1"},
        "guardrail_info": {"description": "masks personal data"},
    }
    status, created = call(registry, "POST", "/guardrails", {"guardrail": spec})
    assert status == 200
    guardrail_id = created["guardrail_id"]
    assert created["guardrail_name"] == "pii-filter-nova-pro"
    assert call(registry, "GET", f"/guardrails/{guardrail_id}")[1]["litellm_params"]["guardrailIdentifier"] == "gr-1"
    assert [g["guardrail_id"] for g in call(registry, "GET", "/guardrails/list")[1]["guardrails"]] == [guardrail_id]
    assert call(registry, "DELETE", f"/guardrails/{guardrail_id}")[0] == 200
    status, answer = call(registry, "DELETE", f"/guardrails/{guardrail_id}")
    assert (status, answer["detail"]) == (404, f"Guardrail with ID {guardrail_id} not found")
    assert call(registry, "POST", "/guardrails", {"guardrail": {"litellm_params": {}}})[0] == 422


def test_the_consoles_client_deletes_a_guardrail(registry: LiteLLMRegistry) -> None:
    client = LiteLLMClient(registry.admin_url, KEY)
    kept = registry.add_guardrail("kept-m", {"guardrail": "bedrock"})
    doomed = registry.add_guardrail("doomed-m", {"guardrail": "bedrock"})
    client.delete_guardrail(doomed)
    assert [g.id for g in registry.guardrails()] == [kept]
    client.delete_guardrail(doomed, missing_ok=True)  # already gone is fine when asked
    with pytest.raises(LiteLLMError) as missing:
        client.delete_guardrail(doomed)
    assert missing.value.status == 404

    registry.fail("DELETE", f"/guardrails/{kept}", HTTPStatus.BAD_GATEWAY)
    with pytest.raises(LiteLLMError) as failed:
        client.delete_guardrail(kept, missing_ok=True)
    assert failed.value.status == 502
    registry.heal()
    client.delete_guardrail(kept)
    assert registry.guardrails() == []


def test_put_replaces_a_guardrail_names_are_unique_and_v2_lists_the_ids(registry: LiteLLMRegistry) -> None:
    spec = {"guardrail_name": "pii-m", "litellm_params": {"guardrail": "bedrock", "guardrailVersion": "1"}}
    status, created = call(registry, "POST", "/guardrails", {"guardrail": spec})
    assert status == 200
    assert created["created_at"] == created["updated_at"]
    guardrail_id = created["guardrail_id"]
    status, taken = call(registry, "POST", "/guardrails", {"guardrail": spec})
    assert status == 500
    assert "Unique constraint failed" in taken["detail"]

    changed = {**spec, "litellm_params": {"guardrail": "bedrock", "guardrailVersion": "2"}, "guardrail_info": {}}
    status, replaced = call(registry, "PUT", f"/guardrails/{guardrail_id}", {"guardrail": changed})
    assert status == 200
    assert (replaced["guardrail_id"], replaced["litellm_params"]["guardrailVersion"]) == (guardrail_id, "2")
    assert replaced["created_at"] == created["created_at"]
    status, missing = call(registry, "PUT", "/guardrails/nope", {"guardrail": changed})
    assert (status, missing["detail"]) == (404, "Guardrail with ID nope not found")
    other = registry.add_guardrail("other-m", {"guardrail": "bedrock"})
    status, _ = call(registry, "PUT", f"/guardrails/{other}", {"guardrail": changed})
    assert status == 500  # the name is pii-m's

    status, listed = call(registry, "GET", "/v2/guardrails/list")
    assert status == 200
    assert [(g["guardrail_id"], g["guardrail_definition_location"]) for g in listed["guardrails"]] == [
        (guardrail_id, "db"),
        (other, "db"),
    ]


def test_the_consoles_client_creates_updates_and_lists_guardrails(registry: LiteLLMRegistry) -> None:
    client = LiteLLMClient(registry.admin_url, KEY)
    payload = {"guardrail": {"guardrail_name": "pii-m", "litellm_params": {"mode": "pre_call"}}}
    guardrail_id = client.create_guardrail(payload)
    client.update_guardrail(guardrail_id, {"guardrail": {**payload["guardrail"], "litellm_params": {"mode": "x"}}})
    assert [(g["guardrail_id"], g["litellm_params"]) for g in client.list_guardrails()] == [
        (guardrail_id, {"mode": "x"})
    ]
    with pytest.raises(LiteLLMError) as taken:
        client.create_guardrail(payload)
    assert taken.value.status == 500


def test_a_fault_can_let_requests_through_first_and_stop_after_some(registry: LiteLLMRegistry) -> None:
    registry.fail("POST", "/guardrails", after=1, times=1)
    answers = [
        call(registry, "POST", "/guardrails", {"guardrail": {"guardrail_name": f"g{i}", "litellm_params": {}}})[0]
        for i in range(3)
    ]
    assert answers == [200, 500, 200]


def test_seeded_guardrails_have_the_same_ids_in_every_sandbox() -> None:
    from engine.sandbox.server import Sandbox

    def ids() -> list[tuple[str, str]]:
        with Sandbox(ambient=False) as sandbox:
            return sorted((g.guardrail_name, g.id) for g in sandbox.litellm.guardrails())

    first = ids()
    assert [name for name, _ in first] == ["harmful-content-nova-pro", "pii-filter-nova-pro"]
    assert ids() == first
