"""`models context-window ID N` and `models set-default ID`: one write each, no job (`engine.model_settings`)."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from engine.aws.configuration_table import GLOBAL_SCOPE, ConfigurationTable
from engine.aws.discovery import caller_identity
from engine.aws.models_table import ModelsTable
from engine.lisa_api.configuration import console_user
from engine.lisa_api.configuration import set_default_model as set_default_through_api
from engine.lisa_api.follow import RUN_BY
from engine.model_settings import CONTEXT_WINDOW_FIELD, parse_context_window, set_context_window, set_default_model
from lisa_desktop.cli import team
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import open_target


def add_parsers(models: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    window = models.add_parser(
        "context-window",
        parents=[parent],
        help="override a model's context window (LISA's PUT /models/{id}/context-window)",
        description="Set the record's context_window (contextWindow in LISA's API) to a positive integer, for a "
        "model of any status and hosting type, as LISA's handler does. One conditional write: nothing is written "
        "if the model is deleted or changes status meanwhile.",
    )
    window.add_argument("model_id", metavar="ID")
    window.add_argument("tokens", metavar="N", help="the context window in tokens (an integer greater than 0)")
    window.add_argument("--json", action="store_true", help="print the model as LISA's API returns it")
    window.set_defaults(handler=run_context_window)

    default = models.add_parser(
        "set-default",
        parents=[parent],
        help="make an InService textgen model LISA's default model",
        description="Write a new version of LISA's global configuration with global.defaultModel set to the "
        "model, as LISA's UI 'Set Default' does; only an InService textgen model (LISA's chat uses the default "
        "only when it is InService). In team mode (--lisa-api) through LISA's configuration API, as LISA's UI "
        "(an administrator's token).",
    )
    default.add_argument("model_id", metavar="ID")
    default.add_argument("--json", action="store_true")
    default.set_defaults(handler=run_set_default)


def run_context_window(args: argparse.Namespace, out: TextIO) -> int:
    window = parse_context_window(args.tokens)  # refused before anything is read
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.run_context_window(args, out, target, window)
        deployment = target.deployment()
        table = ModelsTable(target.clients, deployment.models_table_name)
        record = set_context_window(table, args.model_id, window)
    if args.json:
        json.dump({"model": record.to_api()}, out, indent=2, default=str)
        out.write("\n")
    else:
        out.write(f"{record.model_id}: {CONTEXT_WINDOW_FIELD} set to {record.context_window}\n")
    return ExitCode.OK


def run_set_default(args: argparse.Namespace, out: TextIO) -> int:
    """In team mode through LISA's configuration API (`PUT /configuration/global`), as LISA's UI does; else one
    transaction on LISA's configuration table."""
    with open_target(args) as target:
        team_mode = target.lisa_api is not None
        if target.lisa_api is not None:
            result = set_default_through_api(target.lisa_api, args.model_id, changed_by=console_user())
        else:
            deployment = target.deployment()
            models_table = ModelsTable(target.clients, deployment.models_table_name)
            config_table = ConfigurationTable(target.clients, deployment.prefix)
            who = caller_identity(target.clients).arn
            result = set_default_model(config_table, models_table, args.model_id, changed_by=who)
    if args.json:
        summary: dict[str, object] = {
            "defaultModel": result.model_id,
            "previous": result.previous,
            "written": result.written,
            "versionId": result.item.get("versionId"),
        }
        if team_mode:
            summary |= {"runBy": RUN_BY, "route": f"PUT /configuration/{GLOBAL_SCOPE}"}
        json.dump(summary, out, indent=2)
        out.write("\n")
    elif result.written:
        previous = f" (was {result.previous})" if result.previous else ""
        by = " (by LISA's configuration API)" if team_mode else ""
        out.write(f"{result.model_id} is now the default model{previous}{by}\n")
    else:
        out.write(f"{result.model_id} is already the default model; nothing was written\n")
    return ExitCode.OK
