"""`jobs list | recover | log`: this workstation's jobs, finishing those whose process died, and the audit log."""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from typing import TextIO

from engine.errors import InvalidInput, Problem
from engine.jobs.context import Gateways
from engine.jobs.events import JobEvent
from engine.jobs.journal import JobState, Journal, JournalJob
from engine.jobs.lease import DEFAULT_LEASE_S, hold_of
from engine.jobs.recovery import recover_dead_jobs, take_over
from lisa_desktop.cli.changes import job_settings
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import open_target


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    jobs = commands.add_parser(
        "jobs",
        help="this workstation's jobs: list them, recover interrupted ones, read the audit log",
        description="Jobs run on this workstation and are journaled (the user data directory, jobs.sqlite3), so "
        "one whose process died (a crash, a kill, a closed laptop) can be finished later with 'jobs recover'.",
    )
    actions = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[parent], help="every job of this workstation and its state")
    listing.add_argument("--json", action="store_true", help="a JSON list")
    listing.set_defaults(handler=run_list)

    recover = actions.add_parser(
        "recover",
        parents=[parent],
        help="finish the jobs whose process is gone: resume or roll back each",
        description="Finish every unfinished job of this workstation whose process is gone, on the deployment the "
        "options name (or only the one holding MODEL_ID): each is resumed or rolled back as the recovery table says "
        "(README: When a job is interrupted). Exit 0 when every model ends settled, 5 when one ends Failed.",
    )
    recover.add_argument("model_id", metavar="MODEL_ID", nargs="?")
    recover.add_argument("--wait", action="store_true", help="print each job's events as it is recovered")
    recover.add_argument("--json", action="store_true", help="what was done, as JSON")
    recover.add_argument(
        "--deadline-minutes", type=float, default=30.0, metavar="M", help="how long a resumed step may wait"
    )
    recover.add_argument(
        "--takeover",
        action="store_true",
        help="MODEL_ID is held by a job this workstation has no journal of (another workstation, a lost home "
        "folder): once its lease has expired, take the model over and settle it from what AWS holds",
    )
    recover.add_argument(
        "--lease-minutes",
        type=float,
        default=DEFAULT_LEASE_S / 60,
        metavar="M",
        help="how long without a heartbeat before a holder's lease has expired (default 10)",
    )
    recover.set_defaults(handler=run_recover)

    log = actions.add_parser("log", parents=[parent], help="the audit log: every job, recovered ones included")
    log.add_argument("--model", metavar="ID", help="only this model's jobs")
    log.add_argument("--json", action="store_true", help="JSON Lines: one job a line")
    log.set_defaults(handler=run_log)


