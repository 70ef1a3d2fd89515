"""Which deployment a command (or the window) talks to: a connection, a running sandbox, or a fresh one."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import boto3
import botocore.exceptions

from engine.aws.clients import AwsClients
from engine.aws.discovery import DeploymentInfo, discover_deployment
from engine.aws.errors import DeploymentUnreachable
from engine.aws.sessions import new_session
from engine.errors import InvalidInput, Problem
from engine.lisa_api.client import TOKEN_ENV, LisaApi
from engine.sandbox.constants import SANDBOX_ACCESS_KEY, SANDBOX_PREFIX, SANDBOX_REGION, SANDBOX_SECRET_KEY
from lisa_desktop import __version__, keychain
from lisa_desktop.connections import Connection, ConnectionStore
from lisa_desktop.deployment_choice import (
    SANDBOX_CACHE_KEY,
    connection_named,
    deployment_key,
)

if TYPE_CHECKING:
    from engine.sandbox.server import Sandbox


SANDBOX_MODEL_WARMUP_CAP_S: Final = 5.0
"""The warm-up cap for an endpoint that publishes none (an older sandbox, another AWS-compatible endpoint)."""


@dataclass
class Target:
    clients: AwsClients
    prefix: str
    label: str
    """For people: 'sandbox (in-process)', 'connection prod — eu-west-1', ..."""
    is_sandbox: bool
    sandbox: Sandbox | None = None
    connection: str | None = None
    """The saved connection's name, when the target is one."""
    cache_key: str = ""
    """Names the deployment's on-disk snapshot (see `cache_key_for`)."""
    expected_account: str | None = None
    """The account the connection says the deployment is in, if it says one."""
    lisa_api: LisaApi | None = None
    """Team mode: changes go through LISA's REST API (and are run by LISA)."""
    aws_access: bool = True
    """False with `--lisa-api` alone: `clients` hold no credentials and every AWS call fails."""
    _deployment: DeploymentInfo | None = field(default=None, repr=False)

    @property
    def region(self) -> str:
        return self.clients.region

    def deployment(self, discover: Callable[[], DeploymentInfo] | None = None) -> DeploymentInfo:
        """The deployment's published parameters (SSM + Secrets Manager), read once: by `discover` when given
        (the window asks its inventory reader), else here."""
        if self._deployment is None:
            if discover is not None:
                self._deployment = discover()
            else:
                self._deployment = discover_deployment(
                    self.clients, self.prefix, expected_account=self.expected_account
                )
        return self._deployment

    def model_warmup_cap_s(self) -> float | None:
        """How long a job waits at most for a started model to warm up: no cap for a deployment (LISA's
        `estimatedInstanceWarmup`, minutes); for a sandbox, the warm-up it publishes (seconds)."""
        if not self.is_sandbox:
            return None
        published = self.deployment().sandbox_model_warmup_s
        return SANDBOX_MODEL_WARMUP_CAP_S if published is None else published


def _chosen(args: argparse.Namespace) -> list[str]:
    chosen = []
    if getattr(args, "sandbox", False):
        chosen.append("--sandbox")
    if getattr(args, "connection", None):
        chosen.append("--connection")
    if getattr(args, "endpoint_url", None):
        chosen.append("--endpoint-url")
    return chosen


@contextmanager
def open_target(args: argparse.Namespace, *, store: ConnectionStore | None = None) -> Iterator[Target]:
    """The deployment the global options name; a fresh in-process sandbox lives as long as the context (with
    `args.sandbox_extra_models` synthetic models, when set). With `--lisa-api` the target carries LISA's API:
    alone, without any AWS access."""
    url = getattr(args, "lisa_api", None)
    if url and not _chosen(args):
        yield _api_only_target(lisa_api_from_environment(url), args)
        return
    chosen = _chosen(args)
    connection = None
    if not url and chosen in ([], ["--connection"]):
        connection = connection_named(args, store or ConnectionStore())
    if connection is not None and connection.auth == "lisa-api":
        target = _api_only_target(lisa_api_of(connection), args, connection.region, connection.deployment_prefix)
        target.connection = connection.name
        target.label = f"connection {connection.name} ({target.label})"
        yield target
        return
    with _open_aws_target(args, store=store) as target:
        api = lisa_api_from_environment(url) if url else None
        if connection is not None and connection.lisa_api_url:
            api = lisa_api_of(connection)
        if api is not None:
            target.lisa_api = api
            target.label = f"{target.label}, changes through LISA's API {api.base_url}"
        yield target


