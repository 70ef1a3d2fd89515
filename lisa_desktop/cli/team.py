"""Team mode on the command line: the `models` commands when the target has LISA's API (`--lisa-api`).

The console's validation and plan run first, on the model as the API answers it; the change is then sent to
LISA's route and run by LISA's state machines. Without --wait the command returns once LISA accepted it; with
--wait it follows the model (`GET /models/{id}`) until it settles, and, when the target has AWS access too, the
model's live ECS service and Auto Scaling group and LISA's execution of the change (a failed ECS rollout, which LISA
does not roll back, then exits 5). LISA cannot cancel an execution: an interrupt only stops watching.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, Final, TextIO
from urllib.parse import urlparse

from engine.aws.discovery import deployment_name
from engine.aws.inventory import Inventory
from engine.errors import InvalidInput, LisaDesktopError, Problem, StatusNotAllowed
from engine.jobs.context import Gateways
from engine.jobs.events import JobEvent
from engine.jobs.validation import RestartNotAcknowledged
from engine.lisa_api.client import LisaApi
from engine.lisa_api.executions import ExecutionWatch
from engine.lisa_api.follow import (
    RUN_BY,
    Expectation,
    Follower,
    FollowResult,
    create_expected,
    delete_expected,
    start_expected,
    stop_expected,
    update_expected,
)
from engine.lisa_api.live import LiveWatch, Watcher
from engine.lisa_api.records import guardrails_from_api, record_from_api
from engine.plan import Plan, create_steps, plan
from engine.rules.status import Operation, refusal
from engine.schedules.actions import ScheduledAction
from engine.schedules.gateway import ScheduledActions
from engine.schedules.timing import next_actions, wall_now
from engine.schema.config import SchedulingConfig
from engine.schema.requests import MARKED_FOR_DELETION, CreateModelRequest, UpdateModelRequest
from engine.secrets import masked
from lisa_desktop.cli.schedule_view import schedule_in, write_schedule
from lisa_desktop.cli.team_reads import api_of
from lisa_desktop.cli.team_reads import run_list as run_list  # `models list` and `show` call them here
from lisa_desktop.cli.team_reads import run_show as run_show
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import Target

LOOPBACK_POLL_S: Final = 0.5
"""How often a sandbox's API (on this machine) is polled; LISA's own executions poll every 60 s."""
POLL_S: Final = 5.0
INTERRUPTED: Final = 130
UNCHANGED_KEYS: Final = frozenset({"enabled", "autoScalingInstanceConfig", "guardrailsConfig"})
"""Update fields whose effect does not show as the same key of the model (checked by status instead)."""


# -- update, start, stop -------------------------------------------------------------------------------------


def validate_update(api: LisaApi, model_id: str, change: UpdateModelRequest, *, check_ack: bool, ack: bool) -> Plan:
    """The console's plan of the change on the model as LISA's API answers it: StatusNotAllowed or InvalidInput
    as in workstation mode (LISA's live capacity checks are LISA's, at its answer)."""
    model = api.get_model(model_id)
    record = record_from_api(model)
    result = plan(record, change, guardrails_from_api(model) if change.guardrailsConfig is not None else None)
    status_problems = [p for p in result.violations if p.field == "status"]
    if status_problems:
        raise StatusNotAllowed(status_problems[0].rule)
    if result.violations:
        raise InvalidInput(result.violations, f"update of '{model_id}'")
    if check_ack and result.requires_ack and not ack:
        raise RestartNotAcknowledged()
    return result


def dry_run_extra(model_id: str) -> dict[str, str]:
    """What a team-mode dry run's JSON adds to the plan: who runs the change, and through which route."""
    return {"runBy": RUN_BY, "route": f"PUT /models/{model_id}"}


