"""LISA's API answers as the engine's domain errors, LISA's message kept verbatim."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from engine.aws.errors import DeploymentUnreachable
from engine.errors import InvalidInput, ModelNotFound, Problem, StatusNotAllowed

# LISA's InvalidStateTransitionError texts (update handler): "... when it is not in the 'Stopped' state." and
# "... not in the 'InService' or 'Stopped' states".
_STATE_MESSAGE: Final = re.compile(r"not in the '[A-Za-z]+'( or '[A-Za-z]+')? states?", re.IGNORECASE)
NO_ROUTE: Final = "Missing Authentication Token"
NO_ROUTE_CODE: Final = "LisaApiNoRoute"
TOKEN_ADVICE: Final = (
    "check the token: a LISA API token (LISA's UI, API tokens) in LISA_API_TOKEN or the connection's keychain "
    "entry, or the deployment's management key"
)


class LisaApiRefused(DeploymentUnreachable):
    """LISA's API Gateway authorizer refused the token (401 without one, 403 for one that matches nothing), or
    LISA refused the user a route (403: not an administrator)."""


class LisaModelNotFound(ModelNotFound):
    """404 from LISA's API, with LISA's text."""

    def __init__(self, model_id: str, message: str) -> None:
        super().__init__(model_id)
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])


class LisaStatusRefused(StatusNotAllowed):
    """409 (already exists, in use) or a 400 about the model's state, with LISA's text."""


def detail_text(body: Any) -> str | None:
    """LISA's message: the `detail` of FastAPI's HTTPException and LISA's models handlers, or the JSON string
    LISA's `api_wrapper` Lambdas (configuration) answer an error with; else None."""
    if isinstance(body, Mapping) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    if isinstance(body, str) and body:
        return _plain(body)
    return None


def error_for(status: int, body: Any, *, what: str, model_id: str | None) -> Exception:
    """The domain error for an HTTP error answer of LISA's API to `what` (`PUT /models/x`)."""
    detail = detail_text(body)
    if status == 403 and detail is None and _gateway_message(body) == NO_ROUTE:
        return LisaApiRefused(
            NO_ROUTE_CODE,
            f"LISA's API has no route {what} (403 {NO_ROUTE}: API Gateway's answer for a resource or method it "
            "does not have)",
            "check the URL is LISA's API stage URL (SSM <deploymentPrefix>/LisaApiUrl) and that this LISA version "
            "serves the route",
        )
    if status in (401, 403) and detail is None:
        gateway = _gateway_message(body)
        return LisaApiRefused(
            "LisaApiUnauthorized" if status == 401 else "LisaApiForbidden",
            f"LISA's API authorizer refused the token ({status} {gateway}) for {what}",
            TOKEN_ADVICE,
        )
    if status == 403:
        return LisaApiRefused(
            "NotAdministrator",
            f"LISA refused {what} (403): {detail}",
            "use an administrator's token (its groups must include LISA's admin group) or the management key",
        )
    if status == 404:
        return LisaModelNotFound(model_id or "", f"LISA: {detail or 'not found'} ({what}, 404)")
    if status == 409:
        return LisaStatusRefused(f"LISA refused {what} (409): {detail or _plain(body)}")
    if status == 422:
        return InvalidInput(_validation_problems(body), f"LISA refused {what} (422)")
    if status == 400:
        text = detail or _plain(body)
        if _STATE_MESSAGE.search(text):
            return LisaStatusRefused(f"LISA refused {what} (400): {text}")
        return InvalidInput([Problem("request", text)], f"LISA refused {what} (400)")
    return DeploymentUnreachable("LisaApiError", f"LISA's API answered {what} with {status}: {_plain(body)}")


def _gateway_message(body: Any) -> str:
    if isinstance(body, Mapping):
        for key in ("Message", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return _plain(body)


def _plain(body: Any) -> str:
    text = body if isinstance(body, str) else repr(body)
    return text if len(text) <= 300 else text[:297] + "..."


def _validation_problems(body: Any) -> list[Problem]:
    """FastAPI's 422 `detail` list: one problem per item, named by its location without the leading `body`."""
    items = body.get("detail") if isinstance(body, Mapping) else None
    if not isinstance(items, list) or not items:
        return [Problem("request", _plain(body))]
    problems = []
    for item in items:
        if not isinstance(item, Mapping):
            problems.append(Problem("request", str(item)))
            continue
        location = [str(part) for part in item.get("loc") or () if part != "body"]
        problems.append(Problem(".".join(location) or "request", str(item.get("msg") or item)))
    return problems
