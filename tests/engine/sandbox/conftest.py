"""Sandbox fixtures: one read-only sandbox for the whole session; tests that change the world start their own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from engine.sandbox.server import Sandbox

T = TypeVar("T")


def wait_for(probe: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.05, what: str = "") -> T:
    """Call `probe` until it returns something truthy; return that, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T = probe()
    while not last:
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or probe}: last value {last!r}")
        time.sleep(interval)
        last = probe()
    return last


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """A still world for read-only tests: no ambient transitions. Never change it in a test.

    One per module, not per session: moto's in-process backends are global, and a test elsewhere that leaves a
    `mock_aws` context resets them all. Run on two workers, such a module can come between two that share this."""
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5, tick_seconds=0.1) as sandbox:
        yield sandbox


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    """A sandbox of the test's own, fast and still (no ambient transitions)."""
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5, tick_seconds=0.05) as sandbox:
        yield sandbox
