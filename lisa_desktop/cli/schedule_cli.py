"""`models schedule ID`: show, set or remove a LISA-hosted model's schedule, as LISA's schedule routes do.

Without an option it shows the schedule, its status as LISA reports it and the next actions. `--recurring`,
`--daily` and `--off` run the engine's schedule job (journaled, rolled back on failure); without --wait the command
returns once the model is held by the job and the job goes on in a background process, as other changes do.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, Final, TextIO

from engine.errors import InvalidInput, Problem
from engine.jobs.context import Gateways
from engine.jobs.events import JobEvent
from engine.jobs.runner import JobHandle, JobRunner
from engine.schedules.console_rules import stops_not_after_start
from engine.schedules.gateway import ScheduledActions
from engine.schedules.job import validate_schedule
from engine.schedules.names import RECURRING_PREFIX
from engine.schedules.record import parse_schedule, schedule_of, schedule_status, scheduling_of
from engine.schedules.timing import NextAction, next_actions, wall_now
from engine.schedules.zone import workstation_zone
from engine.schema.config import DAYS, SchedulingConfig
from lisa_desktop.cli import team
from lisa_desktop.cli.changes import _detach, _job_options, follow_job, job_settings
from lisa_desktop.cli.schedule_view import write_schedule
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import open_target

Listener = Callable[[JobEvent], None]
SHOWN_ACTIONS: Final = 7
DAY_NAMES: Final = {**{day: day for day in DAYS}, **{day[:3]: day for day in DAYS}}
"""`mon` or `monday`, ..."""


def add_parser(models: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    schedule = models.add_parser(
        "schedule",
        parents=[parent],
        help="show, set or remove a LISA-hosted model's schedule (Auto Scaling scheduled actions)",
        description="Without an option: the model's schedule, its status (ACTIVE, FAILED, DISABLED) and the next "
        "actions. --recurring starts and stops the model at the same times every day; --daily at times per weekday; "
        "--off removes the schedule. Each stop is at least 2 hours after its start, on the same day (LISA's web "
        "console refuses a stop past midnight). As LISA: scheduled actions <modelId>-daily-start|stop or "
        "<modelId>-<weekday>-start|stop in the time zone given, start restoring the stored capacity, stop 0/0/0; a "
        "schedule set outside its window scales the model to 0 at once. Only for InService or Stopped models.",
    )
    schedule.add_argument("model_id", metavar="ID")
    change = schedule.add_mutually_exclusive_group()
    change.add_argument("--recurring", metavar="HH:MM-HH:MM", help="start and stop times every day, e.g. 08:00-18:00")
    change.add_argument(
        "--daily", metavar="DAY=HH:MM-HH:MM,...", help="start and stop times per weekday, e.g. mon=08:00-18:00,tue=..."
    )
    change.add_argument("--off", action="store_true", help="remove the schedule (the model is left as it is)")
    schedule.add_argument(
        "--timezone", metavar="TZ", help="IANA time zone of the times (default: this workstation's, else UTC)"
    )
    _job_options(schedule)
    schedule.set_defaults(handler=run_schedule)


def run_schedule(args: argparse.Namespace, out: TextIO) -> int:
    if args.recurring is None and args.daily is None and not args.off:
        if args.timezone is not None:
            raise InvalidInput([Problem("--timezone", "goes with --recurring or --daily")], "schedule")
        return _show(args, out)
    schedule = None if args.off else schedule_from_options(args.recurring, args.daily, args.timezone)
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.run_schedule(args, out, target, schedule)
        aws = Gateways.for_deployment(target.clients, target.deployment())
        validate_schedule(aws, args.model_id, schedule)
        if not args.wait and not getattr(args, "background_child", False) and not target.sandbox:
            return _detach(args, out)
        settings = job_settings(args, target)

        def submit(runner: JobRunner, listeners: tuple[Listener, ...]) -> JobHandle:
            return runner.submit_schedule(aws, args.model_id, schedule, settings=settings, listeners=listeners)

        return follow_job(args, out, submit, target)


def schedule_from_options(recurring: str | None, daily: str | None, timezone: str | None) -> SchedulingConfig:
    """The schedule the options give, checked by LISA's rules and, as the options play LISA's web console, by its
    rule that a stop is later than its start on the same day; InvalidInput naming the option or field."""
    zone = timezone if timezone is not None else workstation_zone()
    if recurring is not None:
        option = "--recurring"
        start, stop = _window(option, recurring)
        data: dict[str, Any] = {
            "scheduleType": "RECURRING",
            "recurringSchedule": {"startTime": start, "stopTime": stop},
        }
    else:
        assert daily is not None
        option = "--daily"
        data = {"scheduleType": "DAILY", "dailySchedule": _days(daily)}
    wrapped = [
        Problem(
            option if window.day == RECURRING_PREFIX else f"{option} {window.day}",
            f"{window.start}-{window.stop}: the stop must be later than the start on the same day, as LISA's web "
            "console requires",
        )
        for window in stops_not_after_start(data)
    ]
    if wrapped:
        raise InvalidInput(wrapped, option)
    return parse_schedule({**data, "timezone": zone})


def _window(option: str, text: str) -> tuple[str, str]:
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise InvalidInput([Problem(option, f"'{text}' must be START-STOP as HH:MM-HH:MM, e.g. 08:00-18:00")], option)
    return parts[0].strip(), parts[1].strip()


def _days(text: str) -> dict[str, dict[str, str]]:
    days: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        name, equals, window = entry.partition("=")
        day = DAY_NAMES.get(name.strip().lower())
        if not equals or day is None:
            problems.append(Problem("--daily", f"'{entry}' must be DAY=HH:MM-HH:MM with DAY one of mon..sun"))
            continue
        if day in days:
            problems.append(Problem("--daily", f"{day} is given twice"))
            continue
        start, stop = _window("--daily", window)
        days[day] = {"startTime": start, "stopTime": stop}
    if problems:
        raise InvalidInput(problems, "--daily")
    if not days:
        raise InvalidInput([Problem("--daily", "At least one day must have a schedule configured")], "--daily")
    return days


# -- show -----------------------------------------------------------------------------------------------------


def _show(args: argparse.Namespace, out: TextIO) -> int:
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.show_schedule(args, out, target)
        aws = Gateways.for_deployment(target.clients, target.deployment())
        record = aws.models.get(args.model_id)
        group = record.auto_scaling_group or ""
        actions = ScheduledActions(aws.clients).of_model(group, record.model_id) if group else []
    status = schedule_status(record)
    schedule = schedule_of(record)
    upcoming = next_actions(schedule, wall_now(), SHOWN_ACTIONS) if schedule is not None else []
    if args.json:
        document = {
            "modelId": record.model_id,
            "modelStatus": str(record.model_status),
            "status": status,
            "scheduling": scheduling_of(record),
            "nextActions": [_next_json(item) for item in upcoming],
            "scheduledActions": [{"group": group, **action.to_json()} for action in actions],
        }
        json.dump(document, out, indent=2, default=str)
        out.write("\n")
        return ExitCode.OK
    write_schedule(
        out,
        model_id=record.model_id,
        model_status=str(record.model_status),
        status=status,
        schedule=schedule,
        hosted=record.is_lisa_hosted,
        upcoming=upcoming,
        group=group,
        actions=actions,
    )
    return ExitCode.OK


def _next_json(item: NextAction) -> dict[str, str]:
    return {**item.to_json(), "day": item.day, "zone": item.at.tzname() or ""}
