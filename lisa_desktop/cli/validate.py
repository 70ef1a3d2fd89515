"""`models validate FILE`: check a create/update file offline, with no credentials and no network."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from engine.errors import InvalidInput
from engine.files import load_document
from engine.schema.requests import CreateModelRequest
from engine.schema.validate import RequestKind, detect_kind, parse_request, unknown_field_warnings
from lisa_desktop.exit_codes import ExitCode


def add_parser(models: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    validate = models.add_parser(
        "validate",
        parents=[parent],
        help="check a create/update file offline (no credentials, no network)",
        description="Check a CreateModelRequest or UpdateModelRequest file (YAML or JSON, LISA's API shapes). "
        "Exit 0 when valid, 2 when not; every problem is printed as 'field: rule'. Fields LISA's API does not "
        "know are named as warnings: LISA ignores them, and so does the console (they are never sent).",
    )
    validate.add_argument("file", metavar="FILE")
    validate.add_argument(
        "--kind", choices=[kind.value for kind in RequestKind], help="default: create if the file has modelId"
    )
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace, out: TextIO) -> int:
    data = load_document(args.file)
    kind = RequestKind(args.kind) if args.kind else detect_kind(data)
    how = "" if args.kind else " (detected)"
    try:
        request = parse_request(data, kind)
    except InvalidInput as invalid:
        if args.json:
            problems = [{"field": p.field, "rule": p.rule} for p in invalid.problems]
            warned = [{"field": p.field, "rule": p.rule} for p in invalid.warnings]
            json.dump({"valid": False, "kind": kind.value, "problems": problems, "warnings": warned}, out, indent=2)
            out.write("\n")
        else:
            for problem in invalid.problems:
                out.write(f"{problem}\n")
            for warning in invalid.warnings:
                out.write(f"warning: {warning}\n")
            count = len(invalid.problems)
            out.write(f"{args.file}: invalid {kind} request{how}: {count} problem{'s' if count != 1 else ''}\n")
        return ExitCode.INVALID
    warnings = unknown_field_warnings(request)
    if args.json:
        shown = [{"field": p.field, "rule": p.rule} for p in warnings]
        json.dump({"valid": True, "kind": kind.value, "problems": [], "warnings": shown}, out, indent=2)
        out.write("\n")
    else:
        for warning in warnings:
            out.write(f"warning: {warning}\n")
        subject = (
            f"{request.effective_hosting_type} model '{request.modelId}'"
            if isinstance(request, CreateModelRequest)
            else f"changing {', '.join(request.given_fields)}"
        )
        out.write(f"{args.file}: valid {kind} request{how}: {subject}\n")
    return ExitCode.OK
