"""What a deployment publishes for a client of LISA's API, read with AWS credentials: the API's URL (SSM
`<prefix>/LisaApiUrl`, LISA's apiDeploymentConstruct.ts) and the management key (the Secrets Manager secret named
by SSM `<prefix>/appManagementKeySecretName`), which LISA's authorizer accepts as an administrator's token."""

from __future__ import annotations

from typing import Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.discovery import APP_KEY_SECRET_PARAMETER, KEY_SECRET_PARAMETER, normalize_prefix
from engine.aws.errors import DeploymentNotFound, error_code

LISA_API_URL_PARAMETER: Final = "LisaApiUrl"


def _parameters(clients: AwsClients, prefix: str, names: list[str]) -> dict[str, str]:
    wanted = [f"{prefix}/{name}" for name in names]
    with clients.errors("ssm:GetParameters", f"parameters {', '.join(wanted)}"):
        answer = clients.ssm().get_parameters(Names=wanted)
    found = {str(p.get("Name")): str(p.get("Value") or "") for p in answer.get("Parameters", [])}
    return {name: found[f"{prefix}/{name}"] for name in names if found.get(f"{prefix}/{name}")}


def read_lisa_api_url(clients: AwsClients, prefix: str) -> str:
    """The API Gateway stage URL LISA published; DeploymentNotFound naming the parameter when there is none."""
    prefix = normalize_prefix(prefix)
    url = _parameters(clients, prefix, [LISA_API_URL_PARAMETER]).get(LISA_API_URL_PARAMETER)
    if not url:
        raise DeploymentNotFound(prefix, [f"{prefix}/{LISA_API_URL_PARAMETER}"], region=clients.region)
    return url


def read_management_key(clients: AwsClients, prefix: str) -> str:
    """The deployment's management key, read now (never kept by the caller); DeploymentNotFound naming what is
    missing."""
    prefix = normalize_prefix(prefix)
    names = _parameters(clients, prefix, [APP_KEY_SECRET_PARAMETER, KEY_SECRET_PARAMETER])
    secret_name = names.get(APP_KEY_SECRET_PARAMETER) or names.get(KEY_SECRET_PARAMETER)
    if not secret_name:
        missing = f"{prefix}/{APP_KEY_SECRET_PARAMETER} (or {prefix}/{KEY_SECRET_PARAMETER})"
        raise DeploymentNotFound(prefix, [missing], region=clients.region)
    with clients.errors("secretsmanager:GetSecretValue", f"secret {secret_name}"):
        try:
            secret = clients.secretsmanager().get_secret_value(SecretId=secret_name)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise DeploymentNotFound(prefix, [f"secret {secret_name}"], region=clients.region) from exc
            raise
    key = secret.get("SecretString")
    if not key:
        raise DeploymentNotFound(prefix, [f"value of secret {secret_name}"], region=clients.region)
    return str(key)