def request_body(change: UpdateModelRequest, result: Plan) -> dict[str, Any]:
    """The PUT body. LISA's UpdateModel stores `containerConfig.environment` as sent (it replaces the stored
    one), so the body carries the whole environment the plan shows, with the removed variables marked for
    deletion (LISA takes those off the task definition)."""
    body = change.dump()
    sent = (body.get("containerConfig") or {}).get("environment")
    if isinstance(sent, dict):
        planned = ((result.new_config.get("containerConfig") or {}).get("environment")) or {}
        removed = {key: value for key, value in sent.items() if value == MARKED_FOR_DELETION}
        body["containerConfig"]["environment"] = {**planned, **removed}
    return body


def applied_check(change: UpdateModelRequest, result: Plan) -> Callable[[Mapping[str, Any]], bool] | None:
    """Whether a polled model shows the change's fields as planned (None when nothing can be compared)."""
    keys = [name for name in change.given_fields if name not in UNCHANGED_KEYS]
    if not keys:
        return None
    expected = {key: result.new_config.get(key) for key in keys}

    def applied(model: Mapping[str, Any]) -> bool:
        return all(model.get(key) == value for key, value in expected.items())

    return applied


def run_update(
    args: argparse.Namespace,
    out: TextIO,
    target: Target,
    change: UpdateModelRequest,
    print_plan: Callable[[Plan], None],
) -> int:
    """`models update | start | stop` through LISA's `PUT /models/{id}`. `print_plan` prints a dry run's plan."""
    api = api_of(target)
    ack = bool(getattr(args, "ack_restart", False))
    result = validate_update(api, args.model_id, change, check_ack=not args.dry_run, ack=ack)
    if args.dry_run:
        print_plan(result)
        if not args.json:
            out.write(f"Run by LISA: PUT /models/{args.model_id} starts LISA's UpdateModel execution\n")
        return ExitCode.OK
    if change.enabled is False and not getattr(args, "yes", False):
        from lisa_desktop.cli.changes import _confirm_stop

        _confirm_stop(args.model_id)
    follower = _follower(args, out, target, args.model_id, "UpdateModel")
    api.update_model(args.model_id, request_body(change, result))
    if change.enabled is True:
        expected = start_expected()
    elif change.enabled is False:
        expected = stop_expected()
    else:
        expected = update_expected(result.from_status, applied_check(change, result))
    return _accepted(args, out, follower, expected, f"PUT /models/{args.model_id}", "UpdateModel")


# -- create, delete --------------------------------------------------------------------------------------------


def run_create(args: argparse.Namespace, out: TextIO, target: Target, request: CreateModelRequest) -> int:
    hosting = request.effective_hosting_type
    if args.dry_run:
        if args.json:
            document = {"modelId": request.modelId, "hostingType": str(hosting), "request": masked(request.dump())}
            json.dump(document | {"runBy": RUN_BY, "route": "POST /models"}, out, indent=2)
            out.write("\n")
            return ExitCode.OK
        out.write(f"Plan: create {request.modelId} ({hosting}, {request.modelType}: {request.modelName})\n")
        out.write("  run by LISA: POST /models starts LISA's CreateModel execution\n")
        out.write(f"Steps (LISA's): {' → '.join(create_steps(hosting))}\n")
        out.write("Dry run: nothing was changed.\n")
        return ExitCode.OK
    follower = _follower(args, out, target, request.modelId, "CreateModel")
    api_of(target).create_model(request.dump())
    return _accepted(args, out, follower, create_expected(), "POST /models", "CreateModel")


def run_delete(args: argparse.Namespace, out: TextIO, target: Target) -> int:
    api = api_of(target)
    record = record_from_api(api.get_model(args.model_id))
    reason = refusal(Operation.DELETE, args.model_id, record.model_status)
    if reason is not None:
        raise StatusNotAllowed(reason)
    if not args.yes:
        _confirm_delete(args.model_id, str(record.model_status))
    follower = _follower(args, out, target, args.model_id, "DeleteModel")
    api.delete_model(args.model_id)
    return _accepted(args, out, follower, delete_expected(), f"DELETE /models/{args.model_id}", "DeleteModel")


