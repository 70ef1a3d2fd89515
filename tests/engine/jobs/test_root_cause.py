"""Failures explained: a failed rollout or capacity wait ends with its root cause, gathered from the sandbox's
ECS, CloudWatch Logs, Auto Scaling and ELB (issue #19, part 3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.aws.console import console_base, ecs_service_url, log_group_url, region_of_arn, stack_url
from engine.aws.ecs import ContainerExit, StoppedTask
from engine.aws.logs import container_stream
from engine.jobs.cause import DATA_KEY, ConsoleLink, LogExcerpt, RootCause, last_root_cause
from engine.jobs.context import JobSettings
from engine.jobs.events import JobEvent, StepState
from engine.jobs.root_cause import task_lines
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import JobResult, Outcome
from engine.sandbox.failures import EXIT_CODE, STOP_CODE, STOPPED_REASON
from engine.schema.enums import ModelStatus
from tests.engine.jobs.sandbox_world import FAST, World, run_update, sandbox_on_skipping_clock, world_on

MISTRAL = "mistral-7b-instruct"
LLAMA = "llama3-8b-tgi"
ENV = {"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}
SHORT_CAPACITY = JobSettings(ecs_deadline_s=30, capacity_deadline_s=3, poll_initial_s=0.2, poll_max_s=0.5)


@pytest.fixture
def world() -> Iterator[World]:
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as sandbox:
        yield world_on(sandbox)


def run(
    world: World, runner: JobRunner, model_id: str, change: Mapping[str, Any], settings: JobSettings = FAST
) -> JobResult:
    return run_update(world, runner, model_id, change, ack=True, settings=settings)


def cause_of(events: list[JobEvent], step: str) -> RootCause:
    failed = next(e for e in events if e.step == step and e.state is StepState.FAILED)
    assert DATA_KEY in failed.data, failed
    cause = last_root_cause(events)
    assert cause == RootCause.from_data(failed.data[DATA_KEY])
    return cause


# -- in the sandbox --------------------------------------------------------------------------------------------


def test_a_failed_rollout_ends_with_its_stopped_tasks_and_container_log(world: World, runner: JobRunner) -> None:
    world.sandbox.faults.fail_rollout.add(MISTRAL)
    old = world.aws.models.get(MISTRAL)

    result = run(world, runner, MISTRAL, ENV)

    assert result.outcome is Outcome.ROLLED_BACK
    assert STOPPED_REASON in result.message
    assert f"exit code {EXIT_CODE}" in result.message
    assert "CUDA out of memory" in result.message
    cause = cause_of(world.events, "ecs")
    assert cause.items == (
        f"3 tasks, the latest {cause.items[0].split()[4].rstrip(',')}, stopped: {STOPPED_REASON} ({STOP_CODE}); "
        f"container model exit code {EXIT_CODE}",
    )
    assert cause.log is not None
    assert cause.log.group == f"/lisa/{MISTRAL}"
    assert cause.log.stream.startswith(f"{MISTRAL}/model/")
    assert cause.log.lines[-1].startswith("torch.OutOfMemoryError")
    assert len(cause.log.lines) == 5
    assert cause.unread == ()
    labels = [link.label for link in cause.links]
    assert labels == ["ECS service", "Log group", "Auto Scaling group", "CloudFormation stack"]
    assert all(link.url.startswith("https://us-east-1.console.aws.amazon.com/") for link in cause.links)
    assert dict(cause.arns)["CloudFormation stack"] == old.cloudformation_stack_arn
    lines = [e.message for e in world.events if e.message.startswith("root cause: ")]
    assert lines == [f"root cause: {line}" for line in cause.lines()]
    after = world.aws.models.get(MISTRAL)
    assert after.model_status is ModelStatus.IN_SERVICE
    assert after.failure_reason is None  # rolled back, not Failed: LISA writes failure_reason only with Failed


def test_a_capacity_failure_at_start_ends_with_the_failed_activities(world: World, runner: JobRunner) -> None:
    world.sandbox.faults.fail_capacity.add(LLAMA)

    result = run(world, runner, LLAMA, {"enabled": True}, SHORT_CAPACITY)

    assert result.outcome is Outcome.ROLLED_BACK
    assert "InsufficientInstanceCapacity" not in result.message, "the status message, not the description's code"
    assert "Auto Scaling Failed: Launching a new EC2 instance – We currently do not have sufficient" in result.message
    cause = cause_of(world.events, "capacity")
    assert cause.items[0].startswith("Auto Scaling Failed: Launching a new EC2 instance")
    assert any(
        item.endswith("unhealthy: Target.FailedHealthChecks (Health checks failed with these codes: [503])")
        or item.endswith("initial: Elb.RegistrationInProgress (Target registration is in progress)")
        for item in cause.items[1:]
    ), cause.items
    assert [link.label for link in cause.links] == ["Auto Scaling group", "Target group", "CloudFormation stack"]
    assert world.aws.models.get(LLAMA).model_status is ModelStatus.STOPPED


def test_a_source_that_cannot_be_read_is_noted_and_the_rollout_still_rolls_back(
    world: World, runner: JobRunner
) -> None:
    world.sandbox.faults.fail_rollout.add(MISTRAL)
    world.aws.clients.logs().delete_log_group(logGroupName=f"/lisa/{MISTRAL}")
    before = world.aws.models.get(MISTRAL)

    result = run(world, runner, MISTRAL, ENV)

    assert result.outcome is Outcome.ROLLED_BACK
    cause = cause_of(world.events, "ecs")
    assert cause.log is None
    assert len(cause.unread) == 1 and cause.unread[0].startswith("CloudWatch Logs: "), cause.unread
    assert STOPPED_REASON in cause.items[0], "the other sources are still read"
    assert STOPPED_REASON in result.message
    assert f"not read: {cause.unread[0]}" in [e.message.removeprefix("root cause: ") for e in world.events]
    after = world.aws.models.get(MISTRAL)
    assert after.model_status is ModelStatus.IN_SERVICE
    assert after.config == before.config
    assert world.events[-1].state is StepState.ROLLED_BACK


# -- pure parts ------------------------------------------------------------------------------------------------


def test_the_root_cause_round_trips_through_event_data_and_summarises_in_one_line() -> None:
    cause = RootCause(
        items=("task 1a2b3c4d stopped: Essential container in task exited", "target i-1 unhealthy"),
        log=LogExcerpt("/g", "p/model/1a2b", ("INFO start", "ERROR boom", "INFO bye", "")),
        unread=("Auto Scaling activities: AccessDenied",),
        links=(ConsoleLink("ECS service", "https://x"),),
        arns=(("ECS service", "arn:aws:ecs:eu-west-1:1:service/c/s"),),
    )
    assert RootCause.from_data(cause.to_data()) == cause
    assert cause.lines() == [
        "task 1a2b3c4d stopped: Essential container in task exited",
        "target i-1 unhealthy",
        "container log: ERROR boom",
        "not read: Auto Scaling activities: AccessDenied",
    ]
    assert "\n" not in cause.summary()
    assert cause.summary() == (
        "task 1a2b3c4d stopped: Essential container in task exited; target i-1 unhealthy; container log: ERROR boom"
    )
    assert RootCause(unread=("x: y",)).summary() == "not read: x: y"


def test_tasks_that_stopped_alike_are_one_line() -> None:
    def task(n: int, code: int | None) -> StoppedTask:
        return StoppedTask(
            arn=f"arn:aws:ecs:us-east-1:1:task/c/{n:08d}-rest",
            task_definition_arn="td:2",
            started_by="ecs-svc/1",
            stopped_reason="Essential container in task exited",
            stop_code="EssentialContainerExited",
            stopped_at=datetime(2026, 1, 1, tzinfo=UTC),
            containers=(ContainerExit("model", code, "OutOfMemoryError: Container killed" if code else None),),
        )

    assert task_lines([task(3, 137), task(2, 137), task(1, None)]) == [
        "2 tasks, the latest 00000003, stopped: Essential container in task exited (EssentialContainerExited); "
        "container model exit code 137: OutOfMemoryError: Container killed",
        "task 00000001 stopped: Essential container in task exited (EssentialContainerExited); container model no "
        "exit code",
    ]


def test_the_stream_comes_from_the_awslogs_configuration() -> None:
    options = {"awslogs-group": "/lisa/m", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "m"}
    container = {"name": "model", "logConfiguration": {"logDriver": "awslogs", "options": options}}
    stream = container_stream(container, "abc")
    assert stream is not None
    assert (stream.group, stream.stream, stream.region) == ("/lisa/m", "m/model/abc", "eu-west-1")
    assert container_stream({"name": "model"}, "abc") is None
    no_prefix = {"awslogs-group": "/lisa/m"}
    assert (
        container_stream({"name": "model", "logConfiguration": {"logDriver": "awslogs", "options": no_prefix}}, "a")
        is None
    )


def test_console_links_are_region_and_partition_correct() -> None:
    assert console_base("eu-west-1") == "https://eu-west-1.console.aws.amazon.com"
    assert console_base("cn-north-1") == "https://console.amazonaws.cn"
    assert console_base("us-gov-west-1") == "https://console.amazonaws-us-gov.com"
    assert ecs_service_url("eu-west-1", "arn:aws:ecs:eu-west-1:1:cluster/c", "arn:aws:ecs:eu-west-1:1:service/c/s") == (
        "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/c/services/s/health?region=eu-west-1"
    )
    assert log_group_url("eu-west-1", "/lisa/m", "m/model/abc").endswith(
        "#logsV2:log-groups/log-group/$252Flisa$252Fm/log-events/m$252Fmodel$252Fabc"
    )
    arn = "arn:aws-cn:cloudformation:cn-north-1:1:stack/lisa-m/uuid"
    assert region_of_arn(arn) == "cn-north-1"
    assert stack_url("cn-north-1", arn).startswith(
        "https://console.amazonaws.cn/cloudformation/home?region=cn-north-1#/stacks/stackinfo?stackId=arn%3Aaws-cn%3A"
    )
