"""Jobs killed at every journal point, then recovered: a sandbox of look-alike models (one per kill), the CLI run in
a real process that exits at once right after journal point N, and the checks that a model's record, ECS task
definition, Auto Scaling group and LiteLLM registration agree once it has settled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.aws.ecs import ServiceRef
from engine.aws.models_table import HOLDER_ATTRIBUTE
from engine.errors import ModelNotFound
from engine.jobs.context import Gateways
from engine.jobs.journal import CRASH_ENV, Journal, JournalJob
from engine.sandbox.catalog import Capacity, CatalogModel, hosted
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.stack_template import stack_name
from tests.engine.jobs.sandbox_world import world_on

KILLS_AT_ONCE = 4
"""Killed processes run side by side, each on a model of its own."""
SETTLED = (ModelStatus.IN_SERVICE, ModelStatus.STOPPED)


def fast_hosted_config(model_id: str) -> dict[str, Any]:
    """A LISA-hosted model whose warm-up is a second (a start waits for it)."""
    config = hosted(
        model_id,
        "Qwen/Qwen2.5-7B-Instruct",
        container="vllm",
        instance_type="g5.xlarge",
        min_capacity=1,
        max_capacity=2,
        desired_capacity=1,
        description="recovery test model",
        environment={"MAX_TOTAL_TOKENS": "4096"},
    )
    config["autoScalingConfig"]["metricConfig"]["estimatedInstanceWarmup"] = 1
    return config


def pool(prefix: str, count: int, status: ModelStatus) -> list[CatalogModel]:
    stopped = status is ModelStatus.STOPPED
    return [
        CatalogModel(
            config=fast_hosted_config(f"{prefix}-{index:02d}"),
            status=status,
            live_capacity=Capacity(0, 0, 0) if stopped else None,
        )
        for index in range(count)
    ]


def third_party_request(model_id: str) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "modelName": "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "modelType": "textgen",
        "streaming": True,
    }


@dataclass(frozen=True)
class Scenario:
    name: str
    seeded: ModelStatus | None
    """The status of the models seeded for it (None: it creates its models)."""
    command: Callable[[str, Path], list[str]]
    """The CLI arguments (after the deployment options) for one model id; files go in the folder given."""
    end_status: ModelStatus | None
    """What a run that is not killed ends in (None: the model is gone)."""


def _file(folder: Path, name: str, data: dict[str, Any]) -> str:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return str(path)


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "container-update",
            ModelStatus.IN_SERVICE,
            lambda model, folder: [
                "models",
                "update",
                model,
                _file(folder, model, {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}),
                "--ack-restart",
            ],
            ModelStatus.IN_SERVICE,
        ),
        Scenario(
            "capacity-update",
            ModelStatus.IN_SERVICE,
            lambda model, folder: [
                "models",
                "update",
                model,
                _file(folder, model, {"autoScalingInstanceConfig": {"maxCapacity": 3, "desiredCapacity": 2}}),
            ],
            ModelStatus.IN_SERVICE,
        ),
        Scenario(
            "start", ModelStatus.STOPPED, lambda model, folder: ["models", "start", model], ModelStatus.IN_SERVICE
        ),
        Scenario(
            "stop",
            ModelStatus.IN_SERVICE,
            lambda model, folder: ["models", "stop", model, "--yes"],
            ModelStatus.STOPPED,
        ),
        Scenario(
            "third-party-create",
            None,
            lambda model, folder: ["models", "create", _file(folder, model, third_party_request(model))],
            ModelStatus.IN_SERVICE,
        ),
        Scenario(
            "hosted-create",
            None,
            lambda model, folder: ["models", "create", _file(folder, model, fast_hosted_config(model))],
            ModelStatus.IN_SERVICE,
        ),
        Scenario("delete", ModelStatus.IN_SERVICE, lambda model, folder: ["models", "delete", model, "--yes"], None),
    )
}


def start_sandbox(scenario: Scenario, count: int) -> Sandbox:
    # A create copies its network from a hosted model whose stack is complete: one is there for it.
    models = (
        pool("m", count, scenario.seeded) if scenario.seeded is not None else pool("network", 1, ModelStatus.IN_SERVICE)
    )
    return Sandbox(ambient=False, rollout_seconds=0.3, warmup_seconds=0.2, models=models)


def run_cli(sandbox: Sandbox, argv: list[str], *, crash_at: int | None = None) -> subprocess.CompletedProcess[str]:
    """`lisa-desktop --endpoint-url <sandbox> ARGV` in a process of its own (the test's data directory, so its
    journal is the one the test reads), exiting at once after journal point `crash_at`."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": sandbox.access_key,
        "AWS_SECRET_ACCESS_KEY": sandbox.secret_key,
    }
    env.pop(CRASH_ENV, None)
    if crash_at is not None:
        env[CRASH_ENV] = str(crash_at)
    return subprocess.run(
        [sys.executable, "-m", "lisa_desktop", "--endpoint-url", sandbox.endpoint_url, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def jobs_of(model_id: str) -> list[JournalJob]:
    return Journal().jobs(model_id=model_id)


def wait_until_dead(model_id: str, *, timeout_s: float = 120.0) -> JournalJob:
    """The model's job once no process runs it (a background job process is killed after its parent returned)."""
    journal = Journal()
    give_up = time.monotonic() + timeout_s
    while True:
        jobs = journal.jobs(model_id=model_id)
        if jobs and not journal.is_alive(jobs[-1]):
            return jobs[-1]
        if time.monotonic() > give_up:
            raise AssertionError(f"the job of {model_id} is still running after {timeout_s} s")
        time.sleep(0.1)


def kill_at_every_point(
    sandbox: Sandbox, scenario: Scenario, models: list[str], folder: Path, *, background: bool
) -> list[tuple[str, int, subprocess.CompletedProcess[str]]]:
    """Run the scenario once per model, the i-th killed right after journal point i+1."""

    def one(index: int) -> tuple[str, int, subprocess.CompletedProcess[str]]:
        model = models[index]
        argv = scenario.command(model, folder)
        if not background:
            argv.append("--wait")
        done = run_cli(sandbox, argv, crash_at=index + 1)
        if background:
            wait_until_dead(model)
        return model, index + 1, done

    with ThreadPoolExecutor(KILLS_AT_ONCE) as pool_:
        return list(pool_.map(one, range(len(models))))


@dataclass
class Consistency:
    """What is true of one model after recovery, with every disagreement named."""

    model_id: str
    status: ModelStatus | None
    problems: list[str]


def check_model(sandbox: Sandbox, model_id: str) -> Consistency:
    """The model is settled and its record, service, task definitions, group and LiteLLM entries agree."""
    aws = world_on(sandbox).aws
    problems: list[str] = []
    entries = [e for e in aws.litellm.list_models() if e.get("model_name") == model_id]
    entry_ids = sorted(str((e.get("model_info") or {}).get("id")) for e in entries)
    try:
        record = aws.models.get(model_id)
    except ModelNotFound:
        if entry_ids:
            problems.append(f"no record, yet LiteLLM entries {entry_ids}")
        stack = aws.stacks.describe_or_none(stack_name(sandbox.deployment_name, model_id))
        if stack is not None and stack.status != "DELETE_COMPLETE":
            problems.append(f"no record, yet stack {stack.name} is {stack.status}")
        return Consistency(model_id, None, problems)
    item = record.to_item()
    if record.model_status not in SETTLED:
        problems.append(f"status {record.model_status}")
    if HOLDER_ATTRIBUTE in item:
        problems.append(f"still held: {item[HOLDER_ATTRIBUTE]}")
    if record.model_status is ModelStatus.IN_SERVICE:
        if entry_ids != [str(record.litellm_id)]:
            problems.append(f"record's litellm_id {record.litellm_id}, LiteLLM entries {entry_ids}")
    elif entry_ids:
        problems.append(f"{record.model_status}, yet LiteLLM entries {entry_ids}")
    if record.is_lisa_hosted:
        problems.extend(_hosted_problems(aws, record))
    return Consistency(model_id, record.model_status, problems)


def _hosted_problems(aws: Gateways, record: Any) -> list[str]:
    problems: list[str] = []
    group = aws.autoscaling.describe_one(record.auto_scaling_group or "")
    scaling = record.config.get("autoScalingConfig") or {}
    if group is None:
        return [f"no Auto Scaling group {record.auto_scaling_group}"]
    sizes = (group.min_size, group.max_size, group.desired_capacity)
    if record.model_status is ModelStatus.STOPPED:
        if sizes != (0, 0, 0):
            problems.append(f"Stopped, yet the group is {sizes} (min, max, desired)")
    else:
        wanted = (scaling.get("minCapacity"), scaling.get("maxCapacity"), scaling.get("desiredCapacity"))
        if sizes != wanted:
            problems.append(f"group {sizes} but the record says {wanted} (min, max, desired)")
    stack = record.cloudformation_stack_name
    if not stack:
        return [*problems, "no stack recorded"]
    ref = aws.stacks.model_resources(stack, record.cloudformation_stack_arn).service_ref
    assert isinstance(ref, ServiceRef)
    service = aws.ecs.describe_service(ref)
    definition = aws.ecs.describe_task_definition(service.task_definition_arn)
    running_env = {
        str(e.get("name")): str(e.get("value"))
        for e in (definition.registration_input()["containerDefinitions"][0].get("environment") or ())
    }
    stored_env = (record.config.get("containerConfig") or {}).get("environment") or {}
    differing = {
        key: (value, running_env.get(key)) for key, value in stored_env.items() if running_env.get(key) != value
    }
    if differing:
        problems.append(f"the service runs another environment than the record's: {differing} (record, ECS)")
    active = aws.ecs.active_revisions(definition.family)
    if active != [service.task_definition_arn]:
        problems.append(f"ACTIVE revisions {active}, service on {service.task_definition_arn}")
    if len(service.deployments) != 1:
        problems.append(f"{len(service.deployments)} ECS deployments: not stable")
    return problems
