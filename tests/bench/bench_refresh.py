"""Benchmark: the window's table refresh (summary listing → rows) and its on-disk snapshot, for N models.

Run: .venv/bin/python -m tests.bench.bench_refresh [--models N ...]   (default: 1000 5000)

For each N it starts `lisa-desktop sandbox serve --still --extra-models N` in another process (so moto's own
CPU time is not counted as the console's, as AWS's would not be), then times (wall, and this process's CPU: the
reading itself runs in the inventory reader's helper process) and counts the AWS calls (as the reader reports
them) of a cold refresh, a warm one, and a first refresh after a restart; then the snapshot's save, load and
size.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from engine.model_row import ModelRow
from engine.sandbox.constants import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from engine.schema.enums import ModelStatus
from lisa_desktop.deployment_backend import DeploymentBackend
from lisa_desktop.snapshot import SnapshotStore
from lisa_desktop.target import open_target

T = TypeVar("T")


@contextmanager
def sandbox_process(count: int) -> Iterator[tuple[str, float]]:
    """A still sandbox with `count` extra models in a child process: its endpoint and its start-up seconds."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY}
    command = [sys.executable, "-m", "lisa_desktop", "sandbox", "serve", "--still", "--extra-models", str(count)]
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.startswith("LISA_DESKTOP_ENDPOINT="):
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        yield line.split("=", 1)[1], time.perf_counter() - began
    finally:
        child.terminate()
        child.wait(timeout=60)


@contextmanager
def backend_on(endpoint: str) -> Iterator[DeploymentBackend]:
    os.environ.update(AWS_ACCESS_KEY_ID=SANDBOX_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SANDBOX_SECRET_KEY)
    with open_target(argparse.Namespace(endpoint_url=endpoint)) as target:
        backend = DeploymentBackend(target)
        try:
            yield backend
        finally:
            backend.close()


@dataclass
class Timing:
    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.2f} s ({self.cpu:.2f} s CPU here)"


def timed(fn: Callable[[], T]) -> tuple[T, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def calls_of(backend: DeploymentBackend) -> Counter[str]:
    stats = backend.reader.last_stats
    return Counter(stats.calls if stats is not None else {})


def refresh(backend: DeploymentBackend) -> tuple[list[ModelRow], Timing, Counter[str]]:
    rows, timing = timed(backend.list_rows)
    return rows, timing, calls_of(backend)


def run(count: int) -> None:
    with sandbox_process(count) as (endpoint, started), backend_on(endpoint) as backend:
        cold_rows, cold_t, cold = refresh(backend)
        rows, warm_t, warm = refresh(backend)
        moving = [r.model_id for r in rows if ModelStatus(r.status).is_transitional]
        _, some_t = timed(lambda: backend.rows_of(moving))
        some = calls_of(backend)
        with tempfile.TemporaryDirectory() as folder:
            store = SnapshotStore(Path(folder))
            path, save_t = timed(lambda: store.save(backend.cache_key, rows))
            snapshot, load_t = timed(lambda: store.load(backend.cache_key))
            assert snapshot is not None and len(snapshot.rows) == len(rows)
            size = path.stat().st_size
        with backend_on(endpoint) as restarted:
            _, restart_t, after_restart = refresh(restarted)

    hosted = [r for r in rows if r.live is not None]
    transitional = [r for r in hosted if ModelStatus(r.status).is_transitional]
    broken = sum(1 for r in cold_rows if r.live is not None and r.live_error)
    groups = sum(1 for r in hosted if r.live and r.live.get("autoScalingGroup"))
    settled = len(hosted) - len(transitional)
    print(
        f"\nN = {len(rows)} models ({len(hosted)} LISA-hosted, {len(transitional)} transitional, "
        f"{broken} with a live_error); sandbox start {started:.1f} s (child process, imports included)"
    )
    budget = {
        "DescribeClusters": f"⌈{settled} settled clusters / 100⌉ = {math.ceil(settled / 100)}",
        "DescribeAutoScalingGroups": f"⌈{groups} groups / 100⌉ = {math.ceil(groups / 100)}",
        "DescribeServices": f"{len(transitional)} transitional models (one per cluster; Creating has none)",
        "DescribeStackResources": "only stacks whose cluster carries no stack tag (and those with nothing to cache)",
        "ListClusters": "⌈clusters of the region / 100⌉, cold only",
        "ListServices": "one per transitional model's cluster found by tag, cold only",
        "Scan": "1 MB pages",
    }
    print(f"{'operation':<28}{'cold':>7}{'warm':>7}{'restart':>9}   budget")
    for operation in sorted(set(cold) | set(warm) | set(after_restart)):
        print(
            f"{operation:<28}{cold[operation]:>7}{warm[operation]:>7}{after_restart[operation]:>9}"
            f"   {budget.get(operation, '')}"
        )
    total = (sum(cold.values()), sum(warm.values()), sum(after_restart.values()))
    print(f"{'total AWS calls':<28}{total[0]:>7}{total[1]:>7}{total[2]:>9}   + 1 LiteLLM GET /model/info each")
    print(f"refresh → rows: cold {cold_t}, warm {warm_t}, first after a restart {restart_t}")
    print(f"rows_of the {len(moving)} transitional models: {some_t}, calls {dict(sorted(some.items()))}")
    print(f"snapshot: {size / 1e6:.1f} MB, save {save_t}, load {load_t}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, action="append", metavar="N", help="synthetic models (repeatable)")
    for count in parser.parse_args().models or [1000, 5000]:
        run(count)


if __name__ == "__main__":
    main()
