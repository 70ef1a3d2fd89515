"""What the window says of a model held by a job it is not running, from the row and the time alone."""

from __future__ import annotations

from typing import Any

import pytest

from engine.model_row import ModelRow
from tests.ui.rows import make_row
from ui.formatting import local_time
from ui.holds import hold_state, span, takeover_refusal

HOLDER = "job-5e1f (arn:aws:iam::123456789012:user/ana on ana-laptop, since 2026-12-06T15:00:00Z)"
BEAT = 1_790_000_000_000
MINUTE = 60_000
LEASE = 600.0


def held(status: str = "Stopping", **overrides: Any) -> ModelRow:
    return make_row("m", **({"status": status, "held_by": HOLDER, "heartbeat": BEAT} | overrides))


def test_a_fresh_heartbeat_holds_the_lease() -> None:
    hold = hold_state(held(), now_ms=BEAT + 4 * MINUTE + 5_000, lease_s=LEASE)
    assert hold is not None and not hold.expired
    assert hold.job_id == "job-5e1f"
    assert hold.lines() == (
        f"Held by {HOLDER}",
        f"Last heartbeat {local_time(BEAT)} (4 min ago): the lease expires in 6 min",
    )
    refusal = takeover_refusal(held(), hold, ours=False)
    assert refusal == (
        f"the lease of job-5e1f is still running: it expires in 6 min (last heartbeat {local_time(BEAT)} (4 min ago))"
    )


def test_ten_minutes_without_a_heartbeat_and_the_lease_has_expired() -> None:
    hold = hold_state(held(), now_ms=BEAT + 12 * MINUTE, lease_s=LEASE)
    assert hold is not None and hold.expired
    assert hold.text().endswith("(12 min ago): its 10 min lease has expired")
    assert hold.text().startswith(f"Held by {HOLDER}\nLast heartbeat ")
    assert takeover_refusal(held(), hold, ours=False) is None
    assert takeover_refusal(held(), hold, ours=True) == (
        "m is held by job-5e1f, a job of this window: follow it in the Jobs panel"
    )


def test_no_heartbeat_recorded_is_an_expired_lease() -> None:
    hold = hold_state(held(heartbeat=None), now_ms=BEAT, lease_s=LEASE)
    assert hold is not None and hold.expired
    assert hold.lines()[1] == "No heartbeat recorded: its 10 min lease has expired"


def test_a_lease_of_zero_has_expired_at_once() -> None:
    hold = hold_state(held(), now_ms=BEAT, lease_s=0)
    assert hold is not None and hold.expired


@pytest.mark.parametrize("row_status", ["InService", "Failed", "Stopping"])
def test_unheld_rows_have_no_hold(row_status: str) -> None:
    row = make_row("m", status=row_status, held_by=None, heartbeat=None)
    assert hold_state(row, now_ms=BEAT, lease_s=LEASE) is None
    assert (
        takeover_refusal(row, None, ours=False)
        == f"m is {row_status} and held by no job: there is nothing to take over"
    )


def test_a_held_row_whose_status_lisas_monitor_overwrote_still_has_its_hold() -> None:
    row = make_row("m", status="InService", held_by=HOLDER, heartbeat=BEAT)
    hold = hold_state(row, now_ms=BEAT + 12 * MINUTE, lease_s=LEASE)
    assert hold is not None and hold.expired
    assert takeover_refusal(row, hold, ours=False) is None


def test_without_a_deployment_the_lease_is_not_said_and_nothing_is_taken_over() -> None:
    hold = hold_state(held(), now_ms=BEAT + 30 * MINUTE, lease_s=None)
    assert hold is not None and not hold.expired
    assert hold.lines()[1] == f"Last heartbeat {local_time(BEAT)} (30 min ago)"
    assert takeover_refusal(held(), hold, ours=False) == "no deployment is open"


@pytest.mark.parametrize(
    ("seconds", "said"), [(0, "0 s"), (40.2, "41 s"), (60, "1 min"), (310, "6 min"), (7200, "2 h")]
)
def test_spans_round_up(seconds: float, said: str) -> None:
    assert span(seconds) == said
