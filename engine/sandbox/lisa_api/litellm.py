"""The LiteLLM admin calls LISA's state machine Lambdas make (`lambda/models/clients/litellm_client.py`), over HTTP
to the sandbox's registry with `Authorization: <management key>` as theirs."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class LiteLLMClient:
    admin_url: str
    management_key: str
    timeout: float = 30.0

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.admin_url.rstrip("/") + path, data=data, method=method)
        request.add_header("Authorization", self.management_key)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"null")

    def add_model(self, model_name: str, litellm_params: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/model/new", {"model_name": model_name, "litellm_params": litellm_params}))

    def delete_model(self, identifier: str) -> None:
        self._call("POST", "/model/delete", {"id": identifier})

    def get_model(self, identifier: str) -> dict[str, Any]:
        data = self._call("GET", f"/model/info?litellm_model_id={quote(identifier)}").get("data") or []
        matches = [entry for entry in data if entry.get("model_info", {}).get("id") == identifier]
        if not matches:
            raise KeyError(f"Model {identifier} not found in LiteLLM")
        return dict(matches[0])

    def create_guardrail(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/guardrails", config))

    def update_guardrail(self, guardrail_id: str, config: Mapping[str, Any]) -> None:
        self._call("PUT", f"/guardrails/{quote(guardrail_id)}", config)

    def delete_guardrail(self, guardrail_id: str) -> None:
        self._call("DELETE", f"/guardrails/{quote(guardrail_id)}")


def guardrail_request(model_id: str, guardrail: Mapping[str, Any]) -> dict[str, Any]:
    """The body LISA sends LiteLLM for one of a model's guardrails."""
    return {
        "guardrail": {
            "guardrail_name": f"{guardrail['guardrailName']}-{model_id}",
            "litellm_params": {
                "guardrail": "bedrock",
                "mode": str(guardrail.get("mode", "pre_call")),
                "guardrailIdentifier": guardrail["guardrailIdentifier"],
                "guardrailVersion": guardrail.get("guardrailVersion", "DRAFT"),
                "default_on": False,
            },
            "guardrail_info": {"description": guardrail.get("description", "")},
        }
    }
