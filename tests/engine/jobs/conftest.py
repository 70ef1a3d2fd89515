"""Fixtures shared by the job tests: a still sandbox per module, the engine's gateways on it, a job runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.jobs.runner import JobRunner
from engine.sandbox.server import Sandbox
from tests.engine.jobs.sandbox_world import World, sandbox_on_skipping_clock, world_on


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for a module whose tests each use their own models (modules that change shared models
    define a per-test `sandbox` or `world` of their own). Its jobs wait on the sandbox's skipping clock."""
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    return world_on(sandbox)


@pytest.fixture
def runner() -> Iterator[JobRunner]:
    jobs = JobRunner()
    yield jobs
    jobs.shutdown()
