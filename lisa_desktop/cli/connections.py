"""`connections list | add | remove | test`: named ways to reach deployments (secrets in the OS keychain)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import TextIO

from engine.errors import InvalidInput, Problem
from lisa_desktop.connections import (
    Connection,
    ConnectionStore,
    add_connection,
    check_connection,
    check_profile,
    new_connection,
    remove_connection,
)
from lisa_desktop.exit_codes import ExitCode


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    connections = commands.add_parser("connections", help="named connections to LISA deployments")
    actions = connections.add_subparsers(dest="connection_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[parent], help="list the configured connections")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)

    add = actions.add_parser(
        "add",
        help="add a connection (an AWS named profile, or an access key kept in the OS keychain)",
        description="Add a connection. With --profile, boto3 reads the profile (SSO and assume-role included). "
        "With --access-key-id, the secret access key is read from standard input (or prompted for) and "
        "stored in the OS keychain; it is never written to a file or accepted on the command line.",
    )
    add.add_argument("name", metavar="NAME")
    how = add.add_mutually_exclusive_group()
    how.add_argument("--profile", help="AWS named profile (~/.aws/config)")
    how.add_argument("--access-key-id", help="access key id; the secret is read from stdin or prompted for")
    add.add_argument("--region", required=True)
    add.add_argument("--deployment-prefix", required=True, help="LISA's deploymentPrefix, e.g. /prod/lisa")
    add.add_argument("--endpoint-url", help="an AWS-compatible endpoint instead of AWS (e.g. a sandbox)")
    add.add_argument(
        "--account",
        metavar="ACCOUNT_ID",
        help="the AWS account the deployment is in: credentials of another account are then named as such",
    )
    add.add_argument(
        "--lisa-api",
        metavar="URL",
        nargs="?",
        const="",
        help="team mode: LISA's REST API (its LisaApiUrl); without URL, read from SSM <prefix>/LisaApiUrl with the "
        "connection's AWS credentials. The token (a LISA API token or the management key) is read from standard "
        "input after any secret access key, and kept in the OS keychain. Without --profile or --access-key-id the "
        "connection has no AWS access: changes and reads go through the API only",
    )
    add.add_argument(
        "--lisa-api-token",
        choices=("api-token", "management"),
        default="api-token",
        help="with --lisa-api: `api-token` (default) a LISA API token, from standard input, kept in the OS "
        "keychain; `management` the deployment's management key, read from Secrets Manager (secret named by SSM "
        "<prefix>/appManagementKeySecretName) with the connection's AWS credentials at each use, never stored",
    )
    add.add_argument("--default", action="store_true", help="use this connection when none is named")
    add.set_defaults(handler=run_add)

    test = actions.add_parser("test", help="check a connection: who you are, and how many models it can read")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=run_test)

    remove = actions.add_parser("remove", help="remove a connection and its keychain secret")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=run_remove)


def run_list(args: argparse.Namespace, out: TextIO) -> int:
    store = ConnectionStore()
    connections = store.all()
    default = store.default_name()
    if args.json:
        rows = [c.model_dump(exclude_none=True) | {"default": c.name == default} for c in connections]
        json.dump(rows, out, indent=2)
        out.write("\n")
        return ExitCode.OK
    if not connections:
        out.write(
            "No connections. Add one with: lisa-desktop connections add NAME --profile P --region R "
            "--deployment-prefix /stage/name\n"
        )
        return ExitCode.OK
    for connection in connections:
        mark = "*" if connection.name == default else " "
        endpoint = f"  endpoint {connection.endpoint_url}" if connection.endpoint_url else ""
        out.write(
            f"{mark} {connection.name:<20} {connection.who:<32} {connection.region:<14} "
            f"{connection.deployment_prefix}{endpoint}\n"
        )
    return ExitCode.OK


def run_add(args: argparse.Namespace, out: TextIO) -> int:
    auth = "profile" if args.profile else "access-key" if args.access_key_id else "lisa-api"
    fields: dict[str, object] = {
        "name": args.name,
        "auth": auth,
        "profile": args.profile,
        "access_key_id": args.access_key_id,
        "region": args.region,
        "deployment_prefix": args.deployment_prefix,
        "endpoint_url": args.endpoint_url,
        "account": args.account,
    }
    secret = _SecretOnce()
    url = args.lisa_api
    if url == "":
        if auth == "lisa-api":
            raise InvalidInput(
                [
                    Problem(
                        "--lisa-api",
                        "without a URL it is read from SSM <prefix>/LisaApiUrl: that needs AWS "
                        "credentials (--profile or --access-key-id); or give the URL",
                    )
                ],
                "connection",
            )
        url = published_api_url(new_connection(**fields), secret)
    source = "management-key" if args.lisa_api_token == "management" else None
    connection: Connection = new_connection(**fields, lisa_api_url=url, lisa_api_token_source=source)
    add_connection(connection, secret=secret, make_default=args.default, token=_read_token)
    where = {"access-key": "the OS keychain", "lisa-api": "none (LISA's API only)"}.get(
        connection.auth, f"AWS profile '{connection.profile}'"
    )
    token = (
        "the management key read from Secrets Manager at each use"
        if connection.uses_management_key
        else "its token in the OS keychain"
    )
    api = f"; LISA's API {connection.lisa_api_url}, {token}" if connection.lisa_api_url else ""
    out.write(
        f"Added connection '{connection.name}' ({connection.region}, {connection.deployment_prefix}); "
        f"AWS credentials from {where}{api}.\n"
    )
    return ExitCode.OK


class _SecretOnce:
    """The secret access key, read from standard input (or prompted for) once, however often it is asked for."""

    def __init__(self) -> None:
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            self._value = _read_secret()
        return self._value


def published_api_url(connection: Connection, secret: Callable[[], str]) -> str:
    """SSM `<prefix>/LisaApiUrl` read with the connection's credentials (its profile, or its access key and the
    secret `secret()` gives), before anything is stored."""
    from engine.aws.clients import AwsClients
    from engine.aws.sessions import new_session
    from engine.lisa_api.deployment import read_lisa_api_url
    from lisa_desktop import __version__

    if connection.profile:
        check_profile(connection.profile)
        session = new_session(profile_name=connection.profile, region_name=connection.region)
    else:
        session = new_session(
            aws_access_key_id=connection.access_key_id,
            aws_secret_access_key=secret(),
            region_name=connection.region,
        )
    clients = AwsClients(session, version=__version__, endpoint_url=connection.endpoint_url)
    return read_lisa_api_url(clients, connection.deployment_prefix)


def _read_token() -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass("LISA API token: ").strip()


def _read_secret() -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass("Secret access key: ").strip()


def run_remove(args: argparse.Namespace, out: TextIO) -> int:
    remove_connection(args.name)
    out.write(f"Removed connection '{args.name}'.\n")
    return ExitCode.OK


def run_test(args: argparse.Namespace, out: TextIO) -> int:
    """Who am I (STS), and can I read the deployment's models table?"""
    args.connection = args.name
    connection = ConnectionStore().get(args.name)
    if connection is not None and connection.lisa_api_url:
        from lisa_desktop.target import lisa_api_of

        count = len(lisa_api_of(connection).list_models())
        out.write(f"Connection '{args.name}': LISA's API at {connection.lisa_api_url} answers: {count} models.\n")
        if connection.auth == "lisa-api":
            return ExitCode.OK
    check = check_connection(args)
    out.write(
        f"Connection '{args.name}' works: you are {check.arn} (account {check.account}) in "
        f"{check.region}; deployment {check.prefix} has {check.models} models in table "
        f"{check.table}.\n"
    )
    return ExitCode.OK
