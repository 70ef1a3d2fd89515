"""`models list` and `models show ID`: the stored records with the live state of their AWS resources, API keys
masked unless --show-secrets."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from engine.aws.guardrails import GuardrailsTable, with_guardrails
from engine.aws.inventory import Inventory, ModelView
from engine.aws.models_table import UnreadableRecord
from engine.errors import LisaDesktopError
from engine.secrets import MASK, masked
from lisa_desktop.cli import team
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import open_target


def add_parsers(models: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    listing = models.add_parser("list", parents=[parent], help="every model with its status and live capacity")
    listing.add_argument("--json", action="store_true", help="one JSON object per model (a list)")
    _secrets_option(listing)
    listing.set_defaults(handler=run_list)
    show = models.add_parser("show", parents=[parent], help="one model: configuration, live state, failure reason")
    show.add_argument("model_id", metavar="ID")
    show.add_argument("--json", action="store_true")
    _secrets_option(show)
    show.set_defaults(handler=run_show)


def _secrets_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show-secrets", action="store_true", help=f"print API keys in clear (else they read {MASK})")


def _shown(args: argparse.Namespace, value: Any) -> Any:
    """`value` as printed: its secret fields masked unless --show-secrets."""
    return value if args.show_secrets else masked(value)


def run_list(args: argparse.Namespace, out: TextIO) -> int:
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.run_list(args, out, target)
        listing = Inventory(target.clients, target.deployment()).listing()
    views, unreadable = listing.views, listing.unreadable
    default = listing.default_model
    if args.json:
        entries = [{**view.to_json(), "isDefault": view.model_id == default} for view in views]
        entries += [_unreadable_json(u) for u in unreadable]
        json.dump(_shown(args, sorted(entries, key=_entry_id)), out, indent=2, default=str)
        out.write("\n")
        return ExitCode.OK
    rows = sorted([*(_row(view, default) for view in views), *map(_unreadable_row, unreadable)])
    header: tuple[str, ...] = ("MODEL ID", "HOSTING", "TYPE", "STATUS", "INSTANCE", "MIN/DES/MAX", "TASKS", "HEALTHY")
    header += ("LITELLM", "CONTEXT", "DEFAULT")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"{len(views) + len(unreadable)} models ({target.label})\n")
    for entry in unreadable:
        out.write(f"unreadable: {entry.model_id}: {entry.reason} (`models show {entry.model_id}` prints the item)\n")
    return ExitCode.OK


def _entry_id(entry: dict[str, object]) -> str:
    model = entry.get("model")
    return str(model.get("modelId", "")) if isinstance(model, dict) else str(entry.get("modelId", ""))


def _unreadable_json(entry: UnreadableRecord) -> dict[str, object]:
    """An item this version cannot read, in the listing's JSON: marked, with why and the item as stored."""
    return {"modelId": entry.model_id, "unreadable": entry.reason, "item": entry.item}


def _unreadable_row(entry: UnreadableRecord) -> tuple[str, ...]:
    return (entry.model_id, "?", "?", f"{entry.status_text} (unreadable)", "-", "-", "-", "-", "?", "-", "")


def _row(view: ModelView, default: str | None) -> tuple[str, ...]:
    config = view.record.config
    live = view.live
    group = live.scaling_group if live else None
    capacity = f"{group.min_size}/{group.desired_capacity}/{group.max_size}" if group else "-"
    tasks = f"{live.running_count}/{live.desired_count}" if live and live.running_count is not None else "-"
    healthy = str(group.healthy_in_service_count) if group else "-"
    registered = {True: "yes", False: "no", None: "?"}[view.litellm_registered]
    context_window = view.record.context_window
    return (
        view.model_id,
        str(view.record.hosting_type),
        str(config.get("modelType", "?")),
        str(view.status),
        str(config.get("instanceType") or "-"),
        capacity,
        tasks,
        healthy,
        registered,
        str(context_window) if context_window is not None else "-",
        "default" if view.model_id == default else "",
    )


def run_show(args: argparse.Namespace, out: TextIO) -> int:
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.run_show(args, out, target)
        deployment = target.deployment()
        view = Inventory(target.clients, deployment).get_readable(args.model_id)
        unread = ""
        try:
            guardrails = GuardrailsTable(target.clients, deployment.guardrails_table_name).of_model(args.model_id)
        except LisaDesktopError as error:
            guardrails, unread = [], str(error)
    if isinstance(view, UnreadableRecord):
        if args.json:
            json.dump(_shown(args, _unreadable_json(view)), out, indent=2, default=str)
            out.write("\n")
            return ExitCode.OK
        out.write(f"{view.model_id}  {view.status_text}  (unreadable by this version: {view.reason})\n")
        out.write("stored item:\n" + json.dumps(_shown(args, view.item), indent=2, default=str) + "\n")
        return ExitCode.OK
    data = _shown(args, view.to_json())
    data["model"] = with_guardrails(data["model"], guardrails)
    if args.json:
        json.dump(data, out, indent=2, default=str)
        out.write("\n")
        return ExitCode.OK
    record = view.record
    out.write(f"{record.model_id}  {record.model_status}  ({record.hosting_type})\n")
    if record.shown_failure_reason:
        out.write(f"failure reason: {record.shown_failure_reason}\n")
    live = view.live
    if live is not None:
        group = live.scaling_group
        out.write(
            f"ECS: task definition revision {live.task_definition_revision}, rollout {live.rollout_state}, "
            f"tasks {live.running_count}/{live.desired_count} running\n"
        )
        if group is not None:
            out.write(
                f"Auto Scaling group {group.name}: min {group.min_size} / desired {group.desired_capacity} / "
                f"max {group.max_size}, {group.healthy_in_service_count} healthy\n"
            )
        if live.live_error:
            out.write(f"live state incomplete: {live.live_error}\n")
    registered = {True: "registered", False: "not registered", None: "unknown"}[view.litellm_registered]
    out.write(f"LiteLLM: {registered}\n")
    if unread:
        out.write(f"guardrails: could not be read: {unread}\n")
    for guardrail in sorted(guardrails, key=lambda g: g.name):
        groups = ", ".join(guardrail.allowed_groups) or "everyone"
        out.write(
            f"guardrail {guardrail.name}: Bedrock {guardrail.identifier} version {guardrail.version}, "
            f"{guardrail.mode}, for {groups} (LiteLLM {guardrail.litellm_name} {guardrail.guardrail_id})\n"
        )
    out.write("configuration:\n")
    out.write(json.dumps(data["model"], indent=2) + "\n")
    return ExitCode.OK
