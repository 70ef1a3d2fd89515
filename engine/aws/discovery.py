"""Find a LISA deployment from its prefix: the SSM parameters and the secret LISA publishes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.errors import (
    DeploymentNotFound,
    DeploymentUnreachable,
    NotAnAwsEndpoint,
    error_code,
    looks_like_a_page,
)
from engine.errors import InvalidInput, Problem

log = logging.getLogger(__name__)

MODEL_TABLE_PARAMETER: Final = "modelTableName"
SERVE_URI_PARAMETER: Final = "lisaServeRestApiUri"
APP_KEY_SECRET_PARAMETER: Final = "appManagementKeySecretName"
"""Newer LISA versions: the name of the management-key secret."""
KEY_SECRET_PARAMETER: Final = "managementKeySecretName"
"""Older LISA versions (used when the newer parameter is absent)."""
SERVE_PATH: Final = "/v2/serve"
GUARDRAILS_TABLE_PARAMETER: Final = "guardrailsTableName"
RAG_REPOSITORIES_TABLE_PARAMETER: Final = "ragVectorStoreTableName"
"""LISA's RAG vector-store (repository configuration) table; published only when RAG is deployed."""
RAG_COLLECTIONS_TABLE_PARAMETER: Final = "ragCollectionsTableName"
SANDBOX_WARMUP_PARAMETER: Final = "sandboxModelWarmupSeconds"
"""Published by the built-in sandbox only: how long its models take to warm up."""
OPTIONAL_PARAMETERS: Final = (
    GUARDRAILS_TABLE_PARAMETER,
    RAG_REPOSITORIES_TABLE_PARAMETER,
    RAG_COLLECTIONS_TABLE_PARAMETER,
    SANDBOX_WARMUP_PARAMETER,
)
"""Tables a deployment may publish (one that does not has no guardrails, or no RAG), and a sandbox's pace."""


@dataclass(frozen=True)
class DeploymentInfo:
    prefix: str
    models_table_name: str
    litellm_base_url: str
    """LISA Serve's REST URI + /v2/serve: LISA Serve proxies LiteLLM's admin routes there."""
    management_key: str = field(repr=False)
    guardrails_table_name: str | None = None
    """LISA's guardrails table (PK `guardrailId`, SK `modelId`, GSI `ModelIdIndex`)."""
    rag_repositories_table_name: str | None = None
    rag_collections_table_name: str | None = None
    sandbox_model_warmup_s: float | None = None
    """A sandbox's model warm-up, which its jobs wait instead of the model's own (minutes in LISA)."""


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str
    user_id: str


def normalize_prefix(prefix: str) -> str:
    """`dev/lisa/` → `/dev/lisa` (SSM hierarchy names start with a slash)."""
    stripped = prefix.strip().rstrip("/")
    return stripped if stripped.startswith("/") else "/" + stripped


def discover_deployment(clients: AwsClients, prefix: str, *, expected_account: str | None = None) -> DeploymentInfo:
    """Read the deployment's table names, LiteLLM URL and management key (two GetParameters calls and one
    GetSecretValue). Raises `DeploymentNotFound` naming what is missing and the account and region searched (and,
    with `expected_account`, whether the credentials are another account's), or `DeploymentUnreachable`. The
    guardrails and RAG tables are optional (None when not published)."""
    try:
        return _discover(clients, normalize_prefix(prefix))
    except DeploymentNotFound as missing:
        raise _located(clients, missing, expected_account) from None


def _located(clients: AwsClients, missing: DeploymentNotFound, expected_account: str | None) -> DeploymentNotFound:
    """The same error, saying where it looked: STS names the credentials' account (one more call, on failure only)."""
    try:
        account: str | None = caller_identity(clients).account or None
    except DeploymentUnreachable as error:
        log.info("the caller's account could not be read: %s", error)
        account = None
    return DeploymentNotFound(
        missing.prefix,
        missing.missing_names,
        account=account,
        region=clients.region,
        expected_account=expected_account,
    )


