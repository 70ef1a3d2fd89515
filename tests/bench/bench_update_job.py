"""Benchmark: a container update job on the sandbox with a 10-second ECS rollout (issue #4).

Run: .venv/bin/python -m tests.bench.bench_update_job [ROUNDS]   (default 3)

Prints, per round: (a) seconds from the simulated rollout completing (ECS's "deployment completed" event) to
the model record being written back InService, and (b) the whole job's time, with the default job settings
(polls from 2 s, backing off to 15 s, reset while the rollout moves). LISA's state machine polls every 60 s.
"""

from __future__ import annotations

import statistics
import sys
import time

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.jobs.context import Gateways, JobSettings
from engine.jobs.runner import JobRunner
from engine.sandbox.server import Sandbox
from engine.schema.validate import parse_update

ROLLOUT_SECONDS = 10.0


def one_round(index: int) -> tuple[float, float]:
    with Sandbox(ambient=False, rollout_seconds=ROLLOUT_SECONDS) as sandbox:
        clients = AwsClients(sandbox.session(), version="bench", endpoint_url=sandbox.endpoint_url)
        aws = Gateways.for_deployment(clients, discover_deployment(clients, sandbox.prefix))
        runner = JobRunner()
        change = parse_update({"containerConfig": {"environment": {"BENCH_ROUND": str(index)}}})
        began = time.time()
        result = runner.submit_update(
            aws, "mistral-7b-instruct", change, ack_restart=True, settings=JobSettings()
        ).result(timeout=600)
        total = time.time() - began
        runner.shutdown()
        assert result.ok, result.message
        record = aws.models.get("mistral-7b-instruct")
        stack = aws.stacks.model_resources(record.cloudformation_stack_name or "")
        assert stack.service_ref is not None
        service = aws.ecs.describe_service(stack.service_ref)
        completed = [e.created_at for e in service.events if "deployment completed" in e.message and e.created_at]
        assert completed, "no 'deployment completed' event"
        written = (record.last_modified_date or 0) / 1000
        return written - max(completed).timestamp(), total


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    lags, totals = [], []
    for index in range(rounds):
        lag, total = one_round(index)
        lags.append(lag)
        totals.append(total)
        print(f"round {index + 1}: rollout complete → record InService {lag:.2f} s; whole job {total:.2f} s")
    print(
        f"(a) rollout complete → InService: median {statistics.median(lags):.2f} s, max {max(lags):.2f} s "
        f"(goal ≤ 3 s; LISA polls every 60 s)"
    )
    print(f"(b) container update job with a {ROLLOUT_SECONDS:.0f} s rollout: median {statistics.median(totals):.2f} s")


if __name__ == "__main__":
    main()
