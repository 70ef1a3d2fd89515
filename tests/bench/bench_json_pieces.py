"""Benchmark: how long a large JSON body keeps other threads (the GUI's) waiting for the GIL.

Run: .venv/bin/python -m tests.bench.bench_json_pieces [MODELS] [--clients]   (default 5000)

A LiteLLM `/model/info` listing of MODELS entries, shaped as LiteLLM returns it, is parsed on a worker thread
while the main thread asks for the GIL every millisecond (as the window's timers and paints do); the figure is
the longest the main thread waited. `json.loads` decodes in one C call; `loads_in_pieces` a member at a time.
With --clients, the same for making a boto3 session's clients, with botocore's model loader and with ours.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3

from engine.aws.clients import yield_while_loading_models
from engine.json_pieces import loads_in_pieces
from lisa_desktop.app import GarbageCollection

SWITCH_INTERVAL_S = GarbageCollection.SWITCH_INTERVAL_S
CLIENTS = ("dynamodb", "ecs", "autoscaling", "cloudformation", "ssm", "sts", "elbv2")


def listing(models: int) -> bytes:
    entry = {
        "model_name": "mistral-7b-instruct",
        "litellm_params": {
            "model": "openai/mistralai/Mistral-7B-Instruct-v0.2",
            "api_base": "https://lisa-alb-123456.us-east-1.elb.amazonaws.com/v1",
            "api_key": "ignored",
            "drop_params": True,
        },
        "model_info": {
            "id": "0d4cf5b2-3b5f-4b1d-9d1e-2f8b0f3c1a11",
            "db_model": True,
            "mode": "chat",
            "max_tokens": 8192,
            "input_cost_per_token": 0,
            "output_cost_per_token": 0,
            "supports_function_calling": False,
            "supports_vision": False,
        },
    }
    return json.dumps({"data": [entry] * models}).encode()


def longest_wait(parse: Callable[[bytes], Any], body: bytes) -> tuple[float, float]:
    """(parse seconds, longest main-thread wait in ms)."""
    done = threading.Event()
    took: list[float] = []
    kept: list[Any] = []
    """The result, freed after the measurement: freeing it at once is itself one long hold of the GIL."""

    def work() -> None:
        started = time.perf_counter()
        kept.append(parse(body))
        took.append(time.perf_counter() - started)
        done.set()

    worker = threading.Thread(target=work)
    longest = 0.0
    last = time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest = max(longest, now - last - 0.001)
        last = now
    worker.join()
    return took[0], longest * 1000


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    models = int(arguments[0]) if arguments else 5000
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.set_threshold(*GarbageCollection.YOUNG_THRESHOLDS, 1_000_000_000)
    body = listing(models)
    print(f"LiteLLM listing of {models} models: {len(body) / 1e6:.1f} MB; the window's GIL and collector settings")
    for name, parse in (("json.loads", json.loads), ("loads_in_pieces", loads_in_pieces)):
        runs = [longest_wait(parse, body) for _ in range(5)]
        print(
            f"  {name:16} parse {min(r[0] for r in runs) * 1000:6.1f} ms   longest wait of another thread: "
            f"best {min(r[1] for r in runs):6.1f} ms, worst {max(r[1] for r in runs):6.1f} ms"
        )
    if "--clients" in sys.argv:
        clients()


def make_clients(piecewise: bool) -> Callable[[bytes], Any]:
    def make(_: bytes) -> list[Any]:
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
        if piecewise:
            yield_while_loading_models(session)
        return [session.client(service) for service in CLIENTS]  # type: ignore[call-overload]

    return make


def clients() -> None:
    print(f"Making a new session's {len(CLIENTS)} clients (botocore decodes each service model, up to ~1 MB):")
    for name, piecewise in (("botocore's loader", False), ("piecewise loader", True)):
        runs = [longest_wait(make_clients(piecewise), b"") for _ in range(5)]
        print(
            f"  {name:17} made in {min(r[0] for r in runs) * 1000:5.0f} ms   longest wait of another thread: "
            f"best {min(r[1] for r in runs):6.1f} ms, worst {max(r[1] for r in runs):6.1f} ms"
        )


if __name__ == "__main__":
    main()
