"""`sandbox serve`: run the built-in sandbox deployment in the foreground for other processes to use."""

from __future__ import annotations

import argparse
import functools
import signal
import threading
from types import FrameType
from typing import TextIO

from engine.errors import InvalidInput, Problem
from lisa_desktop.exit_codes import ExitCode


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = commands.add_parser("sandbox", help="the built-in sandbox deployment (no AWS account needed)")
    actions = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="run the sandbox in the foreground",
        description="Start moto's AWS emulation on loopback, seeded as a LISA deployment, with a LiteLLM-compatible "
        "registry and a simulator that moves ECS rollouts and Auto Scaling capacity forward. Prints "
        "LISA_DESKTOP_ENDPOINT=URL once ready, then LISA_API_URL=URL and LISA_API_TOKEN=TOKEN (LISA's REST API over "
        "the deployment and the sandbox's admin API token); stop it with Ctrl+C. Other commands reach it with "
        "--endpoint-url URL, or through LISA's API with --lisa-api URL and LISA_API_TOKEN.",
    )
    serve.add_argument("--port", type=int, default=0, help="loopback port (default: any free port)")
    serve.add_argument("--rollout-seconds", type=float, default=8.0, help="how long an ECS rollout takes")
    serve.add_argument("--warmup-seconds", type=float, default=3.0, help="how long a new instance takes to be healthy")
    serve.add_argument(
        "--fail-rollout",
        action="append",
        default=[],
        metavar="MODEL_ID",
        help="rollouts of this model end FAILED (repeatable)",
    )
    serve.add_argument(
        "--fail-capacity",
        action="append",
        default=[],
        metavar="MODEL_ID",
        help="new instances of this model never become healthy (repeatable)",
    )
    serve.add_argument("--extra-models", type=int, default=0, metavar="N", help="add N synthetic models")
    serve.add_argument(
        "--still",
        action="store_true",
        help="do not move the seeded transitional models on (a still world, for scripts)",
    )
    serve.add_argument(
        "--no-lisa-actors",
        action="store_true",
        help="do not play LISA's own server-side writers (its status monitor on every instance launch or terminate)",
    )
    serve.add_argument(
        "--redeploy-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="play a LISA deploy every SECONDS: its LiteLLM sync registers InService models that have no litellm_id "
        "(the first one also runs the context-window backfill)",
    )
    serve.add_argument(
        "--fire-scheduled-action",
        action="append",
        default=[],
        metavar="NAME[@SECONDS]",
        help="carry out this Auto Scaling scheduled action (e.g. mistral-7b-instruct-daily-stop) SECONDS after the "
        "start (default 0), or as soon after as it exists, as if its time had come (repeatable)",
    )
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace, out: TextIO) -> int:
    from engine.sandbox.lisa_actors import LisaActors
    from engine.sandbox.server import Sandbox

    if args.redeploy_every is not None and (args.redeploy_every <= 0 or args.no_lisa_actors):
        why = "seconds > 0" if args.redeploy_every <= 0 else "LISA's writers, which --no-lisa-actors turns off"
        raise InvalidInput([Problem("--redeploy-every", f"needs {why}")], "sandbox serve")

    fired = [_fired(option) for option in args.fire_scheduled_action]
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sandbox = Sandbox(
        port=args.port,
        rollout_seconds=args.rollout_seconds,
        warmup_seconds=args.warmup_seconds,
        fail_rollout=set(args.fail_rollout),
        fail_capacity=set(args.fail_capacity),
        extra_models=args.extra_models,
        ambient=not args.still,
        lisa_actors=not args.no_lisa_actors,
    )
    with sandbox:
        sandbox.warm_request_path()
        if args.redeploy_every is not None:
            LisaActors.of(sandbox).redeploy_every(args.redeploy_every)
        for name, after in fired:
            sandbox.simulator.schedule(
                f"fire scheduled action {name}",
                functools.partial(sandbox.simulator.fire_scheduled_action, name),
                after=after,
            )
        out.write(f"LISA_DESKTOP_ENDPOINT={sandbox.endpoint_url}\n")
        out.write(f"LISA_API_URL={sandbox.lisa_api_url}\n")
        out.write(f"LISA_API_TOKEN={sandbox.lisa_api_admin_token}\n")  # the sandbox's own throwaway admin token
        out.write(f"# deployment prefix {sandbox.prefix}, region {sandbox.region}; Ctrl+C stops the sandbox\n")
        out.flush()
        stop.wait()
    return ExitCode.OK


def _fired(option: str) -> tuple[str, float]:
    """`NAME` or `NAME@SECONDS`."""
    name, _, after = option.rpartition("@") if "@" in option else (option, "", "0")
    try:
        seconds = float(after)
    except ValueError:
        seconds = -1.0
    if not name or seconds < 0:
        raise InvalidInput(
            [Problem("--fire-scheduled-action", f"'{option}' must be NAME or NAME@SECONDS (SECONDS >= 0)")],
            "sandbox serve",
        )
    return name, seconds
