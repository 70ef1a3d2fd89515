"""What the window says of a model held by a job it is not running (another workstation's, or a process that
died): who holds it and since when, its last heartbeat, and whether its lease has expired, so that the model can
be taken over. Plain data from the row and the current time: no AWS call, cheap enough for a tooltip."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.model_row import ModelRow
from ui.formatting import ago, local_time


def span(seconds: float) -> str:
    """`40 s`, `6 min`, `3 h`: a duration, rounded up (a lease that expires in 5 min 10 s is said as 6 min)."""
    if seconds < 60:
        return f"{math.ceil(max(0.0, seconds))} s"
    if seconds < 2 * 3600:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds / 3600)} h"


@dataclass(frozen=True)
class HoldState:
    """A row's hold at one moment, with the lease the window uses (None: no deployment open to say it)."""

    model_id: str
    holder: str
    """`job-… (caller ARN on host, since …)`."""
    heartbeat: int | None
    age_s: float | None
    """Seconds since the last heartbeat; None when none was recorded."""
    lease_s: float | None

    @property
    def job_id(self) -> str:
        return self.holder.split(" ", 1)[0]

    @property
    def expired(self) -> bool:
        """As `engine.jobs.lease.Hold.expired`: no heartbeat recorded, or none for a whole lease."""
        if self.lease_s is None:
            return False
        return self.age_s is None or self.age_s >= self.lease_s

    @property
    def left_s(self) -> float | None:
        """Seconds until the lease expires (0 once it has); None when unknown."""
        if self.lease_s is None or self.age_s is None:
            return None if self.lease_s is None else 0.0
        return max(0.0, self.lease_s - self.age_s)

    def heartbeat_text(self) -> str:
        """`last heartbeat 2026-12-06 15:02 (4 min ago)`."""
        if self.heartbeat is None or self.age_s is None:
            return "no heartbeat recorded"
        return f"last heartbeat {local_time(self.heartbeat)} ({ago(self.age_s)})"

    def lease_text(self) -> str:
        """`the lease expires in 6 min`, `its 10 min lease has expired`."""
        if self.lease_s is None:
            return ""
        if self.expired:
            return f"its {span(self.lease_s)} lease has expired"
        return f"the lease expires in {span(self.left_s or 0.0)}"

    def lines(self) -> tuple[str, str]:
        """`Held by job-… (…)` and `Last heartbeat … (12 min ago): its 10 min lease has expired`."""
        lease = self.lease_text()
        beat = self.heartbeat_text()
        return f"Held by {self.holder}", beat[:1].upper() + beat[1:] + (f": {lease}" if lease else "")

    def text(self) -> str:
        return "\n".join(self.lines())


def hold_state(row: ModelRow, *, now_ms: int, lease_s: float | None) -> HoldState | None:
    """The row's hold when a job holds it; None otherwise. The status does not decide: LISA's status monitor may
    have written InService or Stopped over the status a job holds the model in."""
    if row.held_by is None:
        return None
    age = None if row.heartbeat is None else max(0.0, (now_ms - row.heartbeat) / 1000)
    return HoldState(row.model_id, row.held_by, row.heartbeat, age, lease_s)


def takeover_refusal(row: ModelRow, hold: HoldState | None, *, ours: bool) -> str | None:
    """None when the row can be taken over; else why not, in words."""
    if hold is None:
        return f"{row.model_id} is {row.status} and held by no job: there is nothing to take over"
    if ours:
        return f"{row.model_id} is held by {hold.job_id}, a job of this window: follow it in the Jobs panel"
    if hold.lease_s is None:
        return "no deployment is open"
    if not hold.expired:
        return (
            f"the lease of {hold.job_id} is still running: it expires in {span(hold.left_s or 0.0)} "
            f"({hold.heartbeat_text()})"
        )
    return None