def _discover(clients: AwsClients, prefix: str) -> DeploymentInfo:
    wanted = [MODEL_TABLE_PARAMETER, SERVE_URI_PARAMETER, APP_KEY_SECRET_PARAMETER, KEY_SECRET_PARAMETER]
    values = _parameters(clients, prefix, wanted)

    missing = [f"{prefix}/{name}" for name in (MODEL_TABLE_PARAMETER, SERVE_URI_PARAMETER) if not values.get(name)]
    secret_name = values.get(APP_KEY_SECRET_PARAMETER) or values.get(KEY_SECRET_PARAMETER)
    if not secret_name:
        missing.append(f"{prefix}/{APP_KEY_SECRET_PARAMETER} (or {prefix}/{KEY_SECRET_PARAMETER})")
    if missing or not secret_name:
        raise DeploymentNotFound(prefix, missing)

    with clients.errors("secretsmanager:GetSecretValue", f"secret {secret_name}"):
        try:
            secret = clients.secretsmanager().get_secret_value(SecretId=secret_name)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise DeploymentNotFound(prefix, [f"secret {secret_name}"]) from exc
            raise
    key = secret.get("SecretString")
    if not key:
        raise DeploymentNotFound(prefix, [f"value of secret {secret_name}"])

    optional = _optional_parameters(clients, prefix)
    return DeploymentInfo(
        prefix=prefix,
        models_table_name=values[MODEL_TABLE_PARAMETER],
        litellm_base_url=values[SERVE_URI_PARAMETER].rstrip("/") + SERVE_PATH,
        management_key=key,
        guardrails_table_name=optional.get(GUARDRAILS_TABLE_PARAMETER) or None,
        rag_repositories_table_name=optional.get(RAG_REPOSITORIES_TABLE_PARAMETER) or None,
        rag_collections_table_name=optional.get(RAG_COLLECTIONS_TABLE_PARAMETER) or None,
        sandbox_model_warmup_s=_seconds(optional.get(SANDBOX_WARMUP_PARAMETER)),
    )


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < float("inf") else None


def _parameters(clients: AwsClients, prefix: str, wanted: list[str]) -> dict[str, str]:
    """Name (after the prefix) → value of those of `wanted` that exist (one GetParameters call)."""
    names = [f"{prefix}/{name}" for name in wanted]
    with clients.errors("ssm:GetParameters", f"parameters {prefix}/*"):
        response = clients.ssm().get_parameters(Names=names, WithDecryption=True)
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    if looks_like_a_page("", str(headers.get("content-type", ""))):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise NotAnAwsEndpoint(status if isinstance(status, int) else None, "", "ssm:GetParameters")
    return {p["Name"][len(prefix) + 1 :]: p.get("Value", "") for p in response.get("Parameters", []) if "Name" in p}


def _optional_parameters(clients: AwsClients, prefix: str) -> dict[str, str]:
    """The guardrails and RAG table names, in a call of their own: an identity whose policy names only the four
    parameters above still opens the deployment (without guardrail clean-up or the RAG in-use check, logged)."""
    try:
        return _parameters(clients, prefix, list(OPTIONAL_PARAMETERS))
    except DeploymentUnreachable as exc:
        if exc.code != "AccessDenied":
            raise
        log.warning("cannot read %s/{%s}: %s", prefix, ",".join(OPTIONAL_PARAMETERS), exc)
        return {}


def caller_identity(clients: AwsClients) -> CallerIdentity:
    """Who the connection is (STS GetCallerIdentity): the cheapest check that credentials work."""
    with clients.errors("sts:GetCallerIdentity"):
        response = clients.sts().get_caller_identity()
    return CallerIdentity(
        account=response.get("Account", ""), arn=response.get("Arn", ""), user_id=response.get("UserId", "")
    )


def deployment_name(prefix: str) -> str:
    """LISA's deploymentName from its deploymentPrefix, which LISA builds as `/<stage>/<deploymentName>/<appName>`
    (`lib/schema/schema.ts`): the second segment, e.g. `/prod/acme/lisa` → `acme`; a prefix of two segments,
    `/<stage>/<deploymentName>` (the sandbox's `/sandbox/lisa`), its last. A model's stack is named
    `<deploymentName>-<modelId>`. InvalidInput for a prefix without one."""
    segments = [segment for segment in normalize_prefix(prefix).split("/") if segment]
    if len(segments) < 2:
        raise InvalidInput(
            [
                Problem(
                    "deploymentPrefix",
                    f"'{prefix}' has no deployment name (expected /<stage>/<deploymentName>/<appName>, as LISA "
                    "builds it)",
                )
            ],
            "deployment prefix",
        )
    return segments[1]
