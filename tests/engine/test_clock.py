"""The skipping clock tests put jobs and the sandbox on: a wait returns at once with the time moved on by its
length, the listeners (the simulator) see the new time, and a cancel still wakes a job."""

from __future__ import annotations

import threading

import pytest

from engine.clock import WALL_CLOCK, SkippingClock
from engine.jobs.context import JobCancelled, JobContext, JobSettings, job_clock, jobs_on_clock
from engine.sandbox.server import Sandbox


def test_a_wait_moves_the_clock_by_its_length_and_tells_the_listeners() -> None:
    clock = SkippingClock()
    seen: list[float] = []
    stop = clock.on_advance(lambda: seen.append(clock.skipped))
    before = clock.monotonic()
    assert clock.wait(threading.Event(), 30.0) is False
    assert clock.monotonic() - before >= 30.0
    assert seen == [30.0]
    stop()
    clock.advance(5.0)
    assert seen == [30.0], "a stopped listener hears nothing more"
    assert clock.skipped == 35.0


def test_a_set_event_ends_the_wait_without_moving_the_clock() -> None:
    clock = SkippingClock()
    event = threading.Event()
    event.set()
    assert clock.wait(event, 30.0) is True
    assert clock.skipped == 0.0


def test_jobs_made_on_the_clock_wait_on_it_and_a_cancel_still_wakes_them() -> None:
    clock = SkippingClock()
    with jobs_on_clock(clock):
        ctx = JobContext("job-1", "m", None, JobSettings(), emit=lambda event: None)  # type: ignore[arg-type]
    assert job_clock() is WALL_CLOCK, "the clock is put back"
    assert ctx.clock is clock
    start = ctx.monotonic()
    ctx.sleep(600.0)
    assert ctx.monotonic() - start >= 600.0
    ctx.cancelled.set()
    with pytest.raises(JobCancelled):
        ctx.sleep(600.0)
    assert clock.skipped == 600.0


def test_a_sandbox_on_the_clock_ticks_whenever_it_moves() -> None:
    clock = SkippingClock()
    with Sandbox(ambient=False, models=(), clock=clock, tick_seconds=60.0) as sandbox:
        ticks = sandbox.simulator.ticks
        clock.advance(1.0)
        clock.advance(1.0)
        assert sandbox.simulator.ticks >= ticks + 2
        assert sandbox.simulator.clock == clock.monotonic
    before = clock.skipped
    clock.advance(1.0)  # the stopped sandbox no longer listens
    assert clock.skipped == before + 1.0
