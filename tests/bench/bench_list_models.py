"""Benchmark: AWS calls and wall time of listing N sandbox models (issue #3).

Run: .venv/bin/python -m tests.bench.bench_list_models [N ...]   (default: 100 1000)

For each N it starts a sandbox whose N synthetic models have real CloudFormation stacks (as LISA creates one
per hosted model), counts every AWS call of a cold listing (no stack cache) and a warm one with a botocore
event hook, prints them beside the minimum the batch sizes allow, and times `models list --json` in a fresh
process (import + discovery + listing + JSON) for the largest N.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.aws.inventory import Inventory, is_hosted
from engine.sandbox.catalog import CATALOG, synthetic_models
from engine.sandbox.server import Sandbox
from lisa_desktop import __version__

SERVICES = ("dynamodb", "ecs", "autoscaling", "cloudformation", "ssm", "secretsmanager")


def count_calls(clients: AwsClients) -> Counter[str]:
    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    for name in SERVICES:
        getattr(clients, name)().meta.events.register("before-call.*.*", hook)
    return calls


def run(count: int) -> None:
    models = [
        *CATALOG,
        *(dataclasses.replace(m, stack="complete") for m in synthetic_models(count) if m.stack == "direct"),
        *(m for m in synthetic_models(count) if m.stack != "direct"),
    ]
    began = time.perf_counter()
    with Sandbox(ambient=False, models=models) as sandbox:
        started = time.perf_counter() - began
        clients = AwsClients(sandbox.session(), version=__version__, endpoint_url=sandbox.endpoint_url)
        deployment = discover_deployment(clients, sandbox.prefix)
        calls = count_calls(clients)
        inventory = Inventory(clients, deployment)
        t0 = time.perf_counter()
        views = inventory.list_models()
        cold_seconds = time.perf_counter() - t0
        cold = Counter(calls)
        calls.clear()
        t0 = time.perf_counter()
        inventory.list_models()
        warm_seconds = time.perf_counter() - t0
        warm = Counter(calls)

        hosted = [v.record for v in views if is_hosted(v.record)]
        with_service = [v for v in views if v.live is not None and v.live.service is not None]
        clusters = {v.live.service.cluster_arn for v in with_service if v.live and v.live.service}
        groups = {r.auto_scaling_group for r in hosted if r.auto_scaling_group}
        print(
            f"\nN = {len(views)} models ({len(hosted)} LISA-hosted, {len(clusters)} ECS clusters, "
            f"{len(groups)} Auto Scaling groups); sandbox start {started:.1f} s"
        )
        minimum = {
            "Scan": f">= 1 (1 MB pages; {cold['Scan']} pages here)",
            "ListClusters": "1 per 100 clusters of the region, cold only",
            "ListServices": f"{len(clusters)} cold (one per described cluster), 0 warm (cached)",
            "DescribeClusters": "1 per 100 clusters of the region (their tags), cold only",
            "DescribeStackResources": "0 (clusters found by their stacks' tags)",
            "DescribeServices": f"{len(clusters)} (one per cluster: LISA makes one cluster per model)",
            "DescribeAutoScalingGroups": f"{math.ceil(len(groups) / 100)} (100 groups per call)",
        }
        print(f"{'operation':<28}{'cold':>6}{'warm':>6}   minimum")
        for operation in sorted(set(cold) | set(warm)):
            print(f"{operation:<28}{cold[operation]:>6}{warm[operation]:>6}   {minimum.get(operation, '')}")
        print(
            f"{'total AWS calls':<28}{sum(cold.values()):>6}{sum(warm.values()):>6}   + 1 LiteLLM GET /model/info each"
        )
        print(
            f"listing wall time: cold {cold_seconds:.2f} s, warm {warm_seconds:.2f} s (in-process, sandbox on loopback)"
        )
        if count == max(COUNTS):
            env = {**os.environ, "AWS_ACCESS_KEY_ID": sandbox.access_key, "AWS_SECRET_ACCESS_KEY": sandbox.secret_key}
            command = [
                sys.executable,
                "-m",
                "lisa_desktop",
                "--endpoint-url",
                sandbox.endpoint_url,
                "models",
                "list",
                "--json",
            ]
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                done = subprocess.run(command, capture_output=True, env=env, check=True)
                times.append(time.perf_counter() - t0)
            print(
                f"`lisa-desktop models list --json` with {len(views)} models: "
                f"{min(times):.2f} s best of 3 ({len(done.stdout) // 1024} KiB of JSON)"
            )


COUNTS = [int(arg) for arg in sys.argv[1:]] or [100, 1000]

if __name__ == "__main__":
    for n in COUNTS:
        run(n)
