"""Which deployment the options name, known without opening it (no boto3, no network): the connection, and
the key its on-disk snapshot is stored under, so the window can paint the last rows at once."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from engine.errors import InvalidInput, LisaDesktopError, Problem
from engine.sandbox.constants import SANDBOX_PREFIX, SANDBOX_REGION

if TYPE_CHECKING:  # pydantic is ~0.2 s to import: not before the window's first paint
    from lisa_desktop.connections import Connection, ConnectionStore


class NotConfigured(LisaDesktopError):
    """No deployment was named and none is configured."""


SANDBOX_CACHE_KEY = "sandbox"


def cache_key_for(args: argparse.Namespace, store: ConnectionStore | None = None) -> str:
    """A stable name for the deployment the options name, known before it is opened (the window shows its
    last snapshot meanwhile): "sandbox", or the connection (or endpoint), prefix and region. "" when the
    options name no deployment."""
    if getattr(args, "sandbox", False):
        return SANDBOX_CACHE_KEY
    region = getattr(args, "region", None)
    prefix = getattr(args, "deployment_prefix", None)
    endpoint = getattr(args, "endpoint_url", None)
    if endpoint:
        return deployment_key(f"endpoint:{endpoint}", prefix or SANDBOX_PREFIX, region or os.environ.get("AWS_REGION"))
    try:
        from lisa_desktop.connections import ConnectionStore

        connection = connection_named(args, store or ConnectionStore())
    except LisaDesktopError:
        return ""
    return deployment_key(
        f"connection:{connection.name}", prefix or connection.deployment_prefix, region or connection.region
    )


def deployment_key(where: str, prefix: str, region: str | None) -> str:
    return f"{where}|{prefix}|{region or SANDBOX_REGION}"


def connection_named(args: argparse.Namespace, store: ConnectionStore) -> Connection:
    name = getattr(args, "connection", None) or store.default_name()
    if name is None:
        if store.all():
            raise NotConfigured("several connections exist and none is the default: name one with --connection NAME")
        raise NotConfigured(
            "no deployment is configured: add one with 'lisa-desktop connections add NAME --profile P --region R "
            "--deployment-prefix /stage/name', or try the built-in sandbox with --sandbox"
        )
    connection = store.get(name)
    if connection is None:
        raise InvalidInput([Problem("--connection", f"no connection named '{name}' (see: connections list)")])
    return connection
