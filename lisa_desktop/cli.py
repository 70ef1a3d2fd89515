"""The command line: the same engine calls as the GUI, for scripts and for ops."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from engine.errors import ConfigFileError, InvalidInput
from engine.files import load_document
from engine.schema.requests import CreateModelRequest
from engine.schema.validate import RequestKind, detect_kind, parse_request
from lisa_desktop import __version__
from lisa_desktop.exit_codes import ExitCode

Handler = Callable[[argparse.Namespace, TextIO], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lisa-desktop",
        description="Manage the LLM models of a LISA deployment. With no command, opens the console window.",
    )
    parser.add_argument("--version", action="version", version=f"lisa-desktop {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    models = commands.add_parser("models", help="list, check and change models")
    model_commands = models.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    validate = model_commands.add_parser(
        "validate",
        help="check a create/update file offline (no credentials, no network)",
        description="Check a CreateModelRequest or UpdateModelRequest file (YAML or JSON, LISA's API shapes). "
        "Exit 0 when valid, 2 when not; every problem is printed as 'field: rule'.",
    )
    validate.add_argument("file", metavar="FILE")
    validate.add_argument(
        "--kind", choices=[kind.value for kind in RequestKind], help="default: create if the file has modelId"
    )
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=_validate)
    return parser


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    try:
        data = load_document(args.file)
    except ConfigFileError as error:
        return _fail(out, args.json, str(error))
    kind = RequestKind(args.kind) if args.kind else detect_kind(data)
    how = "" if args.kind else " (detected)"
    try:
        request = parse_request(data, kind)
    except InvalidInput as invalid:
        if args.json:
            problems = [{"field": p.field, "rule": p.rule} for p in invalid.problems]
            json.dump({"valid": False, "kind": kind.value, "problems": problems}, out, indent=2)
            out.write("\n")
        else:
            for problem in invalid.problems:
                out.write(f"{problem}\n")
            count = len(invalid.problems)
            out.write(f"{args.file}: invalid {kind} request{how}: {count} problem{'s' if count != 1 else ''}\n")
        return ExitCode.INVALID
    if args.json:
        json.dump({"valid": True, "kind": kind.value, "problems": []}, out, indent=2)
        out.write("\n")
    else:
        subject = (
            f"{request.effective_hosting_type} model '{request.modelId}'"
            if isinstance(request, CreateModelRequest)
            else f"changing {', '.join(request.given_fields)}"
        )
        out.write(f"{args.file}: valid {kind} request{how}: {subject}\n")
    return ExitCode.OK


def _fail(out: TextIO, as_json: bool, message: str) -> int:
    if as_json:
        json.dump({"valid": False, "error": message}, out, indent=2)
        out.write("\n")
    else:
        print(f"lisa-desktop: error: {message}", file=sys.stderr)
    return ExitCode.INVALID


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command line; returns the exit code. With no command, opens the console window."""
    args = build_parser().parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        from lisa_desktop.app import run_app

        return run_app(args)
    return handler(args, out or sys.stdout)
