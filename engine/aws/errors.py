"""AWS failures as domain errors: botocore exceptions never leave a gateway.

Every gateway runs its calls inside `translate_errors` (usually through `AwsClients.errors(action, resource)`),
which turns connection failures, missing or expired credentials and denied permissions into
`DeploymentUnreachable` with advice, and any other AWS error into `AwsError`. Errors the gateways raise on
purpose (`StatusChanged`, `ModelNotFound`, ...) pass through unchanged. Throttling is never retried here:
botocore's `adaptive` retry mode does it; what still fails after that is reported as `Throttled`.

A server that is not AWS (a web page where an endpoint was expected) is summarised by its HTTP status and the
page's title or first line, never quoted whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSLError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from engine.errors import InvalidInput, LisaDesktopError, Problem, StatusNotAllowed


class DeploymentUnreachable(LisaDesktopError):
    """The deployment cannot be reached or the identity cannot be authenticated or authorized.

    `code` says which (EndpointUnreachable, SsoTokenExpired, ExpiredToken, NoCredentials, AccessDenied, ...),
    `advice` what the user can do about it.
    """

    def __init__(self, code: str, message: str, advice: str = "") -> None:
        self.code = code
        self.message = message
        self.advice = advice
        super().__init__(f"{message} — {advice}" if advice else message)


class Throttled(DeploymentUnreachable):
    """AWS kept refusing calls for their rate after botocore's retries: the deployment is there, but busy."""

    def __init__(self, action: str, message: str) -> None:
        self.action = action
        super().__init__(
            "Throttled",
            f"AWS is throttling {action}: too many requests for this account's API limits, even after retries "
            f"({message})",
            "wait a minute and try again; other tools or scripts may be using the same account's limits "
            "(a long refresh interval in the window helps too)",
        )


class DeploymentNotFound(DeploymentUnreachable):
    """No LISA deployment is published under the prefix: SSM parameters (or the secret they name) are missing.

    `account` and `region` say where it was looked for (when the identity could be read); `expected_account`
    the account the connection says the deployment is in, if it says one."""

    def __init__(
        self,
        prefix: str,
        missing_names: Iterable[str],
        *,
        account: str | None = None,
        region: str | None = None,
        expected_account: str | None = None,
    ) -> None:
        self.prefix = prefix
        self.missing_names: tuple[str, ...] = tuple(missing_names)
        self.account = account
        self.region = region
        self.expected_account = expected_account
        where = ", ".join(
            part for part in (f"account {account}" if account else "", f"region {region}" if region else "") if part
        )
        searched = f" in {where}" if where else ""
        wrong_account = bool(account and expected_account and account != expected_account)
        if wrong_account:
            advice = (
                f"these credentials are for account {account}, but the deployment is in account {expected_account}: "
                "use a profile or access key of that account"
            )
        else:
            advice = (
                "check the deployment prefix (LISA's deploymentPrefix, e.g. /dev/lisa), the region, and that the "
                "credentials are for the account the deployment is in"
            )
        super().__init__(
            "WrongAccount" if wrong_account else "DeploymentNotFound",
            f"no LISA deployment was found under the prefix '{prefix}'{searched} "
            f"(missing: {', '.join(self.missing_names)})",
            advice,
        )


class NotAnAwsEndpoint(DeploymentUnreachable):
    """Something answered, but not an AWS API: a web page (a proxy's, a captive portal's, the wrong URL)."""

    def __init__(self, status: int | None, summary: str, action: str | None = None) -> None:
        self.status = status
        self.summary = summary
        answer = f"HTTP {status}" if status else "an answer"
        page = f": {summary}" if summary else ""
        super().__init__(
            "NotAnAwsEndpoint",
            f"the endpoint answered {action or 'the call'} with {answer} and a web page, not an AWS API response{page}",
            "check the endpoint URL (the connection's --endpoint-url), or the proxy between you and AWS",
        )


class AwsError(LisaDesktopError):
    """An AWS call failed for a reason that is neither reachability nor permissions (the AWS message says why)."""

    def __init__(self, code: str, message: str, action: str | None = None) -> None:
        self.code = code
        self.message = message
        self.action = action
        super().__init__(f"{action + ' failed: ' if action else ''}{code}: {message}")


class StackNotFound(LisaDesktopError):
    """The model's CloudFormation stack does not exist (any more)."""

    def __init__(self, stack_name: str) -> None:
        self.stack_name = stack_name
        super().__init__(f"CloudFormation stack '{stack_name}' does not exist")


