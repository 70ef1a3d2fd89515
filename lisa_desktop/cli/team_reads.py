"""`models list` and `models show` in team mode: the models as LISA's API answers them, merged with the live ECS
and Auto Scaling columns the inventory reads when the target has AWS access too (else those columns say so), and
the default model marked as LISA's configuration API names it."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any, Final, TextIO

from engine.aws.inventory import Inventory, LiveState
from engine.aws.models_table import UnreadableRecord
from engine.errors import LisaDesktopError
from engine.lisa_api.client import LisaApi
from engine.lisa_api.configuration import default_model
from engine.lisa_api.records import record_from_api
from engine.secrets import masked
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import Target

NO_AWS_ACCESS: Final = "no AWS access"
SOURCE: Final = "LISA API"


def api_of(target: Target) -> LisaApi:
    assert target.lisa_api is not None
    return target.lisa_api


def _shown(args: argparse.Namespace, value: Any) -> Any:
    return value if getattr(args, "show_secrets", False) else masked(value)


def live_states(target: Target, model_ids: list[str] | None = None) -> tuple[dict[str, LiveState | None], str | None]:
    """The live state of each model the inventory reads (None for a model LISA does not host), by model id, and
    why nothing could be read (no AWS access, or the error)."""
    if not target.aws_access:
        return {}, NO_AWS_ACCESS
    try:
        inventory = Inventory(target.clients, target.deployment())
        if model_ids is None:
            views = inventory.listing().views
        else:
            read = [inventory.get_readable(model_id) for model_id in model_ids]
            views = [view for view in read if not isinstance(view, UnreadableRecord)]
    except LisaDesktopError as error:
        return {}, f"live state not read: {error}"
    return {view.model_id: view.live for view in views}, None


@dataclass(frozen=True)
class DefaultRead:
    """LISA's default model as its configuration API answers it, or why it could not be read."""

    model_id: str | None
    unread: str | None = None

    def marks(self, model_id: str) -> bool | None:
        """Whether `model_id` is the default (None: not known)."""
        return None if self.unread is not None else model_id == self.model_id


def read_default(api: LisaApi) -> DefaultRead:
    """`GET /configuration?configScope=global` (any user may read it); a listing goes on without it."""
    try:
        return DefaultRead(default_model(api))
    except LisaDesktopError as error:
        return DefaultRead(None, f"default model not read: {error}")


def run_list(args: argparse.Namespace, out: TextIO, target: Target) -> int:
    api = api_of(target)
    models = sorted(api.list_models(), key=lambda model: str(model.get("modelId")))
    live, unread = live_states(target)
    default = read_default(api)
    if args.json:
        entries = [_entry(model, live, unread, default) for model in models]
        json.dump(_shown(args, entries), out, indent=2, default=str)
        out.write("\n")
        return ExitCode.OK
    if unread is None:
        columns: tuple[str, ...] = ("MIN/DES/MAX", "TASKS", "HEALTHY")
    else:
        columns = (f"LIVE ({NO_AWS_ACCESS})" if unread == NO_AWS_ACCESS else "LIVE",)
    header = ("MODEL ID", "HOSTING", "TYPE", "STATUS", "INSTANCE", *columns, "CONTEXT", "DEFAULT")
    rows = [header]
    for model in models:
        record = record_from_api(model)
        window = model.get("contextWindow")
        cells = _live_cells(live.get(record.model_id)) if unread is None else ("-",)
        marked = default.marks(record.model_id)
        rows.append(
            (
                record.model_id,
                str(record.hosting_type),
                str(model.get("modelType", "?")),
                str(model.get("status", "?")),
                str(model.get("instanceType") or "-"),
                *cells,
                str(window) if window is not None else "-",
                "?" if marked is None else "default" if marked else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"{len(models)} models ({target.label})\n")
    if unread is not None and unread != NO_AWS_ACCESS:
        out.write(unread + "\n")
    if default.unread is not None:
        out.write(default.unread + "\n")
    return ExitCode.OK


def _entry(
    model: dict[str, Any],
    live: dict[str, LiveState | None],
    unread: str | None,
    default: DefaultRead | None = None,
) -> dict[str, Any]:
    model_id = str(model.get("modelId"))
    state = live.get(model_id)
    entry: dict[str, Any] = {"model": model, "source": SOURCE, "live": state.to_json() if state else None}
    if unread is not None:
        entry["liveNotRead"] = unread
    if default is not None:
        entry["isDefault"] = default.marks(model_id)
        if default.unread is not None:
            entry["defaultNotRead"] = default.unread
    return entry


def _live_cells(state: LiveState | None) -> tuple[str, str, str]:
    if state is None:
        return "-", "-", "-"
    group = state.scaling_group
    capacity = f"{group.min_size}/{group.desired_capacity}/{group.max_size}" if group else "-"
    tasks = f"{state.running_count}/{state.desired_count}" if state.running_count is not None else "-"
    return capacity, tasks, str(group.healthy_in_service_count) if group else "-"


def run_show(args: argparse.Namespace, out: TextIO, target: Target) -> int:
    model = _shown(args, api_of(target).get_model(args.model_id))
    live, unread = live_states(target, [args.model_id])
    state = live.get(args.model_id)
    if args.json:
        json.dump(_entry(model, live, unread), out, indent=2, default=str)
        out.write("\n")
        return ExitCode.OK
    record = record_from_api(model)
    out.write(f"{record.model_id}  {record.model_status}  ({record.hosting_type})\n")
    out.write(f"read through LISA's API {api_of(target).base_url}")
    if unread == NO_AWS_ACCESS:
        out.write(f" ({NO_AWS_ACCESS}: live ECS and Auto Scaling state not read)\n")
    else:
        out.write(f"\n{unread}\n" if unread else "\n")
    if state is not None:
        _write_live(out, state)
    out.write("configuration:\n" + json.dumps(model, indent=2) + "\n")
    return ExitCode.OK


def _write_live(out: TextIO, state: LiveState) -> None:
    out.write(
        f"ECS: task definition revision {state.task_definition_revision}, rollout {state.rollout_state}, "
        f"tasks {state.running_count}/{state.desired_count} running\n"
    )
    group = state.scaling_group
    if group is not None:
        out.write(
            f"Auto Scaling group {group.name}: min {group.min_size} / desired {group.desired_capacity} / "
            f"max {group.max_size}, {group.healthy_in_service_count} healthy\n"
        )
    if state.live_error:
        out.write(f"live state incomplete: {state.live_error}\n")
