"""Sandbox fixtures: one read-only sandbox for the whole session; tests that change the world start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.sandbox.server import Sandbox


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
