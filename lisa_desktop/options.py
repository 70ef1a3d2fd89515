"""The options that name a deployment, taken by every command and by the window (a light module: the window's
start-up path parses its command line without importing the CLI's commands, boto3 or the engine)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

COMMANDS = frozenset({"models", "connections", "sandbox", "drafts", "jobs"})


def global_options(suppress_defaults: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    parser = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress_defaults else None
    target = parser.add_argument_group("deployment (choose at most one of --sandbox, --connection, --endpoint-url)")
    target.add_argument(
        "--sandbox",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="start a fresh built-in sandbox deployment in this process and use it",
    )
    target.add_argument(
        "--connection", metavar="NAME", default=default, help="a connection added with 'connections add'"
    )
    target.add_argument(
        "--endpoint-url",
        metavar="URL",
        default=default,
        help="a sandbox (or other AWS-compatible endpoint) already running, e.g. http://127.0.0.1:4599",
    )
    target.add_argument(
        "--deployment-prefix",
        metavar="PREFIX",
        default=default,
        help="LISA's deploymentPrefix (default: the sandbox's, with --endpoint-url)",
    )
    target.add_argument("--region", metavar="REGION", default=default, help="AWS region (overrides the connection's)")
    target.add_argument(
        "--lisa-api",
        metavar="URL",
        default=default,
        help="team mode: changes go through LISA's REST API (its LisaApiUrl, e.g. https://ID.execute-api.REGION."
        "amazonaws.com/STAGE), run by LISA's state machines; the token is read from LISA_API_TOKEN. Alone: the API "
        "only, no AWS access; with --connection, --endpoint-url or --sandbox: AWS reads too",
    )
    return parser


def window_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """The parsed options when `argv` only opens the window (no command, no --help, --version or --self-test),
    else None."""
    if any(arg in ("-h", "--help", "--version", "--self-test") for arg in argv):
        return None
    parsed, rest = global_options(suppress_defaults=False).parse_known_args(list(argv))
    return None if rest else parsed
