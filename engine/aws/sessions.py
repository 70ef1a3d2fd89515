"""The one way to make a boto3 session: every session of the process reads AWS's service models through one shared
botocore data loader.

A session made the usual way has a loader of its own, so the first client of each service in each new session parses
that service's model, and the first client of the session parses the endpoint rules, again: most of what creating
a client costs. The models are read-only data, so one loader serves every session, whatever its credentials.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.model
import botocore.session
from botocore.credentials import CredentialResolver


class _DistinctPaths(list[str]):
    """The loader's search path: each boto3 session appends boto3's data folder to it, kept once."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)

    def extend(self, paths: Any) -> None:
        for path in paths:
            self.append(path)


_LOCK = threading.Lock()
_LOADER: botocore.loaders.Loader | None = None


def shared_loader() -> botocore.loaders.Loader:
    """The process's botocore data loader (AWS_DATA_PATH honoured, as botocore's own)."""
    global _LOADER
    with _LOCK:
        if _LOADER is None:
            extra = os.environ.get("AWS_DATA_PATH")
            paths = [os.path.expanduser(path) for path in extra.split(os.pathsep)] if extra else []
            _LOADER = botocore.loaders.Loader(extra_search_paths=_DistinctPaths(paths))
        return _LOADER


def service_model(service_name: str) -> botocore.model.ServiceModel:
    """A service's model, read through the shared loader: no credentials, no region, no client."""
    core = botocore.session.Session()
    core.register_component("data_loader", shared_loader())
    return core.get_service_model(service_name)


def new_session(
    *,
    region_name: str | None = None,
    profile_name: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    no_credentials: bool = False,
) -> boto3.Session:
    """A boto3 session as `boto3.Session(...)` makes it (ProfileNotFound for a profile not configured), its service
    models read through the shared loader.
    `no_credentials`: a session that never looks for credentials (a target reached through LISA's API only)."""
    core = botocore.session.Session()
    if profile_name is not None and profile_name not in core.available_profiles:
        raise botocore.exceptions.ProfileNotFound(profile=profile_name)
    core.register_component("data_loader", shared_loader())
    if no_credentials:
        core.register_component("credential_provider", CredentialResolver(providers=[]))
    return boto3.Session(
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        region_name=region_name,
        botocore_session=core,
        profile_name=profile_name,
    )
