"""The command line: the same engine calls as the GUI, for scripts and for ops."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from engine.aws.errors import Throttled
from engine.errors import (
    ConfigFileError,
    DraftConflict,
    DraftNotFound,
    InvalidInput,
    LisaDesktopError,
    ModelNotFound,
    StatusNotAllowed,
)
from lisa_desktop import __version__
from lisa_desktop.cli import (
    changes,
    connections,
    drafts,
    jobs,
    lifecycle_cli,
    model_settings_cli,
    sandbox,
    schedule_cli,
    validate,
)
from lisa_desktop.cli import models as model_cli
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.keychain import KeychainUnavailable
from lisa_desktop.messages import describe
from lisa_desktop.options import global_options

log = logging.getLogger("lisa_desktop.cli")
Handler = Callable[[argparse.Namespace, TextIO], int]
INTERRUPTED_EXIT = 130


class VersionAction(argparse.Action):
    """`lisa-desktop 0.1.0` and the log file's path, on lines of their own (argparse's would reflow them)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object, option: str | None = None
    ) -> None:
        from lisa_desktop.logs import log_file

        print(f"lisa-desktop {__version__}\nlog file: {log_file()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lisa-desktop",
        parents=[global_options(suppress_defaults=False)],
        description="Manage the LLM models of a LISA deployment. With no command, opens the console window.",
    )
    parser.add_argument(
        "--version", action=VersionAction, nargs=0, help="show the version and where the log file is, and exit"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation: open the window offscreen on a fresh sandbox, refresh, run one update job; "
        "exit 0 when all passed, 1 with the reason",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent = global_options(suppress_defaults=True)

    models = commands.add_parser("models", help="list, check and change models")
    model_commands = models.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    model_cli.add_parsers(model_commands, parent)
    changes.add_parsers(model_commands, parent)
    lifecycle_cli.add_parsers(model_commands, parent)
    schedule_cli.add_parser(model_commands, parent)
    model_settings_cli.add_parsers(model_commands, parent)
    validate.add_parser(model_commands, parent)

    connections.add_parser(commands, parent)
    drafts.add_parser(commands, parent)
    jobs.add_parser(commands, parent)
    sandbox.add_parser(commands)
    return parser


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command line; returns the exit code. With no command, opens the console window."""
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None and args.self_test:
        from lisa_desktop.self_test import run_self_test

        return run_self_test(out=out)
    if handler is None:
        from lisa_desktop.app import run_app

        return run_app(args)
    try:
        return handler(args, out or sys.stdout)
    except LisaDesktopError as error:
        code = exit_code_for(error)
        message = describe(error)
        log.warning("%s: exit %d: %s", " ".join(args.argv[:3]), code, message)
        if isinstance(error, StatusNotAllowed) and getattr(args, "model_id", None):
            hint = jobs.recovery_hint(str(args.model_id))
            message = f"{message}. {hint}" if hint else message
        if getattr(args, "json", False):
            json.dump({"error": message, "exitCode": int(code)}, out or sys.stdout, indent=2)
            (out or sys.stdout).write("\n")
        else:
            print(f"lisa-desktop: error: {message}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("\nlisa-desktop: interrupted before any job started; nothing was changed", file=sys.stderr)
        return INTERRUPTED_EXIT


def exit_code_for(error: LisaDesktopError) -> ExitCode:
    if isinstance(error, InvalidInput | ConfigFileError | KeychainUnavailable):
        return ExitCode.INVALID
    if isinstance(error, StatusNotAllowed | DraftConflict):
        return ExitCode.STATUS_NOT_ALLOWED
    if isinstance(error, ModelNotFound | DraftNotFound):
        return ExitCode.NOT_FOUND
    if isinstance(error, Throttled):
        return ExitCode.THROTTLED
    return ExitCode.UNREACHABLE
