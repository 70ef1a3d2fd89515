"""The ECS step: pure parts (revision input, merging saved changes), then rollouts against a real sandbox.

Each sandbox test starts its own Sandbox (moto + simulator, ~1.5–2 s) because it changes the world. How soon the
step notices a rollout's end with LISA-like default polling is a timing: tests/bench/bench_update_job.py measures it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.aws.ecs import EcsGateway, EcsService, ServiceRef, TaskDefinition
from engine.aws.errors import AwsError, EcsServiceNotFound
from engine.errors import InvalidInput
from engine.jobs.context import Gateways, JobCancelled, JobContext, JobSettings
from engine.jobs.ecs_step import (
    RollbackFailed,
    RolloutFailed,
    apply_container_change,
    build_revision_input,
    describe_change,
    merge_container_changes,
    merge_environment,
    progress_message,
    retire,
    roll_back,
    stable_on,
)
from engine.jobs.events import JobEvent, Source, StepState
from engine.sandbox.server import Sandbox
from engine.sandbox.simulator import CIRCUIT_BREAKER_REASON
from engine.schema.requests import MARKED_FOR_DELETION, UpdateContainerConfig
from tests.engine.jobs.sandbox_world import sandbox_on_skipping_clock

MODEL = "mistral-7b-instruct"
INJECTED = {"MODEL_NAME", "S3_BUCKET_MODELS", "LOCAL_MODEL_PATH"}
FAST = JobSettings(ecs_deadline_s=20, poll_initial_s=0.2, poll_max_s=1.0)


# -- pure: the new revision ------------------------------------------------------------------------------------

ARN = "arn:aws:ecs:us-east-1:111122223333:task-definition/lisa-m-task:7"


def task_definition(**container: Any) -> TaskDefinition:
    base: dict[str, Any] = {
        "name": "model",
        "image": "vllm/vllm-openai:v0.6.3",
        "memoryReservation": 14336,
        "environment": [
            {"name": "MODEL_NAME", "value": "m"},
            {"name": "LOCAL_MODEL_PATH", "value": "/opt/models/m"},
            {"name": "MAX_TOTAL_TOKENS", "value": "8192"},
            {"name": "OLD", "value": "1"},
        ],
        "linuxParameters": {"sharedMemorySize": 2048, "initProcessEnabled": True},
        "healthCheck": {
            "command": ["CMD-SHELL", "exit 0"],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 300,
        },
    }
    base.update(container)
    raw = {
        "taskDefinitionArn": ARN,
        "family": "lisa-m-task",
        "revision": 7,
        "taskRoleArn": "arn:aws:iam::111122223333:role/task",
        "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
        "networkMode": "bridge",
        "containerDefinitions": [base],
        "volumes": [],
        "status": "ACTIVE",
        "compatibilities": ["EC2"],
        "requiresCompatibilities": ["EC2"],
        "registeredAt": datetime(2026, 1, 1, tzinfo=UTC),
    }
    return TaskDefinition.from_response(raw, [{"key": "model", "value": "m"}])


def env_of(kwargs: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in kwargs["containerDefinitions"][0]["environment"]}


def test_revision_input_merges_the_environment_and_keeps_everything_else() -> None:
    current = task_definition()
    change = UpdateContainerConfig(environment={"MAX_TOTAL_TOKENS": "16384", "NEW": "x", "OLD": MARKED_FOR_DELETION})
    kwargs = build_revision_input(current, change)
    assert env_of(kwargs) == {
        "MODEL_NAME": "m",
        "LOCAL_MODEL_PATH": "/opt/models/m",
        "MAX_TOTAL_TOKENS": "16384",
        "NEW": "x",
    }
    assert [e["name"] for e in kwargs["containerDefinitions"][0]["environment"]] == [
        "MODEL_NAME",
        "LOCAL_MODEL_PATH",
        "MAX_TOTAL_TOKENS",
        "NEW",
    ]
    assert kwargs["family"] == "lisa-m-task"
    assert kwargs["taskRoleArn"].endswith("role/task")
    assert kwargs["executionRoleArn"].endswith("role/exec")
    assert kwargs["networkMode"] == "bridge"
    assert kwargs["tags"] == [{"key": "model", "value": "m"}]
    for read_only in ("taskDefinitionArn", "revision", "status", "compatibilities", "registeredAt"):
        assert read_only not in kwargs
    container = kwargs["containerDefinitions"][0]
    assert container["linuxParameters"] == {"sharedMemorySize": 2048, "initProcessEnabled": True}
    assert container["healthCheck"]["interval"] == 10
    assert current.container_definitions[0]["environment"][3] == {"name": "OLD", "value": "1"}, "input not mutated"
    assert current.raw["containerDefinitions"][0]["environment"][3] == {"name": "OLD", "value": "1"}


def test_revision_input_sets_shared_memory_and_only_the_given_health_check_fields() -> None:
    change = UpdateContainerConfig(sharedMemorySize=8192, healthCheckInterval=30, healthCheckRetries=5)
    container = build_revision_input(task_definition(), change)["containerDefinitions"][0]
    assert container["linuxParameters"] == {"sharedMemorySize": 8192, "initProcessEnabled": True}
    assert container["healthCheck"] == {
        "command": ["CMD-SHELL", "exit 0"],
        "interval": 30,
        "timeout": 5,
        "retries": 5,
        "startPeriod": 300,
    }
    assert len(env_of({"containerDefinitions": [container]})) == 4, "environment untouched"


def test_revision_input_health_check_command_string_runs_in_the_shell_and_lists_are_kept() -> None:
    as_string = build_revision_input(task_definition(), UpdateContainerConfig(healthCheckCommand="curl -f localhost"))
    assert as_string["containerDefinitions"][0]["healthCheck"]["command"] == ["CMD-SHELL", "curl -f localhost"]
    as_list = build_revision_input(task_definition(), UpdateContainerConfig(healthCheckCommand=["CMD", "true"]))
    assert as_list["containerDefinitions"][0]["healthCheck"]["command"] == ["CMD", "true"]


def test_revision_input_adds_linux_parameters_and_a_health_check_where_there_were_none() -> None:
    bare = task_definition(linuxParameters=None, healthCheck=None)
    change = UpdateContainerConfig(sharedMemorySize=1024, healthCheckCommand="exit 0", healthCheckTimeout=3)
    container = build_revision_input(bare, change)["containerDefinitions"][0]
    assert container["linuxParameters"] == {"sharedMemorySize": 1024}
    assert container["healthCheck"] == {"command": ["CMD-SHELL", "exit 0"], "timeout": 3}


def test_revision_input_refuses_health_check_timings_without_a_command() -> None:
    bare = task_definition(healthCheck=None)
    with pytest.raises(InvalidInput, match="healthCheckCommand"):
        build_revision_input(bare, UpdateContainerConfig(healthCheckInterval=30))


def test_merge_environment_deletes_marked_and_ignores_unknown_deletions() -> None:
    assert merge_environment({"A": "1", "B": "2"}, {"B": MARKED_FOR_DELETION, "C": MARKED_FOR_DELETION, "D": "4"}) == {
        "A": "1",
        "D": "4",
    }


def test_merge_container_changes_later_wins_and_environments_merge_key_by_key() -> None:
    earlier = UpdateContainerConfig(
        environment={"A": "1", "B": "2", "C": MARKED_FOR_DELETION},
        sharedMemorySize=2048,
        healthCheckInterval=10,
        healthCheckCommand="exit 0",
    )
    later = UpdateContainerConfig(
        environment={"B": MARKED_FOR_DELETION, "C": "3", "D": "4"}, sharedMemorySize=4096, healthCheckRetries=5
    )
    merged = merge_container_changes(earlier, later)
    assert merged.environment == {"A": "1", "B": MARKED_FOR_DELETION, "C": "3", "D": "4"}
    assert merged.sharedMemorySize == 4096
    assert (merged.healthCheckInterval, merged.healthCheckRetries, merged.healthCheckCommand) == (10, 5, "exit 0")
    assert merge_container_changes(None, later) is later
    only_env_earlier = merge_container_changes(UpdateContainerConfig(environment={"A": "1"}), later)
    assert only_env_earlier.environment == {"A": "1", "B": MARKED_FOR_DELETION, "C": "3", "D": "4"}
    no_env = merge_container_changes(
        UpdateContainerConfig(healthCheckTimeout=3), UpdateContainerConfig(sharedMemorySize=1)
    )
    assert no_env.environment is None
    assert (no_env.healthCheckTimeout, no_env.sharedMemorySize) == (3, 1)
    # applying the merged change equals applying both in turn
    td = task_definition()
    once = build_revision_input(td, merged)
    step = build_revision_input(td, earlier)
    twice = build_revision_input(dataclasses.replace(td, raw={**td.raw, **step}), later)
    assert once["containerDefinitions"] == twice["containerDefinitions"]


def test_describe_change() -> None:
    change = UpdateContainerConfig(
        environment={"A": "1", "B": MARKED_FOR_DELETION}, sharedMemorySize=4096, healthCheckInterval=30
    )
    assert describe_change(change) == "environment: set A; remove B; sharedMemorySize 4096; healthCheck interval"


def _service(deployments: list[dict[str, Any]], task_definition_arn: str, running: int, desired: int) -> EcsService:
    return EcsService.from_response(
        {
            "serviceName": "s",
            "status": "ACTIVE",
            "taskDefinition": task_definition_arn,
            "desiredCount": desired,
            "runningCount": running,
            "pendingCount": sum(d.get("pendingCount", 0) for d in deployments),
            "deployments": deployments,
        }
    )


def deployment(
    id_: str, status: str, td: str, state: str, running: int, desired: int, pending: int = 0
) -> dict[str, Any]:
    return {
        "id": id_,
        "status": status,
        "taskDefinition": td,
        "rolloutState": state,
        "runningCount": running,
        "desiredCount": desired,
        "pendingCount": pending,
    }


def test_stable_on_and_progress_message() -> None:
    new, old = ARN.replace(":7", ":8"), ARN
    rolling = _service(
        [
            deployment("d2", "PRIMARY", new, "IN_PROGRESS", running=1, desired=2, pending=1),
            deployment("d1", "ACTIVE", old, "COMPLETED", running=1, desired=1),
        ],
        new,
        running=2,
        desired=2,
    )
    assert not stable_on(rolling, new)
    assert (
        progress_message(rolling, new) == "revision 8: 1/2 tasks running, 1 pending; revision 7: 1 task still running"
    )
    done = _service([deployment("d2", "PRIMARY", new, "COMPLETED", running=2, desired=2)], new, running=2, desired=2)
    assert stable_on(done, new)
    assert stable_on(done, "lisa-m-task:8"), "family:revision names the same revision"
    assert not stable_on(done, old)
    assert progress_message(done, new) == "revision 8: 2/2 tasks running, COMPLETED"
    no_state = _service([deployment("d2", "PRIMARY", new, None, running=2, desired=2)], new, running=2, desired=2)
    assert stable_on(no_state, new), "ECS reports no rolloutState for some services"
    assert not stable_on(no_state, old)
    short = _service([deployment("d2", "PRIMARY", new, None, running=1, desired=2)], new, running=1, desired=2)
    assert not stable_on(short, new)


# -- against the sandbox -----------------------------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5, tick_seconds=0.05) as sb:
        yield sb


def gateways_for(sandbox: Sandbox) -> Gateways:
    clients = AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)
    return Gateways.for_deployment(clients, discover_deployment(clients, sandbox.prefix))


class Recorder:
    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: JobEvent) -> None:
        with self.lock:
            self.events.append(event)

    def states(self, step: str | None = None) -> list[tuple[str, StepState]]:
        return [
            (e.step, e.state) for e in self.events if e.source is Source.ENGINE and (step is None or e.step == step)
        ]

    def ecs_event_ids(self) -> list[str]:
        return [str(e.data["eventId"]) for e in self.events if e.source is Source.ECS]

    def messages(self) -> list[str]:
        return [e.message for e in self.events]


def collapsed(states: list[tuple[str, StepState]]) -> list[tuple[str, StepState]]:
    """Runs of the same (step, state) as one."""
    return [item for index, item in enumerate(states) if index == 0 or states[index - 1] != item]


def context(
    sandbox: Sandbox, settings: JobSettings = FAST, gateways: Gateways | None = None
) -> tuple[JobContext, Recorder]:
    recorder = Recorder()
    ctx = JobContext("job-1", MODEL, gateways or gateways_for(sandbox), settings, recorder)
    return ctx, recorder


def service_ref(ctx: JobContext, sandbox: Sandbox) -> ServiceRef:
    record = ctx.aws.models.get(MODEL)
    assert record.cloudformation_stack_name
    ref = ctx.aws.stacks.model_resources(record.cloudformation_stack_name).service_ref
    assert ref is not None
    names = sandbox.resources(MODEL)
    assert ref.matches(ctx.aws.ecs.describe_service(ServiceRef(names.cluster, names.service)))
    return ref


def status_of(ctx: JobContext, arn: str) -> str:
    return str(ctx.aws.ecs.describe_task_definition(arn).raw["status"])


CHANGE = UpdateContainerConfig(
    environment={"MAX_TOTAL_TOKENS": "8192", "NEW_FLAG": "1", "VLLM_MAX_MODEL_LEN": MARKED_FOR_DELETION},
    sharedMemorySize=4096,
    healthCheckCommand="curl -f http://localhost:8080/health",
    healthCheckInterval=30,
    healthCheckRetries=5,
)


def test_a_change_rolls_out_a_new_revision_and_retire_deregisters_the_old_one(sandbox: Sandbox) -> None:
    ctx, recorder = context(sandbox)
    ref = service_ref(ctx, sandbox)
    before = ctx.aws.ecs.describe_service(ref)
    baseline = {e.id for e in before.events}

    rollout = apply_container_change(ctx, ref, CHANGE)

    assert rollout.previous_task_definition == before.task_definition_arn
    assert rollout.new_revision == (before.revision or 0) + 1
    service = ctx.aws.ecs.describe_service(ref)
    assert service.task_definition_arn == rollout.new_task_definition
    assert stable_on(service, rollout.new_task_definition)
    container = ctx.aws.ecs.describe_task_definition(rollout.new_task_definition).container_definitions[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert set(env) >= INJECTED
    assert env["MAX_TOTAL_TOKENS"] == "8192"
    assert env["NEW_FLAG"] == "1"
    assert "VLLM_MAX_MODEL_LEN" not in env
    assert container["linuxParameters"]["sharedMemorySize"] == 4096
    assert container["healthCheck"] == {
        "command": ["CMD-SHELL", "curl -f http://localhost:8080/health"],
        "interval": 30,
        "timeout": 5,
        "retries": 5,
        "startPeriod": 300,
    }
    new_td = ctx.aws.ecs.describe_task_definition(rollout.new_task_definition)
    old_td = ctx.aws.ecs.describe_task_definition(rollout.previous_task_definition)
    assert (new_td.family, new_td.raw["taskRoleArn"], new_td.raw["executionRoleArn"]) == (
        old_td.family,
        old_td.raw["taskRoleArn"],
        old_td.raw["executionRoleArn"],
    )
    assert status_of(ctx, rollout.previous_task_definition) == "ACTIVE", "kept until the job has succeeded"

    states = recorder.states("ecs")
    assert states[0] == ("ecs", StepState.STARTED)
    assert states[-1] == ("ecs", StepState.SUCCEEDED)
    assert all(state is StepState.PROGRESS for _, state in states[1:-1])
    assert {e.step for e in recorder.events} == {"ecs"}
    progress = [e for e in recorder.events if e.state is StepState.PROGRESS and e.source is Source.ENGINE]
    assert any(e.message == f"revision {rollout.new_revision}: 0/1 tasks running, 1 pending" for e in progress)
    assert f"revision {rollout.new_revision} is running: 1/1 tasks" in recorder.events[-1].message
    assert recorder.events[-1].data["revision"] == rollout.new_revision
    # every new ECS service event exactly once, oldest first, and nothing from before the step
    expected = [e.id for e in reversed(service.events) if e.id not in baseline]
    assert recorder.ecs_event_ids() == expected
    assert len(expected) >= 3
    ecs_messages = [e.message for e in recorder.events if e.source is Source.ECS]
    assert ecs_messages[-1].endswith("has reached a steady state.")
    assert any("deployment completed." in m for m in ecs_messages)
    stamps = [e.timestamp for e in recorder.events]
    assert stamps == sorted(stamps)

    retire(ctx, rollout)
    assert status_of(ctx, rollout.previous_task_definition) == "INACTIVE"
    assert status_of(ctx, rollout.new_task_definition) == "ACTIVE"
    assert recorder.events[-1].message == (
        f"deregistered revision {rollout.previous_revision} (revision {rollout.new_revision} replaced it)"
    )

    # Idempotency choice: the same change again is simply a new revision.
    again = apply_container_change(ctx, ref, CHANGE)
    assert again.new_revision == (rollout.new_revision or 0) + 1
    assert again.previous_task_definition == rollout.new_task_definition

    # The orchestrator's roll_back after a later step failed, the job cancelled meanwhile: it still runs to the end.
    ctx.cancelled.set()
    roll_back(ctx, again, "capacity did not become healthy")
    assert stable_on(ctx.aws.ecs.describe_service(ref), rollout.new_task_definition)
    assert status_of(ctx, again.new_task_definition) == "INACTIVE"
    rolling = [e for e in recorder.events if e.state is StepState.ROLLING_BACK]
    assert [(e.step, e.data["reason"]) for e in rolling] == [("rollback", "capacity did not become healthy")]
    assert recorder.events[-1].message == f"rolled back to revision {rollout.new_revision}"


def test_a_failed_rollout_is_rolled_back_and_the_failed_revision_deregistered(sandbox: Sandbox) -> None:
    ctx, recorder = context(sandbox)
    ref = service_ref(ctx, sandbox)
    before = ctx.aws.ecs.describe_service(ref)
    sandbox.faults.fail_rollout.add(MODEL)

    with pytest.raises(RolloutFailed) as caught:
        apply_container_change(ctx, ref, CHANGE)

    error = caught.value
    assert error.headline == CIRCUIT_BREAKER_REASON
    assert error.root_cause is not None
    assert error.reason == f"{CIRCUIT_BREAKER_REASON}; root cause: {error.root_cause.summary()}"
    assert "Essential container in task exited" in error.reason
    assert error.restored_task_definition == before.task_definition_arn
    assert error.failed_task_definition is not None
    assert "rolled back to revision 1" in str(error)
    service = ctx.aws.ecs.describe_service(ref)
    assert stable_on(service, before.task_definition_arn)
    assert service.running_count == 1
    assert status_of(ctx, error.failed_task_definition) == "INACTIVE"
    assert status_of(ctx, before.task_definition_arn) == "ACTIVE"

    assert collapsed(recorder.states()) == [
        ("ecs", StepState.STARTED),
        ("ecs", StepState.PROGRESS),
        ("ecs", StepState.FAILED),
        ("rollback", StepState.ROLLING_BACK),
        ("rollback", StepState.PROGRESS),
        ("rollback", StepState.ROLLED_BACK),
    ]
    failed = next(e for e in recorder.events if e.state is StepState.FAILED)
    assert failed.message == f"the rollout of revision 2 failed: {error.reason}"
    assert failed.data["rootCause"] == error.root_cause.to_data()
    assert recorder.events[-1].message == "rolled back to revision 1"
    assert any(m.startswith("deregistered revision 2 (it was rolled back)") for m in recorder.messages())
    ecs_messages = [e.message for e in recorder.events if e.source is Source.ECS]
    assert any("deployment failed: tasks failed to start." in m for m in ecs_messages)
    assert len(recorder.ecs_event_ids()) == len(set(recorder.ecs_event_ids()))
    assert [e.step for e in recorder.events if e.source is Source.ECS][-1] == "rollback"


def test_a_rollout_past_its_deadline_is_rolled_back(sandbox: Sandbox) -> None:
    sandbox.simulator.rollout_seconds = 30.0
    ctx, recorder = context(sandbox, JobSettings(ecs_deadline_s=1.0, poll_initial_s=0.2, poll_max_s=0.5))

    def fast_rollback(event: JobEvent) -> None:
        recorder(event)
        if event.state is StepState.ROLLING_BACK:
            sandbox.simulator.rollout_seconds = 0.3  # the rollback itself must fit in its own 1 s deadline

    ctx = dataclasses.replace(ctx, emit=fast_rollback)
    ref = service_ref(ctx, sandbox)
    before = ctx.aws.ecs.describe_service(ref)

    with pytest.raises(RolloutFailed, match=r"did not become stable within 1 s") as caught:
        apply_container_change(ctx, ref, CHANGE)

    assert caught.value.restored_task_definition == before.task_definition_arn
    assert stable_on(ctx.aws.ecs.describe_service(ref), before.task_definition_arn)
    assert recorder.events[-1].state is StepState.ROLLED_BACK


def test_a_rollback_that_misses_its_own_deadline_is_a_rollback_failure(sandbox: Sandbox) -> None:
    sandbox.simulator.rollout_seconds = 30.0
    settings = JobSettings(ecs_deadline_s=0.6, rollback_deadline_s=0.6, poll_initial_s=0.2, poll_max_s=0.5)
    ctx, recorder = context(sandbox, settings)
    ref = service_ref(ctx, sandbox)

    with pytest.raises(RollbackFailed) as caught:
        apply_container_change(ctx, ref, CHANGE)

    error = caught.value
    assert error.rollout_reason == "revision 2 did not become stable within 0.6 s"
    assert error.rollback_reason == "revision 1 did not become stable again within 0.6 s"
    assert "revision 2 did not become stable" in str(error)
    assert "revision 1 did not become stable again" in str(error)
    assert recorder.states()[-1] == ("rollback", StepState.FAILED)
    assert status_of(ctx, error.rollout.new_task_definition) == "ACTIVE", "not deregistered: it may still run"


class CancelWhenRollingOut(Recorder):
    """Cancels the job at the first sight of revision 2's deployment: not after a fixed delay, which under load
    could come before ECS had started it (then nothing is left to roll back, and the test failed once)."""

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()
        self.cancelled_at: float | None = None

    def __call__(self, event: JobEvent) -> None:
        super().__call__(event)
        rolling_out = event.step == "ecs" and event.data.get("revision") == 2 and "running" in event.data
        if rolling_out and self.cancelled_at is None:
            self.cancelled_at = time.monotonic()
            self.cancel.set()


def test_cancel_while_rolling_out_rolls_back_then_raises_job_cancelled(sandbox: Sandbox) -> None:
    sandbox.simulator.rollout_seconds = 2.0
    recorder = CancelWhenRollingOut()
    ctx = JobContext("job-1", MODEL, gateways_for(sandbox), FAST, recorder, cancelled=recorder.cancel)
    ref = service_ref(ctx, sandbox)
    before = ctx.aws.ecs.describe_service(ref)
    with pytest.raises(JobCancelled):
        apply_container_change(ctx, ref, CHANGE)

    assert recorder.cancelled_at is not None and ctx.cancelled.is_set()
    service = ctx.aws.ecs.describe_service(ref)
    assert stable_on(service, before.task_definition_arn), "the rollback ran to the end although the job was cancelled"
    failed = next(e for e in recorder.events if e.step == "ecs" and e.state is StepState.FAILED)
    assert failed.message.startswith("cancelled while revision 2 was rolling out")
    assert recorder.events[-1].state is StepState.ROLLED_BACK
    assert status_of(ctx, before.task_definition_arn.replace(":1", ":2")) == "INACTIVE"


class FailingRollbackGateway(EcsGateway):
    """UpdateService fails from its second call on (the rollback's): a fault at the AWS boundary."""

    def __init__(self, clients: AwsClients) -> None:
        super().__init__(clients)
        self.updates = 0

    def update_service(self, ref: ServiceRef, task_definition_arn: str) -> EcsService:
        self.updates += 1
        if self.updates >= 2:
            raise AwsError("InvalidParameterException", "simulated UpdateService failure", "ecs:UpdateService")
        return super().update_service(ref, task_definition_arn)


def test_a_rollback_that_fails_names_both_reasons(sandbox: Sandbox) -> None:
    plain = gateways_for(sandbox)
    gateways = dataclasses.replace(plain, ecs=FailingRollbackGateway(plain.clients))
    ctx, recorder = context(sandbox, gateways=gateways)
    ref = service_ref(ctx, sandbox)
    sandbox.faults.fail_rollout.add(MODEL)

    with pytest.raises(RollbackFailed) as caught:
        apply_container_change(ctx, ref, CHANGE)

    error = caught.value
    assert error.rollout_reason == CIRCUIT_BREAKER_REASON
    assert "simulated UpdateService failure" in error.rollback_reason
    assert CIRCUIT_BREAKER_REASON in str(error)
    assert "simulated UpdateService failure" in str(error)
    assert recorder.states()[-1] == ("rollback", StepState.FAILED)
    service = ctx.aws.ecs.describe_service(ref)
    assert service.task_definition_arn == error.rollout.new_task_definition
    assert status_of(ctx, error.rollout.new_task_definition) == "ACTIVE"
    # the gateway's own errors: a missing service, a missing revision
    with pytest.raises(EcsServiceNotFound):
        plain.ecs.update_service(ServiceRef(ref.cluster, "no-such-service"), error.rollout.new_task_definition)
    with pytest.raises(AwsError):
        plain.ecs.deregister_task_definition(error.rollout.new_task_definition.replace(":2", ":99"))


class FailingDescribeGateway(EcsGateway):
    """DescribeServices fails once: on the first poll of the rollout, the first call after UpdateService (however
    soon the sandbox's rollout ends, that poll is made)."""

    def __init__(self, clients: AwsClients) -> None:
        super().__init__(clients)
        self.updated = False
        self.failed = False

    def update_service(self, ref: ServiceRef, task_definition_arn: str) -> EcsService:
        service = super().update_service(ref, task_definition_arn)
        self.updated = True
        return service

    def describe_service(self, ref: ServiceRef) -> EcsService:
        if self.updated and not self.failed:
            self.failed = True
            raise AwsError("ServerException", "simulated DescribeServices failure", "ecs:DescribeServices")
        return super().describe_service(ref)


def test_an_aws_error_while_watching_rolls_back(sandbox: Sandbox) -> None:
    plain = gateways_for(sandbox)
    failing = FailingDescribeGateway(plain.clients)
    ctx, recorder = context(sandbox, gateways=dataclasses.replace(plain, ecs=failing))
    ref = service_ref(ctx, sandbox)
    before = ctx.aws.ecs.describe_service(ref)

    with pytest.raises(RolloutFailed, match="simulated DescribeServices failure") as caught:
        apply_container_change(ctx, ref, CHANGE)

    assert caught.value.reason.startswith("following the rollout of revision 2 failed: ")
    assert stable_on(ctx.aws.ecs.describe_service(ref), before.task_definition_arn)
    assert recorder.events[-1].message == "rolled back to revision 1"
    assert status_of(ctx, before.task_definition_arn.replace(":1", ":2")) == "INACTIVE"