def _confirm_delete(model_id: str, status: str) -> None:
    if sys.stdin is None or not sys.stdin.isatty():
        raise InvalidInput([Problem("--yes", f"deleting '{model_id}' needs confirmation: add --yes")], "delete")
    sys.stderr.write(f"Deleting '{model_id}' ({status}) through LISA's API: LISA removes it and what it made.\n")
    if input(f"Type the model id ({model_id}) to delete it: ").strip() != model_id:
        raise InvalidInput([Problem("confirmation", "the id typed does not match; nothing was changed")], "delete")


# -- following -------------------------------------------------------------------------------------------------


def poll_interval(api: LisaApi) -> float:
    """Half a second for an API on this machine (a sandbox), else every few seconds."""
    host = urlparse(api.base_url).hostname or ""
    try:
        loopback = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return LOOPBACK_POLL_S if loopback else POLL_S


def watchers_for(target: Target, model_id: str, machine: str) -> tuple[Watcher, ...]:
    """What is read beside LISA's API while following, with AWS access: the model's ECS service and Auto
    Scaling group (as the inventory finds them), and LISA's execution of the change (`machine`)."""
    try:
        name: str | None = deployment_name(target.prefix)
    except InvalidInput:
        name = None
    try:
        deployment = target.deployment()
    except LisaDesktopError as error:
        sys.stderr.write(f"live ECS and Auto Scaling state not followed: {error}\n")
        return (ExecutionWatch(target.clients, machine, model_id, name),)
    execution = ExecutionWatch(target.clients, machine, model_id, name, deployment.models_table_name)
    return LiveWatch(Inventory(target.clients, deployment), model_id), execution


@dataclass(frozen=True)
class Following:
    follower: Follower
    events: list[JobEvent]
    """Every event told, for --json."""


def _follower(args: argparse.Namespace, out: TextIO, target: Target, model_id: str, machine: str) -> Following | None:
    """With --wait, the follower of the change, told what is there before it is sent: with AWS access it also
    reads the model's live ECS and Auto Scaling state and LISA's execution (`watchers_for`)."""
    if not args.wait:
        return None
    events: list[JobEvent] = []

    def listener(event: JobEvent) -> None:
        events.append(event)
        if not args.json:
            out.write(event.line() + "\n")
            out.flush()

    api = api_of(target)
    deadline_s = float(getattr(args, "deadline_minutes", 30.0)) * 60
    watchers = watchers_for(target, model_id, machine) if target.aws_access else ()
    follower = Follower(
        api, interval_s=poll_interval(api), deadline_s=deadline_s, listeners=(listener,), watchers=watchers
    )
    follower.begin()
    return Following(follower, events)


def _accepted(
    args: argparse.Namespace, out: TextIO, following: Following | None, expected: Expectation, route: str, machine: str
) -> int:
    """LISA accepted the change: say so, or (with --wait) follow the model until it settles."""
    model_id = args.model_id
    if following is None:
        if args.json:
            json.dump({"modelId": model_id, "route": route, "runBy": RUN_BY, "accepted": True}, out, indent=2)
            out.write("\n")
        else:
            out.write(
                f"LISA accepted {route}: the {expected.operation} of {model_id} is run by LISA (its {machine} "
                f"execution goes on without this process; LISA cannot cancel it). Follow it with: models show "
                f"{model_id}\n"
            )
        return ExitCode.OK
    if not args.json:
        out.write(f"LISA accepted {route}; following {model_id} (run by LISA; an interrupt only stops watching)\n")
    try:
        result = following.follower.follow(model_id, expected)
    except KeyboardInterrupt:
        sys.stderr.write(f"\nstopped watching {model_id}; LISA's {machine} execution goes on\n")
        return INTERRUPTED
    _print_result(args, out, result, following.events)
    return ExitCode.OK if result.ok else ExitCode.JOB_FAILED