class EcsServiceNotFound(LisaDesktopError):
    """The model's ECS service (or its cluster) does not exist (any more)."""

    def __init__(self, cluster: str, service: str) -> None:
        self.cluster = cluster
        self.service = service
        super().__init__(f"ECS service '{service}' was not found in cluster '{cluster}'")


class StatusChanged(StatusNotAllowed):
    """A conditional write found the model in another status than the one the change was planned from."""

    def __init__(self, model_id: str, expected: str, actual: str | None, holder: str | None = None) -> None:
        self.model_id = model_id
        self.expected = expected
        self.actual = actual
        self.holder = holder
        held = f" (held by job {holder})" if holder else ""
        if holder and actual == expected:
            message = f"model '{model_id}' is {actual} but held by job {holder}: wait for that job to end"
        else:
            message = f"model '{model_id}' is now {actual}{held}, not {expected}: it changed since it was read"
        super().__init__(message)


class ModelAlreadyExists(InvalidInput):
    """A model with this id exists already (LISA: "Model '<id>' already exists. Please select another name.")."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        super().__init__([Problem("modelId", f"a model '{model_id}' already exists; choose another id")], "create")


class LiteLLMError(LisaDesktopError):
    """LiteLLM (through LISA Serve) answered a request with an HTTP error or an unusable body."""

    def __init__(self, status: int, body_excerpt: str, action: str | None = None) -> None:
        self.status = status
        self.body_excerpt = body_excerpt
        self.action = action
        super().__init__(f"LiteLLM{' ' + action if action else ''} failed with HTTP {status}: {body_excerpt}")


_EXPIRED_CODES: Final = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_BAD_CREDENTIAL_CODES: Final = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
_DENIED_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "Forbidden"}
)
_THROTTLING_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING: Final = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", re.IGNORECASE | re.DOTALL)
_TAG: Final = re.compile(r"<[^>]*>")
SUMMARY_CHARS: Final = 120
_ACTION_IN_MESSAGE: Final = re.compile(r"perform:\s*([\w-]+:[\w*]+)")
_RESOURCE_IN_MESSAGE: Final = re.compile(r"on resource:\s*(\S+)")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def _http_status(exc: ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def looks_like_a_page(body: str, content_type: str = "") -> bool:
    """An HTML page rather than an AWS error body (JSON or XML)."""
    start = body.lstrip()[:200].lower()
    return content_type.lower().startswith("text/html") or start.startswith(("<!doctype html", "<html"))


def page_summary(body: str) -> str:
    """A page's title (else its first heading, else its first line of text), short and on one line."""
    for pattern in (_TITLE, _HEADING):
        found = pattern.search(body)
        if found:
            text = " ".join(html.unescape(_TAG.sub(" ", found.group(1))).split())
            if text:
                return _shortened(text)
    lines = (" ".join(html.unescape(line).split()) for line in _TAG.sub("\n", body).splitlines())
    return _shortened(next((line for line in lines if line), ""))


