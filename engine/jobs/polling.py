"""Bounded polling with backoff: every wait in a job has a deadline and wakes on cancellation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from engine.jobs.context import JobContext, StepTimeout

T = TypeVar("T")


def poll_until(
    ctx: JobContext,
    check: Callable[[], T | None],
    *,
    deadline_s: float,
    what: str,
    initial_s: float | None = None,
    maximum_s: float | None = None,
    progressed: Callable[[], bool] | None = None,
) -> T:
    """Call `check` until it returns something other than None; backoff from `initial_s` up to `maximum_s`
    (the job settings' by default). While `progressed()` says things are moving (a rollout's counts changed,
    new service events), the delay goes back to `initial_s`, so a finish is seen within seconds.
    Raises StepTimeout after `deadline_s`, JobCancelled on cancel."""
    delay = ctx.settings.poll_initial_s if initial_s is None else initial_s
    ceiling = ctx.settings.poll_max_s if maximum_s is None else maximum_s
    give_up_at = ctx.monotonic() + deadline_s
    while True:
        ctx.check_cancelled()
        result = check()
        if result is not None:
            return result
        remaining = give_up_at - ctx.monotonic()
        if remaining <= 0:
            raise StepTimeout(f"{what} did not happen within {deadline_s:.0f} s")
        if progressed is not None and progressed():
            delay = ctx.settings.poll_initial_s if initial_s is None else initial_s
        ctx.sleep(min(delay, remaining))
        delay = min(delay * ctx.settings.poll_factor, ceiling)
