"""An exception nobody expected, raised right after each journal point of each job kind (LISA_DESKTOP_FAIL_AFTER_POINT):
the job still ends with its model settled — rolled back, resumed, or Failed with what is left named — never held,
and the reason is recorded."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError

from engine.aws.models_table import HOLDER_ATTRIBUTE
from engine.errors import ModelNotFound
from engine.jobs.context import Gateways, JobSettings
from engine.jobs.events import JobEvent, StepState
from engine.jobs.journal import InjectedFault, JobState, Journal
from engine.jobs.recovery import recover_dead_jobs
from engine.jobs.runner import JobHandle, JobRunner
from engine.jobs.update_job import JobResult
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from engine.schema.validate import parse_create, parse_update
from tests.engine.jobs.consistency import check_model, fast_hosted_config, pool, third_party_request
from tests.engine.jobs.sandbox_world import sandbox_on_skipping_clock, world_on

FAST = JobSettings(ecs_deadline_s=60, capacity_deadline_s=60, poll_initial_s=0.2, poll_max_s=0.5)
WARMUP_CAP_S = 0.2
POOL = 16
Submit = Callable[[JobRunner, Gateways, str], JobHandle]


def _update(change: dict[str, object], *, ack: bool = False) -> Submit:
    def submit(runner: JobRunner, aws: Gateways, model: str) -> JobHandle:
        return runner.submit_update(
            aws, model, parse_update(change), ack_restart=ack, settings=FAST, model_warmup_cap_s=WARMUP_CAP_S
        )

    return submit


def _create(request: Callable[[str], dict[str, object]]) -> Submit:
    def submit(runner: JobRunner, aws: Gateways, model: str) -> JobHandle:
        return runner.submit_create(aws, parse_create(request(model)), settings=FAST)

    return submit


def _delete(runner: JobRunner, aws: Gateways, model: str) -> JobHandle:
    return runner.submit_delete(aws, model, settings=FAST)


@dataclass(frozen=True)
class Kind:
    seeded: ModelStatus | None
    submit: Submit


KINDS = {
    "container-update": Kind(
        ModelStatus.IN_SERVICE, _update({"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}, ack=True)
    ),
    "capacity-update": Kind(
        ModelStatus.IN_SERVICE, _update({"autoScalingInstanceConfig": {"maxCapacity": 3, "desiredCapacity": 2}})
    ),
    "start": Kind(ModelStatus.STOPPED, _update({"enabled": True})),
    "stop": Kind(ModelStatus.IN_SERVICE, _update({"enabled": False})),
    "third-party-create": Kind(None, _create(third_party_request)),
    "hosted-create": Kind(None, _create(fast_hosted_config)),
    "delete": Kind(ModelStatus.IN_SERVICE, _delete),
}


def _outcome(future: Future[JobResult]) -> JobResult | BaseException:
    error = future.exception(timeout=180)
    return error if error is not None else future.result()


@pytest.mark.parametrize("name", list(KINDS))
def test_an_exception_after_each_journal_point_ends_settled_with_the_reason(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    seeded = pool("m", POOL, kind.seeded) if kind.seeded is not None else pool("network", 1, ModelStatus.IN_SERVICE)
    models = [f"m-{index:02d}" for index in range(POOL)]
    path = tmp_path / "jobs.sqlite3"
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=0.3, warmup_seconds=0.2, models=seeded) as sandbox:
        aws = world_on(sandbox).aws
        clean = kind.submit(JobRunner(1, journal=Journal(path), deployment="test"), aws, models[0])
        assert clean.result(timeout=120).ok, clean.result().message
        whole = Journal(path).job(clean.job_id)
        assert whole is not None
        points = len(whole.points)
        assert 4 <= points < POOL, [p.step for p in whole.points]

        handles = [
            kind.submit(
                JobRunner(1, journal=Journal(path, fail_after_point=point), deployment="test"), aws, models[point]
            )
            for point in range(1, points + 1)
        ]
        for point, handle in enumerate(handles, start=1):
            ended = _outcome(handle.future)
            model = models[point]
            job = Journal(path).job(handle.job_id)
            assert job is not None and job.state is not JobState.RUNNING, (point, job)
            where = f"{name}, exception after point {point} ({whole.points[point - 1].step})"
            assert job.message and "fault injected after journal point" in job.message, (where, job.message)
            if isinstance(ended, BaseException):
                assert isinstance(ended, InjectedFault), (where, ended)
                assert "intake" not in [p.step for p in job.points if p.phase == "done"], where
            try:
                record = aws.models.get(model)
            except ModelNotFound:
                assert check_model(sandbox, model).problems == [], where
                continue
            assert HOLDER_ATTRIBUTE not in record.to_item(), where
            if record.model_status is ModelStatus.FAILED or _failed_then_rewritten_by_lisas_monitor(ended, record):
                assert name in ("third-party-create", "hosted-create", "delete"), (where, record.failure_reason)
                assert record.failure_reason and "fault injected" in record.failure_reason, where
                continue
            assert check_model(sandbox, model).problems == [], (where, ended)
            # LISA's semantics: failure_reason only with Failed (none of these models had one before)
            assert record.failure_reason is None, (where, record.failure_reason)


def test_a_job_that_cannot_write_its_last_record_stays_unfinished_for_recovery(tmp_path: Path) -> None:
    """AWS stops answering DynamoDB writes while a failed rollout is undone: the rollback cannot put the record
    back, so the job is left unfinished in the journal, and `recover_dead_jobs` settles the model once AWS answers."""
    with sandbox_on_skipping_clock(
        ambient=False,
        rollout_seconds=0.3,
        warmup_seconds=0.2,
        models=pool("m", 1, ModelStatus.IN_SERVICE),
        fail_rollout=["m-00"],
    ) as sandbox:
        world = world_on(sandbox)
        aws = world.aws
        journal = Journal(tmp_path / "jobs.sqlite3")
        cut = {"on": False}

        def no_network(**_: object) -> None:
            if cut["on"]:
                raise EndpointConnectionError(endpoint_url=sandbox.endpoint_url)

        def cut_after_rollback(event: JobEvent) -> None:
            if event.step == "rollback" and event.state is StepState.ROLLED_BACK:
                cut["on"] = True

        aws.clients.dynamodb().meta.events.register("before-call.dynamodb.PutItem", no_network)
        aws.clients.dynamodb().meta.events.register("before-call.dynamodb.UpdateItem", no_network)
        handle = JobRunner(1, journal=journal, deployment="test").submit_update(
            aws,
            "m-00",
            parse_update({"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}}),
            ack_restart=True,
            settings=FAST,
            listeners=(cut_after_rollback,),
        )
        result = handle.result(timeout=120)
        assert "jobs recover m-00" in result.message, result.message
        (job,) = journal.jobs()
        assert job.state is JobState.RUNNING and not journal.is_alive(job)
        assert aws.models.get("m-00").model_status is ModelStatus.UPDATING

        cut["on"] = False
        (recovered,) = recover_dead_jobs(aws, journal, "test", settings=FAST)
        assert recovered.settled, recovered
        assert check_model(sandbox, "m-00").problems == []
        assert aws.models.get("m-00").model_status is ModelStatus.IN_SERVICE


def _failed_then_rewritten_by_lisas_monitor(ended: object, record: ModelRecord) -> bool:
    """A create that failed once its instances were up ends Failed, and LISA's status monitor, a few seconds after
    their launch, sets the status from the instances (InService) unconditionally: the record keeps the job's
    failure reason, with the monitor's own reason beside it."""
    return (
        isinstance(ended, JobResult)
        and ended.final_status is ModelStatus.FAILED
        and str(record.to_item().get("statusReason", "")).startswith("Auto Scaling")
    )
