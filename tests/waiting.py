"""Waiting on a condition in tests: return as soon as it holds, fail (or give up) at a deadline.

Never wait a fixed time for something to happen: under load it comes later (the test fails), and otherwise the
test sleeps longer than needed. Poll the condition instead, here or with `qtbot.waitUntil` in Qt tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INTERVAL_S = 0.05
"""The pause between two probes once the first ones failed (the first few come sooner): probes that ask the
sandbox cost CPU time that the simulator and the code under test share with them."""


def poll(probe: Callable[[], T], *, timeout: float = 10.0, interval: float = INTERVAL_S) -> T:
    """Call `probe` until it returns something truthy or `timeout` seconds have passed; return its last value.

    The first retries come after a few milliseconds, then every `interval` seconds: a condition that holds at
    once costs nothing, one that holds soon costs little more than it takes."""
    deadline = time.monotonic() + timeout
    pause = min(0.002, interval)
    last = probe()
    while not last and time.monotonic() < deadline:
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, interval)
        last = probe()
    return last


def wait_for(probe: Callable[[], T], *, timeout: float = 10.0, interval: float = INTERVAL_S, what: str = "") -> T:
    """Call `probe` until it returns something truthy and return that; raise AssertionError after `timeout` s.

    AssertionError rather than `pytest.fail`: it is also raised on job threads and in child processes."""
    last = poll(probe, timeout=timeout, interval=interval)
    if not last:
        raise AssertionError(f"timed out after {timeout} s waiting for {what or probe}: last value {last!r}")
    return last