def lisa_api_of(connection: Connection) -> LisaApi:
    """The connection's LISA API with its token from the OS keychain (LISA_API_TOKEN, when set, instead), or
    the deployment's management key read now with the connection's AWS credentials (`--lisa-api-token
    management`)."""
    assert connection.lisa_api_url is not None
    if connection.uses_management_key:
        from engine.lisa_api.deployment import read_management_key

        clients = AwsClients(session_for(connection), version=__version__, endpoint_url=connection.endpoint_url)
        return LisaApi(connection.lisa_api_url, read_management_key(clients, connection.deployment_prefix))
    token = os.environ.get(TOKEN_ENV, "").strip() or keychain.load_secret(connection.lisa_api_keychain_account)
    if not token:
        raise DeploymentUnreachable(
            "NoCredentials",
            f"the OS keychain holds no LISA API token for connection '{connection.name}'",
            f"remove and add the connection again: lisa-desktop connections remove {connection.name}",
        )
    return LisaApi(connection.lisa_api_url, token)


def lisa_api_from_environment(url: str) -> LisaApi:
    """LISA's API at `url` with the token in LISA_API_TOKEN (InvalidInput naming it when unset)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InvalidInput(
            [Problem(TOKEN_ENV, "is not set: give a LISA API token (or the management key) with --lisa-api")],
            "--lisa-api",
        )
    return LisaApi(url, token)


def _api_only_target(
    api: LisaApi, args: argparse.Namespace, region: str | None = None, prefix: str | None = None
) -> Target:
    region = getattr(args, "region", None) or region or os.environ.get("AWS_REGION") or SANDBOX_REGION
    prefix = getattr(args, "deployment_prefix", None) or prefix or ""
    clients = AwsClients(new_session(region_name=region, no_credentials=True), version=__version__)
    key = deployment_key(f"lisa-api:{api.base_url}", prefix or "/", region)
    label = f"LISA API {api.base_url} (no AWS access)"
    return Target(clients, prefix, label, False, cache_key=key, lisa_api=api, aws_access=False)


@contextmanager
def _open_aws_target(args: argparse.Namespace, *, store: ConnectionStore | None = None) -> Iterator[Target]:
    chosen = _chosen(args)
    if len(chosen) > 1:
        raise InvalidInput([Problem(" / ".join(chosen), "choose one way to reach a deployment")])
    region = getattr(args, "region", None)
    prefix = getattr(args, "deployment_prefix", None)
    if getattr(args, "sandbox", False):
        from engine.sandbox.server import Sandbox  # moto is heavy to import: only when a sandbox is wanted

        with Sandbox(ambient=False, extra_models=getattr(args, "sandbox_extra_models", 0) or 0) as sandbox:
            sandbox.warm_request_path()
            clients = AwsClients(sandbox.session(), version=__version__, endpoint_url=sandbox.endpoint_url)
            label = f"sandbox {sandbox.endpoint_url} (in-process)"
            yield Target(clients, sandbox.prefix, label, True, sandbox, cache_key=SANDBOX_CACHE_KEY)
        return
    endpoint = getattr(args, "endpoint_url", None)
    if endpoint:
        session = _endpoint_session(region or os.environ.get("AWS_REGION") or SANDBOX_REGION)
        clients = AwsClients(session, version=__version__, endpoint_url=endpoint)
        key = deployment_key(f"endpoint:{endpoint}", prefix or SANDBOX_PREFIX, clients.region)
        yield Target(clients, prefix or SANDBOX_PREFIX, f"endpoint {endpoint}", True, cache_key=key)
        return
    connection = connection_named(args, store or ConnectionStore())
    clients = AwsClients(
        session_for(connection), version=__version__, endpoint_url=connection.endpoint_url, region_name=region
    )
    prefix = prefix or connection.deployment_prefix
    key = deployment_key(f"connection:{connection.name}", prefix, clients.region)
    yield Target(
        clients, prefix, f"connection {connection.name}", False, None, connection.name, key, connection.account
    )


def _endpoint_session(region: str) -> boto3.Session:
    """Credentials for an endpoint named on the command line: the standard AWS environment variables when set
    (another AWS-compatible endpoint, or a second sandbox in one process), else the sandbox's dummy key."""
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        return new_session(region_name=region)
    return new_session(
        aws_access_key_id=SANDBOX_ACCESS_KEY, aws_secret_access_key=SANDBOX_SECRET_KEY, region_name=region
    )


def session_for(connection: Connection) -> boto3.Session:
    """A boto3 session for a connection: its named profile (SSO, assume-role), or its key from the keychain."""
    if connection.auth == "profile":
        try:
            return new_session(profile_name=connection.profile, region_name=connection.region)
        except botocore.exceptions.ProfileNotFound:
            raise DeploymentUnreachable(
                "ProfileNotFound",
                f"the AWS profile '{connection.profile}' is not configured on this machine",
                f"run: aws configure --profile {connection.profile} (or aws configure sso)",
            ) from None
    secret = keychain.load_secret(connection.keychain_account)
    if not secret:
        raise DeploymentUnreachable(
            "NoCredentials",
            f"the OS keychain holds no secret for connection '{connection.name}'",
            f"remove and add the connection again: lisa-desktop connections remove {connection.name}",
        )
    return new_session(
        aws_access_key_id=connection.access_key_id, aws_secret_access_key=secret, region_name=connection.region
    )
