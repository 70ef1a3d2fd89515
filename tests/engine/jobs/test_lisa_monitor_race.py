"""LISA's status monitor writes `model_status` unconditionally when an instance of a model's group launches or
terminates — also while a console job holds the model. The job must still end where it meant to, registered where
it should be, its hold cleared, and what LISA wrote besides the status (`lastStatusUpdate`, `statusReason`) kept."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.aws.errors import StatusChanged
from engine.aws.models_table import HOLD_ATTRIBUTES
from engine.errors import ModelNotFound
from engine.jobs.context import JobSettings
from engine.jobs.events import JobEvent, StepState
from engine.jobs.journal import JobState, Journal
from engine.jobs.runner import JobRunner
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_update
from tests.engine.jobs.consistency import check_model, pool
from tests.engine.jobs.sandbox_world import world_on
from tests.waiting import wait_for

MODEL = "m-00"
FAST = JobSettings(ecs_deadline_s=60, capacity_deadline_s=60, poll_initial_s=0.2, poll_max_s=0.5)


class WaitForTheMonitor:
    """Holds the job, once its capacity is healthy, until LISA's monitor has written the model's status: the
    write then always lands while the job holds the model, as it does on AWS when the Lambda is quick."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.saw_it = threading.Event()

    def __call__(self, event: JobEvent) -> None:
        if event.step == "capacity" and event.state is StepState.SUCCEEDED and not self.saw_it.is_set():
            monitor = self.sandbox.status_monitor
            assert monitor is not None
            wait_for(
                lambda: any(model == MODEL for model, _ in monitor.writes), timeout=30, what="LISA's monitor to write"
            )
            self.saw_it.set()


def _run(sandbox: Sandbox, tmp_path: Path, change: dict[str, object], *, ack: bool = False) -> None:
    aws = world_on(sandbox).aws
    hold_until_monitor = WaitForTheMonitor(sandbox)
    handle = JobRunner(1, journal=Journal(tmp_path / "jobs.sqlite3"), deployment="test").submit_update(
        aws,
        MODEL,
        parse_update(change),
        ack_restart=ack,
        settings=FAST,
        listeners=(hold_until_monitor,),
        model_warmup_cap_s=0.2,
    )
    result = handle.result(timeout=120)
    assert hold_until_monitor.saw_it.is_set()
    assert result.ok, result.message
    record = aws.models.get(MODEL)
    item = record.to_item()
    assert record.model_status is ModelStatus.IN_SERVICE
    assert not any(name in item for name in HOLD_ATTRIBUTES)
    assert "lastStatusUpdate" in item and item["statusReason"].startswith("Auto Scaling completed")
    assert check_model(sandbox, MODEL).problems == []


def _sandbox(status: ModelStatus) -> Sandbox:
    """One model in `status`, and LISA's monitor writing 0.1 s after each instance launch or terminate."""
    return Sandbox(
        ambient=False, rollout_seconds=0.3, warmup_seconds=0.2, monitor_delay_s=0.1, models=pool("m", 1, status)
    )


def test_a_start_ends_in_service_and_registered_though_the_monitor_wrote_meanwhile(tmp_path: Path) -> None:
    with _sandbox(ModelStatus.STOPPED) as sandbox:
        _run(sandbox, tmp_path, {"enabled": True})


def test_a_capacity_update_ends_updated_though_the_monitor_wrote_meanwhile(tmp_path: Path) -> None:
    with _sandbox(ModelStatus.IN_SERVICE) as sandbox:
        _run(sandbox, tmp_path, {"autoScalingInstanceConfig": {"maxCapacity": 3, "desiredCapacity": 2}})
        record = world_on(sandbox).aws.models.get(MODEL)
        assert record.config["autoScalingConfig"]["desiredCapacity"] == 2


class MonitorWritesAfterValidation:
    """LISA's monitor writing `status` (as it does when an instance of the group launches or terminates) between
    the job's validation, which read the record, and its intake, which writes it."""

    def __init__(self, sandbox: Sandbox, status: ModelStatus) -> None:
        self.sandbox, self.status = sandbox, status

    def __call__(self, event: JobEvent) -> None:
        if event.step == "validate" and event.state is StepState.SUCCEEDED:
            self.sandbox.client("dynamodb").update_item(
                TableName=world_on(self.sandbox).aws.models.table_name,
                Key={"model_id": {"S": MODEL}},
                UpdateExpression="SET model_status = :s, statusReason = :r",
                ExpressionAttributeValues={
                    ":s": {"S": str(self.status)},
                    ":r": {"S": "Auto Scaling completed: ASG has 1 instances in service"},
                },
            )


def test_a_delete_goes_ahead_though_the_monitor_changed_the_status_after_validation(tmp_path: Path) -> None:
    """A failed create's group keeps replacing instances, so LISA's monitor flips the model between Stopped and
    InService: a delete, allowed in both, must not be refused (nor end 'succeeded' without deleting)."""
    with _sandbox(ModelStatus.STOPPED) as sandbox:
        aws = world_on(sandbox).aws
        handle = JobRunner(1, journal=Journal(tmp_path / "jobs.sqlite3"), deployment="test").submit_delete(
            aws, MODEL, settings=FAST, listeners=(MonitorWritesAfterValidation(sandbox, ModelStatus.IN_SERVICE),)
        )
        result = handle.result(timeout=120)
        assert result.ok, result.message
        assert check_model(sandbox, MODEL).problems == []
        with pytest.raises(ModelNotFound):
            aws.models.get(MODEL)


def test_an_update_whose_model_changed_status_after_validation_is_refused_and_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _sandbox(ModelStatus.STOPPED) as sandbox:
        aws = world_on(sandbox).aws
        journal = Journal(tmp_path / "jobs.sqlite3")
        handle = JobRunner(1, journal=journal, deployment="test").submit_update(
            aws,
            MODEL,
            parse_update({"enabled": True}),
            settings=FAST,
            listeners=(MonitorWritesAfterValidation(sandbox, ModelStatus.IN_SERVICE),),
        )
        with pytest.raises(StatusChanged, match="now InService, not Stopped"):
            handle.result(timeout=120)
        job = journal.job(handle.job_id)
        assert job is not None and (job.state, job.outcome) == (JobState.ENDED, "refused"), job
        assert not [r for r in caplog.records if r.levelname == "ERROR"]  # an expected refusal, not a crash
        item = aws.models.get(MODEL).to_item()
        assert item["model_status"] == "InService"  # as the monitor left it: the job wrote nothing
        assert not any(name in item for name in HOLD_ATTRIBUTES)
