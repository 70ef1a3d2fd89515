"""Time as the sandbox and the jobs see it: the wall clock, or (in tests) a clock that skips every wait.

A job waits through `JobContext.sleep` and reads the time through its context; the simulator reads its clock on
every tick. Given the same `SkippingClock`, a job's wait returns at once with the clock moved forward by what it
would have waited, and the simulator ticks at the new time before the job looks again: a 30-second rollout or
warm-up is over in a few polls, and the job sees the same sequence of states, in the same order, as in real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` for `event`; whether it is set."""
        ...


class WallClock:
    """Real time: `time.monotonic` and `Event.wait`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(0.0, seconds))


WALL_CLOCK = WallClock()


class SkippingClock:
    """Wall time plus every wait skipped so far. A wait whose event is not set returns at once (False), having
    moved the clock forward by its length and run the listeners (a simulator's tick) at the new time."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def monotonic(self) -> float:
        return time.monotonic() + self._skipped

    @property
    def skipped(self) -> float:
        """Seconds of waiting skipped so far."""
        return self._skipped

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` and let the listeners see the new time."""
        with self._lock:
            self._skipped += max(0.0, seconds)
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        self.advance(seconds)
        return event.is_set()

    def on_advance(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every advance; returns what stops it."""
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop
