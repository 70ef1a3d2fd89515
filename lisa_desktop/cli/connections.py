"""`connections list | add | remove | test`: named ways to reach deployments (secrets in the OS keychain)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TextIO

from lisa_desktop.connections import (
    Connection,
    ConnectionStore,
    add_connection,
    check_connection,
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
    how = add.add_mutually_exclusive_group(required=True)
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
    connection: Connection = new_connection(
        name=args.name,
        auth="profile" if args.profile else "access-key",
        profile=args.profile,
        access_key_id=args.access_key_id,
        region=args.region,
        deployment_prefix=args.deployment_prefix,
        endpoint_url=args.endpoint_url,
        account=args.account,
    )
    add_connection(connection, secret=_read_secret, make_default=args.default)
    where = "the OS keychain" if connection.auth == "access-key" else f"AWS profile '{connection.profile}'"
    out.write(
        f"Added connection '{connection.name}' ({connection.region}, {connection.deployment_prefix}); "
        f"credentials from {where}.\n"
    )
    return ExitCode.OK


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
    check = check_connection(args)
    out.write(
        f"Connection '{args.name}' works: you are {check.arn} (account {check.account}) in "
        f"{check.region}; deployment {check.prefix} has {check.models} models in table "
        f"{check.table}.\n"
    )
    return ExitCode.OK
