"""The sandbox's scheduled models are as LISA leaves them when it sets their schedules (at `SCHEDULED_AT`): a model
whose schedule was set outside its window scaled to 0 and Stopped, one set inside it running; the record's
nextScheduledAction as LISA computes it then."""

from __future__ import annotations

from engine.sandbox.catalog import catalog_by_id
from engine.sandbox.schedules import SCHEDULED_AT
from engine.schedules.record import schedule_of, scheduling_of
from engine.schedules.timing import within_window
from engine.schema.enums import ModelStatus
from tests.engine.jobs.sandbox_world import sandbox_on_skipping_clock, world_on

SEEDED = {"llama3-8b-tgi": False, "llama3-1-70b-instruct": True}
"""Each seeded scheduled model, and whether SCHEDULED_AT is inside its window."""


def test_each_seeded_model_has_the_status_and_capacity_lisa_leaves_when_it_sets_the_schedule() -> None:
    with sandbox_on_skipping_clock(ambient=False, lisa_actors=False) as sandbox:
        world = world_on(sandbox)
        for model_id, inside in SEEDED.items():
            record = world.aws.models.get(model_id)
            schedule = schedule_of(record)
            assert schedule is not None, model_id
            assert within_window(schedule, SCHEDULED_AT) is inside, model_id
            group = world.aws.autoscaling.describe_one(record.auto_scaling_group or "")
            assert group is not None
            sizes = (group.min_size, group.max_size, group.desired_capacity)
            if inside:
                assert record.model_status is ModelStatus.IN_SERVICE, model_id
                assert group.desired_capacity > 0, (model_id, sizes)
            else:
                assert record.model_status is ModelStatus.STOPPED, model_id
                assert sizes == (0, 0, 0), model_id
            assert record.model_status is catalog_by_id()[model_id].status
            assert (scheduling_of(record) or {})["lastScheduleUpdate"] == SCHEDULED_AT.isoformat()
        stored = {model_id: (scheduling_of(world.aws.models.get(model_id)) or {}) for model_id in SEEDED}
    assert stored["llama3-8b-tgi"]["nextScheduledAction"] == {
        "action": "START",
        "scheduledTime": "2026-12-01T09:00:00+01:00",
    }
    assert stored["llama3-1-70b-instruct"]["nextScheduledAction"] == {
        "action": "STOP",
        "scheduledTime": "2026-11-30T20:00:00-05:00",
    }
