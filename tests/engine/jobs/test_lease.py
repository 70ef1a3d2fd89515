"""Leases: a running job renews a heartbeat on its model's item; one that loses its hold stops changing things."""

from __future__ import annotations

from pathlib import Path

from engine.aws.models_table import HEARTBEAT_ATTRIBUTE, HOLDER_ATTRIBUTE
from engine.jobs.context import JobSettings
from engine.jobs.journal import Journal
from engine.jobs.lease import Hold, hold_of
from engine.jobs.runner import JobRunner
from engine.jobs.update_job import Outcome
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus
from engine.schema.validate import parse_update
from tests.engine.jobs.consistency import pool
from tests.engine.jobs.sandbox_world import world_on
from tests.waiting import wait_for

MODEL = "m-00"
CHANGE = parse_update({"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "8192"}}})
SETTINGS = JobSettings(ecs_deadline_s=60, poll_initial_s=0.1, poll_max_s=0.3, heartbeat_s=0.1, lease_s=5)


def test_a_hold_says_who_and_when_and_whether_its_lease_has_expired() -> None:
    hold = Hold("job-abc (arn:aws:sts::1:user/ann on ws1, since 2026-12-06T10:00:00Z)", 1_000_000)
    assert hold.job_id == "job-abc"
    assert hold.age_s(1_095_000) == 95
    assert not hold.expired(600, 1_095_000)
    assert hold.expired(600, 1_600_000)
    text = hold.describe(1_095_000, 600)
    assert "held by job-abc (arn:aws:sts::1:user/ann on ws1" in text
    assert "last heartbeat 1970-01-01 00:16:40Z (95 s ago; the lease expires in 505 s)" in text
    assert "its 600 s lease has expired" in hold.describe(1_700_000, 600)
    assert Hold("job-old (…)", None).expired(600, 1) is True


def _wait(condition, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    wait_for(condition, timeout=timeout_s)


def test_a_running_job_renews_its_heartbeat_and_stops_when_taken_over(tmp_path: Path) -> None:
    with Sandbox(
        ambient=False, rollout_seconds=4.0, warmup_seconds=0.2, models=pool("m", 1, ModelStatus.IN_SERVICE)
    ) as sandbox:
        aws = world_on(sandbox).aws
        journal = Journal(tmp_path / "jobs.sqlite3")
        handle = JobRunner(1, journal=journal, deployment="test").submit_update(
            aws, MODEL, CHANGE, ack_restart=True, settings=SETTINGS
        )

        def heartbeat() -> int | None:
            beat = aws.models.get(MODEL).to_item().get(HEARTBEAT_ATTRIBUTE)
            return int(beat) if beat is not None else None

        _wait(lambda: heartbeat() is not None)
        first = heartbeat()
        assert first is not None
        _wait(lambda: (heartbeat() or 0) > first)

        def deployed() -> bool:
            job = journal.job(handle.job_id)
            return job is not None and job.done("ecs.deploy") is not None

        _wait(deployed)
        held = hold_of(aws.models.get(MODEL))
        assert held is not None
        assert aws.models.renew_hold(MODEL, held.holder, new_holder="job-other (someone else on ws2, since now)")
        result = handle.result(timeout=60)

        assert result.outcome is Outcome.FAILED
        assert "it was taken over" in result.message and "changes nothing more" in result.message
        job = journal.job(handle.job_id)
        assert job is not None
        steps_after_deploy = [p.step for p in job.points if p.seq > (job.done("ecs.deploy") or job.points[0]).seq]
        assert not any(step.startswith(("rollback", "finalize", "capacity")) for step in steps_after_deploy)
        record = aws.models.get(MODEL)
        assert record.model_status is ModelStatus.UPDATING
        assert record.to_item()[HOLDER_ATTRIBUTE].startswith("job-other")