def run_list(args: argparse.Namespace, out: TextIO) -> int:
    journal = Journal()
    jobs = journal.jobs(with_points=False)
    if args.json:
        json.dump([_summary(journal, job) for job in jobs], out, indent=2)
        out.write("\n")
        return ExitCode.OK
    header = ("JOB", "KIND", "MODEL", "STATE", "OUTCOME", "STARTED", "DEPLOYMENT")
    rows = [
        (
            job.job_id,
            job.kind,
            job.model_id,
            _state(journal, job),
            job.outcome or "-",
            _when(job.started_at),
            job.deployment,
        )
        for job in jobs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    dead = sum(1 for job in jobs if _state(journal, job) == "interrupted")
    out.write(f"{len(jobs)} jobs" + (f"; {dead} interrupted: run 'lisa-desktop jobs recover'" if dead else "") + "\n")
    return ExitCode.OK


def _state(journal: Journal, job: JournalJob) -> str:
    if job.state is JobState.RUNNING:
        return "running" if journal.is_alive(job) else "interrupted"
    return str(job.state)


def _summary(journal: Journal, job: JournalJob) -> dict[str, object]:
    data = job.to_json()
    data.pop("points")
    data["state"] = _state(journal, job)
    return data


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp is not None else "-"


def run_recover(args: argparse.Namespace, out: TextIO) -> int:
    with open_target(args) as target:
        aws = Gateways.for_deployment(target.clients, target.deployment())
        journal = Journal()

        def emit(event: JobEvent) -> None:
            if args.wait and not args.json:
                out.write(event.line() + "\n")
                out.flush()

        settings = job_settings(args, target)
        if args.takeover:
            if not args.model_id:
                raise InvalidInput([Problem("MODEL_ID", "--takeover takes over one model: name it")], "jobs recover")
            recovered = recover_dead_jobs(
                aws, journal, target.cache_key, model_id=args.model_id, settings=settings, emit=emit
            )
            if not recovered:
                recovered = [
                    take_over(
                        aws,
                        journal,
                        target.cache_key,
                        args.model_id,
                        lease_s=args.lease_minutes * 60,
                        settings=settings,
                        emit=emit,
                    )
                ]
        else:
            recovered = recover_dead_jobs(
                aws, journal, target.cache_key, model_id=args.model_id, settings=settings, emit=emit
            )
    if args.json:
        json.dump([item.to_json() for item in recovered], out, indent=2)
        out.write("\n")
    elif not recovered:
        which = f" holding {args.model_id}" if args.model_id else ""
        out.write(f"no interrupted job of this workstation{which} on {target.label}\n")
        if args.model_id:
            out.write(_foreign_hold(aws, args.model_id, args.lease_minutes * 60))
    else:
        for item in recovered:
            status = item.final_status or "no record"
            out.write(f"{item.job_id} ({item.kind} of {item.model_id}): {item.action}; {item.outcome}, {status}\n")
            out.write(f"  {item.message}\n")
    return ExitCode.OK if all(item.settled for item in recovered) else ExitCode.JOB_FAILED


def run_log(args: argparse.Namespace, out: TextIO) -> int:
    jobs = Journal().jobs(model_id=args.model)
    if args.json:
        for job in jobs:
            out.write(json.dumps(job.to_json()) + "\n")
        return ExitCode.OK
    for job in jobs:
        out.write(_log_entry(job))
    if not jobs:
        out.write("no job in the journal\n")
    return ExitCode.OK


def _log_entry(job: JournalJob) -> str:
    lines = [
        f"{_when(job.started_at)}  {job.job_id}  {job.kind} of {job.model_id}  on {job.deployment}",
        f"  by {job.caller or 'unknown caller'} on {job.host} (process {job.pid})",
    ]
    changes = job.plan.get("changes")
    if isinstance(changes, list) and changes:
        for change in changes:
            if isinstance(change, dict):
                lines.append(f"  change: {change.get('field')}: {change.get('old')!r} → {change.get('new')!r}")
    for point in job.points:
        detail = ", ".join(f"{key}={value}" for key, value in point.data.items() if key != "holder")
        lines.append(f"    {_when(point.at)}  {point.step:<18} {point.phase:<6} {detail}")
    ended = _when(job.ended_at)
    lines.append(f"  {job.state}: {job.outcome or '-'} at {ended}" + (f" — {job.message}" if job.message else ""))
    if job.recovered_by:
        lines.append(f"  recovered by {job.recovered_by}")
    return "\n".join(lines) + "\n\n"


def recovery_hint(model_id: str) -> str | None:
    """What to say when a command is refused because of the model's status: if a job of this workstation whose
    process is gone holds the model, how to finish it."""
    try:
        dead = Journal().dead_jobs(model_id=model_id)
    except (OSError, sqlite3.Error):
        return None
    if not dead:
        return None
    job = dead[-1]
    return (
        f"Job {job.job_id} ({job.kind}) of this workstation holds it and its process is gone: "
        f"run 'lisa-desktop jobs recover {model_id}' (with the same deployment options) to resume or roll it back"
    )


def _foreign_hold(aws: Gateways, model_id: str, lease_s: float) -> str:
    """What to say of a model no job of this workstation holds: who does, if anyone, and how to take it over."""
    hold = hold_of(aws.models.get(model_id))
    if hold is None:
        return ""
    return (
        f"{model_id} is {hold.describe(aws.models.now_ms(), lease_s)}; once the lease has expired: "
        f"lisa-desktop jobs recover {model_id} --takeover\n"
    )
