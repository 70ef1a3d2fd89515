"""LiteLLM's model registry, through LISA Serve (`<lisaServeRestApiUri>/v2/serve`), as LISA's own client uses it.

Requests carry `Authorization: <management key>` (the bare key, no "Bearer"), time out after 30 s and are not
retried. HTTP errors become `LiteLLMError`; connection failures `DeploymentUnreachable`.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from engine.aws.errors import DeploymentUnreachable, LiteLLMError

EXCERPT_CHARS: Final = 300
DEFAULT_TIMEOUT_S: Final = 30.0
_NOT_FOUND_HINTS: Final = ("not found", "does not exist", "no model", "not exist")


def _excerpt(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def litellm_id_of(response: Mapping[str, Any]) -> str | None:
    """The id LiteLLM gave a new model: `model_info.id`, else `id`, else `model_id` (as LISA reads it)."""
    info = response.get("model_info")
    if isinstance(info, Mapping) and info.get("id"):
        return str(info["id"])
    for key in ("id", "model_id"):
        if response.get(key):
            return str(response[key])
    return None


class LiteLLMClient:
    def __init__(
        self,
        base_url: str,
        management_key: str,
        timeout: float = DEFAULT_TIMEOUT_S,
        *,
        ca_bundle: str | None = None,
        verify_tls: bool = True,
    ) -> None:
        """`ca_bundle` trusts another CA (a private one on LISA Serve's load balancer); `verify_tls=False`
        turns verification off (only for a deployment with a self-signed certificate)."""
        self.base_url = base_url.rstrip("/")
        self._key = management_key
        self.timeout = timeout
        handlers: list[urllib.request.BaseHandler] = []
        if self.base_url.lower().startswith("https:"):  # loading the trusted CAs is most of a client's cost
            context = ssl.create_default_context(cafile=ca_bundle)
            if not verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            handlers.append(urllib.request.HTTPSHandler(context=context))
        # The default handlers include the environment's proxies (HTTPS_PROXY, NO_PROXY).
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"LiteLLMClient(base_url={self.base_url!r}, management_key=<hidden>, timeout={self.timeout})"

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None, action: str) -> Any:
        url = f"{self.base_url}{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", self._key)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                raw = response.read()
        except urllib.error.HTTPError as exc:
            try:
                detail = exc.read()
            except (OSError, http.client.HTTPException):
                detail = b""
            finally:
                exc.close()
            raise LiteLLMError(exc.code, _excerpt(detail) or str(exc.reason), action) from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise DeploymentUnreachable(
                "LiteLLMUnreachable",
                f"cannot reach LiteLLM (LISA Serve) at {self.base_url}: {reason}",
                "check the network, VPN or proxy; LISA Serve's endpoint must be reachable from this machine",
            ) from exc
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise LiteLLMError(status, f"the response is not JSON: {_excerpt(raw)}", action) from exc

    def register(self, model_name: str, litellm_params: Mapping[str, Any]) -> str:
        """POST /model/new; returns the LiteLLM id of the new entry."""
        body = {"model_name": model_name, "litellm_params": dict(litellm_params)}
        response = self._request("POST", "/model/new", body, "register")
        found = litellm_id_of(response) if isinstance(response, Mapping) else None
        if not found:
            raise LiteLLMError(200, f"no model id in the response: {_excerpt(json.dumps(response))}", "register")
        return found

    def unregister(self, litellm_id: str, *, missing_ok: bool = False) -> None:
        """POST /model/delete. With `missing_ok`, an entry that is already gone is not an error."""
        try:
            self._request("POST", "/model/delete", {"id": litellm_id}, "unregister")
        except LiteLLMError as exc:
            gone = exc.status == 404 or any(hint in exc.body_excerpt.lower() for hint in _NOT_FOUND_HINTS)
            if not (missing_ok and gone):
                raise

    def delete_guardrail(self, guardrail_id: str, *, missing_ok: bool = False) -> None:
        """DELETE /guardrails/{id} (LISA's DeleteGuardrails). With `missing_ok`, a guardrail already gone is fine."""
        try:
            self._request("DELETE", f"/guardrails/{quote(guardrail_id, safe='')}", None, "guardrail delete")
        except LiteLLMError as exc:
            gone = exc.status == 404 or any(hint in exc.body_excerpt.lower() for hint in _NOT_FOUND_HINTS)
            if not (missing_ok and gone):
                raise

    def create_guardrail(self, payload: Mapping[str, Any]) -> str:
        """POST /guardrails (LISA's create_guardrail); returns the `guardrail_id` LiteLLM gave it."""
        response = self._request("POST", "/guardrails", payload, "guardrail create")
        found = response.get("guardrail_id") if isinstance(response, Mapping) else None
        if not found:
            raise LiteLLMError(
                200, f"no guardrail_id in the response: {_excerpt(json.dumps(response))}", "guardrail create"
            )
        return str(found)

    def update_guardrail(self, guardrail_id: str, payload: Mapping[str, Any]) -> None:
        """PUT /guardrails/{id} (LISA's update_guardrail): the guardrail replaced by `payload`."""
        self._request("PUT", f"/guardrails/{quote(guardrail_id, safe='')}", payload, "guardrail update")

    def list_guardrails(self) -> list[dict[str, Any]]:
        """GET /v2/guardrails/list: the guardrails LiteLLM keeps in its database, each with its `guardrail_id`."""
        response = self._request("GET", "/v2/guardrails/list", None, "guardrail list")
        found = response.get("guardrails") if isinstance(response, Mapping) else None
        if not isinstance(found, list):
            raise LiteLLMError(
                200, f"no guardrails list in the response: {_excerpt(json.dumps(response))}", "guardrail list"
            )
        return [entry for entry in found if isinstance(entry, dict)]

    def list_models(self) -> list[dict[str, Any]]:
        """GET /model/info → `data[]` (each entry has `model_name`, `litellm_params`, `model_info.id`)."""
        response = self._request("GET", "/model/info", None, "list")
        data = response.get("data") if isinstance(response, Mapping) else None
        if not isinstance(data, list):
            raise LiteLLMError(200, f"no data list in the response: {_excerpt(json.dumps(response))}", "list")
        return [entry for entry in data if isinstance(entry, dict)]

    def registered_ids(self) -> set[str]:
        """The LiteLLM ids of every registered model (one GET /model/info)."""
        ids: set[str] = set()
        for entry in self.list_models():
            info = entry.get("model_info")
            if isinstance(info, Mapping) and info.get("id"):
                ids.add(str(info["id"]))
        return ids

    def is_registered(self, litellm_id: str) -> bool:
        return litellm_id in self.registered_ids()