def _print_result(args: argparse.Namespace, out: TextIO, result: FollowResult, events: list[JobEvent]) -> None:
    final = str(result.final_status) if result.final_status is not None else None
    if args.json:
        document = {
            "jobId": events[0].job_id if events else None,
            "modelId": result.model_id,
            "operation": result.operation,
            "runBy": RUN_BY,
            "outcome": "succeeded" if result.ok else "failed",
            "message": result.message,
            "finalStatus": final,
            "events": [event.to_json() for event in events],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
        return
    status = f" (model {final})" if final is not None else ""
    out.write(f"{'succeeded' if result.ok else 'failed'}: {result.message}{status}\n")


# -- context window, schedule ----------------------------------------------------------------------------------


def run_context_window(args: argparse.Namespace, out: TextIO, target: Target, window: int) -> int:
    model = api_of(target).update_context_window(args.model_id, window)
    if args.json:
        json.dump({"model": masked(model)}, out, indent=2)
        out.write("\n")
    else:
        out.write(f"{args.model_id}: contextWindow set to {model.get('contextWindow')} (by LISA's API)\n")
    return ExitCode.OK


def run_schedule(args: argparse.Namespace, out: TextIO, target: Target, schedule: SchedulingConfig | None) -> int:
    """PUT or DELETE /models/{id}/schedule (LISA applies a schedule in its handler, at once)."""
    api = api_of(target)
    record = record_from_api(api.get_model(args.model_id))
    reason = refusal(Operation.UPDATE, args.model_id, record.model_status)
    if reason is not None:
        raise StatusNotAllowed(reason)
    if schedule is None:
        answer = api.delete_schedule(args.model_id)
    else:
        answer = api.update_schedule(args.model_id, schedule.dump())
    if args.json:
        json.dump(answer | {"runBy": RUN_BY}, out, indent=2)
        out.write("\n")
    else:
        out.write(f"LISA: {answer.get('message', answer)} (scheduleEnabled {answer.get('scheduleEnabled')})\n")
    return ExitCode.OK


def show_schedule(args: argparse.Namespace, out: TextIO, target: Target) -> int:
    api = api_of(target)
    document = {
        "modelId": args.model_id,
        "schedule": api.get_schedule(args.model_id),
        "status": api.get_schedule_status(args.model_id),
    }
    if args.json:
        json.dump(document, out, indent=2, default=str)
        out.write("\n")
        return ExitCode.OK
    from lisa_desktop.cli.schedule_cli import SHOWN_ACTIONS  # schedule_cli imports this module

    record = record_from_api(api.get_model(args.model_id))
    schedule = schedule_in(document["schedule"].get("scheduling"))
    group, actions, unread = _scheduled_actions(target, args.model_id) if schedule is not None else ("", [], None)
    write_schedule(
        out,
        model_id=record.model_id,
        model_status=str(record.model_status),
        status=document["status"],
        schedule=schedule,
        hosted=record.is_lisa_hosted,
        upcoming=next_actions(schedule, wall_now(), SHOWN_ACTIONS) if schedule is not None else [],
        group=group,
        actions=actions,
    )
    if unread is not None:
        out.write(f"({unread})\n")
    return ExitCode.OK


def _scheduled_actions(target: Target, model_id: str) -> tuple[str, list[ScheduledAction], str | None]:
    """The model's Auto Scaling group and its scheduled actions, read with AWS access (LISA's API gives neither),
    and why they were not read."""
    if not target.aws_access:
        return "", [], "no AWS access: the Auto Scaling group's scheduled actions are not read"
    try:
        aws = Gateways.for_deployment(target.clients, target.deployment())
        group = aws.models.get(model_id).auto_scaling_group or ""
        return group, ScheduledActions(aws.clients).of_model(group, model_id) if group else [], None
    except LisaDesktopError as error:
        return "", [], f"scheduled actions not read: {error}"
