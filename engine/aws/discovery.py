"""Find a LISA deployment from its prefix: the SSM parameters and the secret LISA publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.errors import DeploymentNotFound, error_code
from engine.errors import InvalidInput, Problem

MODEL_TABLE_PARAMETER: Final = "modelTableName"
SERVE_URI_PARAMETER: Final = "lisaServeRestApiUri"
APP_KEY_SECRET_PARAMETER: Final = "appManagementKeySecretName"
"""Newer LISA versions: the name of the management-key secret."""
KEY_SECRET_PARAMETER: Final = "managementKeySecretName"
"""Older LISA versions (used when the newer parameter is absent)."""
SERVE_PATH: Final = "/v2/serve"


@dataclass(frozen=True)
class DeploymentInfo:
    prefix: str
    models_table_name: str
    litellm_base_url: str
    """LISA Serve's REST URI + /v2/serve: LISA Serve proxies LiteLLM's admin routes there."""
    management_key: str = field(repr=False)


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str
    user_id: str


def normalize_prefix(prefix: str) -> str:
    """`dev/lisa/` → `/dev/lisa` (SSM hierarchy names start with a slash)."""
    stripped = prefix.strip().rstrip("/")
    return stripped if stripped.startswith("/") else "/" + stripped


def discover_deployment(clients: AwsClients, prefix: str) -> DeploymentInfo:
    """Read the deployment's table name, LiteLLM URL and management key (one GetParameters call and one
    GetSecretValue). Raises `DeploymentNotFound` naming what is missing, or `DeploymentUnreachable`."""
    prefix = normalize_prefix(prefix)
    wanted = [MODEL_TABLE_PARAMETER, SERVE_URI_PARAMETER, APP_KEY_SECRET_PARAMETER, KEY_SECRET_PARAMETER]
    names = [f"{prefix}/{name}" for name in wanted]
    with clients.errors("ssm:GetParameters", f"parameters {prefix}/*"):
        response = clients.ssm().get_parameters(Names=names, WithDecryption=True)
    values = {p["Name"][len(prefix) + 1 :]: p.get("Value", "") for p in response.get("Parameters", []) if "Name" in p}

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

    return DeploymentInfo(
        prefix=prefix,
        models_table_name=values[MODEL_TABLE_PARAMETER],
        litellm_base_url=values[SERVE_URI_PARAMETER].rstrip("/") + SERVE_PATH,
        management_key=key,
    )


def caller_identity(clients: AwsClients) -> CallerIdentity:
    """Who the connection is (STS GetCallerIdentity): the cheapest check that credentials work."""
    with clients.errors("sts:GetCallerIdentity"):
        response = clients.sts().get_caller_identity()
    return CallerIdentity(
        account=response.get("Account", ""), arn=response.get("Arn", ""), user_id=response.get("UserId", "")
    )


def deployment_name(prefix: str) -> str:
    """LISA's deploymentName from its deploymentPrefix (`/<stage>/<deploymentName>`): the last segment, e.g.
    `/dev/lisa` → `lisa` (the sandbox's `/sandbox/lisa` → `lisa`, its SANDBOX_DEPLOYMENT_NAME). A model's stack
    is named `<deploymentName>-<modelId>`. InvalidInput for a prefix without one."""
    name = normalize_prefix(prefix).rsplit("/", 1)[-1]
    if not name:
        raise InvalidInput(
            [Problem("deploymentPrefix", f"'{prefix}' has no deployment name (expected /<stage>/<deploymentName>)")],
            "deployment prefix",
        )
    return name