def _shortened(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _not_aws(exc: ClientError, action: str | None) -> NotAnAwsEndpoint | None:
    """The error for a web page where an AWS error response was expected, if the answer was one."""
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    content_type = str(headers.get("content-type", "")) if isinstance(headers, dict) else ""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    if not looks_like_a_page(message, content_type):
        return None
    summary = page_summary(message) if looks_like_a_page(message) else ""
    return NotAnAwsEndpoint(_http_status(exc), summary, action or _operation(exc) or None)


def _operation(exc: ClientError) -> str:
    return str(getattr(exc, "operation_name", "") or "")


def _login_advice(profile: str | None) -> str:
    return (
        f"run: aws sso login --profile {profile}" if profile else "run: aws sso login (with the connection's profile)"
    )


def _refresh_advice(profile: str | None) -> str:
    if profile:
        return f"refresh the credentials of profile '{profile}' (for SSO run: aws sso login --profile {profile})"
    return "refresh the session credentials (new temporary keys, or aws sso login for an SSO profile)"


def from_client_error(
    exc: ClientError, action: str | None = None, resource: str | None = None, *, profile: str | None = None
) -> LisaDesktopError:
    """The domain error for an AWS error response."""
    page = _not_aws(exc, action)
    if page is not None:
        return page
    code = error_code(exc)
    message = error_message(exc)
    if code in _EXPIRED_CODES:
        return DeploymentUnreachable(
            "ExpiredToken", f"the AWS credentials have expired ({message})", _refresh_advice(profile)
        )
    if code in _BAD_CREDENTIAL_CODES:
        return DeploymentUnreachable(
            "InvalidCredentials", f"AWS does not accept the credentials ({code}: {message})", _refresh_advice(profile)
        )
    if code in _DENIED_CODES:
        found_action = _ACTION_IN_MESSAGE.search(message)
        found_resource = _RESOURCE_IN_MESSAGE.search(message)
        what = action or (found_action.group(1) if found_action else None) or _operation(exc) or "the call"
        where = resource or (found_resource.group(1) if found_resource else None)
        needed = f"{what} on {where}" if where else what
        return DeploymentUnreachable(
            "AccessDenied",
            f"access denied: the identity may not perform {needed} ({message})",
            f"ask an administrator to allow {needed} for this identity (IAM policy), or use another profile",
        )
    if code in _THROTTLING_CODES:
        return Throttled(action or _operation(exc) or "the call", message)
    return AwsError(code or "Unknown", message, action or _operation(exc) or None)


def from_botocore_error(
    exc: BotoCoreError, action: str | None = None, *, profile: str | None = None, endpoint: str | None = None
) -> LisaDesktopError:
    """The domain error for a failure on the client side (network, credentials, configuration)."""
    where = f"the sandbox at {endpoint}" if endpoint else "AWS"
    if isinstance(exc, SSLError) and "wrong version number" in str(exc).lower():
        plain = endpoint.replace("https://", "http://", 1) if endpoint else "an http:// URL"
        return DeploymentUnreachable(
            "HttpNotHttps",
            f"the endpoint{' ' + endpoint if endpoint else ''} speaks http, not https: its answer to a TLS "
            f"handshake was plain HTTP ({exc})",
            f"use {plain} as the endpoint URL, or the endpoint's https port",
        )
    if isinstance(exc, SSLError):
        return DeploymentUnreachable(
            "TlsError",
            f"TLS verification failed talking to {where} ({exc})",
            "if a corporate proxy re-signs TLS traffic, point AWS_CA_BUNDLE at its CA certificate",
        )
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        advice = (
            f"is the sandbox running? check that {endpoint} answers"
            if endpoint
            else "check the network connection, VPN or proxy, and the region"
        )
        return DeploymentUnreachable("EndpointUnreachable", f"cannot reach {where} ({exc})", advice)
    sso_failure = isinstance(exc, SSOError | TokenRetrievalError) or (
        isinstance(exc, CredentialRetrievalError) and "sso" in str(exc).lower()
    )
    if sso_failure:
        return DeploymentUnreachable(
            "SsoTokenExpired", f"the SSO login is missing or has expired ({exc})", _login_advice(profile)
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return DeploymentUnreachable(
            "NoCredentials",
            f"no usable AWS credentials were found ({exc})",
            f"check profile '{profile}' (aws configure list --profile {profile})"
            if profile
            else "choose a profile for the connection, or store access keys in the keychain",
        )
    if isinstance(exc, ProfileNotFound):
        return DeploymentUnreachable(
            "ProfileNotFound", str(exc), "check the profile name (aws configure list-profiles)"
        )
    if isinstance(exc, NoRegionError):
        return DeploymentUnreachable("NoRegion", "no AWS region is configured", "choose a region for the connection")
    return AwsError(type(exc).__name__, str(exc), action)


@contextmanager
def translate_errors(
    action: str | None = None,
    resource: str | None = None,
    *,
    profile: str | None = None,
    endpoint: str | None = None,
) -> Iterator[None]:
    """Context manager (and decorator) that lets only domain errors out.

    `action` ("dynamodb:Scan") and `resource` ("table Models") name what an access-denied advice asks for;
    `profile` makes the SSO advice exact; `endpoint` is the sandbox endpoint, if any.
    """
    try:
        yield
    except LisaDesktopError:
        raise
    except ClientError as exc:
        raise from_client_error(exc, action, resource, profile=profile) from exc
    except BotoCoreError as exc:
        raise from_botocore_error(exc, action, profile=profile, endpoint=endpoint) from exc


def response_item(exc: ClientError) -> dict[str, Any] | None:
    """The `Item` an error response carries (DynamoDB's ReturnValuesOnConditionCheckFailure=ALL_OLD), if any."""
    item = exc.response.get("Item")
    return dict(item) if isinstance(item, dict) else None
