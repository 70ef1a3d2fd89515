"""Leases: a job that holds a model renews a heartbeat on the model's item, so that another workstation can tell a
live job from a dead one, and take the model over once the lease has expired.

The holder (`lisa_desktop_job`) and the heartbeat (`lisa_desktop_heartbeat`, epoch milliseconds) are written with
the intake and renewed by a `Heartbeat` thread every `JobSettings.heartbeat_s`, each renewal conditional on the
holder still being this job. A job whose renewal finds another holder (a takeover), or that could not renew for a
whole lease (`JobSettings.lease_s`), has lost its lease: its next step raises `LeaseLost` and it changes nothing
more — the new holder owns the model now.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from engine.aws.models_table import (
    HEARTBEAT_ATTRIBUTE,
    HOLDER_ATTRIBUTE,
    MODIFIED_ATTRIBUTE,
    OPERATION_ATTRIBUTE,
    ModelsTable,
)
from engine.errors import LisaDesktopError
from engine.schema.record import ModelRecord

log = logging.getLogger(__name__)

DEFAULT_LEASE_S: Final = 10 * 60.0
DEFAULT_HEARTBEAT_S: Final = 60.0


class LeaseLost(LisaDesktopError):
    """The job no longer holds its model (taken over, or its heartbeat could not be renewed for a whole lease)."""


@dataclass(frozen=True)
class Hold:
    """Who holds a model in a transitional status, as its item says."""

    holder: str
    """`job-… (caller ARN on host, since …)`."""
    heartbeat_ms: int | None
    """The last heartbeat; None for a job of a version without leases (its last modification stands in)."""
    operation: str | None = None
    """The holding job's kind, as its intake wrote it; None for a job of a version that did not."""

    @property
    def job_id(self) -> str:
        return self.holder.split(" ", 1)[0]

    def age_s(self, now_ms: int) -> float | None:
        return None if self.heartbeat_ms is None else max(0.0, (now_ms - self.heartbeat_ms) / 1000)

    def expired(self, lease_s: float, now_ms: int) -> bool:
        age = self.age_s(now_ms)
        return age is None or age >= lease_s

    def describe(self, now_ms: int, lease_s: float | None = None) -> str:
        """`held by job-… (…), last heartbeat 2026-12-06 15:02:11Z (95 s ago; the lease expires in 505 s)`."""
        age = self.age_s(now_ms)
        if age is None or self.heartbeat_ms is None:
            return f"held by {self.holder}, no heartbeat recorded"
        stamp = datetime.fromtimestamp(self.heartbeat_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        text = f"held by {self.holder}, last heartbeat {stamp} ({age:.0f} s ago"
        if lease_s is not None:
            left = lease_s - age
            text += f"; the lease expires in {left:.0f} s" if left > 0 else f"; its {lease_s:.0f} s lease has expired"
        return text + ")"


def hold_of(record: ModelRecord) -> Hold | None:
    """The hold on a model, if a desktop job holds it."""
    item = record.to_item()
    holder = item.get(HOLDER_ATTRIBUTE)
    if not isinstance(holder, str) or not holder:
        return None
    beat = item.get(HEARTBEAT_ATTRIBUTE, item.get(MODIFIED_ATTRIBUTE))
    operation = item.get(OPERATION_ATTRIBUTE)
    return Hold(
        holder, int(beat) if isinstance(beat, int | float) else None, operation if isinstance(operation, str) else None
    )


class Heartbeat:
    """Renews one job's lease on a thread of its own until stopped. `on_lost` is called once, from that thread,
    when the lease is lost."""

    def __init__(
        self,
        models: ModelsTable,
        model_id: str,
        holder: Callable[[], str | None],
        *,
        interval_s: float,
        lease_s: float,
        on_lost: Callable[[str], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._models = models
        self._model_id = model_id
        self._holder = holder
        self._interval_s = interval_s
        self._lease_s = lease_s
        self._on_lost = on_lost
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lisa-lease-{model_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        renewed_at = self._monotonic()
        while not self._stop.wait(self._interval_s):
            holder = self._holder()
            if holder is None:
                renewed_at = self._monotonic()
                continue
            try:
                if self._models.renew_hold(self._model_id, holder):
                    renewed_at = self._monotonic()
                    continue
                if self._stop.is_set() or hold_of(self._models.get(self._model_id)) is None:
                    return  # the job's last write released the model meanwhile
                self._on_lost(f"the model is no longer held by {holder.split(' ', 1)[0]}: it was taken over")
                return
            except LisaDesktopError as error:
                log.warning("renewing the lease on %s failed: %s", self._model_id, error)
                if self._monotonic() - renewed_at >= self._lease_s:
                    self._on_lost(f"the lease could not be renewed for {self._lease_s:.0f} s ({error})")
                    return
