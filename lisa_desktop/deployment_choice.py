"""Which deployment the options name, known without opening it (no boto3, no network): the connection, and
the key its on-disk snapshot is stored under, so the window can paint the last rows at once."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from engine.errors import InvalidInput, LisaDesktopError, Problem
from engine.sandbox.constants import SANDBOX_PREFIX, SANDBOX_REGION

if TYPE_CHECKING:  # pydantic is slow to import: not before the window's first paint
    from lisa_desktop.connections import Connection, ConnectionStore


class NotConfigured(LisaDesktopError):
    """No deployment was named and none is configured."""


SANDBOX_CACHE_KEY = "sandbox"
ENDPOINT_CHOICE = "endpoint:"
"""Starts the switcher's entry of a deployment named by --endpoint-url."""


def endpoint_choice(args: argparse.Namespace) -> str | None:
    """The switcher's entry of the deployment the options name by --endpoint-url (no connection names it), or
    None: its options, so that switching back to it opens it again (`endpoint_args`)."""
    endpoint = getattr(args, "endpoint_url", None)
    if not endpoint:
        return None
    prefix, region = getattr(args, "deployment_prefix", None) or "", getattr(args, "region", None) or ""
    return f"{ENDPOINT_CHOICE}{endpoint}|{prefix}|{region}"


def endpoint_args(choice: str, base: argparse.Namespace) -> argparse.Namespace:
    """`base` with the options of an `endpoint_choice` entry."""
    endpoint, prefix, region = choice.removeprefix(ENDPOINT_CHOICE).rsplit("|", 2)
    named = {"endpoint_url": endpoint, "deployment_prefix": prefix or None, "region": region or None}
    return argparse.Namespace(**(vars(base) | {"sandbox": False, "connection": None} | named))


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
