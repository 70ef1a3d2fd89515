"""`models update | start | stop`: change a model through the engine's jobs, with a dry run and rollback."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TextIO

import platformdirs

from engine.errors import InvalidInput, Problem
from engine.files import load_document
from engine.jobs.context import Gateways, JobSettings
from engine.jobs.events import JobEvent
from engine.jobs.journal import FILE_NAME as JOURNAL_FILE
from engine.jobs.journal import Journal
from engine.jobs.runner import JobHandle, JobRunner, Listener
from engine.jobs.update_job import JobResult
from engine.jobs.validation import ValidatedUpdate, validate_update
from engine.plan import Plan
from engine.private_files import open_private, private_dir
from engine.schema.base import LisaShape
from engine.schema.requests import UpdateModelRequest
from engine.schema.validate import parse_update, unknown_field_warnings
from lisa_desktop import APP_DIR_NAME
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import Target, open_target

SANDBOX_POLLING: Final = {"poll_initial_s": 0.5, "poll_max_s": 2.0}
"""How often a job polls the sandbox (the window's SANDBOX_SETTINGS)."""
BACKGROUND_FLAG = "--background-child"
WAKE_S = 0.5


def add_parsers(models: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    update = models.add_parser(
        "update",
        parents=[parent],
        help="change a running model without redeploying it (UpdateModelRequest file)",
        description="Validate the update, show or run its plan. Without --wait the command returns once the model "
        "is held by the job (status Updating) and the job goes on in a background process.",
    )
    update.add_argument("model_id", metavar="ID")
    update.add_argument("file", metavar="FILE", help="UpdateModelRequest as YAML or JSON")
    update.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    update.add_argument("--ack-restart", action="store_true", help="acknowledge a container restart (an outage)")
    _job_options(update)
    update.set_defaults(handler=run_update)

    start = models.add_parser("start", parents=[parent], help="start a stopped LISA-hosted model")
    start.add_argument("model_id", metavar="ID")
    start.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    _job_options(start)
    start.set_defaults(handler=run_start)

    stop = models.add_parser("stop", parents=[parent], help="stop a LISA-hosted model (0 instances, unregistered)")
    stop.add_argument("model_id", metavar="ID")
    stop.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    stop.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    _job_options(stop)
    stop.set_defaults(handler=run_stop)


def _job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", action="store_true", help="follow the job to its end, printing its events")
    parser.add_argument("--json", action="store_true", help="print the plan or the job's result as JSON")
    parser.add_argument(
        "--deadline-minutes", type=float, default=30.0, metavar="M", help="how long a rollout or capacity wait may take"
    )
    parser.add_argument(BACKGROUND_FLAG, action="store_true", help=argparse.SUPPRESS)


def job_settings(args: argparse.Namespace, target: Target) -> JobSettings:
    """--deadline-minutes bounds each forward wait of a job: a rollout (or a stack) and, separately, the capacity.
    Undoing a step keeps its own deadline (`JobSettings.rollback_deadline_s`). A sandbox is polled as often as
    the window polls it: its rollouts and warm-ups take seconds."""
    deadline_s = args.deadline_minutes * 60
    polling = SANDBOX_POLLING if target.is_sandbox else {}
    return JobSettings(ecs_deadline_s=deadline_s, capacity_deadline_s=deadline_s, **polling)


def run_update(args: argparse.Namespace, out: TextIO) -> int:
    change = parse_update(load_document(args.file))
    warn_unknown_fields(change)
    return _run(args, out, change)


def warn_unknown_fields(request: LisaShape) -> None:
    """Name, on standard error, the keys of a request LISA does not know: they are ignored and not sent."""
    for warning in unknown_field_warnings(request):
        sys.stderr.write(f"lisa-desktop: warning: {warning}\n")


def run_start(args: argparse.Namespace, out: TextIO) -> int:
    return _run(args, out, UpdateModelRequest(enabled=True))


def run_stop(args: argparse.Namespace, out: TextIO) -> int:
    return _run(args, out, UpdateModelRequest(enabled=False))


def _run(args: argparse.Namespace, out: TextIO, change: UpdateModelRequest) -> int:
    with open_target(args) as target:
        if target.lisa_api is not None:
            from lisa_desktop.cli import team

            def dry_run(plan: Plan) -> None:
                print_plan(out, plan, plan.deferred, args.json, team.dry_run_extra(args.model_id))

            return team.run_update(args, out, target, change, dry_run)
        aws = Gateways.for_deployment(target.clients, target.deployment())
        ack = bool(getattr(args, "ack_restart", False))
        validated = validate_update(aws, args.model_id, change, ack_restart=ack, check_ack=not args.dry_run)
        if args.dry_run:
            _print_plan(out, validated, args.json)
            return ExitCode.OK
        if change.enabled is False and not args.yes and not getattr(args, "background_child", False):
            _confirm_stop(args.model_id)
        if not args.wait and not getattr(args, "background_child", False) and not target.sandbox:
            return _detach(args, out)
        settings = job_settings(args, target)
        warmup_cap = target.model_warmup_cap_s()
        return follow_job(
            args,
            out,
            lambda runner, listeners: runner.submit_update(
                aws,
                args.model_id,
                change,
                ack_restart=ack,
                settings=settings,
                listeners=listeners,
                model_warmup_cap_s=warmup_cap,
            ),
            target,
        )


Submit = Callable[[JobRunner, tuple[Listener, ...]], JobHandle]


def follow_job(args: argparse.Namespace, out: TextIO, submit: Submit, target: Target) -> int:
    """Run the job here, printing its events (or, as the background child, writing them to the job's log and
    telling the parent the job id once the model is held). Used by every command that starts a job.

    The job is journaled (unless the deployment is an in-process sandbox, gone with the process), so `jobs recover`
    can finish it if this process dies. SIGINT, SIGTERM and SIGHUP cancel it: it rolls back, the end state is
    printed, and the process exits 130, 143 or 129."""
    background = getattr(args, "background_child", False)
    log: TextIO | None = None
    lines: list[JobEvent] = []

    def listener(event: JobEvent) -> None:
        lines.append(event)
        stream = log if background else (None if args.json else out)
        if stream is not None:
            stream.write(event.line() + "\n")
            stream.flush()

    # An in-process sandbox ends with this process: its jobs are journaled beside it, in a folder that goes too.
    scratch = tempfile.TemporaryDirectory(prefix="lisa-desktop-sandbox-") if target.sandbox is not None else None
    journal = Journal(Path(scratch.name) / JOURNAL_FILE) if scratch is not None else Journal()
    runner = JobRunner(max_workers=1, journal=journal, deployment=target.cache_key)
    cancel = SignalCancel()
    try:
        with cancel.installed():
            handle = submit(runner, (listener,))
            cancel.attach(handle)
            if background:
                log_path = job_log_path(handle.job_id)
                log = os.fdopen(open_private(log_path, "a"), "a", encoding="utf-8")
                handle.under_way.wait()
                if not handle.future.done() or handle.future.exception() is None:
                    out.write(json.dumps({"jobId": handle.job_id, "log": str(log_path)}) + "\n")
                    out.flush()
                    _detach_from_terminal(log)
            result = cancel.wait(handle)
    finally:
        runner.shutdown(cancel=False)
        if log is not None:
            log.close()
        if scratch is not None:
            scratch.cleanup()
    if args.json and not background:
        json.dump(_result_json(result, lines), out, indent=2)
        out.write("\n")
    elif not background:
        status = f" (model {result.final_status})" if result.final_status is not None else ""
        out.write(f"{result.outcome}: {result.message}{status}\n")
    if cancel.signal is not None:
        return 128 + cancel.signal
    return ExitCode.OK if result.ok else ExitCode.JOB_FAILED


class SignalCancel:
    """SIGINT, SIGTERM and SIGHUP as a cancel of the job this process runs: the first one cancels (the job rolls
    back what it did), a second one says the rollback is still running. Installed only on the main thread (the
    only one Python delivers signals to); elsewhere it does nothing."""

    SIGNALS: Final = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self) -> None:
        self.signal: int | None = None
        self._handle: JobHandle | None = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {signum: signal.signal(signum, self._on_signal) for signum in self.SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def attach(self, handle: JobHandle) -> None:
        self._handle = handle
        if self.signal is not None:
            handle.cancel()

    def _on_signal(self, signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if self.signal is None:
            self.signal = signum
            job = f"job {self._handle.job_id}" if self._handle is not None else "the job"
            sys.stderr.write(f"\n{name}: cancelling {job}: rolling back what it did…\n")
            if self._handle is not None:
                self._handle.cancel()
        else:
            sys.stderr.write(f"\n{name}: the rollback is still running; the process ends when it has finished\n")
        sys.stderr.flush()

    def wait(self, handle: JobHandle) -> JobResult:
        """The job's result, waking every half second so that signal handlers run promptly."""
        while True:
            try:
                return handle.result(timeout=WAKE_S)
            except FutureTimeout:
                continue


def _result_json(result: JobResult, events: list[JobEvent]) -> dict[str, Any]:
    return {
        "jobId": result.job_id,
        "modelId": result.model_id,
        "operation": str(result.operation),
        "outcome": str(result.outcome),
        "message": result.message,
        "finalStatus": str(result.final_status) if result.final_status else None,
        "events": [event.to_json() for event in events],
    }


def job_log_path(job_id: str) -> Path:
    folder = Path(os.environ.get("LISA_DESKTOP_LOG_DIR") or platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))
    return private_dir(folder / "jobs") / f"{job_id}.log"


def _detach_from_terminal(log: TextIO) -> None:
    """The parent has gone: nothing more to stdout, and anything on stderr lands in the job's log."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    os.dup2(log.fileno(), sys.stderr.fileno())


def _detach(args: argparse.Namespace, out: TextIO) -> int:
    """Run the job in a background process and return once the model is held by it (or refused)."""
    argv = [sys.executable, "-m", "lisa_desktop", *args.argv, BACKGROUND_FLAG]
    if "--yes" not in argv and args.model_command == "stop":
        argv.append("--yes")
    child = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    first = child.stdout.readline()
    if first.strip():
        started = json.loads(first)
        out.write(
            f"job {started['jobId']} started for {args.model_id}; it goes on in the background. "
            f"Its events: {started['log']}\n"
        )
        return ExitCode.OK
    code = child.wait()
    sys.stderr.write(child.stderr.read())
    return code


def _confirm_stop(model_id: str) -> None:
    if sys.stdin is None or not sys.stdin.isatty():
        raise InvalidInput([Problem("--yes", f"stopping '{model_id}' needs confirmation: add --yes")], "stop")
    answer = input(f"Stop '{model_id}'? It is unregistered from LiteLLM and scaled to 0 instances. [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise InvalidInput([Problem("confirmation", "not confirmed; nothing was changed")], "stop")


def _print_plan(out: TextIO, validated: ValidatedUpdate, as_json: bool) -> None:
    print_plan(out, validated.plan, validated.notes, as_json)


def print_plan(
    out: TextIO, plan: Plan, notes: tuple[str, ...], as_json: bool, extra: Mapping[str, Any] | None = None
) -> None:
    """An update's plan, as a dry run prints it (in team mode too, `extra` saying who runs it in the JSON)."""
    if as_json:
        json.dump(plan.to_dict() | {"notes": list(notes)} | dict(extra or {}), out, indent=2, default=str)
        out.write("\n")
        return
    out.write(f"Plan: {plan.operation} {plan.model_id} (now {plan.from_status})\n")
    if plan.is_noop:
        out.write("  nothing to change\n")
    for change in plan.changes:
        label = f"{change.capability.category} · {change.impact}" if change.capability else "no capability"
        derived = " (follows from the bounds)" if change.derived else ""
        out.write(f"  {change.describe()}{derived}    [{label}]\n")
    out.write(f"Steps: {' → '.join(str(step) for step in plan.steps) or 'none'}\n")
    if plan.restarts_containers:
        out.write("Containers restart: yes — a temporary outage; run with --ack-restart to acknowledge it\n")
    if plan.interrupts_service:
        out.write("Service interruption: the model stops serving\n")
    for note in notes:
        out.write(f"Note: {note}\n")
