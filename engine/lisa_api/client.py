"""LISA's REST API: its models routes (`lambda/models/lambda_functions.py`) and configuration routes
(`lambda/configuration/lambda_functions.py`), one method per route, the token sent as LISA's authorizer expects it,
every error answer turned into a domain error carrying LISA's message."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Final

from engine.aws.errors import DeploymentUnreachable
from engine.errors import InvalidInput, Problem
from engine.lisa_api.errors import error_for

USER_AGENT: Final = "lisa-desktop"
TOKEN_ENV: Final = "LISA_API_TOKEN"


class LisaApi:
    """`base_url` is the API Gateway stage URL LISA publishes in SSM `<prefix>/LisaApiUrl`
    (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`); routes are `<base_url>/models...`."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, user_agent: str = USER_AGENT) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput([Problem("--lisa-api", f"'{base_url}' must be an http(s) URL (LISA's LisaApiUrl)")])
        if not token:
            raise InvalidInput([Problem(TOKEN_ENV, "no token: set a LISA API token or the management key")])
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.user_agent = user_agent

    def __repr__(self) -> str:
        return f"LisaApi({self.base_url!r})"

    # -- models ------------------------------------------------------------------------------------------------

    def list_models(self) -> list[dict[str, Any]]:
        """GET /models: every model the token's user may see (LISAModel shape, guardrails attached)."""
        body = self._call("GET", "/models")
        models = body.get("models") if isinstance(body, Mapping) else None
        return [dict(model) for model in models or [] if isinstance(model, Mapping)]

    def get_model(self, model_id: str) -> dict[str, Any]:
        """GET /models/{id}: LisaModelNotFound (LISA's 404 text) when it does not exist or the user may not see it."""
        return self._model(self._call("GET", f"/models/{_quoted(model_id)}", model_id=model_id))

    def create_model(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """POST /models: the model as LISA accepted it (status Creating); LISA's CreateModel execution goes on."""
        model_id = str(request.get("modelId") or "")
        return self._model(self._call("POST", "/models", body=request, model_id=model_id))

    def update_model(self, model_id: str, change: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /models/{id}: the model as it was BEFORE the change (LISA's answer); its UpdateModel execution goes
        on. Start and stop are `{"enabled": true|false}`."""
        return self._model(self._call("PUT", f"/models/{_quoted(model_id)}", body=change, model_id=model_id))

    def delete_model(self, model_id: str) -> dict[str, Any]:
        """DELETE /models/{id}: the model as LISA answered it; its DeleteModel execution goes on."""
        return self._model(self._call("DELETE", f"/models/{_quoted(model_id)}", model_id=model_id))

    def update_context_window(self, model_id: str, context_window: int) -> dict[str, Any]:
        """PUT /models/{id}/context-window `{contextWindow}`: the model after the write."""
        path = f"/models/{_quoted(model_id)}/context-window"
        return self._model(self._call("PUT", path, body={"contextWindow": context_window}, model_id=model_id))

    def instance_types(self) -> list[str]:
        """GET /models/metadata/instances."""
        body = self._call("GET", "/models/metadata/instances")
        return [str(name) for name in body] if isinstance(body, list) else []

    # -- schedules ---------------------------------------------------------------------------------------------

    def update_schedule(self, model_id: str, schedule: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /models/{id}/schedule (SchedulingConfig) → `{message, modelId, scheduleEnabled}`."""
        path = f"/models/{_quoted(model_id)}/schedule"
        return _mapping(self._call("PUT", path, body=schedule, model_id=model_id))

    def delete_schedule(self, model_id: str) -> dict[str, Any]:
        """DELETE /models/{id}/schedule → `{message, modelId, scheduleEnabled}`."""
        return _mapping(self._call("DELETE", f"/models/{_quoted(model_id)}/schedule", model_id=model_id))

    def get_schedule(self, model_id: str) -> dict[str, Any]:
        """GET /models/{id}/schedule."""
        return _mapping(self._call("GET", f"/models/{_quoted(model_id)}/schedule", model_id=model_id))

    def get_schedule_status(self, model_id: str) -> dict[str, Any]:
        """GET /models/{id}/schedule/status."""
        path = f"/models/{_quoted(model_id)}/schedule/status"
        return _mapping(self._call("GET", path, model_id=model_id))

    # -- configuration -----------------------------------------------------------------------------------------

    def get_configuration(self, scope: str) -> list[dict[str, Any]]:
        """GET /configuration?configScope=S (LISA's configuration Lambda): every version of the scope, newest
        first, numbers as floats (its DecimalEncoder). Any user may read it."""
        body = self._call("GET", f"/configuration?{urllib.parse.urlencode({'configScope': scope})}")
        if not isinstance(body, list):
            raise DeploymentUnreachable(
                "LisaApiError", f"LISA's API answered a configuration that is not a list: {body!r:.200}"
            )
        return [dict(item) for item in body if isinstance(item, Mapping)]

    def update_configuration(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /configuration/{configScope} with the whole item (LISA stores the body as sent, plus `created_at`,
        replacing a version already there): `{status: ok}`. Only an administrator may write the `global` scope."""
        scope = str(item.get("configScope") or "")
        return _mapping(self._call("PUT", f"/configuration/{_quoted(scope)}", body=item))

    # -- transport ---------------------------------------------------------------------------------------------

    def _model(self, body: Any) -> dict[str, Any]:
        model = body.get("model") if isinstance(body, Mapping) else None
        if not isinstance(model, Mapping):
            raise DeploymentUnreachable("LisaApiError", f"LISA's API answered without a model: {body!r:.200}")
        return dict(model)

    def _call(self, method: str, path: str, *, body: Any = None, model_id: str | None = None) -> Any:
        what = f"{method} {path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", self.user_agent)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _parsed(response.read())
        except urllib.error.HTTPError as error:
            answer = _parsed(error.read())
            raise error_for(error.code, answer, what=what, model_id=model_id) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            reason = getattr(error, "reason", None) or error
            raise DeploymentUnreachable(
                "LisaApiUnreachable",
                f"LISA's API at {self.base_url} cannot be reached ({what}): {reason}",
                "check the URL (SSM <deploymentPrefix>/LisaApiUrl) and the network path to it",
            ) from None


def _quoted(model_id: str) -> str:
    return urllib.parse.quote(model_id, safe="")


def _parsed(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return text


def _mapping(body: Any) -> dict[str, Any]:
    return dict(body) if isinstance(body, Mapping) else {"answer": body}
